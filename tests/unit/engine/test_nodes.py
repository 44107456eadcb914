"""One table row (or test) per node type: the effects it emits and where the run goes next."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine import EmitRunEvent, ScheduleTimer
from streams.engine.nodes import HANDLERS, NODE_TYPES
from streams.engine.nodes.branching import split_bucket

from .helpers import DAY, HOUR, T0, Harness, kinds, node, only, run_id, run_status, workflow

ACTIONS: list[tuple[dict[str, Any], str, str, dict[str, Any]]] = [
    (
        node("a", "send_email", templateId="t-1", fromName="Acme", fromEmail="hi@acme.com", subject="Hi"),
        "send_message",
        "pipeline.message.send",
        {
            "channel": "email",
            "templateId": "t-1",
            "fromName": "Acme",
            "fromEmail": "hi@acme.com",
            "params": {"subject": "Hi"},
        },
    ),
    (
        node("a", "send_sms", templateId="t-2"),
        "send_message",
        "pipeline.message.send",
        {"channel": "sms", "templateId": "t-2"},
    ),
    (
        node("a", "send_whatsapp", templateId="t-3"),
        "send_message",
        "pipeline.message.send",
        {"channel": "whatsapp"},
    ),
    (node("a", "send_push", templateId="t-4"), "send_message", "pipeline.message.send", {"channel": "push"}),
    (
        node(
            "a",
            "update_contact",
            attributes={"plan": "pro"},
            updates={"attributes.score": 5, "firstName": "Ada"},
        ),
        "update_contact",
        "contact.command.update",
        {"attributes": {"plan": "pro", "score": 5}, "fields": {"firstName": "Ada"}},
    ),
    (node("a", "add_tag", tag="vip"), "add_tag", "contact.command.add_tag", {"tag": "vip"}),
    (node("a", "remove_tag", tag="lead"), "remove_tag", "contact.command.remove_tag", {"tag": "lead"}),
    (
        node("a", "add_to_segment", segmentId="s-9"),
        "add_to_segment",
        "segment.command.add_member",
        {"segmentId": "s-9"},
    ),
    (
        node("a", "remove_from_segment", segmentId="s-9"),
        "remove_from_segment",
        "segment.command.remove_member",
        {"segmentId": "s-9"},
    ),
]


def test_every_node_type_has_a_handler() -> None:
    assert set(HANDLERS) == set(NODE_TYPES)


@pytest.mark.parametrize(("n", "kind", "subject", "fields"), ACTIONS, ids=[a[0]["type"] for a in ACTIONS])
def test_action_node(n: dict[str, Any], kind: str, subject: str, fields: dict[str, Any]) -> None:
    h = Harness(workflow([n]))
    effects = h.create(email="a@b.c", tags=["lead"])
    assert kinds(effects) == ["run.started", kind, "a:completed", "run.completed"]
    effect = only(effects, kind)
    d = effect.to_dict()
    assert effect.subject == subject
    assert d["subject"] == subject
    rid = run_id("created")
    assert d["runId"] == rid
    assert d["nodeId"] == "a"
    assert d["idempotencyKey"] == f"{rid}:a:1"
    assert d["tenantId"] == "t1"
    assert d["contactId"] == "c1"
    for key, value in fields.items():
        assert d[key] == value
    assert not h.state.runs
    assert h.state.finished["wf1"].status == "completed"


def test_profile_snapshot_follows_contact_nodes() -> None:
    h = Harness(
        workflow(
            [
                node("u", "update_contact", attributes={"plan": "{{event.data.plan}}"}),
                node("t", "add_tag", tag="vip"),
                node("r", "remove_tag", tag="lead"),
            ]
        )
    )
    h.apply(
        "contact.created",
        {"contact": {"tags": ["lead"], "attributes": {"plan": "free"}}, "plan": "pro"},
        event_id="created",
    )
    assert h.state.profile["attributes"]["plan"] == "pro"
    assert h.state.profile["tags"] == ["vip"]


def test_delay_waits_then_continues() -> None:
    h = Harness(
        workflow([node("d", "delay", duration=2, unit="hours"), node("s", "send_sms", templateId="t")])
    )
    effects = h.create()
    assert kinds(effects) == ["run.started", "schedule_timer", "d:pending"]
    timer = only(effects, "schedule_timer")
    assert isinstance(timer, ScheduleTimer)
    assert timer.due_at == T0 + 2 * HOUR
    assert timer.timer_kind == "delay"
    pending = effects[-1]
    assert isinstance(pending, EmitRunEvent)
    assert pending.step is not None
    assert pending.step["scheduledAt"] == T0 + 2 * HOUR
    run = h.state.runs[run_id("created")]
    assert run.wait_timer_id == timer.timer_id
    assert run.current_node_id == "d"
    resumed = h.fire(timer)
    assert kinds(resumed) == ["d:completed", "send_message", "s:completed", "run.completed"]


@pytest.mark.parametrize(
    ("unit", "ms"),
    [("seconds", 1000), ("minutes", 60_000), ("hours", HOUR), ("days", DAY), ("weeks", 7 * DAY)],
)
def test_delay_units(unit: str, ms: int) -> None:
    h = Harness(workflow([node("d", "delay", duration=3, unit=unit)]))
    assert only(h.create(), "schedule_timer").due_at == T0 + 3 * ms  # type: ignore[union-attr]


def test_zero_delay_continues_at_once() -> None:
    h = Harness(workflow([node("d", "delay", duration=0, unit="seconds")]))
    assert kinds(h.create()) == ["run.started", "d:completed", "run.completed"]


@pytest.mark.parametrize(
    ("data", "due"),
    [
        ({"until": "2026-01-05T10:00:00Z"}, T0 + 4 * DAY + 10 * HOUR),
        ({"until": T0 + 5000}, T0 + 5000),
        ({"attribute": "attributes.renewal", "offset": {"amount": -1, "unit": "days"}}, T0 + 9 * DAY),
        ({"attribute": "attributes.renewal"}, T0 + 10 * DAY),
    ],
)
def test_wait_until(data: dict[str, Any], due: int) -> None:
    h = Harness(workflow([node("w", "wait_until", **data), node("e", "end")]))
    effects = h.create(attributes={"renewal": "2026-01-11T00:00:00Z"})
    timer = only(effects, "schedule_timer")
    assert timer.due_at == due
    assert timer.timer_kind == "wait_until"
    assert run_status(h.fire(timer)) == "completed"


def test_wait_until_in_the_past_continues() -> None:
    h = Harness(workflow([node("w", "wait_until", until="2020-01-01T00:00:00Z")]))
    assert kinds(h.create()) == ["run.started", "w:completed", "run.completed"]


def test_wait_until_missing_attribute_fails_the_run() -> None:
    h = Harness(workflow([node("w", "wait_until", attribute="attributes.renewal")]))
    effects = h.create()
    assert kinds(effects) == ["run.started", "w:failed", "run.failed"]
    assert "renewal" in effects[-1].run["errorMessage"]  # type: ignore[union-attr]


CONDITION_EDGES = [
    {"source": "trigger", "target": "c"},
    {"source": "c", "target": "yes", "branch": "true"},
    {"source": "c", "target": "no", "branch": "false"},
]


@pytest.mark.parametrize(("plan", "branch"), [("pro", "yes"), ("free", "no")])
def test_condition(plan: str, branch: str) -> None:
    nodes = [
        node(
            "c", "condition", conditions=[{"field": "attributes.plan", "operator": "equals", "value": "pro"}]
        ),
        node("yes", "end"),
        node("no", "end"),
    ]
    h = Harness(workflow(nodes, CONDITION_EDGES))
    effects = h.create(attributes={"plan": plan})
    assert kinds(effects) == ["run.started", "c:completed", f"{branch}:completed", "run.completed"]


def test_condition_without_edges_ends_the_run() -> None:
    h = Harness(workflow([node("c", "condition", conditions=[{"field": "x", "operator": "exists"}])]))
    assert run_status(h.create()) == "completed"


SWITCH_EDGES = [
    {"source": "trigger", "target": "sw"},
    {"source": "sw", "target": "p", "branch": "pro"},
    {"source": "sw", "target": "t", "branch": "team-case"},
    {"source": "sw", "target": "d", "branch": "default"},
]


@pytest.mark.parametrize(
    ("plan", "target"), [("pro", "p"), ("team", "t"), ("free", "d"), (None, "d"), ("enterprise", None)]
)
def test_switch(plan: str | None, target: str | None) -> None:
    cases = [{"value": "pro"}, {"id": "team-case", "value": "team"}, {"value": "enterprise"}]
    nodes = [
        node("sw", "switch", field="attributes.plan", cases=cases),
        node("p", "end"),
        node("t", "end"),
        node("d", "end"),
    ]
    h = Harness(workflow(nodes, SWITCH_EDGES))
    effects = h.create(attributes={"plan": plan} if plan else {})
    expected = (
        ["run.started", "sw:completed"] + ([f"{target}:completed"] if target else []) + ["run.completed"]
    )
    assert kinds(effects) == expected


def test_split_is_stable_and_roughly_proportional() -> None:
    nodes = [
        node("sp", "split", variants=[{"id": "A", "percentage": 20}, {"id": "B", "percentage": 80}]),
        node("a", "end"),
        node("b", "end"),
    ]
    edges = [
        {"source": "trigger", "target": "sp"},
        {"source": "sp", "target": "a", "branch": "A"},
        {"source": "sp", "target": "b", "branch": "B"},
    ]
    chosen = []
    for i in range(400):
        h = Harness(workflow(nodes, edges))
        effects = h.apply("contact.created", {"contact": {}}, event_id=f"ev{i}")
        first = kinds(effects)[2]
        again = kinds(
            Harness(workflow(nodes, edges)).apply("contact.created", {"contact": {}}, event_id=f"ev{i}")
        )[2]
        assert first == again  # replay picks the same branch
        chosen.append(first)
        bucket = split_bucket(run_id(f"ev{i}"), "sp")
        assert (first == "a:completed") == (bucket < 2000)
    share_a = chosen.count("a:completed") / len(chosen)
    assert 0.13 < share_a < 0.27


def test_end_node() -> None:
    h = Harness(workflow([node("e", "end"), node("never", "send_sms", templateId="x")]))
    assert kinds(h.create()) == ["run.started", "e:completed", "run.completed"]


HTTP_NODES = [
    node(
        "h",
        "webhook",
        url="https://hooks.example.com/{{attributes.plan}}",
        method="post",
        headers={"X-Id": "{{email}}"},
        body={"plan": "{{attributes.plan}}", "n": "{{attributes.n}}"},
        timeoutMs=5000,
    ),
    node("h", "slack", webhookUrl="https://hooks.slack.com/x", message="New signup {{email}}"),
]


@pytest.mark.parametrize("http_node", HTTP_NODES, ids=["webhook", "slack"])
def test_http_action_waits_for_completion(http_node: dict[str, Any]) -> None:
    h = Harness(workflow([http_node, node("after", "add_tag", tag="done")]))
    effects = h.create(email="a@b.c", attributes={"plan": "pro", "n": 3})
    assert kinds(effects)[1:] == [
        (http_node["type"] == "webhook" and "call_webhook") or "send_slack",
        "schedule_timer",
        "h:running",
    ]
    call = effects[1]
    d = call.to_dict()
    assert call.route == "executor"
    assert call.subject is None
    if http_node["type"] == "webhook":
        assert d["url"] == "https://hooks.example.com/pro"
        assert d["method"] == "POST"
        assert d["headers"] == {"X-Id": "a@b.c"}
        assert d["body"] == {"plan": "pro", "n": 3}
        assert d["timeoutMs"] == 5000
    else:
        assert d["message"] == "New signup a@b.c"
        assert d["webhookUrl"] == "https://hooks.slack.com/x"
    timer = only(effects, "schedule_timer")
    assert timer.timer_kind == "action_timeout"  # type: ignore[union-attr]
    rid = run_id("created")
    done = h.apply(
        "workflow.action.completed",
        {"runId": rid, "nodeId": "h", "idempotencyKey": f"{rid}:h:1", "output": {"status": 200}},
    )
    assert kinds(done) == ["cancel_timer", "h:completed", "add_tag", "after:completed", "run.completed"]
    assert h.state.finished["wf1"].status == "completed"


def test_http_action_failure_fails_the_run() -> None:
    h = Harness(workflow([node("h", "webhook", url="https://x.example.com")]))
    h.create()
    rid = run_id("created")
    failed = h.apply(
        "workflow.action.failed",
        {"runId": rid, "nodeId": "h", "idempotencyKey": f"{rid}:h:1", "error": {"message": "HTTP 500"}},
    )
    assert kinds(failed) == ["cancel_timer", "h:failed", "run.failed"]
    assert "HTTP 500" in failed[-1].run["errorMessage"]  # type: ignore[union-attr]


def test_http_action_failure_with_continue_on_error() -> None:
    h = Harness(
        workflow(
            [
                node("h", "webhook", url="https://x.example.com", continueOnError=True),
                node("n", "add_tag", tag="t"),
            ]
        )
    )
    h.create()
    rid = run_id("created")
    failed = h.apply(
        "workflow.action.failed",
        {"runId": rid, "nodeId": "h", "idempotencyKey": f"{rid}:h:1", "error": "boom"},
    )
    assert kinds(failed) == ["cancel_timer", "h:failed", "add_tag", "n:completed", "run.completed"]


def test_http_action_timeout() -> None:
    h = Harness(workflow([node("h", "webhook", url="https://x.example.com", actionTimeoutMs=60_000)]))
    timer = only(h.create(), "schedule_timer")
    assert timer.due_at == T0 + 60_000  # type: ignore[union-attr]
    timed_out = h.fire(timer)
    assert kinds(timed_out) == ["h:failed", "run.failed"]
    assert "timed out" in timed_out[-1].run["errorMessage"]  # type: ignore[union-attr]
    rid = run_id("created")
    late = h.apply("workflow.action.completed", {"runId": rid, "nodeId": "h", "idempotencyKey": f"{rid}:h:1"})
    assert late == []


def test_action_result_for_another_key_is_ignored() -> None:
    h = Harness(workflow([node("h", "webhook", url="https://x.example.com")]))
    h.create()
    rid = run_id("created")
    assert h.apply("workflow.action.completed", {"runId": rid, "idempotencyKey": f"{rid}:h:7"}) == []
    assert h.apply("workflow.action.completed", {"runId": "nope", "idempotencyKey": f"{rid}:h:1"}) == []


def test_a_send_records_the_contacts_zone_when_the_profile_has_one() -> None:
    mail = workflow([node("m", "send_email", templateId="t")])

    def send_output(**profile: Any) -> dict[str, Any]:
        [record] = [e.step for e in Harness(mail).create(**profile) if isinstance(e, EmitRunEvent) and e.step]
        return dict(record["output"])

    zoned = send_output(email="a@b.test", timezone="Pacific/Auckland")
    assert zoned == {"channel": "email", "templateId": "t", "contactTimezone": "Pacific/Auckland"}
    assert "contactTimezone" not in send_output(email="a@b.test")  # none known: analytics use the workflow's
