"""Issue 11's cancel paths stop sends on a running stack: archiving with ?cancelRuns=true and the bulk
POST /runs/cancel cancel runs waiting in a delay, and no pipeline.message.send follows once the delay would
have sent one. The builder's "waiting at each node" count sees those runs before; once archived it is a
404."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import contact, node, of, on_created

pytestmark = pytest.mark.integration
DELAY_S = 4


def _delayed_email(template: str) -> dict[str, object]:
    return on_created(
        node("wait", "delay", duration=DELAY_S, unit="seconds"),
        node("mail", "send_email", templateId=template),
        name=f"cancel {template}",
    )


def _wait_waiting(api: Api, workflow_id: str, expected: list[dict[str, object]], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    seen: object = None
    while time.monotonic() < deadline:
        seen = api.call("GET", f"/{workflow_id}/waiting")
        if seen == expected:
            return
        time.sleep(0.3)
    raise AssertionError(f"waiting: expected {expected}, saw {seen}")


async def test_archiving_with_cancel_runs_stops_the_delayed_sends(api: Api, nats_io: Observer) -> None:
    wf = api.create_active(_delayed_email("t-archived"))
    who = [contact(), contact()]
    for c in who:
        await nats_io.publish("contact.created", api.tenant, c, {})
    api.wait_runs(wf["id"], count=2, status="running")
    _wait_waiting(api, wf["id"], [{"version": 1, "nodeId": "wait", "count": 2}])
    started = time.monotonic()

    api.call("DELETE", f"/{wf['id']}", expect=409)  # active: refused without cancelRuns
    archived = api.change("DELETE", f"/{wf['id']}", params={"cancelRuns": "true"})
    assert archived["status"] == "archived"

    seen = await nats_io.wait_for(
        lambda ms: all(of(ms, "workflow.run.cancelled", contactId=c) for c in who), what="both cancelled"
    )
    # Past the moment the delay would have fired, with room for a timer pump round.
    await asyncio.sleep(max(0.0, DELAY_S + 3 - (time.monotonic() - started)))
    seen = await nats_io.messages()
    for c in who:
        assert not of(seen, "pipeline.message.send", contactId=c), c
        assert not of(seen, "workflow.run.completed", contactId=c), c
    cancelled = api.wait_runs(wf["id"], count=2, status="cancelled")
    assert {r["contactId"] for r in cancelled} == set(who)
    assert api.runs(wf["id"], status="running") == []
    # An archived workflow is never published again: no waiting counts, as for the workflow itself.
    api.call("GET", f"/{wf['id']}/waiting", expect=404)


async def test_bulk_cancel_stops_the_chosen_runs_and_lets_the_others_send(
    api: Api, nats_io: Observer
) -> None:
    wf = api.create_active(_delayed_email("t-bulk"))
    stopped, kept = contact(), contact()
    for c in (stopped, kept):
        await nats_io.publish("contact.created", api.tenant, c, {})
    api.wait_runs(wf["id"], count=2, status="running")

    answer = api.call("POST", f"/{wf['id']}/runs/cancel", json={"contactId": stopped}, expect=202)
    assert answer == {"cancelRequested": 1, "more": False}

    seen = await nats_io.wait_for(
        lambda ms: (
            of(ms, "workflow.run.cancelled", contactId=stopped)
            and of(ms, "pipeline.message.send", contactId=kept)
        ),
        what="one cancelled, the other sent after its delay",
    )
    await asyncio.sleep(2)  # the stopped run's timer was due with the other's: nothing may follow
    seen = await nats_io.messages()
    assert not of(seen, "pipeline.message.send", contactId=stopped)
    assert [m["templateId"] for m in of(seen, "pipeline.message.send", contactId=kept)] == ["t-bulk"]
    assert {r["contactId"] for r in api.wait_runs(wf["id"], count=1, status="cancelled")} == {stopped}

    # Nothing left running: a bulk cancel of everything asks for nothing.
    api.wait_runs(wf["id"], count=1, status="completed")
    assert api.call("POST", f"/{wf['id']}/runs/cancel", json={}, expect=202)["cancelRequested"] == 0
