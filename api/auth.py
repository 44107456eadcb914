"""Bearer JWT authentication: claims `tenantId` (scopes every query) and `sub` (the acting user)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Request

from api.errors import AuthError
from workflows.settings import Settings


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: str
    user_id: str


def mint_token(settings: Settings, *, tenant_id: str, user_id: str, ttl_seconds: int = 3600) -> str:
    now = int(time.time())
    claims = {"tenantId": tenant_id, "sub": user_id, "iat": now, "exp": now + ttl_seconds}
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
            token, key, algorithms=[settings.jwt_algorithm], options={"require": ["exp", "sub"]}
        )
    except jwt.PyJWTError as exc:
        raise AuthError(f"invalid token: {exc}") from exc
    tenant = claims.get("tenantId")
    if not isinstance(tenant, str) or not tenant:
        raise AuthError("token has no tenantId claim")
    return Principal(tenant_id=tenant, user_id=str(claims["sub"]))


def principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("missing bearer token: send Authorization: Bearer <JWT>")
    settings: Settings = request.app.state.settings
    return decode_token(settings, token.strip())


CurrentPrincipal = Annotated[Principal, Depends(principal)]
