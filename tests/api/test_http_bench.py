"""bench/api_load.py against a real server: the load loop, the figures, --help."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import uvicorn
from elasticsearch import Elasticsearch

from polegraph.api.app import create_app
from polegraph.config import Settings, get_settings
from tests.api.shell_support import SECRET, audit_records, ensure_audit_index, shell_settings

BENCH = Path(__file__).parents[2] / "bench" / "api_load.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_load", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_load"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(stack: Settings, es_client: Elasticsearch, tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    """``polegraph serve``'s app under uvicorn, on a port of its own, in a thread."""
    settings = shell_settings(stack, tmp_path)
    ensure_audit_index(es_client, settings)
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started
    yield f"http://127.0.0.1:{port}/graphql", settings
    running.should_exit = True
    thread.join(timeout=30)


def test_the_load_runs_concurrent_clients_and_reports_figures(
    server: tuple[str, Settings], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url, settings = server
    monkeypatch.setenv("POLEGRAPH_JWT_SECRET", SECRET)
    get_settings.cache_clear()
    try:
        figures = _bench().main(
            ["--url", url, "--mix", "me=1", "--clients", "4", "--seconds", "1.5", "--no-raw"]
        )
    finally:
        get_settings.cache_clear()
    load = figures["load"]["all"]
    assert load["requests"] > 4
    assert load["errors"] == 0
    assert load["p50_ms"] <= load["p95_ms"] <= load["p99_ms"]
    out = capsys.readouterr().out
    assert "4 clients" in out
    assert "p99" in out
    # Every request the clients made was audited, under the client's own user.
    users = {r["user"] for r in audit_records(settings)}
    assert users == {f"bench.client{i:02d}" for i in range(4)}
    assert len(audit_records(settings)) == load["requests"]


def test_help_describes_the_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        _bench().main(["--help"])
    assert done.value.code == 0
    assert "32" in capsys.readouterr().out


def test_the_data_kinds_need_the_scenario() -> None:
    with pytest.raises(SystemExit, match="--scenario"):
        _bench().main(["--mix", "search=1", "--seconds", "0"])
