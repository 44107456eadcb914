"""Re-entry caps: settings.maxActiveRunsPerContact per workflow (default 10) and MAX_ACTIVE_RUNS per contact.

A capped enrolment starts nothing (no started-then-failed run): it emits one EnrolmentSkipped."""

from __future__ import annotations

from typing import Any

from streams.engine import EnrolmentSkipped, compile_definition
from streams.engine.ids import run_id_for
from streams.engine.limits import DEFAULT_MAX_ACTIVE_RUNS_PER_CONTACT, MAX_ACTIVE_RUNS

from .helpers import CONTACT, TENANT, Harness, kinds, node, only, workflow


def waiting(workflow_id: str, **settings: Any) -> dict[str, Any]:
    """A workflow whose runs wait a day: every ping leaves one more active run."""
    return workflow(
        [node("d", "delay", duration=1, unit="days")],
        trigger={"type": "event", "event": "ping"},
        settings=settings,
        workflow_id=workflow_id,
    )


def test_default_cap_is_ten_active_runs_of_one_workflow() -> None:
    assert (
        compile_definition(waiting("wf1")).plan.max_active_runs == DEFAULT_MAX_ACTIVE_RUNS_PER_CONTACT == 10
    )
    h = Harness(waiting("wf1"))
    for _ in range(10):
        assert kinds(h.apply("ping"))[0] == "run.started"
    effects = h.apply("ping", event_id="eleventh")
    assert kinds(effects) == ["enrolment_skipped"]  # nothing started, nothing failed
    assert len(h.state.runs) == 10
    skipped = only(effects, "enrolment_skipped")
    assert isinstance(skipped, EnrolmentSkipped)
    would_be = run_id_for(TENANT, "wf1", CONTACT, "eleventh")
    assert skipped.subject == "workflow.run.enrolment_skipped"
    assert skipped.to_dict() == {
        "kind": "enrolment_skipped",
        "subject": "workflow.run.enrolment_skipped",
        "tenantId": TENANT,
        "contactId": CONTACT,
        "runId": would_be,
        "nodeId": None,
        "idempotencyKey": f"{would_be}:run.enrolment_skipped",
        "workflowId": "wf1",
        "version": 1,
        "reason": "workflow_active_runs_limit",
        "limit": 10,
        "activeRuns": 10,
        "occurredAt": h.now,
        "triggerEvent": {"id": "eleventh", "type": "ping"},
    }


def test_the_workflow_setting_sets_its_own_cap() -> None:
    h = Harness(waiting("wf1", maxActiveRunsPerContact=2))
    assert [kinds(h.apply("ping"))[0] for _ in range(3)] == [
        "run.started",
        "run.started",
        "enrolment_skipped",
    ]


def test_a_full_workflow_does_not_block_the_others() -> None:
    # Two busy workflows with long delays for one contact; a third still starts.
    h = Harness(
        waiting("wf-a", maxActiveRunsPerContact=3),
        waiting("wf-b", maxActiveRunsPerContact=3),
        workflow(
            [node("hi", "send_email", templateId="t")],
            trigger={"type": "event", "event": "signup"},
            workflow_id="wf-c",
        ),
    )
    for _ in range(5):
        h.apply("ping")
    assert len(h.state.runs) == 6
    assert kinds(h.apply("signup")) == ["run.started", "send_message", "hi:completed", "run.completed"]


def test_more_active_runs_than_the_old_shared_64_still_start() -> None:
    definitions = [waiting(f"wf-{i}") for i in range(7)]
    h = Harness(*definitions, workflow([node("hi", "end")], trigger={"type": "event", "event": "go"}))
    for _ in range(10):
        h.apply("ping")
    assert len(h.state.runs) == 70
    assert kinds(h.apply("go"))[0] == "run.started"


def test_a_finished_run_frees_its_place() -> None:
    h = Harness(waiting("wf1", maxActiveRunsPerContact=1))
    timer = only(h.apply("ping"), "schedule_timer")
    assert kinds(h.apply("ping")) == ["enrolment_skipped"]
    h.fire(timer)
    assert not h.state.runs
    assert kinds(h.apply("ping"))[0] == "run.started"


def test_the_contact_cap_bounds_all_workflows_together() -> None:
    assert MAX_ACTIVE_RUNS == 500
    h = Harness(
        waiting("wf-big", maxActiveRunsPerContact=MAX_ACTIVE_RUNS),
        workflow([node("hi", "end")], trigger={"type": "event", "event": "go"}, workflow_id="wf-other"),
    )
    for _ in range(MAX_ACTIVE_RUNS):
        h.apply("ping")
    assert len(h.state.runs) == MAX_ACTIVE_RUNS
    effects = h.apply("go")
    assert kinds(effects) == ["enrolment_skipped"]
    skipped = only(effects, "enrolment_skipped")
    assert isinstance(skipped, EnrolmentSkipped)
    assert (skipped.workflow_id, skipped.reason, skipped.limit, skipped.active_runs) == (
        "wf-other",
        "contact_active_runs_limit",
        MAX_ACTIVE_RUNS,
        MAX_ACTIVE_RUNS,
    )


def test_a_skipped_enrolment_leaves_no_trace_in_the_state() -> None:
    h = Harness(waiting("wf1", maxActiveRunsPerContact=1, reEntry="always"))
    h.apply("ping")
    before = h.state
    h.apply("ping", event_id="capped")
    assert h.state.runs == before.runs
    assert h.state.finished == before.finished
    assert "capped" in h.state.applied
    assert h.apply("ping", event_id="capped") == []  # a redelivery is a no-op, not a second skip
