"""Production mode (the default) refuses to start any process with an unsafe setting, and names each one.

Each command runs as a real subprocess with a clean ``WORKFLOWS_*`` environment: a command that did start
would not return within the timeout, and the test fails.
"""

from __future__ import annotations

import os
import subprocess
import sys

import jwt
import pytest

CLI = [sys.executable, "-m", "workflows.cli"]
GOOD_SECRET = "p" * 48
PROCESSES = [["api"], ["worker"], ["bridge"], ["run"], ["token", "--tenant", "acme"]]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOWS_")}
    clean["WORKFLOWS_API_PORT"] = "1"  # were `api` to start anyway, it could not take a real port
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, check=False, timeout=60, env={**clean, **env}
    )


@pytest.mark.parametrize("command", PROCESSES, ids=lambda c: c[0])
def test_the_development_secret_is_refused_by_default(command: list[str]) -> None:
    done = _run(command)  # no WORKFLOWS_ENV: production
    assert done.returncode != 0
    assert "production mode" in done.stderr
    assert "WORKFLOWS_JWT_SECRET" in done.stderr
    assert "development secret" in done.stderr
    assert "WORKFLOWS_ENV=development" in done.stderr  # and how to opt out on a laptop


@pytest.mark.parametrize("command", PROCESSES[:4], ids=lambda c: c[0])
def test_a_short_hs256_secret_is_refused(command: list[str]) -> None:
    done = _run(command, WORKFLOWS_ENV="production", WORKFLOWS_JWT_SECRET="short-secret")
    assert done.returncode != 0
    assert "WORKFLOWS_JWT_SECRET: is 12 bytes; HS256 needs at least 32" in done.stderr


@pytest.mark.parametrize(
    "allow", ['["127.0.0.1"]', '["localhost"]', '["10.0.0.0/8", "::1"]', '["0.0.0.0/0"]']
)
def test_loopback_executor_targets_are_refused(allow: str) -> None:
    done = _run(["worker"], WORKFLOWS_JWT_SECRET=GOOD_SECRET, WORKFLOWS_EXECUTOR_ALLOW_HOSTS=allow)
    assert done.returncode != 0
    assert "WORKFLOWS_EXECUTOR_ALLOW_HOSTS" in done.stderr
    assert "WORKFLOWS_JWT_SECRET" not in done.stderr  # only the real problem is named


def test_every_problem_is_named_in_one_message() -> None:
    done = _run(["api"], WORKFLOWS_JWT_SECRET="x" * 8, WORKFLOWS_EXECUTOR_ALLOW_HOSTS='["127.0.0.1"]')
    assert done.returncode != 0
    assert "WORKFLOWS_JWT_SECRET" in done.stderr
    assert "WORKFLOWS_EXECUTOR_ALLOW_HOSTS" in done.stderr


def test_the_token_command_is_development_only() -> None:
    done = _run(["token", "--tenant", "acme"], WORKFLOWS_JWT_SECRET=GOOD_SECRET)
    assert done.returncode != 0
    assert "`workflows token` is for development only" in done.stderr
    assert done.stdout == ""  # no token printed

    dev = _run(["token", "--tenant", "acme"], WORKFLOWS_ENV="development", WORKFLOWS_JWT_SECRET=GOOD_SECRET)
    assert dev.returncode == 0, dev.stderr
    claims = jwt.decode(dev.stdout.strip(), GOOD_SECRET, algorithms=["HS256"])
    assert claims["tenantId"] == "acme"
    assert claims["exp"] - claims["iat"] <= 24 * 3600
