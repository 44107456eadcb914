"""The contact state budget: fit_state trims finished memory, kept responses, then variables, oldest first."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from streams.engine import ContactState, Effect, EmitRunEvent, FinishedRun, fit_state
from streams.engine.budget import kept_output
from streams.engine.limits import MAX_KEPT_RESPONSE_BYTES
from streams.engine.state import Run

from .helpers import CONTACT, T0, TENANT, Harness, node, only, workflow

KB = 1000


def size(state: ContactState) -> int:
    return len(json.dumps(state.to_dict(), separators=(",", ":"), ensure_ascii=False).encode())


def response(body_bytes: int, status: int = 200) -> dict[str, Any]:
    return {"status": status, "body": {"blob": "x" * body_bytes}, "truncated": False, "durationMs": 12}


def run(n: int, variables: dict[str, Any] | None = None) -> Run:
    trigger = {"id": f"e{n}", "type": "contact.created", "occurredAt": T0, "data": {}}
    return Run(f"run{n}", f"wf{n}", 1, T0 + n, trigger, variables=dict(variables or {}))


def state(runs: list[Run], finished: int = 0, profile_bytes: int = 0) -> ContactState:
    s = ContactState.empty(TENANT, CONTACT)
    s.profile["attributes"] = {"notes": "p" * profile_bytes}
    s.runs = {r.run_id: r for r in runs}
    s.finished = {
        f"done{i}": FinishedRun(f"r{i}", f"done{i}", 1, "completed", T0 + i) for i in range(finished)
    }
    s.applied = dict.fromkeys(f"event-{i}" for i in range(256))
    return s


def test_two_600kb_webhook_responses_fit_a_900kb_budget() -> None:
    before = state([run(1, {"hook1": response(600 * KB), "hook2": response(600 * KB)})], finished=50)
    assert size(before) > 1_000_000  # past the broker's record limit
    after = fit_state(before, max_bytes=900 * KB, size=size)
    assert size(after) <= 900 * KB
    assert list(after.runs) == ["run1"]  # the run itself is kept
    kept = after.runs["run1"].variables
    # Oldest first: the first response is trimmed, the second still fits.
    assert kept["hook1"] == {"status": 200, "durationMs": 12, "body": None, "truncated": True}
    assert kept["hook2"] == response(600 * KB)
    assert after.finished == {}  # finished memory went first
    assert after.applied == before.applied  # the dedupe window is never trimmed


def test_a_state_within_budget_is_returned_itself() -> None:
    before = state([run(1, {"hook": response(10 * KB)})], finished=10)
    assert fit_state(before, max_bytes=900 * KB, size=size) is before


def test_finished_memory_goes_first_oldest_first() -> None:
    before = state([run(1, {"hook": response(10 * KB)})], finished=200)
    budget = size(before) - 1000
    after = fit_state(before, max_bytes=budget, size=size)
    assert size(after) <= budget
    assert after.runs["run1"].variables == before.runs["run1"].variables
    assert 0 < len(after.finished) < 200
    assert "done0" not in after.finished
    assert "done199" in after.finished


def test_largest_variables_of_the_oldest_run_go_after_responses() -> None:
    big = {"blob": "y" * (300 * KB)}
    small = {"n": 1}
    before = state(
        [run(1, {"a": small, "b": big, "c": {"blob": "z" * (200 * KB)}}), run(2, {"d": big})], finished=3
    )
    after = fit_state(before, max_bytes=size(before) - 250 * KB, size=size)
    first = after.runs["run1"].variables
    assert first["b"] == {"truncated": True}  # largest of the oldest run
    assert first["a"] == small
    assert first["c"] == before.runs["run1"].variables["c"]
    assert after.runs["run2"].variables["d"] == big  # a newer run keeps its variables


def test_the_input_state_is_never_changed() -> None:
    before = state([run(1, {"hook1": response(600 * KB), "x": {"blob": "q" * 500 * KB}})], finished=5)
    snapshot = copy.deepcopy(before.to_dict())
    fit_state(before, max_bytes=100 * KB, size=size)
    assert before.to_dict() == snapshot


@pytest.mark.parametrize("profile_kb", [950, 2000])
def test_a_state_that_cannot_fit_comes_back_most_trimmed(profile_kb: int) -> None:
    before = state(
        [run(1, {"hook": response(100 * KB), "x": {"blob": "q" * 100 * KB}})], profile_bytes=profile_kb * KB
    )
    after = fit_state(before, max_bytes=900 * KB, size=size)
    assert size(after) > 900 * KB  # the caller sees it still does not fit and refuses the event
    assert after.profile == before.profile
    assert list(after.runs) == ["run1"]
    assert after.runs["run1"].variables == {
        "hook": {"status": 200, "durationMs": 12, "body": None, "truncated": True},
        "x": {"truncated": True},
    }


def test_few_measurements_for_many_small_items() -> None:
    calls = 0

    def counted(s: ContactState) -> int:
        nonlocal calls
        calls += 1
        return size(s)

    before = state(
        [run(i, {f"v{j}": {"blob": "k" * 2000} for j in range(20)}) for i in range(30)], finished=256
    )
    after = fit_state(before, max_bytes=size(before) // 2, size=counted)
    assert counted(after) <= size(before) // 2
    assert calls <= 6  # measuring the whole state after every trim would cost hundreds of serializations


# -- kept responses ---------------------------------------------------------------------------------------


def two_webhooks() -> dict[str, Any]:
    return workflow(
        [
            node("hook1", "webhook", url="https://api.example.com/a"),
            node("hook2", "webhook", url="https://api.example.com/b"),
            node("wait", "delay", duration=1, unit="days"),
        ]
    )


def answer(h: Harness, effects: list[Effect], output: Any) -> list[Effect]:
    call = only(effects, "call_webhook")
    data = {"runId": call.run_id, "idempotencyKey": call.idempotency_key, "output": output}
    return h.apply("workflow.action.completed", data)


def test_two_600kb_responses_through_step_keep_the_state_small() -> None:
    h = Harness(two_webhooks())
    effects = h.create()
    effects = answer(h, effects, response(600 * KB, status=201))
    effects = answer(
        h, effects, {"status": 200, "body": "é" * (300 * KB), "truncated": False, "durationMs": 5}
    )
    assert size(h.state) < 2 * MAX_KEPT_RESPONSE_BYTES + 10 * KB  # no trimming needed at all
    (active,) = h.state.runs.values()
    first, second = active.variables["hook1"], active.variables["hook2"]
    assert first["status"] == 201
    assert first["durationMs"] == 12
    assert first["truncated"] is True
    assert isinstance(first["body"], str)
    assert first["body"].startswith('{"blob":"xxx')
    assert len(first["body"].encode()) <= MAX_KEPT_RESPONSE_BYTES
    assert len(second["body"].encode()) <= MAX_KEPT_RESPONSE_BYTES
    assert set(second["body"]) == {"é"}  # cut on a character boundary
    steps = [
        e for e in h.all_effects if isinstance(e, EmitRunEvent) and e.step and e.step["status"] == "completed"
    ]
    assert [s.step["output"] for s in steps if s.step["nodeId"] in ("hook1", "hook2")] == [first, second]  # type: ignore[index]


def test_a_small_response_is_kept_as_it_came() -> None:
    output = response(1000)
    assert kept_output(output) is output
    assert kept_output({"status": 204, "body": None}) == {"status": 204, "body": None}


def test_an_output_without_body_is_capped_as_a_whole() -> None:
    kept = kept_output({"value": ["v" * 100] * 1000})
    assert kept["truncated"] is True
    assert len(kept["value"].encode()) <= MAX_KEPT_RESPONSE_BYTES
