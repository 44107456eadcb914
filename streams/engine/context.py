"""The working set of one ``step``: copy-on-write views of the contact state plus the effects produced.

Only what changes is copied: the runs dict (a shallow copy), each run the step touches (``touch``), the
profile when the event or a node changes it, the finished-run memory when a run ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from streams.engine.caps import trimmed_history
from streams.engine.conditions import Scope
from streams.engine.state import FINISHED_MEMORY, ContactState, FinishedRun, Run
from streams.engine.timeutil import zone

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from streams.engine.effects import Effect
    from streams.engine.events import Event
    from streams.engine.index import DefinitionIndex
    from streams.engine.model import Plan

__all__ = ["StepContext"]


class StepContext:
    __slots__ = (
        "_event_view",
        "_finished_owned",
        "_owned_runs",
        "_profile_owned",
        "contact_id",
        "definitions",
        "effects",
        "ended_children",
        "event",
        "finished",
        "memo",
        "now",
        "profile",
        "runs",
        "sends",
        "state",
        "tenant_id",
    )

    def __init__(self, state: ContactState, event: Event, *, definitions: DefinitionIndex, now: int) -> None:
        self.state = state
        self.event = event
        self.now = now
        self.definitions = definitions
        self.tenant_id = state.tenant_id
        self.contact_id = state.contact_id
        self.profile: dict[str, Any] = state.profile
        self._profile_owned = False
        self.runs: dict[str, Run] = dict(state.runs)
        self._owned_runs: set[str] = set()
        self.finished: dict[str, FinishedRun] = state.finished
        self._finished_owned = False
        self.sends: list[list[Any]] = state.sends
        self.effects: list[Effect] = []
        self._event_view: dict[str, Any] | None = None
        # Per step: what run events of one run share while it does not change (runner.run_fields).
        self.memo: dict[str, Any] = {}
        # Runs started by another run (run_workflow) that ended in this step, in order: their parents are
        # resumed at the end of the step (waiting.resume_parents), never in the middle of a loop over runs.
        self.ended_children: list[Run] = []

    # -- effects -----------------------------------------------------------------------------------------
    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)

    # -- runs --------------------------------------------------------------------------------------------
    def touch(self, run_id: str) -> Run:
        """The run, cloned the first time this step changes it (the input state stays untouched)."""
        run = self.runs[run_id]
        if run_id not in self._owned_runs:
            run = run.clone()
            self.runs[run_id] = run
            self._owned_runs.add(run_id)
        return run

    def add_run(self, run: Run) -> None:
        self.runs[run.run_id] = run
        self._owned_runs.add(run.run_id)

    def retire(self, run: Run) -> None:
        """Move an ended run out of the active set into the bounded finished memory."""
        self.runs.pop(run.run_id, None)
        if not self._finished_owned:
            self.finished = dict(self.finished)
            self._finished_owned = True
        # Re-insert so that the dict's order is the order runs finished: eviction drops the oldest.
        self.finished.pop(run.workflow_id, None)
        self.finished[run.workflow_id] = FinishedRun(
            run.run_id, run.workflow_id, run.version, run.status, run.completed_at or self.now
        )
        while len(self.finished) > FINISHED_MEMORY:
            del self.finished[next(iter(self.finished))]

    # -- send history (frequency caps) -------------------------------------------------------------------
    def record_send(self, channel: str) -> None:
        """Remember a message sent now, trimmed to what the tenant's caps can count (a new list: the input
        state's stays untouched). Without caps the history is only trimmed away."""
        caps = self.definitions.frequency_caps(self.tenant_id)
        if not caps:
            self.sends = []  # a tenant without caps keeps no history (no state grows for nothing)
            return
        self.sends = trimmed_history([*self.sends, [channel, self.now]], caps, self.now)

    # -- profile -----------------------------------------------------------------------------------------
    def writable_profile(self) -> dict[str, Any]:
        if not self._profile_owned:
            self.profile = dict(self.profile)
            self._profile_owned = True
        return self.profile

    def replace_profile(self, profile: dict[str, Any]) -> None:
        self.profile = profile
        self._profile_owned = True

    def update_profile(self, attributes: Mapping[str, Any], fields: Mapping[str, Any]) -> None:
        profile = self.writable_profile()
        if attributes:
            current = profile.get("attributes")
            merged = dict(current) if isinstance(current, dict) else {}
            merged.update(attributes)
            profile["attributes"] = merged
        profile.update(fields)

    def set_member(self, key: str, value: str, *, present: bool) -> None:
        """Add or remove ``value`` in the profile list ``key`` (tags, segments), keeping order."""
        current = self.profile.get(key)
        items = current if isinstance(current, list) else []
        if (value in items) == present:
            return
        updated = [*items, value] if present else [v for v in items if v != value]
        self.writable_profile()[key] = updated

    # -- scopes ------------------------------------------------------------------------------------------
    def event_view(self) -> dict[str, Any]:
        if self._event_view is None:
            e = self.event
            self._event_view = {
                "id": e.id,
                "type": e.type,
                "occurredAt": e.occurred_at,
                "tenantId": e.tenant_id,
                "contactId": e.contact_id,
                "data": e.data,
            }
        return self._event_view

    def event_scope(self, run: Run | None) -> Scope:
        """Trigger conditions and goals see the event being applied."""
        return Scope(self.profile, self.event_view(), run, self.now, contact_id=self.contact_id)

    def run_scope(self, run: Run) -> Scope:
        """Node conditions see the run's triggering event."""
        return Scope(self.profile, run.trigger, run, self.now, contact_id=self.contact_id)

    def timezone_for(self, plan: Plan) -> ZoneInfo | None:
        """The contact's zone, else the workflow's, else None (UTC)."""
        for name in (self.profile.get("timezone"), plan.timezone):
            if isinstance(name, str) and (tz := zone(name)) is not None:
                return tz
        return None

    # -- result ------------------------------------------------------------------------------------------
    def build_state(self) -> ContactState:
        applied = self.state.with_applied(self.event.id)
        return ContactState(
            self.tenant_id, self.contact_id, self.profile, self.runs, self.finished, applied, self.sends
        )
