"""polegraph: cross-system intelligence search over a POLE graph."""
