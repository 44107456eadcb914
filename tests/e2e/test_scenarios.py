"""The spec's three scenarios through NATS and the API only, with every process its own OS process."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import chain, node, of

pytestmark = pytest.mark.integration


async def test_scenario_1_event_trigger_with_conditions_runs_to_completion(
    api: Api, nats_io: Observer
) -> None:
    wf = api.create_active(
        {
            "name": "New User Onboarding",
            "trigger": {
                "type": "event",
                "event": "contact.created",
                "conditions": [{"field": "source", "operator": "equals", "value": "website_signup"}],
            },
            "nodes": [
                node(
                    "node-1",
                    "send_email",
                    templateId="tpl-welcome",
                    fromName="Acme",
                    fromEmail="hi@acme.test",
                ),
                node("node-2", "add_tag", tag="onboarded"),
                node("node-3", "end"),
            ],
            "edges": chain("node-1", "node-2", "node-3"),
        }
    )
    signup, imported = f"c-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
    await nats_io.publish("contact.created", api.tenant, signup, {"contact": {"source": "website_signup"}})
    await nats_io.publish("contact.created", api.tenant, imported, {"contact": {"source": "import"}})

    seen = await nats_io.wait_for(
        lambda ms: of(ms, "workflow.run.completed", contactId=signup), what="run completed"
    )
    sends = of(seen, "pipeline.message.send", contactId=signup)
    assert [(s["channel"], s["templateId"]) for s in sends] == [("email", "tpl-welcome")]
    assert of(seen, "contact.command.add_tag", contactId=signup)[0]["tag"] == "onboarded"
    assert of(seen, "workflow.run.started", contactId=signup)
    executed = [m["nodeId"] for m in of(seen, "workflow.node.executed", contactId=signup)]
    assert executed == ["node-1", "node-2", "node-3"]
    assert not [m for _, m, _ in seen if m.get("contactId") == imported]  # the condition kept it out

    runs = api.wait_runs(wf["id"], count=1, status="completed")
    assert [r["contactId"] for r in runs] == [signup]
    detail = api.call("GET", f"/{wf['id']}/runs/{runs[0]['id']}")
    assert [(s["nodeId"], s["status"]) for s in detail["steps"]] == [
        ("node-1", "completed"),
        ("node-2", "completed"),
        ("node-3", "completed"),
    ]
    stats = api.call("GET", f"/{wf['id']}/stats")
    assert (stats["totalRuns"], stats["completedRuns"], stats["runningRuns"]) == (1, 1, 0)
    assert stats["nodeStats"]["node-1"]["succeeded"] == 1


async def test_scenario_2_delay_resumes(api: Api, nats_io: Observer) -> None:
    wf = api.create_active(
        {
            "name": "Delay then SMS",
            "trigger": {"type": "event", "event": "contact.created"},
            "nodes": [
                node("wait", "delay", duration=2, unit="seconds"),
                node("sms", "send_sms", templateId="t-sms"),
            ],
            "edges": chain("wait", "sms"),
        }
    )
    contact = f"c-{uuid.uuid4().hex[:8]}"
    await nats_io.publish("contact.created", api.tenant, contact, {"contact": {"email": "a@b.test"}})
    waiting = api.wait_runs(wf["id"], count=1, status="running")
    detail = api.call("GET", f"/{wf['id']}/runs/{waiting[0]['id']}")
    assert detail["steps"][0]["status"] == "pending"
    assert detail["resumesAt"] is not None  # the operator sees when the waiting run resumes

    seen = await nats_io.wait_for(
        lambda ms: of(ms, "workflow.run.completed", contactId=contact), what="delay"
    )
    assert [s["templateId"] for s in of(seen, "pipeline.message.send", contactId=contact)] == ["t-sms"]
    executed = of(seen, "workflow.node.executed", contactId=contact)
    assert {m["status"] for m in executed} == {"completed"}  # a waiting step is not published
    resumed = next(m for m in executed if m["nodeId"] == "wait")
    assert resumed["durationMs"] >= 2000  # it waited the delay
    waited = datetime.fromisoformat(resumed["completedAt"]) - datetime.fromisoformat(resumed["startedAt"])
    assert waited.total_seconds() >= 2
    done = api.wait_runs(wf["id"], count=1, status="completed")
    assert done[0]["id"] == waiting[0]["id"]


async def test_scenario_3_goal_exit_skips_remaining_nodes(api: Api, nats_io: Observer) -> None:
    wf = api.create_active(
        {
            "name": "Nurture until purchase",
            "trigger": {"type": "event", "event": "contact.created"},
            "nodes": [
                node("first", "send_email", templateId="t1"),
                node("wait", "delay", duration=1, unit="hours"),
                node("second", "send_email", templateId="t2"),
            ],
            "edges": chain("first", "wait", "second"),
            "goals": [
                {
                    "id": "goal-1",
                    "name": "Purchased",
                    "event": "contact.attribute_changed",
                    "conditions": [
                        {"field": "attributes.has_purchased", "operator": "equals", "value": True}
                    ],
                }
            ],
        }
    )
    contact = f"c-{uuid.uuid4().hex[:8]}"
    await nats_io.publish("contact.created", api.tenant, contact, {"contact": {"attributes": {}}})
    await nats_io.wait_for(lambda ms: of(ms, "workflow.run.started", contactId=contact), what="run started")
    api.wait_runs(wf["id"], count=1, status="running")
    await nats_io.publish(
        "contact.updated", api.tenant, contact, {"changes": {"attributes": {"has_purchased": True}}}
    )

    seen = await nats_io.wait_for(
        lambda ms: of(ms, "workflow.run.goal_reached", contactId=contact), what="goal"
    )
    reached = of(seen, "workflow.run.goal_reached", contactId=contact)[0]
    assert (reached["goalId"], reached["goalName"]) == ("goal-1", "Purchased")
    assert [s["templateId"] for s in of(seen, "pipeline.message.send", contactId=contact)] == ["t1"]
    runs = api.wait_runs(wf["id"], count=1, status="goal_reached")
    detail = api.call("GET", f"/{wf['id']}/runs/{runs[0]['id']}")
    assert detail["goalReachedId"] == "goal-1"
    assert "second" not in [s["nodeId"] for s in detail["steps"] if s["status"] == "completed"]
    stats = api.call("GET", f"/{wf['id']}/stats")
    assert stats["goalReachedRuns"] == 1
