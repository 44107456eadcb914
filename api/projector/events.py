"""Decoding one ``workflows.out`` record into the run event the projector applies (or None to skip).

Only ``kind == "run_event"`` records and ``workflow.contact.erased`` matter here; the rest (messages, contact
commands) are for the bridge. A run event that cannot be decoded is skipped and counted, never allowed to
stop the projector.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from streams.engine import event_types

RUN_STATUSES: Final = frozenset({"running", "completed", "failed", "goal_reached", "cancelled"})
TERMINAL: Final = RUN_STATUSES - {"running"}
STEP_RANK: Final = {"pending": 0, "running": 1, "completed": 2, "failed": 2, "skipped": 2}
# Fixed forever: step ids derive from (run, node, visit) so replays upsert the same rows.
STEP_NAMESPACE: Final = uuid.UUID("3e0c1b7a-52d4-5f86-a9b1-7c2d4e6f8a0b")


def ms(value: Any) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class StepRecord:
    id: uuid.UUID
    node_id: str
    node_type: str
    visit: int
    seq: int
    status: str
    input: dict[str, Any]
    output: dict[str, Any]
    error_message: str | None
    started_at: datetime | None
    completed_at: datetime | None
    scheduled_at: datetime | None


@dataclass(frozen=True, slots=True)
class RunEvent:
    key: str
    tenant_id: str
    contact_id: str
    run_id: uuid.UUID
    workflow_id: uuid.UUID
    workflow_version: int
    status: str
    current_node_id: str | None
    goal_reached_id: str | None
    error_message: str | None
    trigger_event: dict[str, Any]
    started_at: datetime
    completed_at: datetime | None
    occurred_at: int
    step: StepRecord | None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True, slots=True)
class ContactErased:
    """The worker erased a contact: its runs and steps go from the read models (again: events of its
    cancelled runs may have re-created rows after the API deleted them)."""

    tenant_id: str
    contact_id: str


class UndecodableError(ValueError):
    """The record claims to be a run event but its fields are not what the engine emits."""


def _step(run_id: uuid.UUID, raw: Any) -> StepRecord | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UndecodableError("step is not an object")
    node_id, node_type, visit, status = (
        raw.get("nodeId"),
        raw.get("nodeType"),
        raw.get("visit", 1),
        raw.get("status"),
    )
    if not isinstance(node_id, str) or not isinstance(node_type, str) or status not in STEP_RANK:
        raise UndecodableError(f"step fields missing or invalid: {node_id!r} {node_type!r} {status!r}")
    if not isinstance(visit, int):
        raise UndecodableError("step visit is not an integer")
    return StepRecord(
        id=uuid.uuid5(STEP_NAMESPACE, f"{run_id}:{node_id}:{visit}"),
        node_id=node_id[:100],
        node_type=node_type[:50],
        visit=visit,
        seq=raw["seq"] if isinstance(raw.get("seq"), int) else 0,
        status=status,
        input=_obj(raw.get("input")),
        output=_obj(raw.get("output")),
        error_message=_text(raw.get("errorMessage"), 10_000),
        started_at=ms(raw.get("startedAt")),
        completed_at=ms(raw.get("completedAt")),
        scheduled_at=ms(raw.get("scheduledAt")),
    )


def _erased(raw: dict[str, Any]) -> ContactErased:
    tenant, contact = raw.get("tenantId"), raw.get("contactId")
    if not (isinstance(tenant, str) and tenant and isinstance(contact, str) and contact):
        raise UndecodableError("contact erased without tenantId or contactId")
    return ContactErased(tenant, contact)


def decode(value: bytes | None) -> RunEvent | ContactErased | None:
    """None for records the projector does not apply; raises UndecodableError for broken ones."""
    if not value:
        return None
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise UndecodableError(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        return None
    if raw.get("subject") == event_types.CONTACT_ERASED or raw.get("kind") == "contact_erased":
        return _erased(raw)
    if raw.get("kind") != "run_event":
        return None
    run = raw.get("run")
    if not isinstance(run, dict):
        raise UndecodableError("run_event without a run object")
    try:
        run_id = uuid.UUID(str(raw.get("runId")))
        workflow_id = uuid.UUID(str(run.get("workflowId")))
    except ValueError:
        raise UndecodableError("runId or workflowId is not a UUID") from None
    tenant, contact, key = raw.get("tenantId"), raw.get("contactId"), raw.get("idempotencyKey")
    version, status, started = run.get("workflowVersion"), run.get("status"), ms(run.get("startedAt"))
    occurred = raw.get("occurredAt")
    if not (isinstance(tenant, str) and isinstance(contact, str) and isinstance(key, str)):
        raise UndecodableError("tenantId, contactId or idempotencyKey missing")
    if not isinstance(version, int) or status not in RUN_STATUSES or started is None:
        raise UndecodableError(f"run fields invalid: version={version!r} status={status!r}")
    if not isinstance(occurred, int) or len(contact) > 100:
        raise UndecodableError("occurredAt missing or contactId too long")
    trigger = run.get("triggerEvent")
    return RunEvent(
        key=key,
        tenant_id=tenant,
        contact_id=contact,
        run_id=run_id,
        workflow_id=workflow_id,
        workflow_version=version,
        status=status,
        current_node_id=_text(run.get("currentNodeId"), 100),
        goal_reached_id=_text(run.get("goalReachedId"), 100),
        error_message=_text(run.get("errorMessage"), 10_000),
        trigger_event=trigger if isinstance(trigger, dict) else {},
        started_at=started,
        completed_at=ms(run.get("completedAt")),
        occurred_at=occurred,
        step=_step(run_id, raw.get("step")),
    )
