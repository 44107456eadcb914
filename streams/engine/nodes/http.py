"""webhook and slack: the executor makes the HTTP call; the run waits for workflow.action.completed or
workflow.action.failed, guarded by an action_timeout timer.

URLs are rendered with every template value percent-encoded and must keep the template's host; a JSON body
is rendered as data. A webhook without ``body`` (POST, PUT, PATCH) sends the run's identity:
``{"contact": {"id"}, "event": {"id", "type"}, "run": {"id", "workflowId"}}`` (the triggering event).
Headers and bodies go to the executor unredacted: only step records are redacted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from streams.engine import event_types as et
from streams.engine.effects import CallWebhook, SendSlack
from streams.engine.limits import MAX_ACTION_TIMEOUT_MS, MAX_TIMEOUT_MS
from streams.engine.nodes.base import Fail, NodeHandler, Outcome, Wait
from streams.engine.rules import Collector, nonempty_str, require
from streams.engine.templating import UrlError, json_body, render, render_url, static_host

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["HANDLERS"]

DEFAULT_TIMEOUT_MS: Final = 10_000  # one HTTP attempt
# All attempts together: the executor retries with backoff, so the run's timer allows several attempts.
DEFAULT_ACTION_TIMEOUT_MS: Final = 300_000
# Methods that carry the default body when a webhook node has none (a GET or DELETE sends no body).
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
_METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def _check_timeouts(data: dict[str, Any], path: str, out: Collector) -> None:
    # Upper bounds: one attempt holds an executor slot, all attempts hold the run (and a timer).
    for key, most in (("timeoutMs", MAX_TIMEOUT_MS), ("actionTimeoutMs", MAX_ACTION_TIMEOUT_MS)):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            out.add(f"{path}.{key}", "invalid_value", f"{key} must be a positive integer")
        elif value > most:
            out.add(f"{path}.{key}", "timeout_out_of_range", f"{key} must be at most {most} ms")


def _check_webhook(data: dict[str, Any], path: str, out: Collector) -> None:
    url = data.get("url")
    require(data, "url", path, out, "webhook")
    if isinstance(url, str) and url and not url.startswith(("http://", "https://", "{{")):
        out.add(f"{path}.url", "invalid_value", "webhook url must be http(s)")
    if str(data.get("method", "POST")).upper() not in _METHODS:
        out.add(f"{path}.method", "invalid_value", f"method must be one of {sorted(_METHODS)}")
    _check_timeouts(data, path, out)


def _check_slack(data: dict[str, Any], path: str, out: Collector) -> None:
    if not nonempty_str(data.get("webhookUrl")) and not (
        nonempty_str(data.get("channel")) and nonempty_str(data.get("message", data.get("text")))
    ):
        out.add(path, "missing_required", "slack needs webhookUrl, or channel and message")
    _check_timeouts(data, path, out)


def _prepare(node: PlanNode) -> None:
    data = node.data
    timeout = data.get("timeoutMs") or DEFAULT_TIMEOUT_MS
    node.config["timeout_ms"] = timeout
    node.config["action_timeout_ms"] = data.get("actionTimeoutMs") or max(DEFAULT_ACTION_TIMEOUT_MS, timeout)
    # Computed once per compiled node: the host a rendered URL must keep, and the body parsed as data.
    url = data.get("url") if node.type == "webhook" else data.get("webhookUrl")
    node.config["url_host"] = static_host(url) if isinstance(url, str) else None
    node.config["body"] = json_body(data.get("body"))
    node.config["default_body"] = (
        node.type == "webhook"
        and "body" not in data
        and str(data.get("method", "POST")).upper() in _BODY_METHODS
    )


def _default_body(ctx: StepContext, run: Run) -> dict[str, Any]:
    trigger = run.trigger
    return {
        "contact": {"id": ctx.contact_id},
        "event": {"id": trigger.get("id"), "type": trigger.get("type")},
        "run": {"id": run.run_id, "workflowId": run.workflow_id},
    }


def _webhook(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    data, scope = node.data, ctx.run_scope(run)
    try:
        url = render_url(str(data["url"]), scope, host=node.config["url_host"])
    except UrlError as exc:
        return Fail(f"url: {exc}")
    ctx.emit(
        CallWebhook(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            node.id,
            key,
            url,
            str(data.get("method", "POST")).upper(),
            render(data.get("headers") or {}, scope),
            _default_body(ctx, run) if node.config["default_body"] else render(node.config["body"], scope),
            node.config["timeout_ms"],
        )
    )
    return Wait(et.TIMER_ACTION_TIMEOUT, ctx.now + node.config["action_timeout_ms"], action_key=key)


def _slack(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    data, scope = node.data, ctx.run_scope(run)
    url, channel = data.get("webhookUrl"), data.get("channel")
    try:
        webhook_url = render_url(str(url), scope, host=node.config["url_host"]) if url else None
    except UrlError as exc:
        return Fail(f"webhookUrl: {exc}")
    ctx.emit(
        SendSlack(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            node.id,
            key,
            webhook_url,
            str(channel) if channel else None,
            str(render(data.get("message", data.get("text", "")), scope)),
            render(data.get("blocks"), scope),
            node.config["timeout_ms"],
        )
    )
    return Wait(et.TIMER_ACTION_TIMEOUT, ctx.now + node.config["action_timeout_ms"], action_key=key)


HANDLERS: Final = {
    "webhook": NodeHandler(_webhook, _prepare, _check_webhook),
    "slack": NodeHandler(_slack, _prepare, _check_slack),
}
