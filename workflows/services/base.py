"""What every native service shares: pid files, port probes, waiting for health."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class ServiceError(Exception):
    """A service could not be started, reached or stopped; the message says what to do."""


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    name: str
    address: str
    healthy: bool
    owned: bool  # started by `workflows services up` (so `down` may stop it)
    pid: int | None
    detail: str


class Service(Protocol):
    name: str

    def address(self) -> str: ...
    def up(self) -> ServiceStatus: ...
    def down(self) -> str: ...
    def status(self) -> ServiceStatus: ...


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def read_pid(pidfile: Path, *, expect: str) -> int | None:
    """The pid in `pidfile` if that process is alive and its command line contains `expect`.

    After a machine restart or a SIGKILL the pid file outlives its process and the number may belong to
    another program by now; the command-line check keeps us from waiting on (or stopping) a stranger.
    """
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if not pid_alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    return pid if expect in cmdline else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


def spawn(argv: Sequence[str], *, log: Path, pidfile: Path, env: dict[str, str] | None = None) -> int:
    """Start a detached process (own session, so Ctrl-C in the caller's terminal does not reach it)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603 - argv is built from settings, never from a shell string
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if not alive():
            raise ServiceError(f"{what} exited during start-up; see its log")
        time.sleep(0.25)
    raise ServiceError(f"{what} did not become healthy within {timeout:.0f}s; see its log")


def stop_pid(pid: int, *, timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if the process ignores it for `timeout` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def port_taken_error(name: str, port: int, setting: str) -> ServiceError:
    return ServiceError(
        f"{name}: 127.0.0.1:{port} is already in use by a program that does not answer as {name}. "
        f"Stop that program, or choose another port with {setting}=<port>."
    )
