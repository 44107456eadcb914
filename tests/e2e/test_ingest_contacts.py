"""Contacts known before their first event: 10,000 imported snapshots feed a schedule and conditions."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import node, of
from tests.e2e.stack import Stack
from workflows.wire import envelope

pytestmark = pytest.mark.integration

CONTACTS = 10_000
PRO = [{"field": "attributes.plan", "operator": "equals", "value": "pro"}]


def _branching(trigger: dict[str, Any], yes: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "name": name,
        "trigger": trigger,
        "nodes": [node("plan", "condition", conditions=PRO), yes, node("no", "end")],
        "edges": [
            {"source": "trigger", "target": "plan"},
            {"source": "plan", "target": yes["id"], "sourceHandle": "true"},
            {"source": "plan", "target": "no", "sourceHandle": "false"},
        ],
        "settings": {"reEntry": "once"},  # a schedule that fires again each minute enrols each contact once
    }


def _import(stack: Stack, file: Path, tenant: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "workflows.cli", "contacts", "import", str(file), "--tenant", tenant],
        env={**stack.env, "COLUMNS": "160"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _wait_stats(api: Api, workflow_id: str, *, runs: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = api.call("GET", f"/{workflow_id}/stats")
        if stats["completedRuns"] >= runs:
            return stats
        time.sleep(1)
    raise AssertionError(f"expected {runs} completed runs: {stats}")


async def test_imported_contacts_are_reached_by_a_schedule_and_conditions_see_their_attributes(
    stack: Stack, api: Api, nats_io: Observer, tmp_path: Path
) -> None:
    segment = f"seg-{uuid.uuid4().hex[:8]}"
    file = tmp_path / "contacts.csv"
    rows = ["contactId,email,tags,segments,attributes.plan"]
    rows += [
        f"imp-{i},imp-{i}@example.com,imported,{segment};other,{'pro' if i % 2 == 0 else 'free'}"
        for i in range(CONTACTS)
    ]
    file.write_text("\n".join(rows) + "\n")
    applied = stack.events_processed()

    out = _import(stack, file, api.tenant)
    assert "10000" in out.replace(",", "")
    stack.wait_events_processed(applied + CONTACTS, timeout=180)

    # A custom event for an imported contact: the condition on its imported plan is true on its first event.
    ordered = api.create_active(
        _branching(
            {"type": "event", "event": "order.placed"},
            node("yes", "send_email", templateId="t-pro-order"),
            "order placed",
        )
    )
    order = envelope("order.placed", tenant_id=api.tenant, contact_id="imp-0", data={"orderId": "o-1"})
    await nats_io.nc.jetstream().publish(f"{stack.prefix}events.order.placed", orjson.dumps(order))
    await nats_io.wait_for(
        lambda found: len(of(found, "pipeline.message.send", contactId="imp-0")) == 1, what="the pro email"
    )
    [run] = api.wait_runs(ordered["id"], count=1, status="completed")
    detail = api.call("GET", f"/{ordered['id']}/runs/{run['id']}")
    assert [s["nodeId"] for s in detail["steps"] if s["status"] == "completed"][:2] == ["plan", "yes"]

    # A schedule on the imported segment reaches every imported member, and its condition sees their plans.
    scheduled = api.create_active(
        _branching(
            {"type": "schedule", "cron": "* * * * *", "segmentId": segment},
            node("yes", "end"),
            "every imported member",
        )
    )
    stats = _wait_stats(api, scheduled["id"], runs=CONTACTS, timeout=300)
    assert stats["totalRuns"] == CONTACTS
    assert stats["nodeStats"]["yes"]["executed"] == CONTACTS // 2
    assert stats["nodeStats"]["no"]["executed"] == CONTACTS // 2


async def test_a_form_submission_and_a_custom_event_start_runs(
    stack: Stack, api: Api, nats_io: Observer
) -> None:
    def started_by(event_type: str) -> dict[str, Any]:
        return {
            "name": f"on {event_type}",
            "trigger": {"type": "event", "event": event_type},
            "nodes": [node("mail", "send_email", templateId=f"t-{event_type}")],
            "edges": [{"source": "trigger", "target": "mail"}],
        }

    form = api.create_active(started_by("form.submitted"))
    custom = api.create_active(started_by("invoice.paid"))
    who = f"c-{uuid.uuid4().hex[:8]}"
    await nats_io.publish("form.submitted", api.tenant, who, {"formId": "newsletter"})
    paid = envelope("invoice.paid", tenant_id=api.tenant, contact_id=who, data={"amount": 12})
    del paid["type"]  # the bridge takes it from the subject: events.invoice.paid is invoice.paid
    await nats_io.nc.jetstream().publish(f"{stack.prefix}events.invoice.paid", orjson.dumps(paid))

    for workflow in (form, custom):
        [run] = api.wait_runs(workflow["id"], count=1, status="completed")
        assert run["contactId"] == who
