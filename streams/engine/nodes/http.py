"""webhook and slack: the executor makes the HTTP call; the run waits for workflow.action.completed or
workflow.action.failed, guarded by an action_timeout timer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from streams.engine import event_types as et
from streams.engine.effects import CallWebhook, SendSlack
from streams.engine.nodes.base import NodeHandler, Outcome, Wait
from streams.engine.templating import render

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["HTTP_HANDLERS"]

DEFAULT_TIMEOUT_MS: Final = 10_000  # one HTTP attempt
# All attempts together: the executor retries with backoff, so the run's timer allows several attempts.
DEFAULT_ACTION_TIMEOUT_MS: Final = 300_000


def _prepare(node: PlanNode) -> None:
    timeout = node.data.get("timeoutMs") or DEFAULT_TIMEOUT_MS
    node.config["timeout_ms"] = timeout
    node.config["action_timeout_ms"] = node.data.get("actionTimeoutMs") or max(
        DEFAULT_ACTION_TIMEOUT_MS, timeout
    )


def _webhook(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    data, scope = node.data, ctx.run_scope(run)
    ctx.emit(
        CallWebhook(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            node.id,
            key,
            str(render(data["url"], scope)),
            str(data.get("method", "POST")).upper(),
            render(data.get("headers") or {}, scope),
            render(data.get("body"), scope),
            node.config["timeout_ms"],
        )
    )
    return Wait(et.TIMER_ACTION_TIMEOUT, ctx.now + node.config["action_timeout_ms"], action_key=key)


def _slack(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    data, scope = node.data, ctx.run_scope(run)
    url, channel = data.get("webhookUrl"), data.get("channel")
    ctx.emit(
        SendSlack(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            node.id,
            key,
            str(render(url, scope)) if url else None,
            str(channel) if channel else None,
            str(render(data.get("message", data.get("text", "")), scope)),
            render(data.get("blocks"), scope),
            node.config["timeout_ms"],
        )
    )
    return Wait(et.TIMER_ACTION_TIMEOUT, ctx.now + node.config["action_timeout_ms"], action_key=key)


HTTP_HANDLERS: Final = {"webhook": NodeHandler(_webhook, _prepare), "slack": NodeHandler(_slack, _prepare)}
