"""docker-compose.yml: what a force deploys. Checked structurally always, and by
``docker compose config`` where the compose plugin is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from polegraph.stack.neo4j import pom_versions

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def test_services_match_the_local_stack_versions() -> None:
    services = _compose()["services"]
    versions = pom_versions()
    assert set(services) == {"neo4j", "elasticsearch", "api"}
    assert services["neo4j"]["image"] == f"neo4j:{versions['neo4j']}-community"
    assert services["elasticsearch"]["image"].endswith(f"elasticsearch:{versions['elasticsearch']}")
    assert "apoc" in services["neo4j"]["environment"]["NEO4J_PLUGINS"]
    assert services["api"]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()


def test_every_service_has_a_healthcheck_and_the_api_waits_for_them() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
    assert services["api"]["depends_on"] == {
        "neo4j": {"condition": "service_healthy"},
        "elasticsearch": {"condition": "service_healthy"},
    }


def test_data_lives_in_volumes() -> None:
    compose = _compose()
    assert {"neo4j-data", "es-data"} <= set(compose["volumes"])


def test_no_default_passwords() -> None:
    text = COMPOSE.read_text()
    # Every secret is required from the environment (${VAR:?…}), never given a default.
    for var in ("NEO4J_PASSWORD", "ELASTIC_PASSWORD"):
        uses = re.findall(r"(?<!\$)\$\{" + var + r"([^}]*)\}", text)
        assert uses, var
        assert all(use.startswith(":?") for use in uses), (var, uses)
    assert not re.search(r"(?i)password[\"']?\s*[:=]\s*[\"']?(changeme|password|neo4j|secret)\b", text)


def test_docker_compose_config_accepts_it() -> None:
    docker = shutil.which("docker")
    has_compose = (
        docker is not None
        and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0
    )
    if not has_compose:
        # No compose plugin on this machine: the structural tests above are the check.
        assert yaml.safe_load(COMPOSE.read_text())["name"] == "polegraph"
        return
    assert docker is not None
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True, text=True, check=False, cwd=ROOT,
        env={"NEO4J_PASSWORD": "test-only", "ELASTIC_PASSWORD": "test-only", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
