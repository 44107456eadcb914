"""Decoding one ``workflows.out`` record into what the projector applies (or None to skip).

Only ``kind == "run_event"`` records, ``workflow.run.enrolment_skipped`` and ``workflow.contact.erased``
matter here; the rest (messages, contact commands) are for the bridge. A record that claims to be one of
those but cannot be stored (not JSON, fields of the wrong shape, identifiers breaking the shared rules of
``workflows.identifiers``, a NUL character PostgreSQL refuses in text and JSONB) raises UndecodableError
with the reason: the consumer dead-letters it and goes on with the next records.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from streams.engine import event_types
from workflows import runevents
from workflows.identifiers import contact_id_problem, node_id_problem, tenant_id_problem
from workflows.runevents import ProjectedStepFields

RUN_STATUSES: Final = frozenset({"running", "completed", "failed", "goal_reached", "cancelled", "exited"})
TERMINAL: Final = RUN_STATUSES - {"running"}
STEP_RANK: Final = {"pending": 0, "running": 1, "completed": 2, "failed": 2, "skipped": 2}
# Fixed forever: step ids derive from (run, node, visit) so replays upsert the same rows.
STEP_NAMESPACE: Final = uuid.UUID("3e0c1b7a-52d4-5f86-a9b1-7c2d4e6f8a0b")


# Engine times are epoch ms; anything outside years 1..9999 is not a time PostgreSQL or Python can hold.
_MAX_MS: Final = 253_402_300_799_000


def ms(value: Any) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool):
        if not -62_135_596_800_000 <= value <= _MAX_MS:
            raise UndecodableError(f"time {value} ms is out of range")
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
    # None when the record carries no context (records of workers from before it was emitted).
    context: dict[str, Any] | None
    started_at: datetime
    completed_at: datetime | None
    occurred_at: int
    step: StepRecord | None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True, slots=True)
class EnrolmentSkip:
    """A re-entry cap refused an enrolment (``workflow.run.enrolment_skipped``): counted, no run."""

    key: str
    tenant_id: str
    workflow_id: uuid.UUID
    workflow_version: int
    reason: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class ContactErased:
    """The worker erased a contact: its runs and steps go from the read models (again: events of its
    cancelled runs may have re-created rows after the API deleted them)."""

    tenant_id: str
    contact_id: str


class UndecodableError(ValueError):
    """The record claims to be a run event but its fields are not what the engine emits, or it holds
    something PostgreSQL cannot store."""


_NUL_ESCAPE: Final = b"\\u0000"
NUL_REASON: Final = "a text value holds a NUL character (U+0000), which PostgreSQL cannot store"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _step(run_id: uuid.UUID, step: ProjectedStepFields | None) -> StepRecord | None:
    if step is None:
        return None
    node_id, node_type, visit, status = step.node_id, step.node_type, step.visit, step.status
    if not isinstance(node_id, str) or not isinstance(node_type, str) or status not in STEP_RANK:
        raise UndecodableError(
            f"step fields missing or invalid: {node_id!r:.120} {node_type!r:.60} {status!r}"
        )
    problem = node_id_problem(node_id)
    if problem:
        raise UndecodableError(problem)
    if not 0 < visit < 2**31:
        raise UndecodableError("step visit is not a positive 32-bit integer")
    seq = step.seq
    return StepRecord(
        id=uuid.uuid5(STEP_NAMESPACE, f"{run_id}:{node_id}:{visit}"),
        node_id=node_id,
        node_type=node_type[:50],
        visit=visit,
        seq=seq if seq is not None and 0 <= seq < 2**31 else 0,
        status=status,
        input=_obj(step.input),
        output=_obj(step.output),
        error_message=_text(step.error_message, 10_000),
        started_at=ms(step.started_at),
        completed_at=ms(step.completed_at),
        scheduled_at=ms(step.scheduled_at),
    )


def _identity(what: str, tenant: Any, contact: Any) -> tuple[str, str]:
    """(tenantId, contactId) under the shared identifier rules, or UndecodableError naming the problem."""
    problem = tenant_id_problem(tenant) or contact_id_problem(contact)
    if problem or not isinstance(tenant, str) or not isinstance(contact, str):
        raise UndecodableError(f"{what}: {problem}")
    return tenant, contact


def _erased(raw: dict[str, Any]) -> ContactErased:
    return ContactErased(*_identity("contact erased", raw.get("tenantId"), raw.get("contactId")))


def _enrolment_skip(raw: dict[str, Any], tenant: str) -> EnrolmentSkip:
    key, version, reason = raw.get("idempotencyKey"), raw.get("version"), raw.get("reason")
    try:
        workflow_id = uuid.UUID(str(raw.get("workflowId")))
    except ValueError:
        raise UndecodableError("enrolment skipped: workflowId is not a UUID") from None
    occurred = ms(raw.get("occurredAt"))
    if not (
        isinstance(key, str) and 0 < len(key) <= 300 and isinstance(reason, str) and 0 < len(reason) <= 100
    ):
        raise UndecodableError("enrolment skipped: idempotencyKey or reason missing or too long")
    if not isinstance(version, int) or not 0 < version < 2**31 or occurred is None:
        raise UndecodableError(f"enrolment skipped: version={version!r:.40} or occurredAt invalid")
    return EnrolmentSkip(key, tenant, workflow_id, version, reason, occurred)


def decode(value: bytes | None) -> RunEvent | EnrolmentSkip | ContactErased | None:
    """None for records the projector does not apply; raises UndecodableError for broken ones. Run events
    are read with the typed decoder the worker's log lines share (``workflows.runevents``)."""
    if not value:
        return None
    try:
        head = runevents.decode_head(value)
    except runevents.RunEventDecodeError as exc:
        raise UndecodableError(str(exc)) from None
    if head is None:
        return None
    kind, subject = head.kind, head.subject
    erased = subject == event_types.CONTACT_ERASED or kind == "contact_erased"
    if (
        not erased
        and kind not in ("run_event", "enrolment_skipped")
        and subject != event_types.RUN_ENROLMENT_SKIPPED
    ):
        return None
    # PostgreSQL refuses NUL in text and in JSONB strings: the cheap byte check first, then the data.
    raw: dict[str, Any] | None = None
    if erased or kind != "run_event" or _NUL_ESCAPE in value:
        raw = orjson.loads(value)  # the rare kinds, and a record that may hold a NUL: read whole
        assert isinstance(raw, dict)  # the head decoded as an object
    if erased:
        assert raw is not None
        return _erased(raw)
    what = "run event" if kind == "run_event" else "enrolment skipped"
    if kind != "run_event":
        assert raw is not None
        tenant, contact = _identity(what, raw.get("tenantId"), raw.get("contactId"))
        if _has_nul(raw):
            raise UndecodableError(NUL_REASON)
        return _enrolment_skip(raw, tenant)
    try:
        record = runevents.decode_projected(value)
    except runevents.RunEventDecodeError as exc:
        raise UndecodableError(str(exc)) from None
    tenant, contact = _identity(what, record.tenant_id, record.contact_id)
    if raw is not None and _has_nul(raw):
        raise UndecodableError(NUL_REASON)
    return _run_event(record, tenant, contact)


def _run_event(record: runevents.ProjectedRunEvent, tenant: str, contact: str) -> RunEvent:
    run = record.run
    if run is None:
        raise UndecodableError("run_event without a run object")
    try:
        run_id = uuid.UUID(str(record.run_id))
        workflow_id = uuid.UUID(str(run.workflow_id))
    except ValueError:
        raise UndecodableError("runId or workflowId is not a UUID") from None
    key, version, status = record.idempotency_key, run.workflow_version, run.status
    started = ms(run.started_at)
    if not isinstance(key, str):
        raise UndecodableError("idempotencyKey missing")
    if version is None or status not in RUN_STATUSES or started is None:
        raise UndecodableError(f"run fields invalid: version={version!r:.40} status={status!r:.40}")
    if record.occurred_at is None:
        raise UndecodableError("occurredAt missing")
    trigger = dict(run.trigger_event) if isinstance(run.trigger_event, dict) else {}
    if isinstance(run.trigger_data, dict):
        trigger["data"] = run.trigger_data  # redacted and bounded by the engine
    return RunEvent(
        key=key,
        tenant_id=tenant,
        contact_id=contact,
        run_id=run_id,
        workflow_id=workflow_id,
        workflow_version=version,
        status=status,
        current_node_id=_text(run.current_node_id, 100),
        goal_reached_id=_text(run.goal_reached_id, 100),
        error_message=_text(run.error_message, 10_000),
        trigger_event=trigger,
        context=run.context if isinstance(run.context, dict) else None,
        started_at=started,
        completed_at=ms(run.completed_at),
        occurred_at=record.occurred_at,
        step=_step(run_id, record.step),
    )
