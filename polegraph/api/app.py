"""The ASGI application: ``/graphql`` (HTTP; WebSocket for subscriptions), ``/metrics``, the probes;
engines opened in the lifespan.

The probes are what a load balancer and docker-compose's health check need; ``/metrics`` is for
Prometheus (counts and latencies only, no data). The token verifier, the audit log and the schema
are made before the app serves, so a bad key or an unreadable audit chain stops it from starting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from elasticsearch import Elasticsearch
from neo4j import Driver
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from strawberry import Schema

from polegraph.api.auth import TokenVerifier
from polegraph.api.chart import chart_routes
from polegraph.api.data import MUTATIONS, QUERIES, SUBSCRIPTIONS, TYPES
from polegraph.api.http import GraphQLEndpoint
from polegraph.api.metrics import CONTENT_TYPE_LATEST, ApiMetrics
from polegraph.api.schema import build_schema
from polegraph.api.subscriptions import SubscriptionEndpoint
from polegraph.config import Settings, get_settings
from polegraph.errors import EngineUnavailable
from polegraph.graph.driver import open_driver, server_version
from polegraph.schema.elasticsearch import AUDIT
from polegraph.search.client import cluster_info, open_client
from polegraph.security.audit import AuditLog, IndexCopier
from polegraph.security.directory import DirectoryRecorder

log = logging.getLogger(__name__)


@dataclass
class Engines:
    """The clients one app process shares between requests."""

    driver: Driver
    es: Elasticsearch


def _engines(request: Request) -> Engines:
    engines = request.app.state.engines
    assert isinstance(engines, Engines)
    return engines


async def healthz(request: Request) -> JSONResponse:
    """The process is up (it says nothing of the engines)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Both engines answer; 503 with the reason otherwise."""
    settings: Settings = request.app.state.settings
    engines = _engines(request)
    checks: dict[str, str] = {}
    ready = True
    try:
        checks["neo4j"] = await asyncio.to_thread(server_version, engines.driver, settings.neo4j_database)
    except EngineUnavailable as exc:
        ready, checks["neo4j"] = False, str(exc).splitlines()[0]
    try:
        version, health = await asyncio.to_thread(cluster_info, engines.es)
        checks["elasticsearch"] = f"{version} {health}"
        ready = ready and health in ("green", "yellow")
    except EngineUnavailable as exc:
        ready, checks["elasticsearch"] = False, str(exc).splitlines()[0]
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


def create_app(settings: Settings | None = None, schema: Schema | None = None) -> Starlette:
    """The app; engines are opened when it starts serving and closed when it stops."""
    settings = settings or get_settings()
    schema = schema or build_schema(
        *QUERIES, types=TYPES, mutations=MUTATIONS, subscriptions=SUBSCRIPTIONS, settings=settings
    )
    verifier = TokenVerifier(settings)
    if not verifier.configured:
        log.warning("no token verification key is configured: every GraphQL request will be refused (401)")
    elif settings.environment == "production" and settings.jwt_secret.get_secret_value():
        log.warning("HS256 tokens are accepted (POLEGRAPH_JWT_SECRET is set): that is for development")
    metrics = ApiMetrics()
    recorder = DirectoryRecorder(settings.directory_refresh_s)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engines = Engines(open_driver(settings), open_client(settings))
        copier = IndexCopier(
            app.state.engines.es, settings.index_name(AUDIT), on_failure=metrics.audit_index_copy_failures.inc
        )
        try:
            app.state.audit = AuditLog(settings, app.state.engines.es, copier=copier)
            yield
        finally:
            copier.close()  # before the client closes: the queued index copies are written
            app.state.engines.driver.close()
            app.state.engines.es.close()

    async def prometheus(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", prometheus),
        # Every method reaches the endpoint so that the wrong one gets a JSON 405 with Allow.
        Route(
            "/graphql", GraphQLEndpoint(schema, settings, verifier, metrics, recorder).handle, methods=methods
        ),
        # Subscriptions (graphql-transport-ws); the token comes in connection_init's payload.
        WebSocketRoute("/graphql", SubscriptionEndpoint(schema, settings, verifier, recorder).handle),
        *chart_routes(),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
