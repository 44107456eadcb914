"""send_email, send_sms, send_whatsapp, send_push: one SendMessage for the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from streams.engine.effects import SendMessage
from streams.engine.model import MESSAGE_CHANNELS
from streams.engine.nodes.base import Continue, NodeHandler, Outcome

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["MESSAGE_HANDLER"]

# The pipeline's from fields travel at the top level of pipeline.message.send; the rest goes in params.
SENDER_FIELDS: Final = frozenset({"fromName", "fromEmail", "replyTo", "fromNumber", "senderId"})


def _prepare(node: PlanNode) -> None:
    data = node.data
    channel = MESSAGE_CHANNELS[node.type]
    node.config["channel"] = channel
    node.config["sender"] = {k: v for k, v in data.items() if k in SENDER_FIELDS}
    node.config["params"] = {k: v for k, v in data.items() if k not in SENDER_FIELDS and k != "templateId"}
    node.config["output"] = {"channel": channel, "templateId": data.get("templateId")}


def _execute(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    config = node.config
    ctx.emit(
        SendMessage(
            ctx.tenant_id,
            ctx.contact_id,
            run.run_id,
            node.id,
            key,
            run.workflow_id,
            config["channel"],
            node.data["templateId"],
            config["sender"],
            config["params"],
        )
    )
    return Continue(node.next, config["output"])


MESSAGE_HANDLER: Final = NodeHandler(_execute, _prepare)
