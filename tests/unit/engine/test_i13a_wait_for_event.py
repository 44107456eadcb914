"""wait_for_event: received / timeout branches, correlation with the trigger, ``waited.*``, goals first,
independent carts, validation with paths, simulate."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine import EmitRunEvent, ScheduleTimer, SendMessage, simulate, validate
from streams.engine.state import Run

from .helpers import DAY, HOUR, MINUTE, Harness, kinds, node, only, run_id, workflow

TIMEOUT = {"amount": 2, "unit": "days"}


def cart_flow(**wait: Any) -> dict[str, Any]:
    """cart.abandoned -> wait for order.placed of the same cart -> received: thank-you / timeout: reminder."""
    data = {"event": "order.placed", "correlate": ["cartId"], "timeout": TIMEOUT, **wait}
    return workflow(
        [
            {"id": "w", "type": "wait_for_event", "data": data},
            node("thanks", "send_email", templateId="tpl-thanks", orderId="{{ waited.orderId }}"),
            node("remind", "send_email", templateId="tpl-remind", cartId="{{ event.data.cartId }}"),
        ],
        [
            {"source": "trigger", "target": "w"},
            {"source": "w", "target": "thanks", "branch": "received"},
            {"source": "w", "target": "remind", "branch": "timeout"},
        ],
        trigger={"type": "event", "event": "cart.abandoned"},
        goals=[
            {
                "id": "vip",
                "event": "order.placed",
                "conditions": [{"field": "event.data.total", "operator": "gt", "value": 1000}],
            }
        ],
    )


def sends(effects: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(e.template_id, dict(e.params)) for e in effects if isinstance(e, SendMessage)]


def test_the_awaited_event_of_the_same_cart_takes_received_and_is_available_as_waited() -> None:
    h = Harness(cart_flow())
    started = h.apply("cart.abandoned", {"cartId": "A"}, event_id="abandon-A")
    assert kinds(started) == ["run.started", "schedule_timer", "w:pending"]
    timer = only(started, "schedule_timer")
    assert isinstance(timer, ScheduleTimer)
    assert (timer.timer_kind, timer.due_at) == ("event_wait", h.now + 2 * DAY)
    [run] = h.state.runs.values()
    assert (run.wait_kind, run.current_node_id) == ("event_wait", "w")

    h.now += HOUR
    assert h.apply("order.placed", {"cartId": "B", "orderId": "o-0"}) == []  # another cart
    effects = h.apply("order.placed", {"cartId": "A", "orderId": "o-1", "total": 30})

    assert kinds(effects) == [
        "cancel_timer",
        "w:completed",
        "send_message",
        "thanks:completed",
        "run.completed",
    ]
    assert sends(effects) == [("tpl-thanks", {"orderId": "o-1"})]
    step = next(e.step for e in effects if isinstance(e, EmitRunEvent) and e.step is not None)
    assert step["output"]["branch"] == "received"
    assert step["output"]["event"]["type"] == "order.placed"
    assert step["startedAt"] == h.now - HOUR
    assert h.state.runs == {}
    assert h.state.finished["wf1"].status == "completed"


def test_no_awaited_event_takes_timeout_and_sends_the_reminder() -> None:
    h = Harness(cart_flow())
    timer = only(h.apply("cart.abandoned", {"cartId": "A"}, event_id="abandon-A"), "schedule_timer")
    effects = h.fire(timer)
    assert kinds(effects) == ["w:completed", "send_message", "remind:completed", "run.completed"]
    assert sends(effects) == [("tpl-remind", {"cartId": "A"})]
    # A late order after the timeout changes nothing.
    assert h.apply("order.placed", {"cartId": "A", "orderId": "late"}) == []


def test_two_carts_of_one_contact_are_waited_for_independently() -> None:
    h = Harness(cart_flow())
    timer_a = only(h.apply("cart.abandoned", {"cartId": "A"}, event_id="abandon-A"), "schedule_timer")
    h.now += MINUTE
    h.apply("cart.abandoned", {"cartId": "B"}, event_id="abandon-B")
    assert len(h.state.runs) == 2

    received = h.apply("order.placed", {"cartId": "B", "orderId": "o-b"})
    assert sends(received) == [("tpl-thanks", {"orderId": "o-b"})]
    assert list(h.state.runs) == [run_id("abandon-A")]

    timed_out = h.fire(timer_a)
    assert sends(timed_out) == [("tpl-remind", {"cartId": "A"})]
    assert h.state.runs == {}


def test_a_goal_still_wins_over_the_wait() -> None:
    h = Harness(cart_flow())
    h.apply("cart.abandoned", {"cartId": "A"}, event_id="abandon-A")
    effects = h.apply("order.placed", {"cartId": "A", "orderId": "big", "total": 5000})
    assert kinds(effects) == ["cancel_timer", "run.goal_reached"]
    assert sends(effects) == []


def test_conditions_see_the_awaited_event_and_the_trigger_event_never_resumes_its_own_run() -> None:
    flow = cart_flow(
        event="cart.abandoned",
        correlate=[],
        conditions=[{"field": "event.data.cartId", "operator": "equals", "value": "C"}],
    )
    h = Harness(flow)
    h.apply("cart.abandoned", {"cartId": "A"}, event_id="abandon-A")
    [first] = h.state.runs
    assert h.state.runs[first].wait_kind == "event_wait"  # its own trigger did not resume it
    h.apply("cart.abandoned", {"cartId": "Z"}, event_id="abandon-Z")  # fails the condition, starts a run
    assert h.state.runs[first].wait_kind == "event_wait"
    h.apply("cart.abandoned", {"cartId": "C"}, event_id="abandon-C")
    assert first not in h.state.runs


def test_correlation_with_other_field_names_and_a_missing_value_never_matches() -> None:
    h = Harness(cart_flow(correlate=[{"field": "order.cart", "triggerField": "cartId"}]))
    h.apply("cart.abandoned", {"cartId": "A"}, event_id="abandon-A")
    assert h.apply("order.placed", {"cartId": "A"}) == []  # the awaited path is order.cart
    effects = h.apply("order.placed", {"order": {"cart": "A"}, "orderId": "o"})
    assert "w:completed" in kinds(effects)

    h2 = Harness(cart_flow())
    h2.apply("cart.abandoned", {}, event_id="no-cart")  # no cartId on the trigger
    assert h2.apply("order.placed", {"orderId": "o"}) == []
    assert h2.apply("order.placed", {"cartId": None}) == []


def test_waited_data_is_bounded_in_the_run() -> None:
    h = Harness(cart_flow())
    h.apply("cart.abandoned", {"cartId": "A"}, event_id="abandon-A")
    # A later node keeps the run alive so its variables can be read: replace the thank-you with a wait.
    big = {"cartId": "A", "blob": "x" * 10_000}
    effects = h.apply("order.placed", big)
    run_event = [e for e in effects if isinstance(e, EmitRunEvent) and e.step is None][-1]
    waited = run_event.run["context"]["variables"]["waited"]
    assert waited == {"truncated": True, "keys": ["blob", "cartId"]}


def test_a_run_state_with_an_event_wait_round_trips() -> None:
    h = Harness(cart_flow())
    h.apply("cart.abandoned", {"cartId": "A"}, event_id="abandon-A")
    [run] = h.state.runs.values()
    assert Run.from_dict(run.to_dict()) == run


@pytest.mark.parametrize(
    ("data", "path", "code"),
    [
        ({"timeout": TIMEOUT}, "$.nodes[0].data.event", "missing_required"),
        ({"event": "order.placed"}, "$.nodes[0].data.timeout", "missing_required"),
        (
            {"event": "order.placed", "timeout": {"amount": 366, "unit": "days"}},
            "$.nodes[0].data.timeout",
            "duration_out_of_range",
        ),
        ({"event": "order.placed", "timeout": 0}, "$.nodes[0].data.timeout", "duration_out_of_range"),
        (
            {"event": "order.placed", "timeout": {"amount": 1, "unit": "fortnights"}},
            "$.nodes[0].data.timeout",
            "invalid_value",
        ),
        (
            {"event": "order.placed", "timeout": 60, "correlate": [{"triggerField": "x"}]},
            "$.nodes[0].data.correlate",
            "invalid_value",
        ),
        (
            {"event": "order.placed", "timeout": 60, "conditions": [{"field": "x", "operator": "nope"}]},
            "$.nodes[0].data.conditions[0].operator",
            "unknown_operator",
        ),
    ],
    ids=[
        "no-event",
        "no-timeout",
        "timeout-over-365-days",
        "zero-timeout",
        "bad-unit",
        "bad-correlate",
        "bad-condition",
    ],
)
def test_validation(data: dict[str, Any], path: str, code: str) -> None:
    d = cart_flow()
    d["nodes"][0]["data"] = data
    problems = [(p.path, p.code) for p in validate(d)]
    assert (path, code) in problems
    assert all(p.node_id == "w" for p in validate(d) if p.path.startswith("$.nodes[0]"))


def test_both_branches_need_an_edge() -> None:
    d = cart_flow()
    d["edges"] = d["edges"][:2]
    problems = [(p.path, p.code, p.node_id) for p in validate(d)]
    assert ("$.nodes[0]", "missing_branch", "w") in problems
    d["edges"].append({"source": "w", "target": "remind", "branch": "later"})
    assert "unknown_branch" in [p.code for p in validate(d)]
    assert [p.to_dict() for p in validate(cart_flow())] == []


def test_simulate_takes_received_or_timeout() -> None:
    flow = cart_flow()
    timed_out = simulate(
        flow, {"email": "a@b.c"}, [{"type": "cart.abandoned", "data": {"cartId": "A"}, "at": 0}]
    )
    assert timed_out.path == ["w", "remind"]
    assert timed_out.end_time == 2 * DAY
    received = simulate(
        flow,
        {"email": "a@b.c"},
        [
            {"type": "cart.abandoned", "data": {"cartId": "A"}, "at": 0},
            {"type": "order.placed", "data": {"cartId": "A", "orderId": "o-9"}, "at": 2_000},
        ],
    )
    assert received.path == ["w", "thanks"]
    [send] = [e for e in received.effects if isinstance(e, SendMessage)]
    assert send.params == {"orderId": "o-9"}


def test_an_awaited_or_exit_event_type_nobody_publishes_is_a_warning() -> None:
    d = cart_flow()
    d["settings"] = {"exitWhen": {"event": "contact.unsubscribed"}}
    found = [
        (p.path, p.code, p.severity, p.node_id) for p in validate(d, subscribed_types=["cart.abandoned"])
    ]
    assert ("$.nodes[0].data.event", "unsubscribed_event_type", "warning", "w") in found
    assert ("$.settings.exitWhen.event", "unsubscribed_event_type", "warning", None) in found
    assert validate(d, subscribed_types=["cart.*", "order.>", "contact.unsubscribed"]) == []
