"""Elasticsearch from Maven Central's official minimal distribution (integ-test-zip).

Single node, loopback only, security off (a local stack for development and tests). It refuses
to run as root, so when polegraph runs as root the distribution, data and logs belong to an
unprivileged user created for it (``POLEGRAPH_STACK_USER``) and the node runs as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from polegraph.config import Settings
from polegraph.errors import StackError
from polegraph.stack import process
from polegraph.stack.neo4j import pom_versions


@dataclass(frozen=True)
class EsPaths:
    root: Path
    artifacts: Path
    version: str

    @property
    def dist(self) -> Path:
        return self.artifacts / f"elasticsearch-{self.version}"

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def pid_file(self) -> Path:
        return self.root / "elasticsearch.pid"

    @property
    def out_log(self) -> Path:
        return self.root / "elasticsearch.out"

    @property
    def server_log(self) -> Path:
        return self.logs / "polegraph-local.log"


def paths(settings: Settings) -> EsPaths:
    return EsPaths(settings.state_dir / "elasticsearch", settings.artifacts, pom_versions()["elasticsearch"])


def install(settings: Settings, user: pwd.struct_passwd | None) -> EsPaths:
    """Fetch and unpack the distribution once; the config folder is made from its defaults."""
    p = paths(settings)
    if not (p.dist / "bin" / "elasticsearch").exists():
        download = p.artifacts / "downloads" / f"elasticsearch-{p.version}"
        zip_path = download / f"elasticsearch-{p.version}.zip"
        if not zip_path.exists():
            process.maven_copy(
                "elasticsearch", download, p.artifacts / "m2",
                p.artifacts / "maven.log", {"elasticsearch.version": p.version},
            )  # fmt: skip
        staging = p.artifacts / f".unpack-{p.version}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(staging)
        except zipfile.BadZipFile as exc:
            zip_path.unlink(missing_ok=True)
            raise StackError(f"{zip_path} is not a valid zip ({exc}); deleted, run again") from exc
        unpacked = staging / f"elasticsearch-{p.version}"
        for script in (unpacked / "bin").iterdir():
            script.chmod(0o755)
        shutil.rmtree(p.dist, ignore_errors=True)
        unpacked.rename(p.dist)
        shutil.rmtree(staging, ignore_errors=True)
    p.root.mkdir(parents=True, exist_ok=True)
    if not p.config.exists():
        shutil.copytree(p.dist / "config", p.config)
    for folder in (p.data, p.logs, p.tmp):
        folder.mkdir(parents=True, exist_ok=True)
    # The node only reads the distribution, and writes only under its own state folder.
    process.chown_tree(p.root, user)
    if user is not None:
        process.allow_traverse(p.root)
        process.allow_traverse(p.dist)
    return p


def write_config(settings: Settings, p: EsPaths) -> None:
    host, port = settings.es_address
    (p.config / "elasticsearch.yml").write_text(
        "# Written by `polegraph stack up`; edit POLEGRAPH_* settings instead.\n"
        "cluster.name: polegraph-local\n"
        "node.name: polegraph-local-1\n"
        f"network.host: {host}\n"
        f"http.port: {port}\n"
        f"transport.port: {port + 100}\n"
        "discovery.type: single-node\n"
        "xpack.security.enabled: false\n"
        f"path.data: {p.data}\n"
        f"path.logs: {p.logs}\n"
        "action.destructive_requires_name: false\n"
        # A test machine's disk may be fuller than a server's; do not go read-only at 95%.
        "cluster.routing.allocation.disk.threshold_enabled: false\n"
    )
    (p.config / "jvm.options.d").mkdir(exist_ok=True)
    (p.config / "jvm.options.d" / "polegraph-heap.options").write_text(
        f"-Xms{settings.es_heap}\n-Xmx{settings.es_heap}\n"
    )


def start(settings: Settings) -> None:
    """Start the node detached (``-d``); returns once the node process is launched. Idempotent."""
    user = process.ensure_user(settings.stack_user)
    p = install(settings, user)
    if process.live_pid(p.pid_file) is not None:
        return
    host, port = settings.es_address
    if process.port_open(host, port):
        raise StackError(
            f"port {host}:{port} is taken by a process polegraph did not start",
            hint="stop it, or set POLEGRAPH_ES_HOSTS to another port",
        )
    write_config(settings, p)
    process.chown_tree(p.config, user)
    java = process.java_home(settings.es_java_home or settings.java_home)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ES_JAVA_HOME": str(java),
        "ES_PATH_CONF": str(p.config),
        "ES_TMPDIR": str(p.tmp),
        "HOME": str(p.root),
        "LANG": "C.UTF-8",
    }
    p.pid_file.unlink(missing_ok=True)
    cmd = [str(p.dist / "bin" / "elasticsearch"), "-d", "-p", str(p.pid_file)]
    with p.out_log.open("ab") as out:
        result = subprocess.run(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            cwd=p.root, user=user.pw_uid if user else None, group=user.pw_gid if user else None,
            extra_groups=[] if user else None, timeout=settings.stack_timeout_s, check=False,
        )  # fmt: skip
    if result.returncode != 0:
        raise StackError(
            f"Elasticsearch failed to start (exit {result.returncode}):\n"
            f"{process.first_error(p.out_log) or process.tail(p.out_log, 15)}",
            hint=f"see {p.out_log} and {p.server_log}",
        )


def stop(settings: Settings) -> bool:
    p = paths(settings)
    pid = process.live_pid(p.pid_file)
    if pid is None:
        return False
    process.stop_pid(pid, timeout=60)
    p.pid_file.unlink(missing_ok=True)
    return True
