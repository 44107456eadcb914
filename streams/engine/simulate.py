"""Run a (draft) workflow for one sample contact on a virtual clock.

Timers fire by themselves in due order (the clock jumps to each due time), HTTP actions complete at once
with a simulated 200 unless ``auto_complete_actions=False`` (then the caller's events decide), and the
result is deterministic: the same inputs give the same path, effects and run states.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from streams.engine import event_types as et
from streams.engine.compiler import compile_definition
from streams.engine.effects import CallWebhook, CancelTimer, Effect, EmitRunEvent, ScheduleTimer, SendSlack
from streams.engine.events import Event
from streams.engine.index import DefinitionIndex
from streams.engine.model import WorkflowDefinition
from streams.engine.profile import normalize_profile
from streams.engine.state import ContactState
from streams.engine.step import step
from streams.engine.timeutil import parse_instant

__all__ = ["SimulationResult", "simulate"]

SIM_CONTACT: Final = "simulated-contact"
# A runaway draft must not keep an API request busy.
MAX_SIMULATED_EVENTS: Final = 10_000


@dataclass(frozen=True, slots=True)
class SimulationResult:
    path: list[str]  # node ids in execution order, over all runs
    paths: dict[str, list[str]]  # run id -> node ids
    effects: list[Effect]
    runs: dict[str, dict[str, Any]]  # run id -> final run fields (status, currentNodeId, ...)
    state: ContactState
    end_time: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "paths": self.paths,
            "effects": [e.to_dict() for e in self.effects],
            "runs": self.runs,
            "state": self.state.to_dict(),
            "endTime": self.end_time,
        }


class _Simulator:
    def __init__(self, definition: WorkflowDefinition, contact: Mapping[str, Any], *, auto: bool) -> None:
        self.index = DefinitionIndex([definition], start_any_status=True)
        self.tenant = definition.tenant_id
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

    def apply(self, event: Event, now: int) -> None:
        pending = [event]
        while pending:
            current = pending.pop(0)
            self.processed += 1
            if self.processed > MAX_SIMULATED_EVENTS:
                return
            transition = step(self.state, current, definitions=self.index, now=now)
            self.state = transition.state
            for effect in transition.effects:
                self._record(effect, now, pending)

    def _record(self, effect: Effect, now: int, pending: list[Event]) -> None:
        self.effects.append(effect)
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
                    self.path.append(step_record["nodeId"])
                    self.paths.setdefault(effect.run_id, []).append(step_record["nodeId"])

    def fire_until(self, limit: int | None) -> int | None:
        """Fire due timers up to ``limit`` (all when None); returns the clock after the last one."""
        clock = None
        while self.timers and (limit is None or self.timers[0][0] <= limit):
            if self.processed > MAX_SIMULATED_EVENTS:
                break
            due, timer_id, run_id, kind = heapq.heappop(self.timers)
            if timer_id in self.cancelled:
                continue
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


def simulate(
    definition: WorkflowDefinition | Mapping[str, Any],
    contact: Mapping[str, Any],
    events: Iterable[Mapping[str, Any]] = (),
    start: int = 0,
    *,
    auto_complete_actions: bool = True,
) -> SimulationResult:
    """Simulate ``events`` (envelopes; ``at`` = ms after ``start``, else ``occurredAt``, else "now") for
    one contact profile. A definition given as a dict is compiled first (drafts without ``id`` or
    ``tenantId`` get placeholders) and raises DefinitionError when invalid."""
    if not isinstance(definition, WorkflowDefinition):
        raw = {"id": "draft", "tenantId": "simulation", **definition}
        definition = compile_definition(raw)
    sim = _Simulator(definition, contact, auto=auto_complete_actions)
    clock = start
    timed = []
    for i, raw_event in enumerate(events):
        at, event = _event_at(raw_event, i, start=start, clock=start, sim=sim)
        timed.append((at, i, event))
    timed.sort(key=lambda t: (t[0], t[1]))
    for at, _, event in timed:
        fired = sim.fire_until(at)
        clock = max(clock, fired or clock, at)
        sim.apply(event, clock)
    fired = sim.fire_until(None)
    clock = max(clock, fired or clock)
    return SimulationResult(sim.path, sim.paths, sim.effects, sim.runs, sim.state, clock)
