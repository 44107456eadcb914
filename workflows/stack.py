"""`workflows run`: the whole product on one machine, each process a child of this one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

from rich.console import Console

from workflows import services
from workflows.settings import Settings

_PROCESSES = ("bridge", "worker", "api")


def _api_ready(settings: Settings) -> bool:
    # /readyz, not /healthz: the API answering is not enough, its dependencies must be reachable too.
    url = f"http://{settings.api_host}:{settings.api_port}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def run_stack(settings: Settings, *, workers: int, console: Console, cwd: Path) -> int:
    try:
        services.up(settings)
    except services.ServiceError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    from api.db.migrate import upgrade

    upgrade(settings)
    console.print("services healthy, database migrated")

    names = ["bridge", *[f"worker-{i}" for i in range(workers)], "api"]
    logs = cwd / "var" / "log"
    logs.mkdir(parents=True, exist_ok=True)
    children: dict[str, subprocess.Popen[bytes]] = {}
    for name in names:
        command = name.split("-")[0]
        env_extra: dict[str, str] = {}
        if command == "worker":
            # One consumer group (the same worker id); each worker its own store folder and web port.
            index = int(name.split("-")[1])
            env_extra = {
                "WORKFLOWS_WORKER_DATA_DIR": str(cwd / "var" / name),
                "WORKFLOWS_WORKER_WEB_PORT": str(settings.worker_web_port + index),
            }
        with (logs / f"{name}.log").open("ab") as out:
            children[name] = subprocess.Popen(  # noqa: S603 - fixed argv
                [sys.executable, "-m", "workflows.cli", command],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env_extra},
            )

    stopping = False

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)

    deadline = time.monotonic() + 60
    while not _api_ready(settings) and time.monotonic() < deadline and not stopping:
        time.sleep(0.5)
    base = f"http://{settings.api_host}:{settings.api_port}"
    console.print(f"App:        {base}/")  # the builder, first: what a person opens
    console.print(f"API:        {base}/api/v1/workflows")
    console.print(f"API docs:   {base}/docs")
    console.print(f"readiness:  {base}/readyz")
    console.print(f"logs:       {logs}/")
    console.print(
        "Ctrl-C stops the processes (the services keep running; `workflows services down` stops them)."
    )

    exit_code = 0
    while not stopping:
        for name, proc in children.items():
            if proc.poll() is not None:
                console.print(
                    f"[red]{name} exited with {proc.returncode}; see {logs / (name + '.log')}[/red]"
                )
                stopping = True
                exit_code = 1
        time.sleep(0.5)

    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for name, proc in children.items():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            console.print(f"{name} ignored SIGTERM for 30s; killing it")
            proc.kill()
            proc.wait()
    console.print("stopped")
    return exit_code
