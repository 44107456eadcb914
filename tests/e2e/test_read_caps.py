"""Through NATS and the API: two workflows whose runs wait 30 days fill their own re-entry caps for one
contact, a third workflow still runs for that contact, and the stats count the skipped enrolments."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import chain, contact, node, of

pytestmark = pytest.mark.integration


def _waiting(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "trigger": {"type": "event", "event": "contact.updated"},
        "nodes": [node("wait", "delay", duration=30, unit="days"), node("tag", "add_tag", tag=name)],
        "edges": chain("wait", "tag"),
        "settings": {"maxActiveRunsPerContact": 2},
    }


def _stats_when(api: Api, workflow_id: str, ready: Any, *, within: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + within
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = api.call("GET", f"/{workflow_id}/stats")
        if ready(stats):
            return stats
        time.sleep(0.5)
    raise AssertionError(f"stats never got there: {stats}")


async def test_two_busy_workflows_do_not_block_a_third(api: Api, nats_io: Observer) -> None:
    first, second = api.create_active(_waiting("first")), api.create_active(_waiting("second"))
    third = api.create_active(
        {
            "name": "third",
            "trigger": {"type": "event", "event": "form.submitted"},
            "nodes": [node("mail", "send_email", templateId="tpl-thanks")],
            "edges": chain("mail"),
        }
    )
    who = contact()
    for n in range(3):  # the third update of each busy workflow is over its cap of 2
        await nats_io.publish("contact.updated", api.tenant, who, {"changes": {"attributes.n": n}})
    await nats_io.wait_for(
        lambda ms: len(of(ms, "workflow.run.enrolment_skipped", contactId=who)) >= 2, what="two capped"
    )
    await nats_io.publish("form.submitted", api.tenant, who, {"formId": "f-1"})
    seen = await nats_io.wait_for(
        lambda ms: of(ms, "workflow.run.completed", contactId=who, workflowId=third["id"]), what="third done"
    )
    assert [s["templateId"] for s in of(seen, "pipeline.message.send", contactId=who)] == ["tpl-thanks"]
    skipped = of(seen, "workflow.run.enrolment_skipped", contactId=who)
    assert sorted(s["workflowId"] for s in skipped) == sorted([first["id"], second["id"]])
    assert {s["reason"] for s in skipped} == {"workflow_active_runs_limit"}

    for busy in (first, second):
        stats = _stats_when(api, busy["id"], lambda s: s["skippedEnrolments"] == 1 and s["runningRuns"] == 2)
        assert (stats["totalRuns"], stats["completedRuns"], stats["failedRuns"]) == (2, 0, 0)
        assert stats["nodeStats"]["wait"]["waiting"] == 2
    done = _stats_when(api, third["id"], lambda s: s["completedRuns"] == 1)
    assert (done["totalRuns"], done["skippedEnrolments"], done["conversionRate"]) == (1, 0, 0.0)
