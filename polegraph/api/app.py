"""The ASGI application: engines opened in the lifespan, health and readiness probes.

The GraphQL endpoint is mounted here by the API package as it grows; the probes are what a
load balancer and docker-compose's health check need from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from elasticsearch import Elasticsearch
from neo4j import Driver
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from polegraph.config import Settings, get_settings
from polegraph.errors import EngineUnavailable
from polegraph.graph.driver import open_driver, server_version
from polegraph.search.client import cluster_info, open_client


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


def create_app(settings: Settings | None = None) -> Starlette:
    """The app; engines are opened when it starts serving and closed when it stops."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engines = Engines(open_driver(settings), open_client(settings))
        try:
            yield
        finally:
            app.state.engines.driver.close()
            app.state.engines.es.close()

    routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
    return Starlette(routes=routes, lifespan=lifespan)
