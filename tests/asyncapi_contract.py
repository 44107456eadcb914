"""Reading ``docs/asyncapi.yaml`` in tests: its AsyncAPI 3.0 shape, the channel of a subject, and the
validation of one message against the payload schema of that channel (JSON Schema draft 07, which AsyncAPI's
schema format extends)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

DOCUMENT = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.yaml"
_PARAMETER = re.compile(r"\{([A-Za-z0-9_]+)\}")


@functools.cache
def load() -> dict[str, Any]:
    doc = yaml.safe_load(DOCUMENT.read_text())
    assert isinstance(doc, dict)
    return doc


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def shape_problems(doc: dict[str, Any]) -> list[str]:
    """What breaks the AsyncAPI 3.0 document structure: top-level fields, channels with an address and
    messages, operations with an action and a channel whose messages belong to it, resolvable references."""
    problems: list[str] = []
    if doc.get("asyncapi") != "3.0.0":
        problems.append(f"asyncapi is {doc.get('asyncapi')!r}, not '3.0.0'")
    info = doc.get("info")
    if not isinstance(info, dict) or not info.get("title") or not info.get("version"):
        problems.append("info needs title and version")
    allowed = {"asyncapi", "id", "info", "servers", "defaultContentType", "channels", "operations"}
    allowed.add("components")
    problems += [f"unknown top-level field {k!r}" for k in doc if k not in allowed]
    for name, server in (doc.get("servers") or {}).items():
        if not isinstance(server, dict) or not server.get("host") or not server.get("protocol"):
            problems.append(f"servers.{name} needs host and protocol")
    for name, channel in (doc.get("channels") or {}).items():
        if not isinstance(channel.get("address"), str):
            problems.append(f"channels.{name} has no address")
        for param in _PARAMETER.findall(channel.get("address") or ""):
            if param not in (channel.get("parameters") or {}):
                problems.append(f"channels.{name}: address parameter {param!r} is not declared")
        for mname, message in (channel.get("messages") or {}).items():
            target = resolve(doc, message["$ref"]) if "$ref" in message else message
            if "payload" not in target:
                problems.append(f"channels.{name}.messages.{mname} has no payload")
    for name, op in (doc.get("operations") or {}).items():
        if op.get("action") not in ("send", "receive"):
            problems.append(f"operations.{name}.action must be send or receive")
        ref = (op.get("channel") or {}).get("$ref", "")
        if not ref.startswith("#/channels/"):
            problems.append(f"operations.{name}.channel must reference a channel")
            continue
        resolve(doc, ref)
        for message in op.get("messages") or []:
            if not message.get("$ref", "").startswith(ref + "/messages/"):
                problems.append(f"operations.{name}: message {message} is not one of its channel's")
    problems += [f"unresolvable $ref {ref}" for ref in _refs(doc) if not _resolves(doc, ref)]
    return problems


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolves(doc: dict[str, Any], ref: str) -> bool:
    try:
        resolve(doc, ref)
    except (KeyError, TypeError, AssertionError):
        return False
    return True


def channel_of(doc: dict[str, Any], subject: str) -> str | None:
    """The channel whose address is ``subject`` (a ``{parameter}`` stands for one or more tokens)."""
    for name, channel in doc["channels"].items():
        pattern = _PARAMETER.sub("__P__", channel["address"])
        pattern = re.escape(pattern).replace("__P__", r"[^\s]+")
        if re.fullmatch(pattern, subject):
            return str(name)
    return None


def sent_subjects(doc: dict[str, Any]) -> set[str]:
    """Addresses of the channels the engine publishes to (``send`` operations)."""
    out = set()
    for op in doc["operations"].values():
        if op["action"] == "send":
            out.add(resolve(doc, op["channel"]["$ref"])["address"])
    return out


@functools.cache
def _validator(channel: str) -> Any:
    doc = load()
    schemas = []
    for message in doc["channels"][channel]["messages"].values():
        payload = resolve(doc, message["$ref"])["payload"]
        schemas.append(payload)
    root = {"anyOf": schemas, "components": doc["components"]}
    return jsonschema_rs.Draft7Validator(root)


def errors(subject: str, message: Any) -> list[str]:
    """Why ``message`` on ``subject`` breaks the document (empty when it conforms)."""
    channel = channel_of(load(), subject)
    if channel is None:
        return [f"no channel for subject {subject!r}"]
    validator = _validator(channel)
    found = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(message)]
    if not found:
        return []
    # anyOf hides the reason: validate against each payload alone for the message.
    doc = load()
    detail = []
    for m in doc["channels"][channel]["messages"].values():
        payload = resolve(doc, m["$ref"])["payload"]
        alone = jsonschema_rs.Draft7Validator({**payload, "components": doc["components"]})
        detail += [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in alone.iter_errors(message)]
    return detail or found
