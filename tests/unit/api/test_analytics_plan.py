"""The analytics planner: branches read from step outputs, quarter hours, and state-based idempotency."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from api.analytics.funnel import Definition, funnel
from api.projector.analytics_plan import PriorStep, branch_taken, plan_analytics, quarter, send_zone
from api.projector.events import RunEvent, StepRecord
from api.projector.plan import ExistingRun, plan_batch

WF = uuid.uuid4()
RUN = uuid.uuid4()
AT = datetime(2026, 1, 1, 10, 7, tzinfo=UTC)


def test_the_branch_comes_from_the_field_its_node_type_records() -> None:
    assert branch_taken("condition", {"result": True, "branch": "true"}) == "true"
    assert branch_taken("switch", {"case": "gold"}) == "gold"
    assert branch_taken("split", {"variant": "b", "bucket": 4200}) == "b"
    assert branch_taken("wait_for_event", {"branch": "timeout"}) == "timeout"
    assert (
        branch_taken("run_workflow", {"branch": "goal_reached", "childStatus": "goal_reached"})
        == "goal_reached"
    )
    assert branch_taken("run_workflow", {"childRunId": "x"}) is None  # without wait: a plain edge
    assert branch_taken("send_email", {"branch": "x"}) is None


def test_quarter_hours_floor_in_utc() -> None:
    assert quarter(AT) == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert quarter(datetime(2026, 1, 1, 10, 15, tzinfo=UTC)) == datetime(2026, 1, 1, 10, 15, tzinfo=UTC)


def _event(status: str, step: StepRecord | None, *, occurred: int) -> RunEvent:
    return RunEvent(
        key=f"k{occurred}",
        tenant_id="t",
        contact_id="c",
        run_id=RUN,
        workflow_id=WF,
        workflow_version=3,
        status=status,
        current_node_id=step.node_id if step else None,
        goal_reached_id=None,
        error_message=None,
        trigger_event={},
        context=None,
        started_at=AT,
        completed_at=AT if status != "running" else None,
        occurred_at=occurred,
        step=step,
    )


def _step(node: str, seq: int, status: str, node_type: str = "send_email", **output: Any) -> StepRecord:
    return StepRecord(
        id=uuid.uuid5(RUN, node),
        node_id=node,
        node_type=node_type,
        visit=1,
        seq=seq,
        status=status,
        input={},
        output=output,
        error_message=None,
        started_at=AT,
        completed_at=AT,
        scheduled_at=None,
    )


def test_a_new_step_counts_its_edge_once_and_a_replay_counts_nothing() -> None:
    split = _step("ab", 1, "completed", "split", variant="b")
    mail = _step("mail", 2, "completed")
    events = [_event("running", split, occurred=1), _event("completed", mail, occurred=2)]
    prior = {(RUN, 1): PriorStep("ab", "b")}
    plan = plan_batch(events, existing_runs={}, existing_steps={})
    first = plan_analytics(plan, existing_runs={}, existing_steps={}, prior=prior, run_splits={}, zones={})
    assert dict(first.edges) == {(WF, 3, "ab", "mail", "b"): 1}
    assert first.nodes[(WF, 3, "mail")]["entered"] == 1
    assert first.splits[(WF, 3, "ab", "b")]["entered"] == 1
    assert sum(b["started"] for b in first.buckets.values()) == 1
    stored_runs = {RUN: ExistingRun("completed", 2)}
    stored_steps = {split.id: "completed", mail.id: "completed"}
    again = plan_batch(events, existing_runs=stored_runs, existing_steps=stored_steps)
    replay = plan_analytics(
        again, existing_runs=stored_runs, existing_steps=stored_steps, prior=prior, run_splits={}, zones={}
    )
    assert not replay.edges
    assert not any(any(v.values()) for v in replay.nodes.values())
    assert not replay.buckets


def test_dropped_off_never_goes_negative() -> None:
    definition = Definition(
        nodes=[{"id": "a", "type": "delay"}, {"id": "b", "type": "send_email"}],
        edges=[{"source": "trigger", "target": "a"}, {"source": "a", "target": "b"}],
        goals=[],
    )
    built = funnel(
        definition,
        nodes={"a": {"entered": 10}, "b": {"entered": 4}},
        edges={("a", "b", ""): 4, ("x", "b", "old"): 2},
        waiting={"a": 8},
        started=10,
    )
    a, b = built["nodes"]
    assert (a["dropped_off"], a["drop_off_rate"]) == (0, 0.0)  # 10 - 8 waiting - 4 left < 0
    assert (b["dropped_off"], b["drop_off_rate"]) == (0, 0.0)  # the last node: its runs finished there
    assert built["edges"] == [
        {"source": "trigger", "target": "a", "branch": None, "runs": 10},
        {"source": "a", "target": "b", "branch": None, "runs": 4},
        {"source": "x", "target": "b", "branch": "old", "runs": 2},  # another version's edge
    ]


def test_a_sends_local_hour_uses_the_zone_recorded_with_it_first() -> None:
    recorded = _step("mail", 1, "completed", contactTimezone="Pacific/Auckland")
    event = replace(
        _event("completed", recorded, occurred=1), trigger_event={"data": {"timezone": "Asia/Tokyo"}}
    )
    assert send_zone(event, recorded, "Europe/Paris").key == "Pacific/Auckland"
    plain = _step("mail", 1, "completed")
    assert send_zone(event, plain, "Europe/Paris").key == "Asia/Tokyo"  # the run's trigger data
    assert send_zone(_event("completed", plain, occurred=1), plain, "Europe/Paris").key == "Europe/Paris"
    unknown = _step("mail", 1, "completed", contactTimezone="Mars/Olympus")
    assert send_zone(_event("completed", unknown, occurred=1), unknown, None).key == "UTC"
