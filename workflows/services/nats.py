"""nats-server with JetStream, from Debian's package (installed with apt-get when missing)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request

from workflows.services.base import (
    ServiceError,
    ServiceStatus,
    pid_alive,
    port_open,
    port_taken_error,
    read_pid,
    spawn,
    stop_pid,
    wait_until,
)
from workflows.settings import Settings


class Nats:
    name = "nats"

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.home = settings.services_home / "nats"
        self.pidfile = self.home / "nats.pid"
        self.log = self.home / "nats.log"

    def _pid(self) -> int | None:
        return read_pid(self.pidfile, expect="nats-server")

    def address(self) -> str:
        return f"127.0.0.1:{self.s.nats_port} (monitor :{self.s.nats_monitor_port})"

    def _jetstream_ready(self) -> bool:
        url = f"http://127.0.0.1:{self.s.nats_monitor_port}/jsz"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                body = json.loads(resp.read())
        except (OSError, urllib.error.URLError, ValueError):
            return False
        return isinstance(body, dict) and not body.get("disabled", False) and "config" in body

    def status(self) -> ServiceStatus:
        pid = self._pid()
        healthy = port_open(self.s.nats_port) and self._jetstream_ready()
        detail = "JetStream enabled" if healthy else "not running"
        return ServiceStatus(self.name, self.address(), healthy, pid is not None, pid, detail)

    def up(self) -> ServiceStatus:
        pid = self._pid()
        if port_open(self.s.nats_port) and self._jetstream_ready():
            return self.status()
        if pid is None:
            for port, setting in (
                (self.s.nats_port, "WORKFLOWS_NATS_PORT"),
                (self.s.nats_monitor_port, "WORKFLOWS_NATS_MONITOR_PORT"),
            ):
                if port_open(port):
                    raise port_taken_error("NATS", port, setting)
            binary = self._ensure_binary()
            store = self.home / "jetstream"
            store.mkdir(parents=True, exist_ok=True)
            config = self.home / "nats.conf"
            # max_payload is only settable in a config file on nats-server 2.9; the bridge must see
            # oversized platform messages (up to 8 MB) to dead-letter them with a reason.
            config.write_text(
                f'host: 127.0.0.1\nport: {self.s.nats_port}\nhttp: "127.0.0.1:{self.s.nats_monitor_port}"\n'
                f'max_payload: 8MB\njetstream {{\n  store_dir: "{store}"\n}}\n'
            )
            argv = [binary, "-c", str(config)]
            pid = spawn(argv, log=self.log, pidfile=self.pidfile)
        started = pid
        wait_until(
            lambda: port_open(self.s.nats_port) and self._jetstream_ready(),
            timeout=30,
            what=f"nats-server (pid {pid}, log {self.log})",
            # The spawned pid itself: right after fork its command line is still ours, not the service's.
            alive=lambda: pid_alive(started),
        )
        return self.status()

    def down(self) -> str:
        pid = self._pid()
        if pid is None:
            return "not started by us"
        stop_pid(pid)
        self.pidfile.unlink(missing_ok=True)
        return f"stopped pid {pid}"

    def _ensure_binary(self) -> str:
        found = shutil.which("nats-server")
        if found:
            return found
        if os.geteuid() != 0:
            raise ServiceError(
                "nats-server is missing: install Debian's package (sudo apt-get install nats-server)"
            )
        for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "nats-server"]):
            done = subprocess.run(  # noqa: S603
                argv,
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
            if done.returncode != 0:
                raise ServiceError(f"{' '.join(argv)} failed:\n{done.stderr[-1500:]}")
        found = shutil.which("nats-server")
        if found is None:
            raise ServiceError("apt-get installed nats-server but it is not on PATH")
        return found
