"""Templates can name the contact, the event, the run and the workflow; a webhook without a body sends the
run's identity."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine import CallWebhook, Scope, SendSlack, UpdateContact
from streams.engine.templating import render, render_url

from .helpers import CONTACT, T0, Harness, kinds, node, only, run_id, workflow

PROFILE = {"email": "ada@example.com", "attributes": {"plan": "pro", "city": "Zürich"}}
FORM = {"formId": "form-7", "answers": {"size": "L"}}


def run_webhook(**data: Any) -> CallWebhook:
    definition = workflow(
        [node("hook", "webhook", url="https://api.example.com/in", **data)],
        trigger={"type": "event", "event": "form.submitted"},
        version=3,
    )
    h = Harness(definition)
    h.create(**PROFILE)  # the contact is known before it submits the form
    call = only(h.apply("form.submitted", FORM, event_id="ev-1"), "call_webhook")
    assert isinstance(call, CallWebhook)
    return call


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{contact.id}}", CONTACT),
        ("{{contact.email}}", "ada@example.com"),
        ("{{contact.attributes.plan}}", "pro"),
        ("{{event.data.formId}}", "form-7"),
        ("{{event.data.answers.size}}", "L"),
        ("{{event.contactId}}", CONTACT),
        ("{{event.id}}", "ev-1"),
        ("{{event.type}}", "form.submitted"),
        ("{{run.id}}", run_id("ev-1")),
        ("{{workflow.id}}", "wf1"),
        ("{{workflow.version}}", 3),  # a whole placeholder keeps its JSON type
        ("v{{workflow.version}} of {{workflow.id}} for {{contact.id}}", f"v3 of wf1 for {CONTACT}"),
    ],
)
def test_webhook_body_placeholders_render(template: str, expected: Any) -> None:
    assert run_webhook(body={"value": template}).body == {"value": expected}


def test_a_webhook_without_body_sends_the_run_identity() -> None:
    assert run_webhook().body == {
        "contact": {"id": CONTACT},
        "event": {"id": "ev-1", "type": "form.submitted"},
        "run": {"id": run_id("ev-1"), "workflowId": "wf1"},
    }
    assert run_webhook(method="PUT").body == run_webhook().body


def test_a_get_without_body_sends_none_and_an_explicit_body_wins() -> None:
    assert run_webhook(method="GET").body is None
    assert run_webhook(body={"only": "this"}).body == {"only": "this"}
    assert run_webhook(body=None).body is None  # an explicit null body is the author's choice


def test_the_same_paths_render_in_slack_and_update_contact() -> None:
    definition = workflow(
        [
            node(
                "s",
                "slack",
                webhookUrl="https://hooks.slack.com/services/x",
                message="{{contact.id}} in {{run.id}}",
            ),
            node(
                "u", "update_contact", attributes={"lastRun": "{{run.id}}", "lastWorkflow": "{{workflow.id}}"}
            ),
        ]
    )
    h = Harness(definition)
    effects = h.create(**PROFILE)
    slack = only(effects, "send_slack")
    assert isinstance(slack, SendSlack)
    assert slack.message == f"{CONTACT} in {run_id('created')}"
    h.apply(
        "workflow.action.completed", {"runId": run_id("created"), "idempotencyKey": slack.idempotency_key}
    )
    update = only(h.all_effects, "update_contact")
    assert isinstance(update, UpdateContact)
    assert update.attributes == {"lastRun": run_id("created"), "lastWorkflow": "wf1"}


def test_contact_id_in_a_url_is_percent_encoded() -> None:
    scope = Scope({}, {}, None, T0, contact_id="a/b@evil.example")
    url = render_url("https://api.example.com/c/{{contact.id}}", scope, host="api.example.com")
    assert url == "https://api.example.com/c/a%2Fb%40evil.example"


def test_contact_id_is_the_key_not_a_profile_field() -> None:
    scope = Scope({"id": "spoofed"}, {}, None, T0, contact_id="c-real")
    assert render("{{contact.id}}", scope) == "c-real"
    assert render("{{contact.id}}", Scope({"id": "from-profile"}, {}, None, T0)) == "from-profile"


def test_other_run_and_workflow_paths_keep_their_old_meaning() -> None:
    # Only run.id, workflow.id and workflow.version are new names; a profile field called workflow stays.
    scope = Scope({"workflow": {"stage": "beta"}}, {}, None, T0)
    assert render("{{workflow.stage}}", scope) == "beta"
    assert render("{{workflow.id}}", scope) is None  # no run: nothing to name


def test_trigger_conditions_can_use_contact_id() -> None:
    definition = workflow(
        [node("a", "end")],
        trigger={
            "type": "event",
            "event": "contact.created",
            "conditions": [{"field": "contact.id", "operator": "equals", "value": CONTACT}],
        },
    )
    assert kinds(Harness(definition).create())[0] == "run.started"
