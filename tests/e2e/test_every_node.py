"""One workflow with every node type, run end to end: NATS in, NATS and HTTP out, the API's record of it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import contact, node, of
from tests.e2e.stack import Stack

pytestmark = pytest.mark.integration


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append((self.path, orjson.loads(body) if body else None))
        self.send_response(200)
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


def _every_node(hook: str) -> dict[str, Any]:
    linear = [
        node("email", "send_email", templateId="t-email"),
        node("sms", "send_sms", templateId="t-sms"),
        node("whatsapp", "send_whatsapp", templateId="t-wa"),
        node("push", "send_push", templateId="t-push"),
        node("update", "update_contact", attributes={"plan": "pro", "tier": "gold"}),
        node("tag", "add_tag", tag="vip"),
        node("untag", "remove_tag", tag="trial"),
        node("join", "add_to_segment", segmentId="seg-vip"),
        node("leave", "remove_from_segment", segmentId="seg-trial"),
        node("hook", "webhook", url=f"{hook}/hook", method="POST", body={"contact": "{{contact.id}}"}),
        node("slack", "slack", webhookUrl=f"{hook}/slack", message="new vip"),
        node("pause", "delay", duration=1, unit="seconds"),
        node("until", "wait_until", until="2020-01-01T00:00:00Z"),  # already past: continues at once
        node(
            "is-pro",
            "condition",
            conditions=[{"field": "attributes.plan", "operator": "equals", "value": "pro"}],
        ),
        node("by-tier", "switch", field="attributes.tier", cases=[{"id": "gold", "value": "gold"}]),
        node("ab", "split", variants=[{"id": "a", "percentage": 50}, {"id": "b", "percentage": 50}]),
        node("done-a", "end"),
        node("done-b", "end"),
        node("not-pro", "end"),
        node("other-tier", "end"),
    ]
    ids = [n["id"] for n in linear[:13]]
    edges = [{"source": a, "target": b} for a, b in zip(["trigger", *ids], [*ids, "is-pro"], strict=True)]
    edges += [
        {"source": "is-pro", "target": "by-tier", "branch": "true"},
        {"source": "is-pro", "target": "not-pro", "branch": "false"},
        {"source": "by-tier", "target": "ab", "branch": "gold"},
        {"source": "by-tier", "target": "other-tier", "branch": "default"},
        {"source": "ab", "target": "done-a", "branch": "a"},
        {"source": "ab", "target": "done-b", "branch": "b"},
    ]
    return {
        "name": "every node",
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": linear,
        "edges": edges,
    }


async def test_a_workflow_of_every_node_type(api: Api, nats_io: Observer, receiver: str) -> None:
    _Receiver.received.clear()
    wf = api.create_active(_every_node(receiver))
    who = contact()
    await nats_io.publish("contact.created", api.tenant, who, {"contact": {"tags": ["trial"]}})
    seen = await nats_io.wait_for(
        lambda ms: of(ms, "workflow.run.completed", contactId=who), within=90, what="every-node run"
    )
    sends = {m["channel"]: m["templateId"] for m in of(seen, "pipeline.message.send", contactId=who)}
    assert sends == {"email": "t-email", "sms": "t-sms", "whatsapp": "t-wa", "push": "t-push"}
    assert of(seen, "contact.command.update", contactId=who)
    assert [m["tag"] for m in of(seen, "contact.command.add_tag", contactId=who)] == ["vip"]
    assert [m["tag"] for m in of(seen, "contact.command.remove_tag", contactId=who)] == ["trial"]
    assert [m["segmentId"] for m in of(seen, "segment.command.add_member", contactId=who)] == ["seg-vip"]
    assert [m["segmentId"] for m in of(seen, "segment.command.remove_member", contactId=who)] == ["seg-trial"]
    assert sorted(path for path, _ in _Receiver.received) == ["/hook", "/slack"]

    path = [
        m["nodeId"] for m in of(seen, "workflow.node.executed", contactId=who) if m["status"] == "completed"
    ]
    assert path[:16] == [n["id"] for n in _every_node(receiver)["nodes"][:16]]
    assert path[16] in ("done-a", "done-b")  # the split chose one variant, the same on any replay

    run = api.wait_runs(wf["id"], count=1, status="completed")[0]
    steps = api.call("GET", f"/{wf['id']}/runs/{run['id']}")["steps"]
    assert {s["nodeType"] for s in steps} == {
        "send_email", "send_sms", "send_whatsapp", "send_push", "update_contact", "add_tag", "remove_tag",
        "add_to_segment", "remove_from_segment", "webhook", "slack", "delay", "wait_until", "condition",
        "switch", "split", "end",
    }  # fmt: skip
    assert all(s["status"] == "completed" for s in steps)
