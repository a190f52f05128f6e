"""Where one GraphQL request's time goes: cProfile over the ASGI app, against the real engines.

Runs each kind of ``bench/api_load.py`` (search, neighbourhood, paths, me) ``--repeat`` times
through the app in-process (httpx's ``ASGITransport``, the app's lifespan run by hand), with the
worker-thread hops run inline so that one profiler sees all of a request's work; prints, per
kind, the median latency and the functions with the most cumulative time. Settings come from
the ``POLEGRAPH_*`` environment, as for ``polegraph serve``; the engines must hold the scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bench.api_load import PURPOSE, QUERIES, load_samples
from polegraph.api.app import create_app
from polegraph.api.auth import mint_token
from polegraph.config import get_settings

T = TypeVar("T")


async def _inline(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    return func(*args, **kwargs)


async def profile(scenario: Path, repeat: int, top: int) -> None:
    settings = get_settings()
    samples = load_samples(scenario)
    token = mint_token(
        settings, user="bench.profile", home_force=samples.forces[0], clearance="SECRET",
        roles=("analyst",), readable_forces=samples.forces,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": PURPOSE}
    app = create_app(settings)
    asyncio.to_thread = _inline  # type: ignore[assignment]  # one thread, so one profile
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for kind in ("search", "neighbourhood", "paths", "me"):
                variables = samples.by_kind[kind]
                for v in variables[:3]:  # warm caches and connections
                    await client.post(
                        "/graphql", json={"query": QUERIES[kind], "variables": v}, headers=headers
                    )
                profiler, times = cProfile.Profile(), []
                for i in range(repeat):
                    body = {"query": QUERIES[kind], "variables": variables[i % len(variables)]}
                    started = time.perf_counter()
                    profiler.enable()
                    response = await client.post("/graphql", json=body, headers=headers)
                    profiler.disable()
                    times.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200 or "errors" in response.json():
                        raise SystemExit(f"{kind}: {response.status_code} {response.text}")
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
                print(f"=== {kind}: median {statistics.median(times):.1f} ms over {repeat} (profiled)")
                print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()
    asyncio.run(profile(args.scenario, args.repeat, args.top))


if __name__ == "__main__":
    main()
