"""The Elasticsearch client's lifecycle: one client per process (or per app lifespan)."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from polegraph.config import Settings
from polegraph.errors import EngineUnavailable


def open_client(settings: Settings) -> Elasticsearch:
    """A client for every host in ``settings.es_hosts`` (several hosts = a cluster)."""
    kwargs: dict[str, Any] = {
        "request_timeout": settings.es_request_timeout_s,
        "retry_on_timeout": True,
        "max_retries": 3,
    }
    if settings.es_api_key.get_secret_value():
        kwargs["api_key"] = settings.es_api_key.get_secret_value()
    elif settings.es_username:
        kwargs["basic_auth"] = (settings.es_username, settings.es_password.get_secret_value())
    if settings.es_ca_certs is not None:
        kwargs["ca_certs"] = str(settings.es_ca_certs)
    return Elasticsearch(settings.es_hosts, **kwargs)


def cluster_info(client: Elasticsearch) -> tuple[str, str]:
    """(version, health status) of the cluster.

    The minimal distribution has no handler for ``GET /``, so the version comes from the nodes API.
    """
    try:
        client = client.options(max_retries=0, request_timeout=5)
        health = client.cluster.health()
        nodes = client.nodes.info(filter_path="nodes.*.version")
    except Exception as exc:
        raise EngineUnavailable(f"Elasticsearch did not answer: {exc}") from exc
    versions = sorted({n["version"] for n in nodes.get("nodes", {}).values()})
    return ",".join(versions), str(health["status"])
