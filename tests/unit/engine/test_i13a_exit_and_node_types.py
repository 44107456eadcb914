"""Exit criteria (settings.exitWhen -> exited, apart from goals), the stale-run event handled by the engine,
and the node-type table (one handler per type, validation and branches on the handler)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from streams.engine import EmitRunEvent, rules, simulate, validate
from streams.engine import event_types as et
from streams.engine.nodes import BRANCHING_TYPES, HANDLERS, NODE_TYPES
from streams.engine.state import TERMINAL_STATUSES

from .helpers import DAY, HOUR, Harness, event, kinds, node, only, run_id, workflow

UNSUBSCRIBE = {
    "event": "contact.unsubscribed",
    "conditions": [{"field": "event.data.channel", "operator": "equals", "value": "email"}],
}


def nurture(**settings: Any) -> dict[str, Any]:
    return workflow(
        [node("d", "delay", duration=1, unit="days"), node("m", "send_email", templateId="tpl")],
        goals=[{"id": "bought", "event": "order.placed"}],
        settings=settings,
    )


def lifecycle(effects: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(e.event_type, e.run) for e in effects if isinstance(e, EmitRunEvent) and e.step is None]


def test_a_matching_event_ends_the_run_as_exited_not_as_a_goal() -> None:
    h = Harness(nurture(exitWhen=UNSUBSCRIBE))
    h.create()
    assert h.apply("contact.unsubscribed", {"channel": "sms"}) == []  # conditions not met
    effects = h.apply("contact.unsubscribed", {"channel": "email"})
    assert kinds(effects) == ["cancel_timer", "run.exited"]
    [(subject, run)] = lifecycle(effects)
    assert subject == et.RUN_EXITED == "workflow.run.exited"
    assert (run["status"], run["goalReachedId"], run["errorMessage"]) == ("exited", None, None)
    assert h.state.finished["wf1"].status == "exited"
    assert "exited" in TERMINAL_STATUSES


def test_a_goal_matching_the_same_event_wins_and_internal_events_never_exit() -> None:
    h = Harness(nurture(exitWhen={"event": "order.placed"}))
    h.create()
    assert kinds(h.apply("order.placed")) == ["cancel_timer", "run.goal_reached"]

    any_event = Harness(nurture(exitWhen={"event": "workflow.timer.fired"}))
    timer = only(any_event.create(), "schedule_timer")
    assert "run.exited" not in kinds(any_event.fire(timer))


def test_exit_in_simulate() -> None:
    result = simulate(
        nurture(exitWhen=UNSUBSCRIBE),
        {"email": "a@b.c"},
        [
            {"type": "contact.created", "at": 0},
            {"type": "contact.unsubscribed", "data": {"channel": "email"}, "at": HOUR},
        ],
    )
    assert [r["status"] for r in result.runs.values()] == ["exited"]
    assert result.path == ["d"]


@pytest.mark.parametrize(
    ("exit_when", "path", "code"),
    [
        ({"conditions": []}, "$.settings.exitWhen.event", "missing_required"),
        (
            {"event": "x", "conditions": [{"field": "a", "operator": "bad"}]},
            "$.settings.exitWhen.conditions[0].operator",
            "unknown_operator",
        ),
        ("unsubscribe", "$.settings.exitWhen", "invalid_type"),
    ],
)
def test_exit_validation(exit_when: Any, path: str, code: str) -> None:
    assert (path, code) in [(p.path, p.code) for p in validate(nurture(exitWhen=exit_when))]
    assert validate(nurture(exitWhen=UNSUBSCRIBE)) == []


def stale_report(run: str, overdue_ms: int | None, event_id: str = "stale-1") -> Any:
    data: dict[str, Any] = {"runId": run, "reason": "from the detector"}
    if overdue_ms is not None:
        data["overdueMs"] = overdue_ms
    return event(event_id, et.RUN_STALE_DETECTED, data)


def test_the_engine_fails_a_run_still_stale_when_the_report_is_applied() -> None:
    h = Harness(nurture())
    h.create()
    target = run_id("created")
    h.now += DAY - 1
    assert h.apply_event(stale_report(target, 0, "early")) == []  # its delay is not due yet
    h.now += 2 * HOUR
    assert h.apply_event(stale_report(target, 3 * HOUR, "lenient")) == []  # not overdue by that measure
    effects = h.apply_event(stale_report(target, HOUR))
    [(subject, run)] = lifecycle(effects)
    assert subject == et.RUN_FAILED
    assert run["errorMessage"].startswith("stale: its delay was due")
    assert kinds(effects) == ["cancel_timer", "run.failed"]
    assert h.apply_event(stale_report(target, HOUR, "again")) == []


def test_a_stale_report_without_a_threshold_uses_the_default() -> None:
    h = Harness(nurture())
    h.create()
    h.now += DAY + 10 * 60_000
    assert h.apply_event(stale_report(run_id("created"), None)) == []  # 10 minutes late: under 15
    h.now += 6 * 60_000
    assert "run.failed" in kinds(h.apply_event(stale_report(run_id("created"), None, "later")))


def test_stale_detected_is_an_internal_event_type() -> None:
    assert et.RUN_STALE_DETECTED in et.INTERNAL_EVENT_TYPES


def test_node_types_come_from_the_handler_table_and_each_validates_its_own_data() -> None:
    assert frozenset(HANDLERS) == NODE_TYPES
    assert {"wait_for_event", "send_email", "condition", "end"} <= NODE_TYPES
    assert {"condition", "switch", "split", "wait_for_event", "run_workflow"} == BRANCHING_TYPES
    for kind, handler in HANDLERS.items():
        if kind != "end":
            assert handler.check is not None, kind
    # The shared rules module names no node type: per-type rules live on the handlers.
    source = inspect.getsource(rules)
    assert [kind for kind in NODE_TYPES if f'"{kind}"' in source] == []


def test_a_new_node_type_needs_only_a_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    from streams.engine import graph, validation
    from streams.engine import nodes as nodes_pkg
    from streams.engine.nodes import Branch, Continue, NodeHandler

    def coin(ctx: Any, run: Any, plan: Any, n: Any, key: str) -> Any:
        return Continue(n.branches.get("heads"), {"side": "heads"})

    def check(data: dict[str, Any], path: str, out: Any) -> None:
        if "bias" in data:
            out.add(f"{path}.bias", "invalid_value", "no biased coins")

    handler = NodeHandler(
        coin,
        check=check,
        branches=lambda d: [Branch("heads", "{node} has no heads"), Branch("tails", "{node} has no tails")],
    )
    table = {**HANDLERS, "coin": handler}
    for module in (nodes_pkg, validation, graph):
        monkeypatch.setattr(module, "HANDLERS", table)
    monkeypatch.setattr(validation, "NODE_TYPES", frozenset(table))
    from streams.engine import compiler, runner

    monkeypatch.setattr(compiler, "HANDLERS", table)
    monkeypatch.setattr(compiler, "BRANCHING_TYPES", frozenset({*BRANCHING_TYPES, "coin"}))
    monkeypatch.setattr(runner, "HANDLERS", table)
    d = workflow(
        [node("c", "coin"), node("h", "add_tag", tag="heads"), node("t", "add_tag", tag="tails")],
        [
            {"source": "trigger", "target": "c"},
            {"source": "c", "target": "h", "branch": "heads"},
            {"source": "c", "target": "t", "branch": "tails"},
        ],
    )
    assert validate(d) == []
    d["nodes"][0]["data"] = {"bias": 1}
    assert [(p.path, p.code, p.node_id) for p in validate(d)] == [
        ("$.nodes[0].data.bias", "invalid_value", "c")
    ]
    d["nodes"][0]["data"] = {}
    d["edges"].pop()
    assert [(p.code, p.message) for p in validate(d)][:1] == [("missing_branch", "'c' has no tails")]
    d["edges"].append({"source": "c", "target": "t", "branch": "tails"})
    h = Harness(d)
    assert kinds(h.create()) == ["run.started", "c:completed", "add_tag", "h:completed", "run.completed"]
