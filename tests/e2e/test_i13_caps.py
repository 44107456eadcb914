"""Frequency caps across workflows, through the API and NATS: a tenant's policy of one email per day, two
active workflows that each mail a new contact. One email goes out; the other workflow's send is a skipped
step with the cap as its reason, and its run goes on to its next node."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import contact, node, of, on_created

pytestmark = pytest.mark.integration
POLICY = "/api/v1/policies/frequency-caps"
ONE_EMAIL_A_DAY = {"caps": [{"channel": "email", "limit": 1, "window": {"amount": 1, "unit": "days"}}]}


def _put_policy(api: Api, document: dict[str, Any]) -> Any:
    resp = api.client.put(POLICY, json=document)
    assert resp.status_code == 200, resp.text
    api.stack.wait_definitions_synced()  # the policy rides the definitions topic to every worker
    return resp.json()["data"]


async def test_one_email_a_day_across_two_workflows_skips_the_second_send(
    api: Api, nats_io: Observer
) -> None:
    assert _put_policy(api, ONE_EMAIL_A_DAY)["caps"] == [{**ONE_EMAIL_A_DAY["caps"][0], "reserved": 0}]
    welcome = api.create_active(
        on_created(
            node("mail", "send_email", templateId="tpl-welcome"),
            node("tag", "add_tag", tag="welcomed"),
            name="Welcome",
        )
    )
    promo = api.create_active(
        on_created(
            node("mail", "send_email", templateId="tpl-promo"),
            node("tag", "add_tag", tag="promoted"),
            name="Promo",
        )
    )
    someone = contact()
    await nats_io.publish("contact.created", api.tenant, someone, {"contact": {"email": "a@b.test"}})

    seen = await nats_io.wait_for(
        lambda ms: len(of(ms, "workflow.run.completed", contactId=someone)) == 2,
        what="both workflows' runs completed",
    )
    sends = of(seen, "pipeline.message.send", contactId=someone)
    assert len(sends) == 1, sends

    mails: dict[str, dict[str, Any]] = {}
    for wf in (welcome, promo):
        [run] = api.wait_runs(wf["id"], count=1, status="completed")
        detail = api.call("GET", f"/{wf['id']}/runs/{run['id']}")
        steps = {s["nodeId"]: s for s in detail["steps"]}
        assert steps["tag"]["status"] == "completed"  # the run went on past a skipped send
        mails[wf["id"]] = steps["mail"]
    statuses = sorted(step["status"] for step in mails.values())
    assert statuses == ["completed", "skipped"], mails
    sent = [wf for wf, step in mails.items() if step["status"] == "completed"]
    skipped = [wf for wf, step in mails.items() if step["status"] == "skipped"]
    assert sends[0]["templateId"] == ("tpl-welcome" if sent == [welcome["id"]] else "tpl-promo")
    step = mails[skipped[0]]
    assert step["errorMessage"] == "frequency cap: 1 email per 1 day reached (1 sent)"
    assert step["output"]["skipped"] is True
    assert step["output"]["reason"] == step["errorMessage"]
