"""Run detail's ``waitingFor`` read from the step records: the kind the engine recorded, and the node type
for steps recorded before it did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from api.runs.waiting import waiting_for

DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DUE_MS = int(DUE.timestamp() * 1000)


@dataclass
class Step:
    node_id: str
    node_type: str
    status: str
    input: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    scheduled_at: datetime | None = None


@pytest.mark.parametrize(
    ("step", "kind", "until"),
    [
        (Step("n", "delay", "pending", output={"waitingFor": "delay"}, scheduled_at=DUE), "delay", DUE),
        (
            Step("n", "send_email", "pending", output={"waitingFor": "send_window"}, scheduled_at=DUE),
            "send_window",
            DUE,
        ),
        (
            Step("n", "send_email", "pending", output={"waitingFor": "frequency_cap"}, scheduled_at=DUE),
            "frequency_cap",
            DUE,
        ),
        (
            Step("n", "webhook", "running", output={"waitingFor": "action_timeout", "timeoutAt": DUE_MS}),
            "action",
            DUE,
        ),
        (
            Step(
                "n",
                "run_workflow",
                "running",
                output={"waitingFor": "subworkflow", "timeoutAt": DUE_MS, "childRunId": "child-1"},
            ),
            "subworkflow",
            DUE,
        ),
        # Recorded before steps named their wait: read by the node type.
        (Step("n", "send_sms", "pending", scheduled_at=DUE), "send_window", DUE),
        (Step("n", "wait_until", "pending", scheduled_at=DUE), "wait_until", DUE),
        (Step("n", "webhook", "running"), "action", None),
    ],
)
def test_the_wait_is_the_one_the_engine_recorded(step: Step, kind: str, until: datetime | None) -> None:
    found = waiting_for("running", "n", [Step("a", "add_tag", "completed"), step])
    assert found is not None
    assert (found["kind"], found["node_id"], found["until"]) == (kind, "n", until)
    assert found["child_run_id"] == ("child-1" if kind == "subworkflow" else None)


def test_an_event_wait_names_its_event_and_an_ended_run_waits_for_nothing() -> None:
    step = Step(
        "w", "wait_for_event", "pending", {"event": "order.placed"}, {"waitingFor": "event_wait"}, DUE
    )
    found = waiting_for("running", "w", [step])
    assert found is not None
    assert (found["kind"], found["event_type"]) == ("event", "order.placed")
    assert waiting_for("completed", "w", [step]) is None
    assert waiting_for("running", "w", [Step("w", "wait_for_event", "completed")]) is None


def test_a_timeout_that_is_not_a_time_is_no_until() -> None:
    for bad in ("soon", True, -5, 10**20):
        step = Step("n", "webhook", "running", output={"waitingFor": "action_timeout", "timeoutAt": bad})
        found = waiting_for("running", "n", [step])
        assert found is not None
        assert found["until"] is None
