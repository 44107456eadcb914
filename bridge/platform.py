"""What the engine publishes, in the platform envelope.

``workflows.out`` keeps the engine's effect records (the projector reads them: ``kind``, ``run``, ``step``,
epoch-millisecond times). Other modules get the envelope every inbound message has::

    {"id", "type", "tenantId", "contactId", "occurredAt", "data"}

``id`` is the record's idempotency key (also its ``Nats-Msg-Id``), ``type`` its subject, ``occurredAt`` and
every time in ``data`` ISO 8601 UTC, and ``data`` the effect's own fields in camelCase without the engine's
bookkeeping (``kind``, ``subject``, the step's ``seq``, the projector's ``workflowVersion``,
``goalReachedId``).

``workflow.node.executed`` is published only when a node completed or failed: the pending and running step
records exist for the read model, and a consumer would take them for executions.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from bridge.errors import BridgeError
from streams.engine import event_types as et
from workflows.wire import envelope, format_instant

__all__ = ["PUBLISHED_STEP_STATUSES", "UnpublishableRecordError", "to_platform"]

PUBLISHED_STEP_STATUSES: Final = frozenset({"completed", "failed"})
# Head fields of every effect record that the envelope itself carries (or that only the worker needs).
_HEAD: Final = frozenset({"kind", "subject", "tenantId", "contactId", "idempotencyKey"})
_TIMES: Final = ("startedAt", "completedAt", "scheduledAt")


class UnpublishableRecordError(BridgeError):
    """A ``workflows.out`` record that is not an effect the envelope can carry; it is dead-lettered."""


def to_platform(value: bytes, *, subject: str, message_id: str, produced_at_ms: int) -> bytes | None:
    """The envelope to publish for one record, or None when the record is not published (a step that is
    still pending or running). ``produced_at_ms`` (the record's Kafka timestamp) is ``occurredAt`` for
    commands, which carry no time of their own."""
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise UnpublishableRecordError(f"record is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise UnpublishableRecordError("record is not a JSON object")
    tenant, contact = raw.get("tenantId"), raw.get("contactId")
    if not isinstance(tenant, str) or not tenant or not isinstance(contact, str):
        raise UnpublishableRecordError("record names no tenantId and contactId")
    occurred = raw.get("occurredAt")
    at = occurred if isinstance(occurred, int) and not isinstance(occurred, bool) else produced_at_ms

    kind = raw.get("kind")
    data: dict[str, Any]
    if kind == "run_event":
        run = raw.get("run")
        if not isinstance(run, dict):
            raise UnpublishableRecordError("run event without its run fields")
        step = raw.get("step")
        if subject == et.NODE_EXECUTED:
            if not isinstance(step, dict):
                raise UnpublishableRecordError("workflow.node.executed without its step record")
            if step.get("status") not in PUBLISHED_STEP_STATUSES:
                return None
            data = _node_data(raw, run, step)
        else:
            data = _run_data(raw, run)
    else:
        data = {k: v for k, v in raw.items() if k not in _HEAD and k != "occurredAt"}
        if kind == "send_message":
            # The pipeline echoes it on opened/clicked events (the engine matches either it or runId).
            data["idempotencyKey"] = raw.get("idempotencyKey")
        trigger = data.get("triggerEvent")
        if isinstance(trigger, dict):
            data["triggerEvent"] = _trigger(trigger)
        if kind == "contact_erased":
            data.pop("runId", None)  # empty: the message is about the contact, not a run
            data.pop("nodeId", None)
        elif kind == "enrolment_skipped":
            data.pop("nodeId", None)  # no run started, so no node ran
    message = envelope(
        subject, event_id=message_id, tenant_id=tenant, contact_id=contact, occurred_at_ms=at, data=data
    )
    return orjson.dumps(message)


def _run_data(raw: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "workflowId": run.get("workflowId"),
        "version": run.get("version", run.get("workflowVersion")),
        "runId": run.get("runId", raw.get("runId")),
        "triggerType": run.get("triggerType"),
        "status": run.get("status"),
        "currentNodeId": run.get("currentNodeId"),
        "errorMessage": run.get("errorMessage"),
        "triggerEvent": _trigger(run.get("triggerEvent")),
        "startedAt": _iso(run.get("startedAt")),
        "completedAt": _iso(run.get("completedAt")),
    }
    if run.get("goalReachedId") is not None:
        data["goalId"] = run.get("goalId", run.get("goalReachedId"))
        data["goalName"] = run.get("goalName")
    return data


def _node_data(raw: dict[str, Any], run: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    started, completed = step.get("startedAt"), step.get("completedAt")
    data: dict[str, Any] = {
        "workflowId": run.get("workflowId"),
        "version": run.get("version", run.get("workflowVersion")),
        "runId": run.get("runId", raw.get("runId")),
        "triggerType": run.get("triggerType"),
        "nodeId": step.get("nodeId"),
        "nodeType": step.get("nodeType"),
        "visit": step.get("visit"),
        "status": step.get("status"),
        "input": step.get("input"),
        "output": step.get("output"),
        "errorMessage": step.get("errorMessage"),
    }
    for name in _TIMES:
        data[name] = _iso(step.get(name))
    data["durationMs"] = None
    if isinstance(started, int) and isinstance(completed, int):
        data["durationMs"] = completed - started
    return data


def _trigger(trigger: Any) -> dict[str, Any] | None:
    if not isinstance(trigger, dict):
        return None
    out = dict(trigger)
    out["occurredAt"] = _iso(trigger.get("occurredAt"))
    return out


def _iso(value: Any) -> Any:
    """Epoch milliseconds as ISO 8601; an ISO string or null stays as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return format_instant(value)
    return value
