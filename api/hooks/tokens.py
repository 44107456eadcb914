"""Webhook trigger tokens: 256 random bits, shown once, stored as their sha256 only.

Why a lookup by hash is safe against timing: the database compares the *hash* of what the caller sent,
and the caller cannot choose hash prefixes (sha256 is preimage resistant), so how long the index lookup
takes tells nothing about any stored token. The final `hmac.compare_digest` keeps the last comparison
constant-time as well, so no code path compares a secret byte by byte.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from api.db.models import Workflow

TOKEN_BYTES: Final = 32  # token_urlsafe(32): 43 characters
TOKEN_MIN_LENGTH: Final = 16
TOKEN_MAX_LENGTH: Final = 64


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(workflow: Workflow, token: str) -> bool:
    stored = workflow.webhook_token_hash
    return stored is not None and hmac.compare_digest(stored, token_hash(token))


def issue_token(workflow: Workflow) -> str:
    """A fresh token for the workflow; the old one stops working once this change commits."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    workflow.webhook_token_hash = token_hash(token)
    workflow.webhook_token = token  # answered once by this request, never stored
    return token
