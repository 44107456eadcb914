"""Bearer JWT authentication: claims `tenantId` (scopes every query) and `sub` (the acting user).

A token must carry `exp` and `iat`, live at most ``jwt_max_lifetime_s``, and name a tenant that matches
``TENANT_ID_PATTERN``; `iss` and `aud` are checked when configured. Clocks may differ by ``jwt_leeway_s``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request

from api.errors import AuthError
from workflows.identifiers import TENANT_ID_PATTERN, is_safe_tenant_id
from workflows.settings import Settings


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    user_id: str


def mint_token(settings: Settings, *, tenant_id: str, user_id: str, ttl_seconds: int = 3600) -> str:
    """A development token signed with the HS256 secret (the `workflows token` command and the tests)."""
    if ttl_seconds > settings.jwt_max_lifetime_s:
        raise ValueError(
            f"ttl {ttl_seconds}s exceeds WORKFLOWS_JWT_MAX_LIFETIME_S ({settings.jwt_max_lifetime_s}s)"
        )
    now = int(time.time())
    claims: dict[str, object] = {"tenantId": tenant_id, "sub": user_id, "iat": now, "exp": now + ttl_seconds}
    if settings.jwt_issuer is not None:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience is not None:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def decode_token(settings: Settings, token: str) -> Principal:
    if settings.jwt_algorithm == "RS256":
        if settings.jwt_public_key is None:
            raise AuthError("server misconfigured: RS256 needs WORKFLOWS_JWT_PUBLIC_KEY")
        key = settings.jwt_public_key.get_secret_value()
    else:
        key = settings.jwt_secret.get_secret_value()
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[settings.jwt_algorithm],
            # `iat` is required so the lifetime below can be checked; `iss` / `aud` only when configured.
            options={"require": ["exp", "iat", "sub"], "verify_aud": settings.jwt_audience is not None},
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            leeway=settings.jwt_leeway_s,
        )
    except jwt.PyJWTError as exc:
        raise AuthError(f"invalid token: {exc}") from exc
    _check_lifetime(settings, claims)
    tenant = claims.get("tenantId")
    if not isinstance(tenant, str) or not tenant:
        raise AuthError("token has no tenantId claim")
    if not is_safe_tenant_id(tenant):
        raise AuthError(f"token's tenantId does not match {TENANT_ID_PATTERN}")
    return Principal(tenant_id=tenant, user_id=str(claims["sub"]))


def _check_lifetime(settings: Settings, claims: dict[str, Any]) -> None:
    """A stolen token must not be a standing credential: refuse any that lives longer than the maximum,
    counted both as issued (`exp - iat`) and from now (an `iat` dated in the future cannot stretch it)."""
    exp, iat = claims["exp"], claims["iat"]
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise AuthError("invalid token: exp and iat must be numbers")
    limit = settings.jwt_max_lifetime_s
    if exp - iat > limit or exp - time.time() > limit + settings.jwt_leeway_s:
        raise AuthError(f"invalid token: lifetime exceeds the maximum of {limit}s (exp - iat)")


def principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("missing bearer token: send Authorization: Bearer <JWT>")
    settings: Settings = request.app.state.settings
    return decode_token(settings, token.strip())


CurrentPrincipal = Annotated[Principal, Depends(principal)]
