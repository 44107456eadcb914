"""``{{ path }}`` placeholders in webhook, Slack and update_contact values, resolved like condition fields.

Values come from contacts and events, so they are data, never syntax: in a URL every substituted value is
percent-encoded (``render_url``), so ``@evil.example/x`` cannot move the request to another host; a JSON
body is parsed once and placeholders are rendered inside the parsed data (``json_body``), so a value
holding ``"`` cannot add keys.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote, urlsplit

from streams.engine.conditions import MISSING, Getter, Scope, compile_path

__all__ = ["UrlError", "json_body", "render", "render_url", "static_host"]

_PLACEHOLDER: Final = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")


@lru_cache(maxsize=4096)
def _getter(path: str) -> Getter:
    """A placeholder's compiled path: the same few paths come back on every render (getters are pure)."""
    return compile_path(path)


def _text(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(value: Any, scope: Scope) -> Any:
    """Render placeholders in strings, recursively through lists and objects. A string that is exactly one
    placeholder keeps the value's JSON type (a number stays a number)."""
    if isinstance(value, str):
        if "{{" not in value:
            return value
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            resolved = _getter(whole.group(1))(scope)
            return None if resolved is MISSING else resolved
        return _PLACEHOLDER.sub(lambda m: _text(_getter(m.group(1))(scope)), value)
    if isinstance(value, list):
        return [render(v, scope) for v in value]
    if isinstance(value, dict):
        return {k: render(v, scope) for k, v in value.items()}
    return value


class UrlError(ValueError):
    """A rendered URL is not the one its template allows (host changed, not http(s)); the node fails."""


def static_host(template: str) -> str | None:
    """The template's ``host[:port]`` when no placeholder is in it (the rendered URL must keep it), else
    None (the host is dynamic by design, or the whole URL is a placeholder)."""
    if template.startswith("{{"):
        return None
    try:
        netloc = urlsplit(template).netloc
    except ValueError:
        return None
    if "{{" in netloc:
        return None
    return netloc.rpartition("@")[2].lower()


def render_url(template: str, scope: Scope, *, host: str | None) -> str:
    """Render a URL template, percent-encoding every substituted value (``quote(v, safe="")``).

    A template that starts with a placeholder takes that first value verbatim: it is the base URL itself
    (validated as http(s) here; the executor's guard checks its host). ``host`` is ``static_host(template)``,
    computed once per compiled node: when set, the rendered URL must still have that host.
    Raises UrlError with a message for the run's error."""
    if "{{" not in template:
        rendered = template
    else:
        leading = template.startswith("{{")

        def substitute(match: re.Match[str]) -> str:
            text = _text(_getter(match.group(1))(scope))
            return text if leading and match.start() == 0 else quote(text, safe="")

        rendered = _PLACEHOLDER.sub(substitute, template)
    try:
        parts = urlsplit(rendered)
    except ValueError as exc:
        raise UrlError(f"the rendered URL is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlError("the rendered URL is not an http(s) URL with a host")
    hostport = parts.netloc.rpartition("@")[2].lower()
    if "%" in hostport:
        raise UrlError("a template value would change the URL's host (encoded characters in the host)")
    if host is not None and hostport != host:
        raise UrlError(f"a template value changed the URL's host (expected {host!r}, got {hostport!r})")
    return rendered


def json_body(body: Any) -> Any:
    """A body as data: a string holding a JSON object or array is parsed (once, at compile time), so its
    placeholders are rendered as values inside it; any other string stays text."""
    if not isinstance(body, str) or not body.lstrip().startswith(("{", "[")):
        return body
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return body
    return parsed if isinstance(parsed, dict | list) else body
