"""Run a (draft) workflow for one sample contact on a virtual clock.

Timers fire by themselves in due order (the clock jumps to each due time), HTTP actions complete at once
with a simulated 200 unless ``auto_complete_actions=False`` (then the caller's events decide), and the
result is deterministic: the same inputs give the same path, effects and run states.

A simulation is bounded by a ``SimulationBudget``: engine steps, virtual time after ``start`` and the size
of what it records. A loop over a short delay never ends by itself, and a small request once recorded a
27.7 MB answer, so the first budget reached stops the simulation with ``SimulationBudgetError`` (no partial
answer that could be mistaken for the whole path).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from streams.engine import event_types as et
from streams.engine.caps import compile_caps
from streams.engine.compiler import compile_definition
from streams.engine.effects import CallWebhook, CancelTimer, Effect, EmitRunEvent, ScheduleTimer, SendSlack
from streams.engine.encoding import json_bytes
from streams.engine.errors import EngineError
from streams.engine.events import Event
from streams.engine.index import DefinitionIndex
from streams.engine.model import WorkflowDefinition
from streams.engine.profile import normalize_profile
from streams.engine.redact import redact_data
from streams.engine.state import ContactState
from streams.engine.step import step
from streams.engine.timeutil import parse_instant

__all__ = ["SimulationBudget", "SimulationBudgetError", "SimulationResult", "simulate"]

SIM_CONTACT: Final = "simulated-contact"
# A runaway draft must not keep an API request busy.
MAX_SIMULATED_EVENTS: Final = 10_000
_DAY_MS: Final = 86_400_000


def _json_bytes(value: Mapping[str, Any]) -> int:
    # Compact JSON, as the API answers; the API may inject its own serializer's exact length.
    return json_bytes(value)


@dataclass(frozen=True, slots=True)
class SimulationBudget:
    """What one simulation may spend. ``max_steps`` counts engine steps (events applied, timers fired and
    simulated action results included); ``max_span_ms`` is virtual time after ``start``; ``max_answer_bytes``
    bounds the recorded effects and path as JSON. None = unbounded."""

    max_steps: int = MAX_SIMULATED_EVENTS
    max_span_ms: int | None = None
    max_answer_bytes: int | None = None
    measure: Callable[[Mapping[str, Any]], int] = _json_bytes


class SimulationBudgetError(EngineError):
    """The simulation reached one of its budgets; ``limit`` names it (steps, span_ms, answer_bytes)."""

    def __init__(self, limit: str, maximum: int, message: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.maximum = maximum


@dataclass(frozen=True, slots=True)
class SimulationResult:
    path: list[str]  # node ids in execution order, over all runs of the simulated workflow
    paths: dict[str, list[str]]  # run id -> node ids
    effects: list[Effect]
    runs: dict[str, dict[str, Any]]  # run id -> final run fields (status, currentNodeId, ...)
    state: ContactState
    end_time: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "paths": self.paths,
            # An answer leaves the engine like a published record: secrets in action effects are redacted.
            "effects": [redact_data(e.to_dict()) for e in self.effects],
            "runs": self.runs,
            "state": self.state.to_dict(),
            "endTime": self.end_time,
        }


class _Simulator:
    def __init__(
        self,
        definition: WorkflowDefinition,
        contact: Mapping[str, Any],
        *,
        auto: bool,
        budget: SimulationBudget,
        start: int,
        frequency_caps: Any = None,
        subworkflows: Iterable[WorkflowDefinition] = (),
    ) -> None:
        self.index = DefinitionIndex([definition], start_any_status=True)
        for callee in subworkflows:
            if callee.id != definition.id and callee.tenant_id == definition.tenant_id:
                self.index.add_callee(callee)
        self.workflow_id = definition.id
        self.tenant = definition.tenant_id
        self.index.set_frequency_caps(self.tenant, compile_caps(frequency_caps))
        contact_id = str(contact.get("id") or SIM_CONTACT)
        profile = normalize_profile(dict(contact))
        self.state = ContactState(self.tenant, contact_id, profile)
        self.auto = auto
        self.timers: list[tuple[int, str, str, str]] = []  # (due, timer id, run id, kind)
        self.cancelled: set[str] = set()
        self.effects: list[Effect] = []
        self.path: list[str] = []
        self.paths: dict[str, list[str]] = {}
        self.seen: set[tuple[str, str, int]] = set()
        self.runs: dict[str, dict[str, Any]] = {}
        self.processed = 0
        self.budget = budget
        self.start = start
        self.answer_bytes = 0

    def apply(self, event: Event, now: int) -> None:
        pending = [event]
        while pending:
            current = pending.pop(0)
            self.processed += 1
            if self.processed > self.budget.max_steps:
                raise SimulationBudgetError(
                    "steps",
                    self.budget.max_steps,
                    f"the simulation took more than {self.budget.max_steps} engine steps (a loop without "
                    f"an end, or too many events); it stopped at node path length {len(self.path)}",
                )
            transition = step(self.state, current, definitions=self.index, now=now)
            self.state = transition.state
            for effect in transition.effects:
                self._record(effect, now, pending)

    def _spend(self, size: int) -> None:
        limit = self.budget.max_answer_bytes
        self.answer_bytes += size
        if limit is not None and self.answer_bytes > limit:
            raise SimulationBudgetError(
                "answer_bytes",
                limit,
                f"the simulation recorded more than {limit} bytes of effects and path after "
                f"{len(self.effects)} effects; simulate fewer events or a shorter span",
            )

    def _record(self, effect: Effect, now: int, pending: list[Event]) -> None:
        self.effects.append(effect)
        if self.budget.max_answer_bytes is not None:
            self._spend(self.budget.measure(effect.to_dict()))
        if isinstance(effect, ScheduleTimer):
            heapq.heappush(self.timers, (effect.due_at, effect.timer_id, effect.run_id, effect.timer_kind))
        elif isinstance(effect, CancelTimer):
            self.cancelled.add(effect.timer_id)
        elif isinstance(effect, CallWebhook | SendSlack) and self.auto:
            pending.append(
                Event.create(
                    id=f"sim-action:{effect.idempotency_key}",
                    type=et.ACTION_COMPLETED,
                    tenant_id=self.tenant,
                    contact_id=self.state.contact_id,
                    occurred_at_ms=now,
                    data={
                        "runId": effect.run_id,
                        "nodeId": effect.node_id,
                        "idempotencyKey": effect.idempotency_key,
                        "output": {"status": 200, "simulated": True},
                    },
                )
            )
        elif isinstance(effect, EmitRunEvent):
            self.runs[effect.run_id] = {"runId": effect.run_id, **effect.run}
            step_record = effect.step
            if step_record is not None:
                seen_key = (effect.run_id, step_record["nodeId"], step_record["visit"])
                if seen_key not in self.seen:
                    self.seen.add(seen_key)
                    mine = effect.run.get("workflowId") == self.workflow_id  # not a sub-workflow's run
                    if mine:
                        self.path.append(step_record["nodeId"])
                    self.paths.setdefault(effect.run_id, []).append(step_record["nodeId"])
                    if self.budget.max_answer_bytes is not None:
                        self._spend((2 if mine else 1) * (len(step_record["nodeId"]) + 3))

    def fire_until(self, limit: int | None) -> int | None:
        """Fire due timers up to ``limit`` (all when None); returns the clock after the last one."""
        clock = None
        while self.timers and (limit is None or self.timers[0][0] <= limit):
            due, timer_id, run_id, kind = heapq.heappop(self.timers)
            if timer_id in self.cancelled:
                continue
            self.check_span(due, what=f"a timer of run {run_id}")
            clock = due
            fired = Event.create(
                id=f"sim-timer:{timer_id}",
                type=et.TIMER_FIRED,
                tenant_id=self.tenant,
                contact_id=self.state.contact_id,
                occurred_at_ms=due,
                data={"runId": run_id, "timerId": timer_id, "kind": kind},
            )
            self.apply(fired, due)
        return clock

    def check_span(self, at: int, *, what: str) -> None:
        span = self.budget.max_span_ms
        if span is not None and at - self.start > span:
            days = span / _DAY_MS
            raise SimulationBudgetError(
                "span_ms",
                span,
                f"{what} is due {(at - self.start) / _DAY_MS:.1f} days after the start, past the "
                f"simulation's virtual time budget of {days:g} days",
            )


def _event_at(
    raw: Mapping[str, Any], index: int, *, start: int, clock: int, sim: _Simulator
) -> tuple[int, Event]:
    if "at" in raw:
        at = start + int(raw["at"])
    else:
        parsed = parse_instant(raw.get("occurredAt"))
        at = parsed if parsed is not None else clock
    return at, Event.create(
        id=str(raw.get("id") or f"sim-event-{index}"),
        type=str(raw["type"]),
        tenant_id=sim.tenant,
        contact_id=sim.state.contact_id,
        occurred_at_ms=at,
        data=raw.get("data") or {},
    )


def _compiled(definition: WorkflowDefinition | Mapping[str, Any], tenant_id: str) -> WorkflowDefinition:
    if isinstance(definition, WorkflowDefinition):
        return definition
    return compile_definition({"tenantId": tenant_id, "status": "active", **definition})


def simulate(
    definition: WorkflowDefinition | Mapping[str, Any],
    contact: Mapping[str, Any],
    events: Iterable[Mapping[str, Any]] = (),
    start: int = 0,
    *,
    auto_complete_actions: bool = True,
    budget: SimulationBudget | None = None,
    frequency_caps: Mapping[str, Any] | None = None,
    subworkflows: Iterable[WorkflowDefinition | Mapping[str, Any]] = (),
) -> SimulationResult:
    """Simulate ``events`` (envelopes; ``at`` = ms after ``start``, else ``occurredAt``, else "now") for
    one contact profile. A definition given as a dict is compiled first (drafts without ``id`` or
    ``tenantId`` get placeholders) and raises DefinitionError when invalid; a spent budget raises
    SimulationBudgetError. ``frequency_caps`` is the tenant's policy document (``{"caps": [...]}``): the
    contact's sends in the simulation count against it. ``subworkflows`` are the workflows run_workflow
    nodes may start (the tenant's active ones): their runs are simulated too, with their paths in ``paths``
    and their fields in ``runs``; ``path`` is the simulated workflow's own. No event starts them through
    their triggers."""
    if not isinstance(definition, WorkflowDefinition):
        raw = {"id": "draft", "tenantId": "simulation", **definition}
        definition = compile_definition(raw)
    sim = _Simulator(
        definition,
        contact,
        auto=auto_complete_actions,
        budget=budget or SimulationBudget(),
        start=start,
        frequency_caps=frequency_caps,
        subworkflows=[_compiled(d, definition.tenant_id) for d in subworkflows],
    )
    clock = start
    timed = []
    for i, raw_event in enumerate(events):
        at, event = _event_at(raw_event, i, start=start, clock=start, sim=sim)
        sim.check_span(at, what=f"event {i}")
        timed.append((at, i, event))
    timed.sort(key=lambda t: (t[0], t[1]))
    for at, _, event in timed:
        fired = sim.fire_until(at)
        clock = max(clock, fired or clock, at)
        sim.apply(event, clock)
    fired = sim.fire_until(None)
    clock = max(clock, fired or clock)
    return SimulationResult(sim.path, sim.paths, sim.effects, sim.runs, sim.state, clock)
