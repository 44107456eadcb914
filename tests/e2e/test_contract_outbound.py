"""The outbound contract on a running product: workflows that publish every outbound subject, every message
read back from NATS and validated against docs/asyncapi.yaml; a webhook receiver gets the rendered bodies."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest

from tests.asyncapi_contract import errors, load, sent_subjects
from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import node, of, on_created
from tests.e2e.stack import Stack
from workflows.wire import envelope

pytestmark = pytest.mark.integration


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append((self.path, orjson.loads(body) if body else None))
        # /fail answers a 400: the executor does not retry it, the node (and its run) fails.
        self.send_response(400 if self.path.startswith("/fail") else 200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def receiver(stack: Stack) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", stack.receiver_port), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


BODY = {
    "contactId": "{{contact.id}}",
    "email": "{{contact.email}}",
    "plan": "{{contact.attributes.plan}}",
    "order": "{{event.data.order}}",
    "runId": "{{run.id}}",
    "workflowId": "{{workflow.id}}",
    "version": "{{workflow.version}}",
    "greeting": "Hi {{contact.email}}, run {{run.id}}",
}
GOAL = {
    "id": "g-bought",
    "name": "Bought",
    "event": "contact.updated",
    "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
}


def _everything(hook: str) -> dict[str, Any]:
    """Every command subject, two webhooks (templated body, default body), a short wait."""
    return on_created(
        node("mail", "send_email", templateId="t-welcome", fromName="Acme", fromEmail="hi@acme.test"),
        node("set", "update_contact", attributes={"tier": "gold"}),
        node("tag", "add_tag", tag="vip"),
        node("untag", "remove_tag", tag="trial"),
        node("join", "add_to_segment", segmentId="s-vip"),
        node("leave", "remove_from_segment", segmentId="s-trial"),
        node("templated", "webhook", url=f"{hook}/templated", method="POST", body=BODY),
        node("default", "webhook", url=f"{hook}/default", method="POST"),
        node("pause", "delay", duration=1, unit="seconds"),
        node("done", "end"),
        name="every outbound subject",
    )


def _nurture() -> dict[str, Any]:
    """One active run per contact at most; a purchase ends it as goal_reached."""
    return on_created(
        node("wait", "delay", duration=1, unit="hours"),
        node("later", "send_sms", templateId="t-later"),
        name="nurture",
        goals=[GOAL],
        settings={"maxActiveRunsPerContact": 1},
    )


def _exiting() -> dict[str, Any]:
    """Waits an hour unless the contact opens a message: then the run ends as exited."""
    return on_created(
        node("hold", "delay", duration=1, unit="hours"),
        node("after", "send_sms", templateId="t-after"),
        name="exiting",
        settings={"exitWhen": {"event": "pipeline.message.opened"}},
    )


def _failing(hook: str) -> dict[str, Any]:
    return on_created(node("call", "webhook", url=f"{hook}/fail", method="POST"), name="failing")


async def _publish(nats_io: Observer, kind: str, tenant: str, contact: str, data: dict[str, Any]) -> None:
    """Publish an inbound event, after checking it against the document as the platform's modules must."""
    message = envelope(kind, tenant_id=tenant, contact_id=contact, data=data)
    assert errors(kind, message) == [], message
    await nats_io.publish(kind, tenant, contact, data, event_id=str(message["id"]))


async def test_every_published_message_conforms_and_the_receiver_gets_rendered_bodies(
    api: Api, nats_io: Observer, receiver: str
) -> None:
    _Receiver.received.clear()
    everything = api.create_active(_everything(receiver))
    nurture = api.create_active(_nurture())
    failing = api.create_active(_failing(receiver))
    exiting = api.create_active(_exiting())
    buyer, erased = f"c-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
    leaver = f"c-{uuid.uuid4().hex[:8]}"

    created = {"contact": {"email": "ada@example.com", "attributes": {"plan": "pro"}}, "order": "o-17"}
    await _publish(nats_io, "contact.created", api.tenant, buyer, created)
    await nats_io.wait_for(
        lambda ms: of(ms, "workflow.run.completed", contactId=buyer), within=90, what="run"
    )
    api.wait_runs(nurture["id"], count=1, status="running")
    # A second signup of the same contact: nurture is at its cap of one active run, so it is skipped.
    await _publish(nats_io, "contact.created", api.tenant, buyer, created)
    await _publish(
        nats_io, "contact.updated", api.tenant, buyer, {"changes": {"attributes": {"has_purchased": True}}}
    )
    await _publish(nats_io, "contact.created", api.tenant, erased, {"contact": {"email": "bo@example.com"}})
    api.wait_runs(nurture["id"], count=2)
    # An open by a contact waiting in the exiting workflow ends that run as exited.
    await _publish(nats_io, "contact.created", api.tenant, leaver, {"contact": {"email": "lu@example.com"}})
    held: list[dict[str, Any]] = []
    for _ in range(100):
        held = api.runs(exiting["id"], contactId=leaver, status="running")
        if held:
            break
        await asyncio.sleep(0.3)
    assert held, "the leaver's run never started"
    await _publish(nats_io, "pipeline.message.opened", api.tenant, leaver, {"runId": held[0]["id"]})
    resp = await asyncio.to_thread(api.client.delete, f"/api/v1/contacts/{erased}")
    assert resp.status_code == 202, resp.text

    wanted = sent_subjects(load())
    seen = await nats_io.wait_for(
        lambda ms: wanted <= {s for s, _m, _h in ms}, within=120, what=f"every subject of {sorted(wanted)}"
    )
    mine = [(s, m, h) for s, m, h in seen if m.get("tenantId") == api.tenant]
    assert wanted <= {s for s, _m, _h in mine}
    for subject, message, headers in mine:
        assert errors(subject, message) == [], (subject, message)
        assert message["type"] == subject
        assert headers.get("Nats-Msg-Id") == message["id"]
    assert {m["status"] for m in of(mine, "workflow.node.executed")} <= {"completed", "failed"}

    started = of(mine, "workflow.run.started", workflowId=everything["id"], contactId=buyer)[0]
    assert (started["version"], started["triggerType"]) == (1, "event")
    reached = of(mine, "workflow.run.goal_reached", contactId=buyer)
    assert [(m["workflowId"], m["goalId"], m["goalName"]) for m in reached] == [
        (nurture["id"], "g-bought", "Bought")
    ]
    (skipped,) = of(mine, "workflow.run.enrolment_skipped", contactId=buyer)
    assert (skipped["workflowId"], skipped["reason"], skipped["limit"]) == (
        nurture["id"],
        "workflow_active_runs_limit",
        1,
    )
    assert of(mine, "workflow.run.failed", workflowId=failing["id"], contactId=buyer)
    assert of(mine, "workflow.run.cancelled", workflowId=nurture["id"], contactId=erased)
    assert of(mine, "workflow.contact.erased", contactId=erased)[0]["runsCancelled"] >= 1

    # Item 8: the receiver got the rendered bodies of the buyer's first run.
    run_id = started["runId"]
    bodies = {
        path: body for path, body in _Receiver.received if body and run_id in orjson.dumps(body).decode()
    }
    assert bodies["/templated"] == {
        "contactId": buyer,
        "email": "ada@example.com",
        "plan": "pro",
        "order": "o-17",
        "runId": run_id,
        "workflowId": everything["id"],
        "version": 1,
        "greeting": f"Hi ada@example.com, run {run_id}",
    }
    default = bodies["/default"]
    assert default["contact"] == {"id": buyer}
    assert default["event"]["type"] == "contact.created"
    assert default["event"]["id"] == started["triggerEvent"]["id"]
    assert default["run"] == {"id": run_id, "workflowId": everything["id"]}
