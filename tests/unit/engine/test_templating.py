"""Template values are data: URL-encoded in URLs (the host cannot change), rendered inside JSON bodies."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine import CallWebhook, EmitRunEvent, Scope, SendSlack
from streams.engine.templating import UrlError, json_body, render, render_url, static_host

from .helpers import T0, Harness, kinds, node, only, workflow


def hook(url: str, **data: Any) -> dict[str, Any]:
    return workflow([node("hook", "webhook", url=url, **data)])


def run_hook(definition: dict[str, Any], **attributes: Any) -> list[Any]:
    return Harness(definition).create(email="ada@example.com", attributes=attributes)


def test_a_template_value_cannot_move_the_request_to_another_host() -> None:
    effects = run_hook(hook("https://api.example.com{{contact.attributes.path}}"), path="@evil.example/x")
    assert "call_webhook" not in kinds(effects)  # nothing is sent, least of all the Authorization header
    failed = [e for e in effects if isinstance(e, EmitRunEvent) and e.event_type == "workflow.run.failed"]
    assert len(failed) == 1
    assert "url:" in failed[0].run["errorMessage"]
    assert "host" in failed[0].run["errorMessage"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", "https://api.example.com/users/42/orders?ref=42"),
        ("a/b?c=d#e", "https://api.example.com/users/a%2Fb%3Fc%3Dd%23e/orders?ref=a%2Fb%3Fc%3Dd%23e"),
        ("@evil.example", "https://api.example.com/users/%40evil.example/orders?ref=%40evil.example"),
        ("x&admin=1", "https://api.example.com/users/x%26admin%3D1/orders?ref=x%26admin%3D1"),
    ],
)
def test_values_are_percent_encoded_in_urls(value: str, expected: str) -> None:
    template = "https://api.example.com/users/{{contact.attributes.v}}/orders?ref={{contact.attributes.v}}"
    call = only(run_hook(hook(template), v=value), "call_webhook")
    assert isinstance(call, CallWebhook)
    assert call.url == expected


def test_a_whole_url_placeholder_is_the_base_url_and_must_be_http() -> None:
    call = only(
        run_hook(
            hook("{{contact.attributes.hook}}/x/{{contact.attributes.id}}"),
            hook="https://h.example.com",
            id="a b",
        ),
        "call_webhook",
    )
    assert call.url == "https://h.example.com/x/a%20b"  # type: ignore[union-attr]
    effects = run_hook(hook("{{contact.attributes.hook}}"), hook="file:///etc/passwd")
    assert "call_webhook" not in kinds(effects)
    assert kinds(effects)[-2:] == ["hook:failed", "run.failed"]


def test_a_dynamic_host_cannot_take_encoded_characters() -> None:
    effects = run_hook(hook("https://{{contact.attributes.sub}}.example.com/x"), sub="evil.com/")
    assert "call_webhook" not in kinds(effects)
    call = only(
        run_hook(hook("https://{{contact.attributes.sub}}.example.com/x"), sub="acme"), "call_webhook"
    )
    assert call.url == "https://acme.example.com/x"  # type: ignore[union-attr]


def test_render_url_checks_the_static_host() -> None:
    scope = Scope({"attributes": {}}, {}, None, T0)
    assert static_host("https://User:pw@API.example.com:8443/x/{{a}}") == "api.example.com:8443"
    assert static_host("https://{{a}}.example.com/") is None
    assert static_host("{{a}}") is None
    with pytest.raises(UrlError, match="changed the URL's host"):
        render_url("https://api.example.com/x", scope, host="other.example.com")
    assert (
        render_url("https://api.example.com/x", scope, host="api.example.com") == "https://api.example.com/x"
    )


def test_a_json_text_body_is_rendered_as_data() -> None:
    body = '{"name": "{{contact.attributes.name}}", "n": {"count": "{{contact.attributes.count}}"}}'
    call = only(
        run_hook(hook("https://api.example.com/x", body=body), name='x", "admin": true, "y": "', count=3),
        "call_webhook",
    )
    assert isinstance(call, CallWebhook)
    assert call.body == {"name": 'x", "admin": true, "y": "', "n": {"count": 3}}


def test_a_plain_text_body_stays_text() -> None:
    call = only(
        run_hook(hook("https://api.example.com/x", body="Hello {{contact.attributes.name}}!"), name="Ada"),
        "call_webhook",
    )
    assert call.body == "Hello Ada!"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[1, 2]", [1, 2]),
        ('  {"a": 1}', {"a": 1}),
        ("{not json", "{not json"),
        ("42", "42"),
        (None, None),
        ({"a": 1}, {"a": 1}),
    ],
)
def test_json_body(body: Any, expected: Any) -> None:
    assert json_body(body) == expected


def test_slack_webhook_url_keeps_its_host() -> None:
    definition = workflow(
        [
            node(
                "s",
                "slack",
                webhookUrl="https://hooks.slack.com/services/{{contact.attributes.path}}",
                message="hi",
            )
        ]
    )
    slack = only(run_hook(definition, path="T/B/X"), "send_slack")
    assert isinstance(slack, SendSlack)
    assert slack.webhook_url == "https://hooks.slack.com/services/T%2FB%2FX"
    assert (
        render("{{contact.attributes.path}}", Scope({"attributes": {"path": "a/b"}}, {}, None, T0)) == "a/b"
    )
