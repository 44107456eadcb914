"""Typed decoding of the ``workflows.out`` records that describe runs (see ``workflows.wire``).

Three record kinds, told apart by the record's ``subject`` header:

* ``workflow.run.*`` and ``workflow.node.executed`` -> :class:`RunEventRecord` (``kind == "run_event"``):
  the effect's head, ``eventType``, ``occurredAt`` (epoch ms), ``run`` (the run fields) and ``step`` (the
  step record of a node event, else null);
* ``workflow.run.enrolment_skipped`` -> :class:`EnrolmentSkippedRecord`;
* ``workflow.contact.erased`` -> :class:`ContactErasedRecord`.

Only the fields readers use are declared: the rest (the run's context and trigger data, a step's input and
output) is skipped by the decoder without being built, which is what makes decoding a run event for a log
line cheap. Every declared field is optional with the engine's shapes, so a record of an older or a newer
worker decodes; a record whose declared fields have another shape raises :class:`RunEventDecodeError`.
What a reader may store (identifier rules, time ranges) stays that reader's check.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

__all__ = [
    "ContactErasedRecord",
    "EnrolmentSkippedRecord",
    "ProjectedRunEvent",
    "ProjectedRunFields",
    "ProjectedStepFields",
    "RecordHead",
    "RunEventDecodeError",
    "RunEventRecord",
    "RunFields",
    "StepFields",
    "TriggerRef",
    "decode_head",
    "decode_out_record",
    "decode_projected",
]

RUN_PREFIX: Final = "workflow.run."
NODE_EXECUTED: Final = "workflow.node.executed"
ENROLMENT_SKIPPED: Final = "workflow.run.enrolment_skipped"
CONTACT_ERASED: Final = "workflow.contact.erased"


class RunEventDecodeError(ValueError):
    """A run record whose declared fields are not JSON of the engine's shapes."""


class TriggerRef(msgspec.Struct, rename="camel", omit_defaults=True):
    id: str | int | None = None
    type: str | None = None
    occurred_at: str | int | None = None
    replayed: bool = False


class RunFields(msgspec.Struct, rename="camel", omit_defaults=True):
    workflow_id: str | None = None
    version: int | None = None
    workflow_version: int | None = None
    run_id: str | None = None
    trigger_type: str | None = None
    status: str | None = None
    current_node_id: str | None = None
    goal_reached_id: str | None = None
    goal_id: str | None = None
    goal_name: str | None = None
    error_message: str | None = None
    trigger_event: TriggerRef | None = None
    started_at: int | None = None
    completed_at: int | None = None

    @property
    def pinned_version(self) -> int | None:
        return self.version if self.version is not None else self.workflow_version

    @property
    def reached_goal(self) -> str | None:
        return self.goal_id if self.goal_id is not None else self.goal_reached_id


class StepFields(msgspec.Struct, rename="camel", omit_defaults=True):
    node_id: str | None = None
    node_type: str | None = None
    visit: int = 1
    seq: int | None = None
    status: str | None = None
    error_message: str | None = None
    started_at: int | None = None
    completed_at: int | None = None
    scheduled_at: int | None = None


class RunEventRecord(msgspec.Struct, rename="camel", omit_defaults=True):
    kind: str | None = None
    tenant_id: str | None = None
    contact_id: str | None = None
    run_id: str | None = None
    node_id: str | None = None
    idempotency_key: str | None = None
    event_type: str | None = None
    occurred_at: int | None = None
    run: RunFields = msgspec.field(default_factory=RunFields)
    step: StepFields | None = None


class EnrolmentSkippedRecord(msgspec.Struct, rename="camel", omit_defaults=True):
    tenant_id: str | None = None
    contact_id: str | None = None
    run_id: str | None = None
    idempotency_key: str | None = None
    workflow_id: str | None = None
    version: int | None = None
    reason: str | None = None
    limit: int | None = None
    active_runs: int | None = None
    occurred_at: int | None = None
    trigger_event: TriggerRef | None = None


class ContactErasedRecord(msgspec.Struct, rename="camel", omit_defaults=True):
    tenant_id: str | None = None
    contact_id: str | None = None
    occurred_at: int | None = None
    runs_cancelled: int | None = None


class RecordHead(msgspec.Struct, rename="camel"):
    """What tells the kinds apart: the record's ``kind`` and ``subject`` (any JSON, checked by the reader)."""

    kind: Any = None
    subject: Any = None


class ProjectedRunFields(RunFields):
    """The run fields with what the read model also keeps, as the engine wrote them: the trigger summary
    whole, the run's context and its trigger data (redacted and bounded by the engine)."""

    trigger_event: Any = None
    context: Any = None
    trigger_data: Any = None


class ProjectedStepFields(StepFields):
    """The step fields with the step's input and output."""

    input: Any = None
    output: Any = None


class ProjectedRunEvent(RunEventRecord):
    """A run event as the projector stores it (see :func:`decode_projected`)."""

    run: ProjectedRunFields | None = None  # type: ignore[assignment]
    step: ProjectedStepFields | None = None


_RUN = msgspec.json.Decoder(RunEventRecord)
_SKIPPED = msgspec.json.Decoder(EnrolmentSkippedRecord)
_HEAD = msgspec.json.Decoder(RecordHead)
_PROJECTED = msgspec.json.Decoder(ProjectedRunEvent)
_ERASED = msgspec.json.Decoder(ContactErasedRecord)

OutRunRecord = RunEventRecord | EnrolmentSkippedRecord | ContactErasedRecord


def _decoder(subject: str) -> msgspec.json.Decoder[Any] | None:
    if subject == ENROLMENT_SKIPPED:
        return _SKIPPED
    if subject == CONTACT_ERASED:
        return _ERASED
    if subject.startswith(RUN_PREFIX) or subject == NODE_EXECUTED:
        return _RUN
    return None


def decode_out_record(subject: str, value: bytes | None) -> OutRunRecord | None:
    """The typed record of a ``workflows.out`` record on ``subject``; None for subjects that carry no run
    record (messages, contact commands). Raises :class:`RunEventDecodeError` for a broken record."""
    decoder = _decoder(subject)
    if decoder is None:
        return None
    try:
        record: OutRunRecord = decoder.decode(value or b"")
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise RunEventDecodeError(f"{subject} record: {exc}") from None
    return record


def decode_head(value: bytes) -> RecordHead | None:
    """The record's kind and subject; None when the record is JSON but not an object. Raises
    :class:`RunEventDecodeError` for what is not JSON."""
    try:
        return _HEAD.decode(value)
    except msgspec.ValidationError:
        return None
    except msgspec.DecodeError as exc:
        raise RunEventDecodeError(f"not JSON: {exc}") from None


def decode_projected(value: bytes) -> ProjectedRunEvent:
    """A ``run_event`` record with everything the read model keeps (the log lines' decoder skips the
    payloads); raises :class:`RunEventDecodeError` when a declared field has another shape."""
    try:
        return _PROJECTED.decode(value)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise RunEventDecodeError(f"run event: {exc}") from None
