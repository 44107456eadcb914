"""Backfill replay: an old event offered to one newly activated workflow."""

from __future__ import annotations

from typing import Any

from streams.engine import EmitRunEvent

from .helpers import CONTACT, T0, TENANT, Harness, kinds, node, run_id, workflow


def _original(
    event_id: str = "old-1", kind: str = "contact.created", data: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": kind,
        "tenantId": TENANT,
        "contactId": CONTACT,
        "occurredAt": "2025-12-01T10:00:00Z",
        "data": data if data is not None else {"contact": {"source": "website_signup"}},
    }


def _replay(h: Harness, workflow_id: str, original: dict[str, Any], *, event_id: str) -> list[Any]:
    return h.apply(
        "workflow.trigger.replay", {"workflowId": workflow_id, "event": original}, event_id=event_id
    )


def _two_workflows() -> Harness:
    cond = [{"field": "source", "operator": "equals", "value": "website_signup"}]
    new = workflow([node("n1", "send_email", templateId="tpl")], workflow_id="wf-new")
    new["trigger"] = {"type": "event", "event": "contact.created", "conditions": cond}
    other = workflow([node("n1", "add_tag", tag="x")], workflow_id="wf-other")
    return Harness(new, other, profile={"source": "website_signup"})


def test_replay_starts_only_the_named_workflow_with_the_original_run_id() -> None:
    h = _two_workflows()
    effects = _replay(h, "wf-new", _original(), event_id="replay:wf-new:old-1")
    started = [e for e in effects if isinstance(e, EmitRunEvent) and e.event_type == "workflow.run.started"]
    assert [e.run_id for e in started] == [run_id("old-1", "wf-new")]
    assert started[0].run["triggerEvent"]["replayed"] is True
    assert "send_message" in kinds(effects)
    assert "add_tag" not in kinds(effects)  # the other workflow is not offered the event


def test_replaying_twice_enrols_nobody_twice() -> None:
    h = _two_workflows()
    first = _replay(h, "wf-new", _original(), event_id="replay:wf-new:old-1")
    assert first
    # Same replay event id: deduped by the applied window.
    assert _replay(h, "wf-new", _original(), event_id="replay:wf-new:old-1") == []
    # A different replay id for the same original event: the derived run id already finished here.
    assert _replay(h, "wf-new", _original(), event_id="replay-again:wf-new:old-1") == []


def test_replay_changes_no_profile_and_checks_trigger_conditions_on_the_current_profile() -> None:
    h = _two_workflows()
    h.state.profile["source"] = "import"
    effects = _replay(h, "wf-new", _original(), event_id="r1")
    assert effects == []
    assert h.state.profile["source"] == "import"  # the old contact.created did not overwrite the profile


def test_malformed_or_foreign_replays_start_nothing() -> None:
    h = _two_workflows()
    foreign = {**_original(), "contactId": "someone-else"}
    internal = _original(kind="workflow.timer.fired", data={})
    assert _replay(h, "wf-new", foreign, event_id="r1") == []
    assert _replay(h, "wf-new", internal, event_id="r2") == []
    assert h.apply("workflow.trigger.replay", {"workflowId": "wf-new", "event": "nope"}, event_id="r3") == []
    assert h.now == T0
