"""The spec's three scenarios, redelivery, and the dead-letter topic, through a real worker process."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import orjson
import pytest

from .flows import onboarding
from .harness import Client, Stack, Worker, by_key, effects, envelope, read_all

pytestmark = pytest.mark.integration


def _subjects(records: list[Any], contact: str) -> list[str]:
    return [dict(r.headers)["subject"].decode() for r in records if r.key == contact.encode()]


def _node_steps(records: list[Any], contact: str) -> list[str]:
    out = []
    for e in effects(r for r in records if r.key == contact.encode()):
        step = e.get("step")
        out.append(f"{step['nodeId']}:{step['status']}" if step else e["subject"])
    return out


async def _run_logs(worker: Worker, contact: str, count: int, within: float = 10) -> list[dict[str, Any]]:
    """The worker's [RUN]/[GOAL] JSON log lines about one contact, once ``count`` of them are written (a
    unit's lines follow its outputs)."""
    deadline = time.monotonic() + within
    while True:
        lines = worker.log.read_text(errors="replace").splitlines()
        parsed = [orjson.loads(line) for line in lines if line.startswith("{") and contact in line]
        logs = [
            p
            for p in parsed
            if p.get("logger") == "streams.runs" and not str(p.get("msg")).startswith("[NODE]")
        ]
        if len(logs) >= count or time.monotonic() > deadline:
            return logs
        await asyncio.sleep(0.1)


async def _until_subject(stack: Stack, contact: str, subject: str, within: float = 40) -> list[Any]:
    return await read_all(
        stack.bootstrap,
        stack.out,
        outputs=True,
        until=lambda rs: subject in _subjects(rs, contact),
        within=within,
    )


async def test_event_trigger_with_conditions_and_delay_resume(stack: Stack, worker: Worker) -> None:
    contact, other = f"c-{uuid.uuid4().hex[:8]}", f"c-{uuid.uuid4().hex[:8]}"
    async with Client(stack) as client:
        await client.publish_definition(onboarding("wf-s1", delay_s=2))
        await client.send(
            envelope(f"e-{contact}", "contact.created", contact, {"contact": {"source": "website_signup"}}),
            envelope(f"e-{other}", "contact.created", other, {"contact": {"source": "import"}}),
        )
        records = await _until_subject(stack, contact, "workflow.run.completed")
    assert _node_steps(records, contact) == [
        "workflow.run.started",
        "pipeline.message.send",
        "node-1:completed",
        "node-2:pending",
        "node-2:completed",
        "node-3:completed",
        "workflow.run.completed",
    ], worker.tail()
    assert _subjects(records, other) == []  # trigger condition false: no run
    send = next(e for e in effects(records) if e["subject"] == "pipeline.message.send")
    assert send["templateId"] == "tpl-1"
    logs = await _run_logs(worker, contact, 2)
    assert [line["msg"] for line in logs] == [
        "[RUN] workflow run started",
        "[RUN] workflow run completed",
    ], worker.tail()
    started = effects(r for r in records if r.key == contact.encode())[0]
    for line in logs:
        assert line["tenantId"] == "t1"
        assert line["runId"] == started["runId"]
        assert line["workflowId"] == "wf-s1"
        assert line["correlationId"] == f"e-{contact}"
        assert line["triggerType"] == "event"
        assert "website_signup" not in orjson.dumps(line).decode()  # no profile or message content
    assert send["fromEmail"] == "hello@acme.com"
    waited = next(
        e
        for e in effects(records)
        if (e.get("step") or {}).get("status") == "completed" and e["step"]["nodeId"] == "node-2"
    )
    assert waited["step"]["completedAt"] - waited["step"]["startedAt"] >= 2000


async def test_goal_exit_skips_remaining_nodes(stack: Stack, worker: Worker) -> None:
    contact = f"c-{uuid.uuid4().hex[:8]}"
    async with Client(stack) as client:
        await client.publish_definition(onboarding("wf-s3", delay_s=30, source="goal"))
        await client.send(
            envelope(f"s-{contact}", "contact.created", contact, {"contact": {"source": "goal"}})
        )
        await _until_subject(stack, contact, "workflow.node.executed")
        await client.send(
            envelope(
                f"u-{contact}", "contact.updated", contact, {"changes": {"attributes.has_purchased": True}}
            )
        )
        records = await _until_subject(stack, contact, "workflow.run.goal_reached")
    steps = _node_steps(records, contact)
    assert steps[-1] == "workflow.run.goal_reached", worker.tail()
    assert "node-3:completed" not in steps
    assert "node-2:completed" not in steps
    goal = effects(r for r in records if r.key == contact.encode())[-1]
    assert goal["run"]["goalReachedId"] == "goal-1"
    logs = await _run_logs(worker, contact, 2)
    messages = [line["msg"] for line in logs]
    assert messages == ["[RUN] workflow run started", "[GOAL] goal reached"], worker.tail()
    assert logs[-1]["status"] == "goal_reached"
    assert logs[-1]["runId"] == goal["runId"]
    assert (logs[-1]["goalId"], logs[-1]["correlationId"]) == ("goal-1", f"s-{contact}")


async def test_every_input_twice_yields_the_same_effects(stack: Stack, worker: Worker) -> None:
    contacts = [f"d-{uuid.uuid4().hex[:8]}" for _ in range(6)]
    inputs = [envelope(f"e-{c}", "contact.created", c, {"contact": {"source": "dup"}}) for c in contacts]
    async with Client(stack) as client:
        await client.publish_definition(onboarding("wf-dup", delay_s=1, source="dup"))
        await client.send(*inputs, batch=True)  # once as batch records
        await client.send(*inputs)  # and again, one record each

        def done(rs: list[Any]) -> bool:
            return all("workflow.run.completed" in _subjects(rs, c) for c in contacts)

        records = await read_all(stack.bootstrap, stack.out, outputs=True, until=done, within=40, settle=3)
    mine = [r for r in records if r.key.decode() in contacts]
    counts = by_key(mine)
    assert done(records), worker.tail()
    assert set(counts.values()) == {1}, {k: v for k, v in counts.items() if v > 1}
    # Per contact: run started once, one send, 3 steps completed + 1 pending, completed once.
    assert len(mine) == len(contacts) * 7


async def test_poison_record_goes_to_dlq_and_next_is_processed(stack: Stack, worker: Worker) -> None:
    contact = f"p-{uuid.uuid4().hex[:8]}"
    async with Client(stack) as client:
        await client.publish_definition(onboarding("wf-poison", delay_s=1, source="poison"))
        await client.send_raw(b"{not json", key=contact.encode(), headers=[("trace", b"abc")])
        await client.send_raw(orjson.dumps({"id": "x", "type": "contact.created"}), key=contact.encode())
        await client.send(
            envelope(f"ok-{contact}", "contact.created", contact, {"contact": {"source": "poison"}})
        )
        dead = await read_all(stack.bootstrap, stack.dlq, until=lambda rs: len(rs) >= 2, within=40)
        records = await _until_subject(stack, contact, "workflow.run.started")
    assert dead[0].value == b"{not json"
    headers = dict(dead[0].headers)
    assert headers["trace"] == b"abc"
    assert b"undecodable" in headers["dlq-reason"]
    assert b"tenantId" in dict(dead[1].headers)["dlq-reason"]
    assert "workflow.run.started" in _subjects(records, contact)
