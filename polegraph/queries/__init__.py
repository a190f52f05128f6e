"""Saved queries, their scheduler, and the alerts they raise."""
