"""Sub-workflows through NATS and the API: a parent waits for the child it started (run_workflow with
wait), takes ``completed`` when the child ends, and sends an email after; the child got the parent's
variables."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import chain, contact, node, of

pytestmark = pytest.mark.integration


def _child() -> dict[str, Any]:
    """Waits a second, then mails the plan it was given. Its own trigger is not what starts it here."""
    return {
        "name": "Plan welcome (sub-workflow)",
        "trigger": {"type": "event", "event": "plan.welcome.requested"},
        "nodes": [
            node("pause", "delay", duration=1, unit="seconds"),
            node("mail", "send_email", templateId="tpl-plan-welcome", plan="{{ variables.plan }}"),
        ],
        "edges": chain("pause", "mail"),
    }


def _parent(child_id: str) -> dict[str, Any]:
    return {
        "name": "Onboarding with a sub-workflow",
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": [
            node(
                "sub",
                "run_workflow",
                workflowId=child_id,
                wait=True,
                variables={"plan": "{{ attributes.plan }}"},
            ),
            node("after", "send_email", templateId="tpl-after-sub"),
            node("goal", "end"),
            node("failed", "end"),
        ],
        "edges": [
            {"source": "trigger", "target": "sub"},
            {"source": "sub", "target": "after", "branch": "completed"},
            {"source": "sub", "target": "goal", "branch": "goal_reached"},
            {"source": "sub", "target": "failed", "branch": "failed"},
        ],
    }


async def test_the_parent_waits_for_its_child_then_takes_completed_and_sends_after(
    api: Api, nats_io: Observer
) -> None:
    child = api.create_active(_child())
    parent = api.create_active(_parent(child["id"]))
    someone = contact()
    await nats_io.publish(
        "contact.created",
        api.tenant,
        someone,
        {"contact": {"email": "s@b.test", "attributes": {"plan": "pro"}}},
    )
    seen = await nats_io.wait_for(
        lambda ms: len(of(ms, "workflow.run.completed", contactId=someone)) == 2,
        what="the child's run and then the parent's completed",
    )
    sends = of(seen, "pipeline.message.send", contactId=someone)
    assert [s["templateId"] for s in sends] == ["tpl-plan-welcome", "tpl-after-sub"]  # the parent waited
    assert [m["workflowId"] for m in of(seen, "workflow.run.completed", contactId=someone)] == [
        child["id"],
        parent["id"],
    ]

    [parent_run] = api.wait_runs(parent["id"], count=1, status="completed")
    [child_run] = api.wait_runs(child["id"], count=1, status="completed")
    detail = api.call("GET", f"/{parent['id']}/runs/{parent_run['id']}")
    sub = [s for s in detail["steps"] if s["nodeId"] == "sub" and s["status"] == "completed"]
    assert [(s["output"]["branch"], s["output"]["childRunId"]) for s in sub] == [
        ("completed", child_run["id"])
    ]
    assert [s["nodeId"] for s in detail["steps"] if s["status"] == "completed"] == ["sub", "after"]
    child_detail = api.call("GET", f"/{child['id']}/runs/{child_run['id']}")
    assert child_detail["triggerEvent"]["type"] == "workflow.run_workflow"
    mail = next(s for s in child_detail["steps"] if s["nodeId"] == "mail")
    assert mail["input"]["params"] == {"plan": "pro"}  # the parent's variables reached the child
    assert sends[0]["params"] == {"plan": "pro"}
