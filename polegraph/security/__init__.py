"""Principals, the access policy, and the audit log."""
