"""Secrets in node data never reach a step record or any event routed to NATS; the executor gets them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from streams.engine import CallWebhook, EmitRunEvent, SendSlack
from streams.engine.redact import REDACTED, is_secret_key, redact_data, redact_slack_url, redact_url

from .helpers import Harness, node, only, workflow

SECRETS = ("sk-live-123", "hunter2", "qs-token-9", "T000/B000/XXXX", "key-777", "pw-555", "hdr-abc")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pass@api.example.com/x", "https://***@api.example.com/x"),
        ("https://api.example.com/x?token=abc&page=2", "https://api.example.com/x?token=***&page=***"),
        ("https://api.example.com/x?sk_live_abc", "https://api.example.com/x?***"),
        ("https://api.example.com:8443/cb#access_token=abc", "https://api.example.com:8443/cb#***"),
        ("https://api.example.com/x/{{contact.id}}", "https://api.example.com/x/{{contact.id}}"),
        ("{{contact.attributes.hook}}", "{{contact.attributes.hook}}"),
        ("http://[::1", REDACTED),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_slack_url_keeps_scheme_and_host_only() -> None:
    assert (
        redact_slack_url("https://hooks.slack.com/services/T000/B000/XXXX") == "https://hooks.slack.com/***"
    )
    assert redact_slack_url("{{contact.attributes.hook}}") == REDACTED


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True),
        ("client_secret", True),
        ("apiKey", True),
        ("api-key", True),
        ("X-Auth-Token", True),
        ("authorization", True),
        ("accessToken", True),
        ("templateId", False),
        ("author", False),
        ("message", False),
        ("url", False),
    ],
)
def test_secret_keys(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_redact_data_keeps_names_and_structure() -> None:
    data: dict[str, Any] = {
        "url": "https://u:p@api.example.com/x?token=t",
        "headers": {"Authorization": "Bearer x", "X-Trace": "1"},
        "body": {"user": {"password": "p", "name": "ada"}, "items": [{"apiKey": "k"}]},
        "message": "hi",
        "retries": 3,
    }
    original = json.loads(json.dumps(data))
    assert redact_data(data) == {
        "url": "https://***@api.example.com/x?token=***",
        "headers": {"Authorization": REDACTED, "X-Trace": REDACTED},
        "body": {"user": {"password": REDACTED, "name": "ada"}, "items": [{"apiKey": REDACTED}]},
        "message": "hi",
        "retries": 3,
    }
    assert data == original  # a copy: the executor's input is untouched


def test_a_json_text_body_is_redacted_as_data() -> None:
    text = '{"token": "sk-1", "name": "{{contact.email}}"}'
    assert json.loads(redact_data({"body": text})["body"]) == {"token": REDACTED, "name": "{{contact.email}}"}
    assert redact_data({"body": "plain text, token=abc"}) == {"body": "plain text, token=abc"}
    assert redact_data({"body": '{"name": "x"}'}) == {"body": '{"name": "x"}'}  # untouched when nothing hides


def _secret_workflow() -> dict[str, Any]:
    return workflow(
        [
            node(
                "hook",
                "webhook",
                url="https://svc:hunter2@api.example.com/v1/x?token=qs-token-9&page=1",
                headers={"Authorization": "Bearer sk-live-123", "X-Custom": "hdr-abc"},
                body={"apiKey": "key-777", "user": {"password": "pw-555"}, "email": "{{contact.email}}"},
            ),
            node(
                "slack", "slack", webhookUrl="https://hooks.slack.com/services/T000/B000/XXXX", message="hi"
            ),
        ]
    )


def test_step_records_and_published_events_carry_no_secret() -> None:
    h = Harness(_secret_workflow())
    effects = h.create(email="ada@example.com")
    call = only(effects, "call_webhook")
    assert isinstance(call, CallWebhook)
    effects += h.apply(
        "workflow.action.completed",
        {
            "runId": call.run_id,
            "idempotencyKey": call.idempotency_key,
            "output": {"status": 200, "body": {}, "durationMs": 3},
        },
    )
    slack = only(effects, "send_slack")
    effects += h.apply(
        "workflow.action.completed",
        {"runId": slack.run_id, "idempotencyKey": slack.idempotency_key, "output": {"status": 200}},
    )
    published = [e for e in effects if e.route == "nats"]
    steps = [e for e in published if isinstance(e, EmitRunEvent) and e.step is not None]
    assert len(steps) == 4  # hook running + completed, slack running + completed
    wire = json.dumps([e.to_dict() for e in published])
    for secret in SECRETS:
        assert secret not in wire, secret
    hook_input = steps[0].step["input"]  # type: ignore[index]
    assert hook_input["url"] == "https://***@api.example.com/v1/x?token=***&page=***"
    assert hook_input["headers"] == {"Authorization": REDACTED, "X-Custom": REDACTED}
    assert hook_input["body"] == {
        "apiKey": REDACTED,
        "user": {"password": REDACTED},
        "email": "{{contact.email}}",
    }
    assert steps[-1].step["input"]["webhookUrl"] == "https://hooks.slack.com/***"  # type: ignore[index]


def test_the_executor_gets_the_real_values() -> None:
    h = Harness(_secret_workflow())
    effects = h.create(email="ada@example.com")
    call = only(effects, "call_webhook")
    assert isinstance(call, CallWebhook)
    assert call.url == "https://svc:hunter2@api.example.com/v1/x?token=qs-token-9&page=1"
    assert call.headers == {"Authorization": "Bearer sk-live-123", "X-Custom": "hdr-abc"}
    assert call.body == {"apiKey": "key-777", "user": {"password": "pw-555"}, "email": "ada@example.com"}
    effects = h.apply(
        "workflow.action.completed",
        {"runId": call.run_id, "idempotencyKey": call.idempotency_key, "output": {"status": 200}},
    )
    slack = only(effects, "send_slack")
    assert isinstance(slack, SendSlack)
    assert slack.webhook_url == "https://hooks.slack.com/services/T000/B000/XXXX"


def test_the_redacted_input_is_built_once_per_compiled_node() -> None:
    h = Harness(_secret_workflow())
    plan = h.index.plan("wf1", 1)
    assert plan is not None
    cached = plan.nodes["hook"].record_input
    assert cached is not None
    assert cached["headers"] == {"Authorization": REDACTED, "X-Custom": REDACTED}
    steps = [e for e in h.create() if isinstance(e, EmitRunEvent) and e.step is not None]
    assert steps[0].step["input"] is cached  # type: ignore[index]


def test_a_simulation_answer_carries_no_secret() -> None:
    from streams.engine.simulate import simulate

    definition = _secret_workflow()
    contact = {"email": "ada@example.com"}
    events = [{"id": "created", "type": "contact.created", "at": 0, "data": {"contact": contact}}]
    result = simulate(definition, contact, events, 0)
    kinds = {e.kind for e in result.effects}
    assert {"call_webhook", "send_slack"} <= kinds  # the simulation did reach both HTTP nodes
    wire = json.dumps(result.to_dict())
    for secret in SECRETS:
        assert secret not in wire, secret
