"""Entity resolution across forces and systems: blocking, scoring, decisions, clusters, jobs."""
