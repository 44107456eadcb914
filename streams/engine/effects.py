"""Effects: imperative commands returned by ``step`` for the adapters to carry out.

Every effect carries tenant, contact, run, node and an idempotency key. Action effects use
``{runId}:{nodeId}:{visit}``; timers, step records and run lifecycle events add a suffix so that two effects
of one node never share a key (JetStream drops a message whose Nats-Msg-Id it has already seen).

``route`` tells the worker where an effect goes: ``"nats"`` (publish ``to_dict()`` on ``subject`` via
``workflows.out`` and the bridge), ``"executor"`` (HTTP action executor) or ``"timer"`` (the timer table).

Effects are slotted dataclasses that nothing changes once ``step`` returned them. They are not declared
frozen: a frozen dataclass sets each field through ``object.__setattr__``, which made building one about
five times slower, and a step builds several per event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from streams.engine import event_types as et

__all__ = [
    "AddTag",
    "AddToSegment",
    "CallWebhook",
    "CancelTimer",
    "ContactErased",
    "Effect",
    "EmitRunEvent",
    "EnrolmentSkipped",
    "RemoveFromSegment",
    "RemoveTag",
    "ScheduleTimer",
    "SendMessage",
    "SendSlack",
    "UpdateContact",
]


@dataclass(slots=True)
class _Base:
    tenant_id: str
    contact_id: str
    run_id: str
    node_id: str | None
    idempotency_key: str

    kind: ClassVar[str] = ""
    route: ClassVar[str] = "nats"
    SUBJECT: ClassVar[str | None] = None

    @property
    def subject(self) -> str | None:
        return self.SUBJECT

    def _head(self) -> dict[str, Any]:
        # SUBJECT, not the property: the one effect whose subject varies (EmitRunEvent) builds its own.
        return {
            "kind": self.kind,
            "subject": self.SUBJECT,
            "tenantId": self.tenant_id,
            "contactId": self.contact_id,
            "runId": self.run_id,
            "nodeId": self.node_id,
            "idempotencyKey": self.idempotency_key,
        }


@dataclass(slots=True)
class SendMessage(_Base):
    """Queue a templated message in the pipeline. ``sender`` holds the from fields (fromName, fromEmail,
    replyTo, fromNumber...), ``params`` any other node data the pipeline may use."""

    workflow_id: str
    channel: str
    template_id: str
    sender: Mapping[str, Any]
    params: Mapping[str, Any]

    kind: ClassVar[str] = "send_message"
    SUBJECT: ClassVar[str | None] = et.MESSAGE_SEND

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        if self.sender:
            d.update(self.sender)
        d["workflowId"] = self.workflow_id
        d["channel"] = self.channel
        d["templateId"] = self.template_id
        d["params"] = dict(self.params)
        return d


@dataclass(slots=True)
class UpdateContact(_Base):
    """Set attributes (``attributes``) and top-level fields (``fields``) of the contact."""

    attributes: Mapping[str, Any]
    fields: Mapping[str, Any]

    kind: ClassVar[str] = "update_contact"
    SUBJECT: ClassVar[str | None] = et.CONTACT_COMMAND_UPDATE

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d["attributes"] = dict(self.attributes)
        d["fields"] = dict(self.fields)
        return d


@dataclass(slots=True)
class AddTag(_Base):
    tag: str

    kind: ClassVar[str] = "add_tag"
    SUBJECT: ClassVar[str | None] = et.CONTACT_COMMAND_ADD_TAG

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d["tag"] = self.tag
        return d


@dataclass(slots=True)
class RemoveTag(_Base):
    tag: str

    kind: ClassVar[str] = "remove_tag"
    SUBJECT: ClassVar[str | None] = et.CONTACT_COMMAND_REMOVE_TAG

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d["tag"] = self.tag
        return d


@dataclass(slots=True)
class AddToSegment(_Base):
    segment_id: str

    kind: ClassVar[str] = "add_to_segment"
    SUBJECT: ClassVar[str | None] = et.SEGMENT_COMMAND_ADD_MEMBER

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d["segmentId"] = self.segment_id
        return d


@dataclass(slots=True)
class RemoveFromSegment(_Base):
    segment_id: str

    kind: ClassVar[str] = "remove_from_segment"
    SUBJECT: ClassVar[str | None] = et.SEGMENT_COMMAND_REMOVE_MEMBER

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d["segmentId"] = self.segment_id
        return d


@dataclass(slots=True)
class CallWebhook(_Base):
    """An HTTP call for the executor; ``timeout_ms`` bounds one attempt, the engine's action_timeout
    timer bounds all attempts together."""

    url: str
    method: str
    headers: Mapping[str, Any]
    body: Any
    timeout_ms: int

    kind: ClassVar[str] = "call_webhook"
    route: ClassVar[str] = "executor"

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d.update(
            url=self.url,
            method=self.method,
            headers=dict(self.headers),
            body=self.body,
            timeoutMs=self.timeout_ms,
        )
        return d


@dataclass(slots=True)
class SendSlack(_Base):
    """A Slack message for the executor: an incoming-webhook URL, or a channel (the executor's bot token)."""

    webhook_url: str | None
    channel: str | None
    message: str
    blocks: Any
    timeout_ms: int

    kind: ClassVar[str] = "send_slack"
    route: ClassVar[str] = "executor"

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d.update(
            webhookUrl=self.webhook_url,
            channel=self.channel,
            message=self.message,
            blocks=self.blocks,
            timeoutMs=self.timeout_ms,
        )
        return d


@dataclass(slots=True)
class ScheduleTimer(_Base):
    """Write a timer key; the pump produces ``workflow.timer.fired`` with timerId, runId, kind at due_at."""

    timer_id: str
    due_at: int
    timer_kind: str

    kind: ClassVar[str] = "schedule_timer"
    route: ClassVar[str] = "timer"

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d["timerId"] = self.timer_id
        d["dueAt"] = self.due_at
        d["timerKind"] = self.timer_kind
        return d


@dataclass(slots=True)
class CancelTimer(_Base):
    """Delete a timer key (``due_at`` is part of the key)."""

    timer_id: str
    due_at: int

    kind: ClassVar[str] = "cancel_timer"
    route: ClassVar[str] = "timer"

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d["timerId"] = self.timer_id
        d["dueAt"] = self.due_at
        return d


@dataclass(slots=True)
class EmitRunEvent(_Base):
    """A run lifecycle event or a step record (``workflow.node.executed``) for the projector.

    ``run`` holds the run fields (workflowId, workflowVersion and version, runId, triggerType, status,
    currentNodeId, goalReachedId, errorMessage, triggerEvent, startedAt, completedAt, and goalId/goalName once
    a goal ended the run); ``step`` the step record for node events. Times are epoch milliseconds;
    ``occurred_at`` is the engine's ``now`` when the effect was produced. The bridge publishes it in the
    platform envelope (``bridge.platform``), node events only once completed or failed.
    """

    event_type: str
    occurred_at: int
    run: Mapping[str, Any]
    step: Mapping[str, Any] | None

    kind: ClassVar[str] = "run_event"

    @property
    def subject(self) -> str | None:
        return self.event_type

    def to_dict(self) -> dict[str, Any]:
        # The most frequent effect: one literal. run and step are never changed once built: no copies.
        return {
            "kind": self.kind,
            "subject": self.event_type,
            "tenantId": self.tenant_id,
            "contactId": self.contact_id,
            "runId": self.run_id,
            "nodeId": self.node_id,
            "idempotencyKey": self.idempotency_key,
            "eventType": self.event_type,
            "occurredAt": self.occurred_at,
            "run": self.run,
            "step": self.step,
        }


@dataclass(slots=True)
class EnrolmentSkipped(_Base):
    """A trigger matched but a re-entry cap refused the run: nothing started. ``run_id`` is the id the run
    would have had (so a redelivered trigger is one message: the key derives from it); ``reason`` is
    ``workflow_active_runs_limit`` (the workflow's maxActiveRunsPerContact) or
    ``contact_active_runs_limit`` (all workflows together); ``active_runs`` what counted against ``limit``.
    Not a ``run_event``: the projector creates no run for it."""

    workflow_id: str
    version: int
    reason: str
    limit: int
    active_runs: int
    occurred_at: int
    trigger_event: Mapping[str, Any]

    kind: ClassVar[str] = "enrolment_skipped"
    SUBJECT: ClassVar[str | None] = et.RUN_ENROLMENT_SKIPPED

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d["workflowId"] = self.workflow_id
        d["version"] = self.version
        d["reason"] = self.reason
        d["limit"] = self.limit
        d["activeRuns"] = self.active_runs
        d["occurredAt"] = self.occurred_at
        d["triggerEvent"] = dict(self.trigger_event)
        return d


@dataclass(slots=True)
class ContactErased(_Base):
    """The contact's runs are cancelled and its worker state may go: ``runs_cancelled`` counts the runs,
    and nothing of the profile is carried (the event itself must not keep what was erased).
    ``run_id`` and ``node_id`` are empty: the effect is about the contact, not a run."""

    occurred_at: int
    runs_cancelled: int

    kind: ClassVar[str] = "contact_erased"
    SUBJECT: ClassVar[str | None] = et.CONTACT_ERASED

    def to_dict(self) -> dict[str, Any]:
        d = self._head()
        d["occurredAt"] = self.occurred_at
        d["runsCancelled"] = self.runs_cancelled
        return d


Effect = (
    SendMessage
    | UpdateContact
    | AddTag
    | RemoveTag
    | AddToSegment
    | RemoveFromSegment
    | CallWebhook
    | SendSlack
    | ScheduleTimer
    | CancelTimer
    | EmitRunEvent
    | EnrolmentSkipped
    | ContactErased
)
