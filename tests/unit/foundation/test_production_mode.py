"""Production mode lists every unsafe setting with the variable that fixes it."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from workflows.production import is_loopback, production_problems
from workflows.settings import Settings

GOOD_SECRET = SecretStr("x" * 48)


def test_production_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKFLOWS_ENV", raising=False)
    assert Settings().env == "production"


def test_development_secret_is_refused_in_production() -> None:
    problems = production_problems(Settings(env="production"))
    assert [p.env_var for p in problems] == ["WORKFLOWS_JWT_SECRET"]
    assert "development secret" in str(problems[0])


def test_short_hs256_secret_is_refused() -> None:
    problems = production_problems(Settings(env="production", jwt_secret=SecretStr("s" * 31)))
    assert [p.env_var for p in problems] == ["WORKFLOWS_JWT_SECRET"]
    assert "31 bytes" in problems[0].message
    assert production_problems(Settings(env="production", jwt_secret=SecretStr("s" * 32))) == []


def test_rs256_needs_a_public_key_not_a_secret() -> None:
    rs = Settings(env="production", jwt_algorithm="RS256")
    assert [p.env_var for p in production_problems(rs)] == ["WORKFLOWS_JWT_PUBLIC_KEY"]
    keyed = rs.model_copy(update={"jwt_public_key": SecretStr("-----BEGIN PUBLIC KEY-----")})
    assert production_problems(keyed) == []


@pytest.mark.parametrize(
    "hosts",
    [["localhost"], ["127.0.0.1"], ["127.8.9.10"], ["::1"], ["10.0.0.0/8", "127.0.0.0/24"], ["0.0.0.0/0"]],
)
def test_loopback_in_the_executor_allow_list_is_refused(hosts: list[str]) -> None:
    settings = Settings(env="production", jwt_secret=GOOD_SECRET)
    problems = production_problems(settings, executor_allow_hosts=hosts)
    assert [p.env_var for p in problems] == ["WORKFLOWS_EXECUTOR_ALLOW_HOSTS"]


@pytest.mark.parametrize("entry", ["10.0.0.0/8", "192.168.1.5", "hooks.internal.example", "fd00::/8"])
def test_private_but_not_loopback_entries_are_allowed(entry: str) -> None:
    assert not is_loopback(entry)


def test_every_problem_is_listed_at_once() -> None:
    problems = production_problems(Settings(env="production"), executor_allow_hosts=["127.0.0.1"])
    assert {p.env_var for p in problems} == {"WORKFLOWS_JWT_SECRET", "WORKFLOWS_EXECUTOR_ALLOW_HOSTS"}


def test_development_mode_allows_everything() -> None:
    assert production_problems(Settings(env="development"), executor_allow_hosts=["localhost"]) == []
