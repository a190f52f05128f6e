"""Prometheus metrics of the API, in a registry of the app's own (served on ``/metrics``).

The operation label is the set of root fields a request selected (``search``, ``me,node``…),
which the schema bounds, never the client's operation name, which it does not.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "ApiMetrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ApiMetrics:
    """Requests by operation and outcome, their latency, and audit write failures."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "polegraph_api_requests", "GraphQL requests by operation and outcome",
            ["operation", "outcome"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "polegraph_api_request_seconds", "GraphQL request latency, audit write included",
            ["operation"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.audit_failures = Counter(
            "polegraph_audit_write_failures", "audit records that could not be written (request refused)",
            registry=self.registry,
        )  # fmt: skip
        self.audit_index_copy_failures = Counter(
            "polegraph_audit_index_copy_failures",
            "audit records written to the file whose Elasticsearch copy failed after retries",
            registry=self.registry,
        )  # fmt: skip

    def observe(self, operation: str, outcome: str, seconds: float) -> None:
        self.requests.labels(operation, outcome).inc()
        self.latency.labels(operation).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
