"""Frequency caps across workflows: skip with its reason, wait until allowed, priority's reserved share,
the bounded send history, policy and node validation, simulate."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine import ContactState, EmitRunEvent, ScheduleTimer, SendMessage, simulate, validate
from streams.engine.caps import (
    MAX_SEND_HISTORY,
    FrequencyCap,
    check_caps,
    compile_caps,
    decide,
    trimmed_history,
)

from .helpers import DAY, HOUR, Harness, kinds, node, only, workflow

ONE_EMAIL_A_DAY = {"caps": [{"channel": "email", "limit": 1, "window": {"amount": 1, "unit": "days"}}]}


def mailer(workflow_id: str, *, mode: str | None = None, **settings: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"templateId": f"tpl-{workflow_id}"}
    if mode is not None:
        data["frequencyCap"] = mode
    return workflow([node("m", "send_email", **data)], workflow_id=workflow_id, settings=settings)


def harness(*definitions: dict[str, Any], policy: dict[str, Any] = ONE_EMAIL_A_DAY) -> Harness:
    h = Harness(*definitions)
    h.index.set_frequency_caps("t1", compile_caps(policy))
    return h


def steps(effects: list[Any]) -> dict[str, dict[str, Any]]:
    return {
        e.run["workflowId"]: e.step for e in effects if isinstance(e, EmitRunEvent) and e.step is not None
    }


def test_the_second_workflow_s_send_is_skipped_with_its_reason_and_the_run_goes_on() -> None:
    h = harness(mailer("wf1"), mailer("wf2"))
    effects = h.create()
    sent = [e for e in effects if isinstance(e, SendMessage)]
    assert [m.workflow_id for m in sent] == ["wf1"]
    skipped = steps(effects)["wf2"]
    assert skipped["status"] == "skipped"
    assert skipped["errorMessage"] == "frequency cap: 1 email per 1 day reached (1 sent)"
    assert skipped["output"]["allowedAt"] == h.now + DAY
    assert kinds(effects).count("run.completed") == 2
    assert h.state.sends == [["email", h.now]]


def test_without_a_policy_both_workflows_send() -> None:
    h = Harness(mailer("wf1"), mailer("wf2"))
    assert len([e for e in h.create() if isinstance(e, SendMessage)]) == 2


def test_other_channels_are_not_counted() -> None:
    sms = workflow([node("s", "send_sms", templateId="t")], workflow_id="wf2")
    h = harness(mailer("wf1"), sms)
    assert sorted(e.channel for e in h.create() if isinstance(e, SendMessage)) == ["email", "sms"]


def test_wait_holds_the_message_until_the_oldest_send_leaves_the_window() -> None:
    h = harness(mailer("wf1"), mailer("wf2", mode="wait"))
    effects = h.create()
    timer = only(effects, "schedule_timer")
    assert isinstance(timer, ScheduleTimer)
    assert (timer.timer_kind, timer.due_at) == ("frequency_cap", h.now + DAY)
    held = steps(effects)["wf2"]
    assert (held["status"], held["output"], held["scheduledAt"]) == (
        "pending",
        {"waitingFor": "frequency_cap"},  # run detail tells a cap's hold from a send window's
        h.now + DAY,
    )
    fired = h.fire(timer)
    assert [m.workflow_id for m in fired if isinstance(m, SendMessage)] == ["wf2"]
    assert steps(fired)["wf2"]["status"] == "completed"
    assert h.state.sends == [["email", h.now]]  # the first send left the window: trimmed


def test_a_wait_whose_slot_was_taken_meanwhile_waits_again_on_a_new_timer() -> None:
    h = harness(mailer("wf1"), mailer("wf2", mode="wait"))
    timer = only(h.create(), "schedule_timer")
    assert isinstance(timer, ScheduleTimer)
    h.now = timer.due_at
    taken = ContactState.from_dict({**h.state.to_dict(), "sends": [["email", h.now - 1]]})
    h.state = taken
    again = only(h.fire(timer), "schedule_timer")
    assert isinstance(again, ScheduleTimer)
    assert again.timer_kind == "frequency_cap"
    assert again.due_at == h.now - 1 + DAY
    assert again.timer_id != timer.timer_id
    sent = h.fire(again)
    assert [m.workflow_id for m in sent if isinstance(m, SendMessage)] == ["wf2"]
    assert all(e.run["status"] != "failed" for e in h.all_effects if isinstance(e, EmitRunEvent))


RESERVED = {
    "caps": [{"channel": "email", "limit": 2, "window": {"amount": 7, "unit": "days"}, "reserved": 1}]
}


@pytest.mark.parametrize(
    ("priority", "sent_before", "allowed"),
    [
        (0, 0, True),
        (0, 1, False),  # the second slot is reserved
        (5, 1, True),
        (5, 2, False),
    ],
)
def test_priority_may_use_the_reserved_share(priority: int, sent_before: int, allowed: bool) -> None:
    caps = compile_caps(RESERVED)
    history = [["email", 1000 + i] for i in range(sent_before)]
    held = decide(caps, history, "email", priority, 2000)
    assert (held is None) == allowed
    if held is not None and priority == 0:
        assert "1 reserved for priority" in held.reason


def test_a_priority_workflow_sends_where_a_normal_one_is_skipped() -> None:
    h = harness(mailer("wf1"), mailer("wf2"), mailer("wf3", priority=10), policy=RESERVED)
    sent = [e.workflow_id for e in h.create() if isinstance(e, SendMessage)]
    assert sent == ["wf1", "wf3"]


def test_decide_allows_again_when_enough_sends_left_the_window() -> None:
    cap = FrequencyCap("email", 3, 7 * DAY)
    history = [["email", 0], ["email", HOUR], ["email", 2 * HOUR]]
    held = decide([cap], history, "email", 0, 3 * HOUR)
    assert held is not None
    assert held.retry_at == 7 * DAY
    assert decide([cap], history, "email", 0, 7 * DAY) is None


def test_the_history_is_bounded_by_the_longest_window_and_a_count() -> None:
    caps = (FrequencyCap("email", 1, DAY), FrequencyCap("sms", 1, 2 * DAY))
    history = [["email", 0], ["sms", DAY], ["email", 2 * DAY]]
    assert trimmed_history(history, caps, 3 * DAY) == [["email", 2 * DAY]]
    many = [["push", i] for i in range(MAX_SEND_HISTORY + 50)]
    assert len(trimmed_history(many, caps, 100)) == MAX_SEND_HISTORY


def test_the_send_history_survives_the_state_record_and_old_records_read_empty() -> None:
    h = harness(mailer("wf1"))
    h.create()
    record = h.state.to_dict()
    assert ContactState.from_dict(record).sends == h.state.sends
    del record["sends"]
    assert ContactState.from_dict(record).sends == []


@pytest.mark.parametrize(
    ("policy", "path"),
    [
        ([], "$"),
        ({"caps": {}}, "$.caps"),
        ({"caps": [{"channel": "fax", "limit": 1, "window": 3600}]}, "$.caps[0].channel"),
        ({"caps": [{"channel": "email", "limit": 0, "window": 3600}]}, "$.caps[0].limit"),
        ({"caps": [{"channel": "email", "limit": 1, "window": 1}]}, "$.caps[0].window"),
        (
            {"caps": [{"channel": "email", "limit": 1, "window": {"amount": 91, "unit": "days"}}]},
            "$.caps[0].window",
        ),
        ({"caps": [{"channel": "email", "limit": 2, "window": 3600, "reserved": 2}]}, "$.caps[0].reserved"),
    ],
)
def test_policy_validation_names_the_path(policy: Any, path: str) -> None:
    assert [p.path for p in check_caps(policy)] == [path]


def test_a_valid_policy_has_no_problems() -> None:
    assert check_caps(RESERVED) == []
    assert compile_caps(RESERVED) == (FrequencyCap("email", 2, 7 * DAY, 1),)


@pytest.mark.parametrize(
    ("settings", "data", "path"),
    [
        ({"priority": -1}, {}, "$.settings.priority"),
        ({"priority": True}, {}, "$.settings.priority"),
        ({}, {"frequencyCap": "later"}, "$.nodes[0].data.frequencyCap"),
    ],
)
def test_workflow_validation(settings: dict[str, Any], data: dict[str, Any], path: str) -> None:
    definition = workflow([node("m", "send_email", templateId="t", **data)], settings=settings)
    assert path in [p.path for p in validate(definition) if p.severity == "error"]


def test_simulate_counts_the_simulated_sends_against_the_policy() -> None:
    definition = workflow([node("a", "send_email", templateId="t"), node("b", "send_email", templateId="t")])
    result = simulate(
        definition, {"email": "a@example.com"}, [{"type": "contact.created"}], frequency_caps=ONE_EMAIL_A_DAY
    )
    statuses = {
        e.step["nodeId"]: e.step["status"] for e in result.effects if isinstance(e, EmitRunEvent) and e.step
    }
    assert statuses == {"a": "completed", "b": "skipped"}
