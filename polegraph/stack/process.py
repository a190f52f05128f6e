"""Process and file helpers shared by the two engines: pid files, ports, Java, Maven."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from polegraph.errors import StackError


def repo_stack_dir() -> Path:
    """The repository's ``stack/`` folder (pom and launcher), next to the package."""
    env = os.environ.get("POLEGRAPH_STACK_DIR")
    here = Path(env) if env else Path(__file__).resolve().parents[2] / "stack"
    if not (here / "pom.xml").is_file():
        raise StackError(
            f"stack definition not found: {here / 'pom.xml'}",
            hint="run polegraph from a clone of the repository, or set POLEGRAPH_STACK_DIR",
        )
    return here


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is not running.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def live_pid(pid_file: Path) -> int | None:
    """The pid recorded in ``pid_file`` if that process still runs."""
    pid = read_pid(pid_file)
    return pid if pid is not None and pid_alive(pid) else None


def stop_pid(pid: int, timeout: float = 60.0) -> None:
    """SIGTERM, wait for a clean shutdown, then SIGKILL: no process is left behind."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            _reap(pid)
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while pid_alive(pid):
        time.sleep(0.1)
    _reap(pid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def spawn_detached(cmd: list[str], log: Path) -> int:
    """Start ``cmd`` in a session of its own, output appended to ``log``; returns its pid.

    A pid, not a Popen: the engine outlives this process, and a Popen dropped while its child
    runs is a resource warning.
    """
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    try:
        return os.posix_spawn(
            cmd[0],
            cmd,
            dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, out, 1),
                (os.POSIX_SPAWN_DUP2, out, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(out)
        os.close(devnull)


def java_home(explicit: Path | None) -> Path:
    """The JDK to run the engines with: the setting, else $JAVA_HOME, else ``java`` on PATH."""
    if explicit is not None:
        home = explicit
    elif os.environ.get("JAVA_HOME"):
        home = Path(os.environ["JAVA_HOME"])
    else:
        java = shutil.which("java")
        if java is None:
            raise StackError(
                "no Java found: Neo4j and Elasticsearch need a JDK 17 or 21",
                hint="install one (apt-get install openjdk-17-jdk-headless) or set POLEGRAPH_JAVA_HOME",
            )
        home = Path(java).resolve().parents[1]
    if not (home / "bin" / "java").exists():
        raise StackError(f"{home} is not a Java home (no bin/java)", hint="set POLEGRAPH_JAVA_HOME")
    return home


def java_major(home: Path) -> int:
    out = subprocess.run(
        [str(home / "bin" / "java"), "-version"], capture_output=True, text=True, check=False
    ).stderr
    match = re.search(r'version "(\d+)', out)
    if not match:
        raise StackError(f"cannot tell the version of {home}/bin/java: {out.strip()[:200]}")
    return int(match.group(1))


def maven_copy(profile: str, dest: Path, m2: Path, log: Path, props: dict[str, str]) -> None:
    """Resolve one profile of stack/pom.xml into ``dest`` (jar files), downloading as needed."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "Maven (mvn) is needed once to fetch Neo4j and Elasticsearch from Maven Central",
            hint="apt-get install maven",
        )
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        mvn, "-B", "-q", "-f", str(repo_stack_dir() / "pom.xml"), "-P", profile,
        f"-Dmaven.repo.local={m2}", "dependency:copy-dependencies",
        "-DincludeScope=runtime", f"-DoutputDirectory={tmp}",
        *(f"-D{k}={v}" for k, v in props.items()),
    ]  # fmt: skip
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise StackError(
            f"Maven could not resolve the {profile} artifacts (exit {result.returncode})",
            hint=f"see {log}; Maven Central must be reachable the first time",
        )
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


def ensure_user(name: str) -> pwd.struct_passwd | None:
    """The unprivileged user Elasticsearch runs as when we are root (None when we are not)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    result = subprocess.run(
        [useradd, "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise StackError(
            f"could not create the user {name!r} that Elasticsearch runs as: {result.stderr.strip()}",
            hint="create it yourself, or set POLEGRAPH_STACK_USER to an existing unprivileged user",
        )
    return pwd.getpwnam(name)


def chown_tree(path: Path, user: pwd.struct_passwd | None) -> None:
    if user is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, user.pw_uid, user.pw_gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), user.pw_uid, user.pw_gid)


def allow_traverse(path: Path) -> None:
    """Make each parent of ``path`` traversable, so the unprivileged user can reach it."""
    for parent in [path, *path.parents]:
        if parent == Path("/"):
            break
        mode = parent.stat().st_mode
        if mode & 0o001 == 0:
            parent.chmod(mode | 0o001)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def first_error(path: Path) -> str:
    """The last line of a log that reads as the cause of a failure (Java and ES conventions)."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    causes = [ln for ln in lines if "fatal exception" in ln or ln.startswith(("Caused by", "Exception"))]
    return causes[-1][:500] if causes else ""
