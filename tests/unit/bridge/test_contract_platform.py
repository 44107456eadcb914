"""The bridge publishes the engine's effects in the platform envelope: the engine's own records, made by the
engine, transformed by ``bridge.platform``, checked field by field and against ``docs/asyncapi.yaml``."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from bridge.platform import UnpublishableRecordError, to_platform
from streams.engine import event_types as et
from streams.engine.effects import Effect
from tests.asyncapi_contract import errors, load, sent_subjects, shape_problems
from tests.unit.engine.helpers import CONTACT, T0, TENANT, Harness, node, run_id, workflow
from workflows.wire import format_instant

PRODUCED = T0 + 5  # the Kafka timestamp of the record: occurredAt of commands
ENVELOPE_KEYS = {"id", "type", "tenantId", "contactId", "occurredAt", "data"}
INTERNALS = {"kind", "subject", "tenantId", "contactId", "eventType", "run", "step", "workflowVersion", "seq"}


def publish(effect: Effect) -> dict[str, Any] | None:
    assert effect.route == "nats"
    assert effect.subject
    body = to_platform(
        orjson.dumps(effect.to_dict()),
        subject=effect.subject,
        message_id=effect.idempotency_key,
        produced_at_ms=PRODUCED,
    )
    return None if body is None else orjson.loads(body)


def published(effects: list[Effect]) -> list[dict[str, Any]]:
    out = [publish(e) for e in effects if e.route == "nats"]
    return [m for m in out if m is not None]


def every_subject() -> list[dict[str, Any]]:
    """Messages of every outbound subject, from the engine itself."""
    goal = {"id": "g1", "name": "Bought", "event": "order.placed"}
    chain = workflow(
        [
            node("mail", "send_email", templateId="t-welcome", fromName="Acme", subject="{{contact.email}}"),
            node("set", "update_contact", attributes={"plan": "pro"}),
            node("tag", "add_tag", tag="vip"),
            node("untag", "remove_tag", tag="trial"),
            node("join", "add_to_segment", segmentId="s-vip"),
            node("leave", "remove_from_segment", segmentId="s-trial"),
            node("wait", "delay", duration=1, unit="minutes"),
        ],
        goals=[goal],
    )
    hook = workflow(
        [node("h", "webhook", url="https://x.example.com")],
        trigger={"type": "event", "event": "signup"},
        workflow_id="wf-hook",
    )
    capped = workflow(
        [node("d", "delay", duration=1, unit="days")],
        trigger={"type": "event", "event": "ping"},
        settings={"maxActiveRunsPerContact": 1},
        workflow_id="wf-cap",
    )
    done = workflow([node("end", "end")], trigger={"type": "event", "event": "signup"}, workflow_id="wf-done")
    leaving = workflow(
        [node("d", "delay", duration=1, unit="days")],
        trigger={"type": "event", "event": "visit"},
        settings={"exitWhen": {"event": "unsubscribed"}},
        workflow_id="wf-exit",
    )
    h = Harness(chain, hook, capped, done, leaving)
    out = published(h.create(email="ada@example.com"))
    out += published(h.apply("order.placed", {}))  # goal: the chain's run ends
    out += published(h.apply("signup", {}, event_id="signup"))
    hook_run = run_id("signup", "wf-hook")
    out += published(
        h.apply(
            et.ACTION_FAILED,
            {"runId": hook_run, "nodeId": "h", "idempotencyKey": f"{hook_run}:h:1", "error": "HTTP 500"},
        )
    )
    out += published(h.apply("ping", {}, event_id="ping-1"))
    out += published(h.apply("ping", {}, event_id="ping-2"))  # capped
    out += published(h.apply(et.RUN_CANCEL_REQUESTED, {"runId": run_id("ping-1", "wf-cap")}))
    out += published(h.apply("visit", {}, event_id="visit-1"))
    out += published(h.apply("unsubscribed", {}))  # exit criteria: the run ends as exited
    out += published(h.apply(et.CONTACT_ERASE_REQUESTED, {}, event_id="erase-1"))
    return out


def test_the_document_is_asyncapi_3() -> None:
    assert shape_problems(load()) == []


def test_every_outbound_subject_is_published_and_conforms() -> None:
    messages = every_subject()
    assert {m["type"] for m in messages} == sent_subjects(load())
    for m in messages:
        assert set(m) == ENVELOPE_KEYS
        assert not INTERNALS & set(m["data"]), m
        assert errors(m["type"], m) == [], m


def test_envelope_fields() -> None:
    h = Harness(workflow([node("mail", "send_email", templateId="t1", fromName="Acme")]))
    effects = h.create(email="ada@example.com")
    send = next(e for e in effects if e.subject == et.MESSAGE_SEND)
    m = publish(send)
    assert m is not None
    rid = run_id("created")
    assert m["id"] == send.idempotency_key == f"{rid}:mail:1"
    assert (m["type"], m["tenantId"], m["contactId"]) == (et.MESSAGE_SEND, TENANT, CONTACT)
    assert m["occurredAt"] == format_instant(PRODUCED) == "2026-01-01T00:00:00.005Z"
    assert m["data"] == {
        "runId": rid,
        "nodeId": "mail",
        "idempotencyKey": f"{rid}:mail:1",
        "fromName": "Acme",
        "workflowId": "wf1",
        "channel": "email",
        "templateId": "t1",
        "params": {},
    }
    started = publish(next(e for e in effects if e.subject == et.RUN_STARTED))
    assert started is not None
    assert started["occurredAt"] == "2026-01-01T00:00:00.000Z"  # the engine's time, not the record's
    assert started["data"]["startedAt"] == "2026-01-01T00:00:00.000Z"
    assert started["data"]["triggerType"] == "event"
    assert started["data"]["version"] == 1
    assert started["data"]["runId"] == rid


def test_node_executed_only_when_completed_or_failed() -> None:
    h = Harness(workflow([node("wait", "delay", duration=1, unit="minutes"), node("end", "end")]))
    effects = h.create()
    steps = [e for e in effects if e.subject == et.NODE_EXECUTED]
    assert [e.step["status"] for e in steps] == ["pending"]  # type: ignore[union-attr]
    assert publish(steps[0]) is None  # the read model has it; the platform does not
    timer = next(e for e in effects if e.kind == "schedule_timer")
    h.now = T0 + 61_000
    resumed = [m for m in published(h.fire(timer)) if m["type"] == et.NODE_EXECUTED]
    assert [(m["data"]["nodeId"], m["data"]["status"]) for m in resumed] == [
        ("wait", "completed"),
        ("end", "completed"),
    ]
    wait = resumed[0]["data"]
    assert wait["startedAt"] == "2026-01-01T00:00:00.000Z"
    assert wait["completedAt"] == "2026-01-01T00:01:01.000Z"
    assert wait["durationMs"] == 61_000


def test_goal_reached_names_the_goal() -> None:
    goal = {"id": "g1", "name": "Bought", "event": "order.placed"}
    h = Harness(workflow([node("wait", "delay", duration=1, unit="days")], goals=[goal]))
    h.create()
    (reached,) = [m for m in published(h.apply("order.placed", {})) if m["type"] == et.RUN_GOAL_REACHED]
    assert (reached["data"]["goalId"], reached["data"]["goalName"]) == ("g1", "Bought")
    assert reached["data"]["status"] == "goal_reached"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1]", "not a JSON object"),
        (b'{"n": 1, "contactId": "c"}', "tenantId"),
        (b'{"kind": "run_event", "tenantId": "t", "contactId": "c"}', "run fields"),
    ],
)
def test_a_record_that_is_no_effect_is_unpublishable(value: bytes, reason: str) -> None:
    with pytest.raises(UnpublishableRecordError, match=reason):
        to_platform(value, subject="workflow.run.started", message_id="k", produced_at_ms=PRODUCED)


def test_format_instant_is_exact_to_the_millisecond() -> None:
    assert format_instant(1_772_881_200_123) == "2026-03-07T11:00:00.123Z"
    assert format_instant(0) == "1970-01-01T00:00:00.000Z"
