"""``{{ path }}`` placeholders in webhook, Slack and update_contact values, resolved like condition fields."""

from __future__ import annotations

import re
from typing import Any, Final

from streams.engine.conditions import MISSING, Scope, compile_path

__all__ = ["render"]

_PLACEHOLDER: Final = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")


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
            resolved = compile_path(whole.group(1))(scope)
            return None if resolved is MISSING else resolved
        return _PLACEHOLDER.sub(lambda m: _text(compile_path(m.group(1))(scope)), value)
    if isinstance(value, list):
        return [render(v, scope) for v in value]
    if isinstance(value, dict):
        return {k: render(v, scope) for k, v in value.items()}
    return value
