"""run_workflow: a parent starts a child workflow for the same contact; with ``wait`` it resumes on the
child's end in the same step (completed / goal_reached / failed), without it continues at once; variables
are passed, the child run id derives from the parent's action key, depth is capped, validation has paths,
and simulate runs the sub-workflows it is given (a missing one fails the node as not active)."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine import ContactState, EmitRunEvent, ScheduleTimer, SendMessage, simulate, validate
from streams.engine.ids import run_id_for
from streams.engine.nodes.subworkflow import HORIZON_MS, MAX_SUBWORKFLOW_DEPTH

from .helpers import CONTACT, TENANT, Harness, kinds, node, only, run_id, workflow


def parent(
    *, wait: bool = True, child: str = "child", variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """contact.created -> run_workflow(child) -> completed: email / goal_reached: email / failed: email."""
    data: dict[str, Any] = {"workflowId": child, "wait": wait}
    if variables is not None:
        data["variables"] = variables
    nodes = [
        {"id": "rw", "type": "run_workflow", "data": data},
        node("done", "send_email", templateId="tpl-done"),
        node("goal", "send_email", templateId="tpl-goal"),
        node("fail", "send_email", templateId="tpl-fail"),
    ]
    if not wait:
        return workflow(nodes[:2], workflow_id="parent")
    edges = [
        {"source": "trigger", "target": "rw"},
        {"source": "rw", "target": "done", "branch": "completed"},
        {"source": "rw", "target": "goal", "branch": "goal_reached"},
        {"source": "rw", "target": "fail", "branch": "failed"},
    ]
    return workflow(nodes, edges, workflow_id="parent")


def child(*nodes: dict[str, Any], goals: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    # Its own trigger never fires here: run_workflow starts it whatever its trigger.
    return workflow(
        list(nodes) or [node("hello", "send_email", templateId="tpl-child", plan="{{ variables.plan }}")],
        trigger={"type": "event", "event": "never.happens"},
        goals=goals,
        workflow_id="child",
    )


def templates(effects: list[Any]) -> list[str]:
    return [e.template_id for e in effects if isinstance(e, SendMessage)]


def child_run_id(visit: int = 1) -> str:
    return run_id_for(TENANT, "child", CONTACT, f"run_workflow:{run_id('created', 'parent')}:rw:{visit}")


def run_ends(effects: list[Any]) -> list[tuple[str, str]]:
    return [
        (e.run["workflowId"], e.run["status"])
        for e in effects
        if isinstance(e, EmitRunEvent) and e.step is None and e.run["status"] != "running"
    ]


def test_a_child_that_ends_at_once_resumes_the_waiting_parent_in_the_same_step() -> None:
    h = Harness(parent(variables={"plan": "{{ contact.plan }}"}), child())
    effects = h.create(email="a@example.com", plan="pro")
    assert templates(effects) == ["tpl-child", "tpl-done"]
    assert run_ends(effects) == [("child", "completed"), ("parent", "completed")]
    sent = next(e for e in effects if isinstance(e, SendMessage) and e.template_id == "tpl-child")
    assert sent.params == {"plan": "pro"}  # the variables reached the child
    assert h.state.runs == {}
    assert h.state.finished["child"].run_id == child_run_id()
    step = next(
        e.step for e in effects if isinstance(e, EmitRunEvent) and e.step and e.step["nodeId"] == "rw"
    )
    assert step["output"]["branch"] == "completed"
    assert step["output"]["childRunId"] == child_run_id()


def test_the_parent_waits_while_the_child_waits_and_resumes_when_it_ends() -> None:
    delay = {
        "id": "d",
        "type": "delay",
        "position": {"x": 0, "y": 0},
        "data": {"duration": 1, "unit": "days"},
    }
    h = Harness(parent(), child(delay, node("hello", "send_email", templateId="tpl-child")))
    effects = h.create(email="a@example.com")
    assert templates(effects) == []
    runs = {r.workflow_id: r for r in h.state.runs.values()}
    assert runs["parent"].wait_kind == "subworkflow"
    assert runs["parent"].wait_action_key == child_run_id()
    assert runs["child"].trigger["parent"]["depth"] == 1
    waits = next(e for e in effects if isinstance(e, EmitRunEvent) and e.step and e.step["nodeId"] == "rw")
    assert waits.step is not None
    assert (waits.step["status"], waits.step["output"]["waitingFor"]) == ("running", "subworkflow")
    assert waits.step["output"]["childRunId"] == child_run_id()
    assert waits.step["output"]["timeoutAt"] > h.now  # run detail's "until"
    # The state round-trips with the link (the worker stores it as JSON).
    assert ContactState.from_dict(h.state.to_dict()) == h.state
    child_timer = next(e for e in effects if isinstance(e, ScheduleTimer) and e.run_id == child_run_id())
    resumed = h.fire(child_timer)
    assert templates(resumed) == ["tpl-child", "tpl-done"]
    assert run_ends(resumed) == [("child", "completed"), ("parent", "completed")]
    assert "cancel_timer" in kinds(resumed)  # the parent's horizon timer
    assert h.state.runs == {}


def test_the_horizon_timer_renews_the_wait_while_the_child_still_runs() -> None:
    delay = {
        "id": "d",
        "type": "delay",
        "position": {"x": 0, "y": 0},
        "data": {"duration": 60, "unit": "days"},
    }
    h = Harness(parent(), child(delay))
    effects = h.create(email="a@example.com")
    horizon = next(e for e in effects if isinstance(e, ScheduleTimer) and e.timer_kind == "subworkflow")
    assert horizon.due_at == h.now + HORIZON_MS
    renewed = h.fire(horizon)
    again = only(renewed, "schedule_timer")
    assert isinstance(again, ScheduleTimer)
    assert (again.timer_kind, again.due_at) == ("subworkflow", h.now + HORIZON_MS)
    assert run_ends(renewed) == []


def test_a_child_goal_takes_goal_reached() -> None:
    delay = {
        "id": "d",
        "type": "delay",
        "position": {"x": 0, "y": 0},
        "data": {"duration": 1, "unit": "days"},
    }
    h = Harness(parent(), child(delay, goals=[{"id": "bought", "event": "order.placed"}]))
    h.create(email="a@example.com")
    effects = h.apply("order.placed", {"orderId": "o1"})
    assert run_ends(effects) == [("child", "goal_reached"), ("parent", "completed")]
    assert templates(effects) == ["tpl-goal"]
    step = next(
        e.step for e in effects if isinstance(e, EmitRunEvent) and e.step and e.step["nodeId"] == "rw"
    )
    assert step["output"]["goalId"] == "bought"


def test_a_failed_child_takes_failed() -> None:
    broken = {"id": "x", "type": "run_workflow", "position": {"x": 0, "y": 0}, "data": {"workflowId": "gone"}}
    h = Harness(parent(), child(broken))
    effects = h.create(email="a@example.com")
    assert run_ends(effects) == [("child", "failed"), ("parent", "completed")]
    assert templates(effects) == ["tpl-fail"]
    failed = next(e for e in effects if isinstance(e, EmitRunEvent) and e.step and e.step["nodeId"] == "x")
    assert failed.step is not None
    assert "workflow 'gone' is not active" in failed.step["errorMessage"]


def test_without_wait_the_parent_continues_at_once() -> None:
    delay = {
        "id": "d",
        "type": "delay",
        "position": {"x": 0, "y": 0},
        "data": {"duration": 1, "unit": "days"},
    }
    h = Harness(parent(wait=False), child(delay))
    effects = h.create(email="a@example.com")
    assert templates(effects) == ["tpl-done"]
    assert run_ends(effects) == [("parent", "completed")]
    assert [r.workflow_id for r in h.state.runs.values()] == ["child"]
    # The child ending later resumes nobody.
    timer = next(e for e in effects if isinstance(e, ScheduleTimer))
    assert run_ends(h.fire(timer)) == [("child", "completed")]


def test_an_inactive_child_fails_the_node_with_the_reason() -> None:
    h = Harness(parent(child="missing"))
    effects = h.create(email="a@example.com")
    assert run_ends(effects) == [("parent", "failed")]
    last = effects[-1]
    assert isinstance(last, EmitRunEvent)
    assert "workflow 'missing' is not active" in last.run["errorMessage"]


def test_depth_is_capped() -> None:
    # A workflow that starts itself (the API refuses this cycle at activation; the engine still stops it).
    loop = workflow(
        [
            {
                "id": "rw",
                "type": "run_workflow",
                "position": {"x": 0, "y": 0},
                "data": {"workflowId": "parent"},
            }
        ],
        workflow_id="parent",
        settings={"reEntry": "always"},
    )
    h = Harness(loop)
    effects = h.create(email="a@example.com")
    ends = run_ends(effects)
    assert ends.count(("parent", "failed")) == 1
    assert len(
        [e for e in effects if isinstance(e, EmitRunEvent) and e.event_type == "workflow.run.started"]
    ) == (MAX_SUBWORKFLOW_DEPTH + 1)
    failed = next(
        e for e in effects if isinstance(e, EmitRunEvent) and e.step and e.step["status"] == "failed"
    )
    assert failed.step is not None
    assert f"nest at most {MAX_SUBWORKFLOW_DEPTH} deep" in failed.step["errorMessage"]


def test_replaying_the_trigger_starts_no_second_child() -> None:
    delay = {
        "id": "d",
        "type": "delay",
        "position": {"x": 0, "y": 0},
        "data": {"duration": 1, "unit": "days"},
    }
    h = Harness(parent(), child(delay))
    h.create(email="a@example.com")
    h.state.applied.clear()  # the event id fell out of the dedupe window
    again = h.create(email="a@example.com")
    assert run_ends(again) == []
    assert len(h.state.runs) == 2


VALID = {"workflowId": "child", "wait": True}


@pytest.mark.parametrize(
    ("data", "path", "code"),
    [
        ({"wait": True}, "$.nodes[0].data.workflowId", "missing_required"),
        ({**VALID, "variables": [1]}, "$.nodes[0].data.variables", "invalid_type"),
        ({**VALID, "variables": {"x": "y" * 5000}}, "$.nodes[0].data.variables", "too_large"),
        ({**VALID, "wait": "yes"}, "$.nodes[0].data.wait", "invalid_type"),
    ],
)
def test_validation(data: dict[str, Any], path: str, code: str) -> None:
    d = parent()
    d["nodes"][0]["data"] = data
    problems = [(p.path, p.code) for p in validate(d)]
    assert (path, code) in problems, problems


def test_branches_are_needed_only_when_waiting() -> None:
    assert validate(parent()) == []
    assert validate(parent(wait=False)) == []
    d = parent()
    d["edges"] = [e for e in d["edges"] if e.get("branch") != "failed"]
    d["nodes"] = [n for n in d["nodes"] if n["id"] != "fail"]
    problems = [(p.path, p.code, p.node_id) for p in validate(d)]
    assert ("$.nodes[0]", "missing_branch", "rw") in problems
    plain = parent(wait=False)
    plain["nodes"][0]["data"]["wait"] = True  # a plain edge where branches are needed
    assert "unknown_branch" in [p.code for p in validate(plain)]


def test_simulate_without_the_child_fails_the_node_as_not_active() -> None:
    result = simulate(parent(), {"email": "a@example.com"}, [{"type": "contact.created", "data": {}}])
    assert result.path == ["rw"]
    [run] = result.runs.values()
    assert run["status"] == "failed"
    assert "workflow 'child' is not active: a simulation starts active workflows only" in run["errorMessage"]


def test_simulate_runs_the_child_it_is_given_and_the_parent_waits_for_it() -> None:
    delay = {
        "id": "d",
        "type": "delay",
        "position": {"x": 0, "y": 0},
        "data": {"duration": 1, "unit": "days"},
    }
    kid = child(delay, node("hello", "send_email", templateId="tpl-child", plan="{{ variables.plan }}"))
    kid["trigger"] = {"type": "event", "event": "contact.created"}  # its own trigger never fires here
    result = simulate(
        parent(variables={"plan": "pro"}),
        {"email": "a@example.com"},
        [{"type": "contact.created", "data": {}}],
        subworkflows=[kid],
    )
    assert result.path == ["rw", "done"]  # the simulated workflow's own path
    by_workflow = {r["workflowId"]: (run_id, r) for run_id, r in result.runs.items()}
    assert set(by_workflow) == {"parent", "child"}  # the child started once: by run_workflow, not its trigger
    child_id, child_run = by_workflow["child"]
    assert child_run["status"] == "completed"
    assert result.paths[child_id] == ["d", "hello"]
    assert by_workflow["parent"][1]["status"] == "completed"
    sends = [e for e in result.effects if isinstance(e, SendMessage)]
    assert [(s.template_id, s.params) for s in sends] == [("tpl-child", {"plan": "pro"}), ("tpl-done", {})]
    assert result.end_time == 86_400_000  # the virtual clock went through the child's one-day delay
