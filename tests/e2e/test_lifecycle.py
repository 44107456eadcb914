"""Activate, pause, new versions while runs are in flight, revert, cancel and manual trigger, end to end."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import contact, node, of, on_created

pytestmark = pytest.mark.integration


def _delayed_email(template: str, seconds: int = 3) -> list[dict[str, object]]:
    return [
        node("wait", "delay", duration=seconds, unit="seconds"),
        node("mail", "send_email", templateId=template),
    ]


async def test_pause_stops_new_runs_and_lets_in_flight_runs_finish(api: Api, nats_io: Observer) -> None:
    wf = api.create_active(on_created(*_delayed_email("t-pause"), name="pausable"))
    before, during, after = contact(), contact(), contact()
    await nats_io.publish("contact.created", api.tenant, before, {})
    api.wait_runs(wf["id"], count=1, status="running")
    api.pause(wf["id"])
    await nats_io.publish("contact.created", api.tenant, during, {})
    seen = await nats_io.wait_for(
        lambda ms: of(ms, "workflow.run.completed", contactId=before), what="in-flight"
    )
    assert of(seen, "pipeline.message.send", contactId=before)  # the paused workflow's run went on
    assert not of(seen, "workflow.run.started", contactId=during)  # no new run while paused
    api.activate(wf["id"])
    await nats_io.publish("contact.created", api.tenant, after, {})
    await nats_io.wait_for(lambda ms: of(ms, "workflow.run.started", contactId=after), what="after resume")
    runs = api.wait_runs(wf["id"], count=2)
    assert {r["contactId"] for r in runs} == {before, after}


async def test_new_versions_and_revert_leave_in_flight_runs_on_their_version(
    api: Api, nats_io: Observer
) -> None:
    wf = api.create_active(on_created(*_delayed_email("t-v1"), name="versioned"))
    first, second, third = contact(), contact(), contact()
    await nats_io.publish("contact.created", api.tenant, first, {})
    api.wait_runs(wf["id"], count=1, status="running")

    updated = api.change("PATCH", f"/{wf['id']}", json={"nodes": _delayed_email("t-v2")})
    assert updated["version"] == 2
    await nats_io.publish("contact.created", api.tenant, second, {})
    # Revert only once the second run started (on version 2); otherwise it may start on version 3.
    await nats_io.wait_for(lambda ms: of(ms, "workflow.run.started", contactId=second), what="second run")

    reverted = api.change("POST", f"/{wf['id']}/versions/1/revert")
    assert reverted["version"] == 3
    await nats_io.publish("contact.created", api.tenant, third, {})

    seen = await nats_io.wait_for(
        lambda ms: all(of(ms, "workflow.run.completed", contactId=c) for c in (first, second, third)),
        what="three runs",
    )
    templates = {
        c: [m["templateId"] for m in of(seen, "pipeline.message.send", contactId=c)]
        for c in (first, second, third)
    }
    assert templates == {first: ["t-v1"], second: ["t-v2"], third: ["t-v1"]}
    runs = {
        r["contactId"]: r["workflowVersion"] for r in api.wait_runs(wf["id"], count=3, status="completed")
    }
    assert runs == {first: 1, second: 2, third: 3}
    versions = api.call("GET", f"/{wf['id']}/versions")
    assert [v["version"] for v in versions] == [3, 2, 1]


async def test_cancel_a_waiting_run(api: Api, nats_io: Observer) -> None:
    wf = api.create_active(on_created(*_delayed_email("never", seconds=3600), name="cancellable"))
    who = contact()
    await nats_io.publish("contact.created", api.tenant, who, {})
    run = api.wait_runs(wf["id"], count=1, status="running")[0]
    api.call("POST", f"/{wf['id']}/runs/{run['id']}/cancel", json={"reason": "operator"}, expect=202)
    seen = await nats_io.wait_for(
        lambda ms: of(ms, "workflow.run.cancelled", contactId=who), what="cancelled"
    )
    assert not of(seen, "pipeline.message.send", contactId=who)
    cancelled = api.wait_runs(wf["id"], count=1, status="cancelled")
    assert cancelled[0]["id"] == run["id"]
    api.call("POST", f"/{wf['id']}/runs/{run['id']}/cancel", json={}, expect=409)  # already ended


async def test_manual_trigger_starts_the_run_it_announces(api: Api, nats_io: Observer) -> None:
    wf = api.create_active(
        {
            "name": "manual",
            "trigger": {"type": "manual"},
            "nodes": [node("mail", "send_email", templateId="t-manual")],
            "edges": [{"source": "trigger", "target": "mail"}],
        }
    )
    who = contact()
    answer = api.call("POST", f"/{wf['id']}/trigger", json={"contactId": who}, expect=202)
    seen = await nats_io.wait_for(
        lambda ms: of(ms, "workflow.run.completed", contactId=who), what="manual run"
    )
    assert of(seen, "workflow.run.completed", contactId=who)[0]["runId"] == answer["runId"]
    assert [m["templateId"] for m in of(seen, "pipeline.message.send", contactId=who)] == ["t-manual"]
