"""Redaction of secrets in what leaves the worker as a record: step records and the events built from them.

Node data is configuration, and some of it is credentials: webhook headers (bearer tokens, API keys),
basic-auth users and passwords in URLs, tokens in query strings, Slack incoming-webhook URLs (the URL is the
credential), and any field whose name says it is a secret. Step records are published, projected into
PostgreSQL and served by the run-detail API, so they carry ``"***"`` in those places; names (header names,
query parameter names) stay so an operator can still see what was configured.

The executor gets the real values: only records are redacted, never the action effects.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

__all__ = ["REDACTED", "is_secret_key", "redact_data", "redact_slack_url", "redact_url"]

REDACTED: Final = "***"
# Substrings of a normalized key (lower case, without "_" and "-") that mark its value as a secret.
_SECRET_PARTS: Final = (
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "authorization",
    "credential",
    "privatekey",
    "accesskey",
    "signature",
    "cookie",
    "sessionid",
)
_SECRET_KEYS: Final = frozenset({"auth", "pwd", "pass", "bearer", "jwt"})
_NORMALIZE: Final = re.compile(r"[_\-\s]")


@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """A data key whose value is a secret by its name (``apiKey``, ``client_secret``, ``X-Auth-Token``...).
    Cached: the same few keys come back in every event and every step record."""
    k = _NORMALIZE.sub("", key.lower())
    return k in _SECRET_KEYS or any(part in k for part in _SECRET_PARTS)


def redact_url(url: str) -> str:
    """``https://user:pass@host/p?token=abc#frag`` -> ``https://***@host/p?token=***#***``: credentials,
    every query value and the fragment go; scheme, host, port, path and parameter names stay."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED  # not a URL we can take apart: show nothing rather than a secret
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = "&".join(_redact_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    fragment = REDACTED if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def _redact_pair(pair: str) -> str:
    name, sep, _value = pair.partition("=")
    # A bare query part (``?sk_live_abc``) may itself be the token.
    return f"{name}={REDACTED}" if sep else (REDACTED if name else "")


def redact_slack_url(url: str) -> str:
    """A Slack incoming-webhook URL is a credential whole: only ``scheme://host`` stays."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    if not parts.scheme or not parts.hostname:
        return REDACTED
    return f"{parts.scheme}://{parts.hostname}/{REDACTED}"


@lru_cache(maxsize=4096)
def _plain_key(key: str) -> bool:
    """A key whose value is kept as it is when it is a string, a number, a boolean or null: not a secret by
    its name and none of the keys whose text is taken apart (URLs, headers, a JSON body)."""
    lowered = key.lower()
    return not (lowered in ("headers", "body") or lowered.endswith("url") or is_secret_key(key))


_SCALARS: Final = (str, int, float, bool, type(None))


def redact_data(value: Any) -> Any:
    """A redacted copy of node data (the input is never changed)."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if type(k) is not str:
                out[k] = redact_data(v)
            elif type(v) in _SCALARS and _plain_key(k):
                out[k] = v  # the common case (ids, names, amounts), decided once per key name
            else:
                out[k] = _redact_field(k, v)
        return out
    if isinstance(value, list):
        return [redact_data(v) for v in value]
    return value


def _redact_field(key: str, value: Any) -> Any:
    if value is None or value == "":
        return value  # nothing configured: nothing to hide, and the record shows it is empty
    lowered = key.lower()
    if lowered == "headers" and isinstance(value, dict):
        return dict.fromkeys(value, REDACTED)  # header values are usually bearer tokens: all of them go
    if is_secret_key(key):
        return REDACTED
    if isinstance(value, str):
        if lowered == "webhookurl":
            return redact_slack_url(value)
        if lowered.endswith("url"):
            return redact_url(value)
        if lowered == "body":
            return _redact_json_text(value)
        return value
    return redact_data(value)


def _redact_json_text(text: str) -> str:
    """A body written as JSON text is redacted as data (its secret keys), then written back as text."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return text
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return text
    redacted = redact_data(parsed)
    return text if redacted == parsed else json.dumps(redacted, ensure_ascii=False)
