"""The pure parts of the data-path fixes, without services: the engine's simulation budgets and the
projector's decoding of ``workflow.contact.erased``."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from api.projector.events import ContactErased, UndecodableError, decode
from streams.engine import event_types
from streams.engine.simulate import SimulationBudget, SimulationBudgetError, simulate

DAY_MS = 86_400_000


def _chain(length: int, *, delay_days: int = 0) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    edges = []
    previous = "trigger"
    for i in range(length):
        if delay_days:
            nodes.append({"id": f"n{i}", "type": "delay", "data": {"duration": delay_days, "unit": "days"}})
        else:
            nodes.append({"id": f"n{i}", "type": "add_tag", "data": {"tag": f"t{i}"}})
        edges.append({"source": previous, "target": f"n{i}"})
        previous = f"n{i}"
    return {
        "name": "x",
        "trigger": {"type": "event", "event": "contact.updated"},
        "nodes": nodes,
        "edges": edges,
    }


def _events(count: int, *, at: int = 0) -> list[dict[str, Any]]:
    return [{"type": "contact.updated", "at": at + i, "data": {}} for i in range(count)]


def test_the_step_budget_stops_a_simulation_instead_of_truncating_it() -> None:
    with pytest.raises(SimulationBudgetError) as caught:
        simulate(_chain(10, delay_days=1), {"id": "c"}, _events(10), 0, budget=SimulationBudget(max_steps=50))
    assert caught.value.limit == "steps"
    assert caught.value.maximum == 50
    assert simulate(
        _chain(2, delay_days=1), {"id": "c"}, _events(2), 0, budget=SimulationBudget(max_steps=50)
    )


def test_the_span_budget_covers_events_and_timers() -> None:
    budget = SimulationBudget(max_span_ms=30 * DAY_MS)
    with pytest.raises(SimulationBudgetError, match="event 0") as late:
        simulate(_chain(1), {"id": "c"}, _events(1, at=31 * DAY_MS), 0, budget=budget)
    assert late.value.limit == "span_ms"
    with pytest.raises(SimulationBudgetError, match="timer") as timer:
        simulate(_chain(1, delay_days=45), {"id": "c"}, _events(1), 0, budget=budget)
    assert timer.value.limit == "span_ms"
    assert simulate(_chain(1, delay_days=20), {"id": "c"}, _events(1), 0, budget=budget).path == ["n0"]


def test_the_answer_budget_stops_before_the_answer_is_built() -> None:
    budget = SimulationBudget(max_answer_bytes=100_000)
    with pytest.raises(SimulationBudgetError) as caught:
        simulate(_chain(40), {"id": "c"}, _events(200), 0, budget=budget)
    assert caught.value.limit == "answer_bytes"
    small = simulate(_chain(3), {"id": "c"}, _events(1), 0, budget=budget).to_dict()
    small.pop("state")
    assert len(orjson.dumps(small)) < 100_000


def test_the_projector_decodes_contact_erased_and_ignores_other_kinds() -> None:
    erased = {
        "kind": "contact_erased",
        "subject": event_types.CONTACT_ERASED,
        "tenantId": "t1",
        "contactId": "c1",
        "runId": "",
        "nodeId": None,
        "idempotencyKey": "k",
        "occurredAt": 1,
        "runsCancelled": 2,
    }
    assert decode(orjson.dumps(erased)) == ContactErased("t1", "c1")
    assert decode(orjson.dumps({"kind": "send_message", "subject": "pipeline.message.send"})) is None
    assert decode(orjson.dumps({"kind": "something_new", "subject": "workflow.future.thing"})) is None
    with pytest.raises(UndecodableError):
        decode(orjson.dumps({**erased, "contactId": ""}))
