"""Per-contact state: plain slotted dataclasses that round-trip exactly through JSON-compatible dicts.

The worker decodes the record, calls ``step`` and stores the new record whole on every event, so these types
are deliberately not pydantic. ``step`` treats its input as immutable and copies only what it changes (the
runs it touches, the profile when an event changes it); untouched runs are shared between old and new state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Final

from streams.engine.errors import StateError
from streams.engine.limits import MAX_ACTIVE_RUNS  # re-exported: all active runs of one contact

__all__ = [
    "APPLIED_WINDOW",
    "FINISHED_MEMORY",
    "MAX_ACTIVE_RUNS",
    "STATE_FORMAT",
    "ContactState",
    "FinishedRun",
    "Run",
]

STATE_FORMAT: Final = 1
# Event ids remembered for dedupe: redelivery after a crash re-sends at most one uncommitted batch.
APPLIED_WINDOW: Final = 256
# Finished runs remembered (latest per workflow) for re-entry "once"; oldest evicted first.
FINISHED_MEMORY: Final = 256

RUNNING: Final = "running"
TERMINAL_STATUSES: Final = frozenset({"completed", "failed", "goal_reached", "cancelled", "exited"})


@dataclass(slots=True)
class Run:
    """One active run, pinned to a workflow version."""

    run_id: str
    workflow_id: str
    version: int
    started_at: int
    trigger: dict[str, Any]
    status: str = RUNNING
    current_node_id: str | None = None
    wait_timer_id: str | None = None
    wait_due_at: int | None = None
    wait_kind: str | None = None
    wait_action_key: str | None = None
    wait_started_at: int | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    has_opened: bool = False
    has_clicked: bool = False
    visits: dict[str, int] = field(default_factory=dict)
    goal_reached_id: str | None = None
    error_message: str | None = None
    completed_at: int | None = None

    def clone(self) -> Run:
        """A copy safe to mutate: containers that steps change are copied, the trigger summary is shared."""
        return Run(
            self.run_id,
            self.workflow_id,
            self.version,
            self.started_at,
            self.trigger,
            self.status,
            self.current_node_id,
            self.wait_timer_id,
            self.wait_due_at,
            self.wait_kind,
            self.wait_action_key,
            self.wait_started_at,
            dict(self.variables),
            self.has_opened,
            self.has_clicked,
            dict(self.visits),
            self.goal_reached_id,
            self.error_message,
            self.completed_at,
        )

    def clear_wait(self) -> None:
        self.wait_timer_id = self.wait_due_at = self.wait_kind = None
        self.wait_action_key = None
        self.wait_started_at = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "runId": self.run_id,
            "workflowId": self.workflow_id,
            "version": self.version,
            "startedAt": self.started_at,
            "trigger": self.trigger,
            "status": self.status,
            "currentNodeId": self.current_node_id,
            "waitTimerId": self.wait_timer_id,
            "waitDueAt": self.wait_due_at,
            "waitKind": self.wait_kind,
            "waitActionKey": self.wait_action_key,
            "waitStartedAt": self.wait_started_at,
            "variables": self.variables,
            "hasOpened": self.has_opened,
            "hasClicked": self.has_clicked,
            "visits": self.visits,
            "goalReachedId": self.goal_reached_id,
            "errorMessage": self.error_message,
            "completedAt": self.completed_at,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Run:
        return cls(*_RUN_FIELDS(d))


# Run.from_dict: every stored key, in the order of Run's fields, read in one call (a run is decoded on every
# event of its contact).
_RUN_FIELDS: Final = itemgetter(
    "runId",
    "workflowId",
    "version",
    "startedAt",
    "trigger",
    "status",
    "currentNodeId",
    "waitTimerId",
    "waitDueAt",
    "waitKind",
    "waitActionKey",
    "waitStartedAt",
    "variables",
    "hasOpened",
    "hasClicked",
    "visits",
    "goalReachedId",
    "errorMessage",
    "completedAt",
)


@dataclass(frozen=True, slots=True)
class FinishedRun:
    """What re-entry needs to know about a run that ended."""

    run_id: str
    workflow_id: str
    version: int
    status: str
    finished_at: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "runId": self.run_id,
            "workflowId": self.workflow_id,
            "version": self.version,
            "status": self.status,
            "finishedAt": self.finished_at,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FinishedRun:
        return cls(d["runId"], d["workflowId"], d["version"], d["status"], d["finishedAt"])


@dataclass(slots=True)
class ContactState:
    """Everything the engine knows about one (tenant, contact).

    ``profile`` holds top-level fields (``email``, ``source``, ``timezone``...) plus ``attributes`` (object),
    ``tags`` and ``segments`` (lists). ``runs`` are active runs by id, in start order. ``finished`` keeps the
    latest finished run per workflow id (bounded). ``sends`` is the send history frequency caps count.
    ``applied`` is the insertion-ordered window of applied
    event ids (a dict for O(1) membership; serialized as a list).
    """

    tenant_id: str
    contact_id: str
    profile: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)
    finished: dict[str, FinishedRun] = field(default_factory=dict)
    applied: dict[str, None] = field(default_factory=dict)
    # Messages sent to the contact, [[channel, sentAt], ...] oldest first, bounded (streams.engine.caps).
    sends: list[list[Any]] = field(default_factory=list)

    @classmethod
    def empty(cls, tenant_id: str, contact_id: str) -> ContactState:
        return cls(tenant_id, contact_id, {"attributes": {}, "tags": [], "segments": []})

    def with_applied(self, event_id: str) -> dict[str, None]:
        """The applied-event window after ``event_id``, insertion-ordered, oldest dropped past the bound."""
        applied = dict(self.applied)
        applied[event_id] = None
        while len(applied) > APPLIED_WINDOW:
            del applied[next(iter(applied))]
        return applied

    def to_dict(self) -> dict[str, Any]:
        d = {
            "format": STATE_FORMAT,
            "tenantId": self.tenant_id,
            "contactId": self.contact_id,
            "profile": self.profile,
            "runs": [run.to_dict() for run in self.runs.values()],
            "finished": [f.to_dict() for f in self.finished.values()],
            "applied": list(self.applied),
        }
        if self.sends:
            # Only when there is a history: records of tenants without frequency caps stay as they were.
            d["sends"] = self.sends
        return d

    @classmethod
    def from_dict(cls, d: Any) -> ContactState:
        """Decode a stored record; raises StateError when it is not one this version wrote."""
        if not isinstance(d, dict) or d.get("format") != STATE_FORMAT:
            found = d.get("format") if isinstance(d, dict) else type(d).__name__
            raise StateError(
                f"contact state record has format {found!r}, this engine reads {STATE_FORMAT}: "
                "run the engine version that wrote it or rebuild the state table from the changelog"
            )
        try:
            runs = {r["runId"]: Run.from_dict(r) for r in d["runs"]}
            finished = {f["workflowId"]: FinishedRun.from_dict(f) for f in d["finished"]}
            return cls(
                d["tenantId"],
                d["contactId"],
                d["profile"],
                runs,
                finished,
                dict.fromkeys(d["applied"]),
                # Absent from records written before frequency caps: no history yet.
                list(d.get("sends") or []),
            )
        except (KeyError, TypeError) as exc:
            raise StateError(
                f"contact state record is malformed ({exc!r}): rebuild it from the changelog"
            ) from exc
