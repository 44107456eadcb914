"""The OpenAPI document, made exact about text: what ``TextGuardMiddleware`` refuses, the document declares.

FastAPI derives the document from the routes; this pass adds one rule to it in one place. Every free
string (no enum, format or pattern of its own) gets the no-NUL pattern, and every free-form JSON value
(``additionalProperties: true``, untyped array items) becomes ``JsonValue``: JSON whose strings and keys
hold no NUL and whose numbers lie in the 64-bit integer range. A generated client or a fuzzer then
sends nothing the API refuses for being unstorable.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.kit.text import INT_MAX, INT_MIN, NO_NUL_PATTERN

__all__ = ["install_openapi"]

_JSON_REF: Final = {"$ref": "#/components/schemas/JsonValue"}
_TEXT: Final = {"type": "string", "pattern": NO_NUL_PATTERN}
JSON_VALUE: Final = {
    "description": "any JSON value whose strings and keys hold no NUL character",
    "anyOf": [
        _TEXT,
        {"type": "number", "minimum": INT_MIN, "maximum": INT_MAX},
        {"type": "boolean"},
        {"type": "null"},
        {"type": "array", "items": _JSON_REF},
        {"type": "object", "propertyNames": _TEXT, "additionalProperties": _JSON_REF},
    ],
}
_STRING_KEEP: Final = ("enum", "const", "format", "pattern")


def exact_text(schema: Any) -> Any:
    """The schema with free strings and free-form JSON values constrained (recursively, in place)."""
    if isinstance(schema, list):
        for item in schema:
            exact_text(item)
        return schema
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "string" and not any(k in schema for k in _STRING_KEEP):
        schema["pattern"] = NO_NUL_PATTERN
    if schema.get("type") == "object":
        if schema.get("additionalProperties", True) is True:
            schema["additionalProperties"] = dict(_JSON_REF)
        schema.setdefault("propertyNames", dict(_TEXT))
    if schema.get("type") == "array" and schema.get("items") in (None, {}):
        schema["items"] = dict(_JSON_REF)
    for key, value in schema.items():
        if key not in ("examples", "example", "default", "enum", "const") and isinstance(value, dict | list):
            exact_text(value)
    return schema


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the exact document (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            exact_text(document.get("paths", {}))
            components = document.setdefault("components", {}).setdefault("schemas", {})
            exact_text(components)
            components["JsonValue"] = JSON_VALUE
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
