from __future__ import annotations

import pytest

from api.auth import decode_token, mint_token
from api.errors import AuthError
from workflows.settings import Settings


def test_settings_read_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKFLOWS_EVENTS_PARTITIONS", "24")
    monkeypatch.setenv("WORKFLOWS_KAFKA_BOOTSTRAP_SERVERS", "broker:29092")
    monkeypatch.setenv("EVENTS_PARTITIONS", "3")  # unprefixed: ignored
    s = Settings()
    assert s.events_partitions == 24
    assert s.kafka_bootstrap_servers == "broker:29092"


def test_secrets_do_not_print() -> None:
    s = Settings()
    assert "workflows:workflows" not in repr(s)
    assert "dev-only-secret" not in str(s.jwt_secret)


def test_token_round_trip_carries_tenant_and_user() -> None:
    s = Settings()
    principal = decode_token(s, mint_token(s, tenant_id="tenant-a", user_id="user-1"))
    assert (principal.tenant_id, principal.user_id) == ("tenant-a", "user-1")


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), id="bad-signature"),
        pytest.param(lambda t: "not-a-jwt", id="garbage"),
    ],
)
def test_bad_tokens_are_rejected(mutate: object) -> None:
    s = Settings()
    token = mint_token(s, tenant_id="tenant-a", user_id="user-1")
    with pytest.raises(AuthError):
        decode_token(s, mutate(token))  # type: ignore[operator]


def test_expired_token_is_rejected() -> None:
    s = Settings()
    with pytest.raises(AuthError, match="expired"):
        decode_token(s, mint_token(s, tenant_id="t", user_id="u", ttl_seconds=-60))  # past the 30 s leeway
