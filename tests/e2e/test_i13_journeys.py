"""Journeys that react to what the contact does, through NATS and the API: the abandoned cart waiting for
its own order (received / timeout), exit criteria ending a run as exited, and a send window holding a
message until it next opens."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import chain, contact, node, of

pytestmark = pytest.mark.integration


def _cart_flow() -> dict[str, Any]:
    """cart.abandoned -> wait up to 2 s for order.placed of the same cart -> received: end / timeout: a
    reminder. An unsubscribe ends the run as exited."""
    return {
        "name": "Abandoned cart",
        "trigger": {"type": "event", "event": "cart.abandoned"},
        "nodes": [
            node(
                "wait",
                "wait_for_event",
                event="order.placed",
                correlate=["cartId"],
                timeout={"amount": 2, "unit": "seconds"},
            ),
            node("done", "end"),
            node("remind", "send_email", templateId="tpl-cart-reminder", cartId="{{ trigger.data.cartId }}"),
        ],
        "edges": [
            {"source": "trigger", "target": "wait"},
            {"source": "wait", "target": "done", "branch": "received"},
            {"source": "wait", "target": "remind", "branch": "timeout"},
        ],
        "settings": {"exitWhen": {"event": "email.unsubscribed"}},
    }


async def test_the_abandoned_cart_waits_for_its_own_order_and_an_unsubscribe_exits(
    api: Api, nats_io: Observer
) -> None:
    wf = api.create_active(_cart_flow())
    shopper, leaver = contact(), contact()
    # Two carts of one contact, each waited for on its own; only the first is ordered within 2 s.
    await nats_io.publish("events.cart.abandoned", api.tenant, shopper, {"cartId": "cart-1"})
    await nats_io.publish("events.cart.abandoned", api.tenant, shopper, {"cartId": "cart-2"})
    await nats_io.publish("events.order.placed", api.tenant, shopper, {"cartId": "cart-1", "orderId": "o-1"})
    # Another contact abandons a cart, then unsubscribes while the run waits.
    await nats_io.publish("events.cart.abandoned", api.tenant, leaver, {"cartId": "cart-9"})
    await nats_io.publish("events.email.unsubscribed", api.tenant, leaver, {"list": "all"})

    seen = await nats_io.wait_for(
        lambda ms: (
            len(of(ms, "workflow.run.completed", contactId=shopper)) == 2
            and of(ms, "workflow.run.exited", contactId=leaver)
        ),
        what="both carts' runs completed and the leaver's run exited",
    )
    sends = of(seen, "pipeline.message.send", contactId=shopper)
    assert [s["templateId"] for s in sends] == ["tpl-cart-reminder"]  # cart-2 only: cart-1 was ordered
    assert of(seen, "pipeline.message.send", contactId=leaver) == []
    exited = of(seen, "workflow.run.exited", contactId=leaver)
    assert [(m["status"], m.get("goalReachedId")) for m in exited] == [("exited", None)]

    completed = api.wait_runs(wf["id"], count=2, status="completed")
    branches, run_of = {}, {}
    for run in completed:
        detail = api.call("GET", f"/{wf['id']}/runs/{run['id']}")
        wait = next(s for s in detail["steps"] if s["nodeId"] == "wait")
        path = [s["nodeId"] for s in detail["steps"]]
        cart = detail["triggerEvent"]["data"]["cartId"]
        branches[cart], run_of[cart] = (wait["output"]["branch"], path), run["id"]
    assert branches == {
        "cart-1": ("received", ["wait", "done"]),
        "cart-2": ("timeout", ["wait", "remind"]),
    }
    assert sends[0]["runId"] == run_of["cart-2"]
    [gone] = api.wait_runs(wf["id"], count=1, status="exited")
    assert (gone["contactId"], gone["goalReachedId"]) == (leaver, None)
    left = api.call("GET", f"/{wf['id']}/runs/{gone['id']}")
    assert left["waitingFor"] is None
    stats = api.call("GET", f"/{wf['id']}/stats")
    assert {k: stats[k] for k in ("totalRuns", "completedRuns", "exitedRuns", "goalReachedRuns")} == {
        "totalRuns": 3,
        "completedRuns": 2,
        "exitedRuns": 1,
        "goalReachedRuns": 0,
    }


def _closed_window(now: datetime) -> tuple[dict[str, Any], datetime]:
    """A UTC window that is closed now (half an hour starting three hours from now) and when it opens."""
    opens = (now + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    window = {"start": f"{opens.hour:02d}:00", "end": f"{opens.hour:02d}:30", "timezone": "UTC"}
    return window, opens


async def test_a_message_outside_its_send_window_waits_until_it_opens(api: Api, nats_io: Observer) -> None:
    window, opens = _closed_window(datetime.now(UTC))
    wf = api.create_active(
        {
            "name": "Inside office hours",
            "trigger": {"type": "event", "event": "contact.created"},
            "nodes": [node("mail", "send_email", templateId="tpl-office")],
            "edges": chain("mail"),
            "settings": {"sendWindow": window},
        }
    )
    someone = contact()
    await nats_io.publish("contact.created", api.tenant, someone, {"contact": {"email": "a@b.test"}})
    [run] = api.wait_runs(wf["id"], count=1, status="running")
    detail = api.call("GET", f"/{wf['id']}/runs/{run['id']}")
    for _ in range(50):  # the run row comes with the trigger's step; the pending step may be a batch later
        if detail["waitingFor"] is not None:
            break
        await asyncio.sleep(0.2)
        detail = api.call("GET", f"/{wf['id']}/runs/{run['id']}")
    waiting = detail["waitingFor"]
    assert (waiting["kind"], waiting["nodeId"], waiting["eventType"]) == ("send_window", "mail", None)
    assert datetime.fromisoformat(waiting["until"]) == opens
    assert [(s["nodeId"], s["status"]) for s in detail["steps"]] == [("mail", "pending")]
    assert of(await nats_io.messages(), "pipeline.message.send", contactId=someone) == []
