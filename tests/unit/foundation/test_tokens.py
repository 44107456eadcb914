"""JWTs: bounded lifetime, required iat, optional iss/aud, clock leeway, safe tenant ids, RS256."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from api.auth import decode_token, mint_token
from api.errors import AuthError
from workflows.settings import Settings

SECRET = "k" * 48
S = Settings(env="development", jwt_secret=SecretStr(SECRET))


def _token(settings: Settings = S, key: str = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {"tenantId": "acme", "sub": "u1", "iat": now, "exp": now + 600}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=algorithm)


def test_a_hundred_year_token_is_refused() -> None:
    now = int(time.time())
    with pytest.raises(AuthError, match="lifetime"):
        decode_token(S, _token(iat=now, exp=now + 100 * 365 * 86400))


def test_a_future_iat_cannot_stretch_the_lifetime() -> None:
    now = int(time.time())
    with pytest.raises(AuthError):
        decode_token(S, _token(iat=now + 10 * 365 * 86400, exp=now + 10 * 365 * 86400 + 60))


def test_a_token_without_iat_is_refused() -> None:
    with pytest.raises(AuthError, match="iat"):
        decode_token(S, _token(iat=None))


def test_the_lifetime_limit_is_a_setting() -> None:
    short = S.model_copy(update={"jwt_max_lifetime_s": 300})
    with pytest.raises(AuthError, match="lifetime"):
        decode_token(short, _token())  # 600 s
    assert decode_token(S, _token()).tenant_id == "acme"


def test_thirty_seconds_of_clock_skew_are_tolerated() -> None:
    now = int(time.time())
    assert decode_token(S, _token(iat=now - 300, exp=now - 10)).tenant_id == "acme"
    with pytest.raises(AuthError, match="expired"):
        decode_token(S, _token(iat=now - 300, exp=now - 60))


def test_issuer_and_audience_are_checked_when_configured() -> None:
    strict = S.model_copy(update={"jwt_issuer": "https://auth.acme.test", "jwt_audience": "workflows"})
    good = _token(iss="https://auth.acme.test", aud="workflows")
    assert decode_token(strict, good).tenant_id == "acme"
    for bad in (
        _token(iss="https://evil.test", aud="workflows"),
        _token(iss="https://auth.acme.test", aud="billing"),
        _token(aud="workflows"),  # no iss
        _token(iss="https://auth.acme.test"),  # no aud
    ):
        with pytest.raises(AuthError):
            decode_token(strict, bad)
    assert decode_token(strict, mint_token(strict, tenant_id="acme", user_id="u")).tenant_id == "acme"


@pytest.mark.parametrize(
    "tenant", ["", "a|b", "acme\n", "-acme", "x" * 101, "acme/other", "S|acme|c", "tenant a", "é"]
)
def test_unsafe_tenant_ids_are_refused(tenant: str) -> None:
    with pytest.raises(AuthError):
        decode_token(S, _token(tenantId=tenant))


@pytest.mark.parametrize(
    "tenant", ["acme", "tenant-a", "org_1.eu:prod", "550e8400-e29b-41d4-a716-446655440000"]
)
def test_ordinary_tenant_ids_pass(tenant: str) -> None:
    assert decode_token(S, _token(tenantId=tenant)).tenant_id == tenant


def test_rs256_with_a_configured_public_key() -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    rs = S.model_copy(update={"jwt_algorithm": "RS256", "jwt_public_key": SecretStr(pem.decode())})
    assert decode_token(rs, _token(key=private_pem, algorithm="RS256")).tenant_id == "acme"
    with pytest.raises(AuthError):
        decode_token(rs, _token())  # HS256 signed with the shared secret: not accepted under RS256
    now = int(time.time())
    with pytest.raises(AuthError, match="lifetime"):
        decode_token(rs, _token(key=private_pem, algorithm="RS256", iat=now, exp=now + 100 * 365 * 86400))


def test_mint_token_refuses_a_ttl_over_the_maximum() -> None:
    with pytest.raises(ValueError, match="MAX_LIFETIME"):
        mint_token(S, tenant_id="acme", user_id="u", ttl_seconds=S.jwt_max_lifetime_s + 1)
