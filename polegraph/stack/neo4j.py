"""Neo4j Community 5.26 from its Maven Central jars, with a Bolt connector and APOC core.

The launcher (``stack/neo4j/PolegraphNeo4j.java``) is Neo4j's documented "embedded with a Bolt
connector" route: clients connect over Bolt exactly as they connect to a server. As the server
does, the jars of the plugins directory are on the classpath and loaded as procedures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from polegraph.config import Settings
from polegraph.errors import StackError
from polegraph.stack import process


def pom_versions() -> dict[str, str]:
    """The engine versions pinned in stack/pom.xml (neo4j, apoc, elasticsearch)."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.parse(process.repo_stack_dir() / "pom.xml").getroot()  # noqa: S314 (our own file)
    props = root.find("m:properties", ns)
    if props is None:
        raise StackError("stack/pom.xml has no <properties>")
    versions = {}
    for key in ("neo4j", "apoc", "elasticsearch"):
        elem = props.find(f"m:{key}.version", ns)
        if elem is None or not elem.text:
            raise StackError(f"stack/pom.xml lacks the {key}.version property")
        versions[key] = elem.text.strip()
    return versions


@dataclass(frozen=True)
class Neo4jPaths:
    root: Path
    artifacts: Path
    version: str

    @property
    def lib(self) -> Path:
        return self.artifacts / f"neo4j-{self.version}" / "lib"

    @property
    def plugins(self) -> Path:
        return self.artifacts / f"neo4j-{self.version}" / "plugins"

    @property
    def classes(self) -> Path:
        return self.artifacts / f"neo4j-{self.version}" / "classes"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def conf(self) -> Path:
        return self.root / "neo4j.conf"

    @property
    def pid_file(self) -> Path:
        return self.root / "neo4j.pid"

    @property
    def out_log(self) -> Path:
        return self.root / "neo4j.out"

    @property
    def debug_log(self) -> Path:
        return self.home / "logs" / "debug.log"


def paths(settings: Settings) -> Neo4jPaths:
    return Neo4jPaths(settings.state_dir / "neo4j", settings.artifacts, pom_versions()["neo4j"])


def install(settings: Settings) -> Neo4jPaths:
    """Resolve the Neo4j and APOC jars and compile the launcher, unless already done."""
    p = paths(settings)
    versions = pom_versions()
    m2 = settings.artifacts / "m2"
    log = settings.artifacts / "maven.log"
    props = {"neo4j.version": versions["neo4j"], "apoc.version": versions["apoc"]}
    if not (p.lib / f"neo4j-kernel-{versions['neo4j']}.jar").exists():
        process.maven_copy("neo4j", p.lib, m2, log, props)
    if not (p.plugins / f"apoc-core-{versions['apoc']}.jar").exists():
        process.maven_copy("apoc", p.plugins, m2, log, props)
    source = process.repo_stack_dir() / "neo4j" / "PolegraphNeo4j.java"
    stamp = p.classes / ".source-digest"
    digest = process.file_digest(source)
    if not stamp.exists() or stamp.read_text() != digest:
        shutil.rmtree(p.classes, ignore_errors=True)
        p.classes.mkdir(parents=True)
        javac = process.java_home(settings.java_home) / "bin" / "javac"
        result = subprocess.run(
            [str(javac), "-cp", f"{p.lib}/*", "-d", str(p.classes), str(source)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise StackError(f"compiling {source} failed:\n{result.stderr.strip()}")
        stamp.write_text(digest)
    return p


def write_conf(settings: Settings, p: Neo4jPaths) -> None:
    host, port = settings.neo4j_address
    lines = [
        "# Written by `polegraph stack up`; edit POLEGRAPH_* settings instead.",
        "server.bolt.enabled=true",
        f"server.bolt.listen_address={host}:{port}",
        "server.bolt.tls_level=DISABLED",
        # Loopback only, for development and tests; a deployment uses docker-compose with auth.
        "dbms.security.auth_enabled=false",
        f"server.directories.plugins={p.plugins}",
        "dbms.security.procedures.unrestricted=apoc.*",
        "dbms.security.procedures.allowlist=apoc.*",
        f"server.memory.pagecache.size={settings.neo4j_pagecache}",
        f"db.transaction.timeout={int(settings.neo4j_tx_timeout_s * 2)}s",
        "db.logs.query.enabled=OFF",
        # Recovery needs the logs since the last checkpoint only; the default keeps two days of them,
        # which a million-record load turns into tens of gigabytes.
        "db.tx_log.rotation.retention_policy=1G size",
    ]
    p.conf.write_text("\n".join(lines) + "\n")


def start(settings: Settings) -> int:
    """Start the launcher detached; returns its pid. Idempotent."""
    p = install(settings)
    running = process.live_pid(p.pid_file)
    if running is not None:
        return running
    host, port = settings.neo4j_address
    if process.port_open(host, port):
        raise StackError(
            f"port {host}:{port} is taken by a process polegraph did not start",
            hint="stop it, or set POLEGRAPH_NEO4J_URI to another port",
        )
    p.home.mkdir(parents=True, exist_ok=True)
    write_conf(settings, p)
    java = process.java_home(settings.java_home)
    major = process.java_major(java)
    if major not in (17, 21):
        raise StackError(
            f"Neo4j 5.26 runs on Java 17 or 21, and {java} is Java {major}",
            hint="set POLEGRAPH_JAVA_HOME to a JDK 17 or 21",
        )
    classpath = os.pathsep.join([f"{p.lib}/*", f"{p.plugins}/*", str(p.classes)])
    cmd = [
        str(java / "bin" / "java"),
        f"-Xms{settings.neo4j_heap}", f"-Xmx{settings.neo4j_heap}",
        "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "-Dfile.encoding=UTF-8",
        "-cp", classpath, "PolegraphNeo4j", str(p.home), str(p.conf),
    ]  # fmt: skip
    pid = process.spawn_detached(cmd, p.out_log)
    p.pid_file.write_text(str(pid))
    return pid


def stop(settings: Settings) -> bool:
    """Stop the engine if polegraph started it; returns whether one was running."""
    p = paths(settings)
    pid = process.live_pid(p.pid_file)
    p.pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    process.stop_pid(pid, timeout=90)
    return True
