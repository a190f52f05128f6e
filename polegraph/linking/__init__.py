"""Entity resolution across forces and systems: blocking, scoring, decisions, clusters, jobs.

- ``features``: what is compared of a nominal, as keys computed by ``polegraph/types``.
- ``model``: the Fellegi-Sunter model on Splink (comparisons, blocking, priors, training, scoring);
  any Splink ``DatabaseAPI`` runs it (DuckDB in process, Spark at national scale).
- ``store``: reading persons from Neo4j in pages, writing ``POSSIBLE_SAME_AS`` links with labels.
- ``jobs``: ``run_link_job`` (full or incremental, resumable) and ``link_jobs``.
- ``decisions``: ``link_suggestions``, ``decide_link`` and ``resolved_person``, all under the
  principal's access policy: what the API's ``linkSuggestions``, ``decideLink`` and ``linkJobs``
  fields call.
- ``cli``: ``polegraph link [--forces A,B] [--incremental]``.
"""
