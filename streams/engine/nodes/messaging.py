"""send_email, send_sms, send_whatsapp, send_push: one SendMessage for the pipeline.

``{{ path }}`` placeholders in the from fields and the other data (template variables, subject lines...)
are rendered like a webhook's, against the contact, the triggering event and the run. The step record's
input is what was sent: channel, templateId, the rendered from fields and params, secrets redacted.

Outside its send window (``data.sendWindow``, else the workflow's ``settings.sendWindow``: see
``streams.engine.windows``) the node waits on a ``send_window`` timer and sends when it fires.

Inside it, the tenant's frequency caps (``streams.engine.caps``) decide: over a cap the node skips (a
``skipped`` step with the cap as its reason; the run goes on) or, with ``data.frequencyCap: "wait"``, waits
on a ``frequency_cap`` timer until the cap allows it and checks again. Every message sent is remembered
in the contact's send history.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from streams.engine import event_types as et
from streams.engine.caps import CAP_MODES, decide
from streams.engine.effects import SendMessage
from streams.engine.nodes.base import Continue, NodeHandler, Outcome, Wait
from streams.engine.redact import redact_data
from streams.engine.rules import Collector, require
from streams.engine.templating import render
from streams.engine.windows import check_window, compile_window, release_at, window_zone

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["HANDLERS", "MESSAGE_CHANNELS"]

MESSAGE_CHANNELS: Final = {
    "send_email": "email",
    "send_sms": "sms",
    "send_whatsapp": "whatsapp",
    "send_push": "push",
}
# The pipeline's from fields travel at the top level of pipeline.message.send; the rest goes in params.
SENDER_FIELDS: Final = frozenset({"fromName", "fromEmail", "replyTo", "fromNumber", "senderId"})
# The node's own settings, not the pipeline's.
_NOT_PARAMS: Final = frozenset({"templateId", "sendWindow", "frequencyCap"})


def _prepare(node: PlanNode) -> None:
    data = node.data
    channel = MESSAGE_CHANNELS[node.type]
    node.config["channel"] = channel
    node.config["sender"] = {k: v for k, v in data.items() if k in SENDER_FIELDS}
    node.config["params"] = {k: v for k, v in data.items() if k not in SENDER_FIELDS and k not in _NOT_PARAMS}
    node.config["window"] = compile_window(data.get("sendWindow"))
    node.config["cap_mode"] = data.get("frequencyCap") if data.get("frequencyCap") in CAP_MODES else "skip"
    node.config["output"] = {"channel": channel, "templateId": data.get("templateId")}
    # Decided once per compiled node: most messages have no placeholder and send their data as it is.
    node.config["templated"] = "{{" in json.dumps([node.config["sender"], node.config["params"]], default=str)
    node.config["input"] = _input(
        channel, data.get("templateId"), node.config["sender"], node.config["params"]
    )


def _input(channel: str, template_id: Any, sender: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    recorded: dict[str, Any] = redact_data({**sender, "params": params})
    return {"channel": channel, "templateId": template_id, **recorded}


def _execute(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    window = node.config["window"] or plan.send_window
    if window is not None:
        tz = window_zone(window, ctx.profile.get("timezone"), plan.timezone)
        release = release_at(window, ctx.now, tz, ctx.contact_id, run.run_id)
        if release is not None:
            return Wait(et.TIMER_SEND_WINDOW, release)
    return _send(ctx, run, plan, node, key)


def _send(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    """Send now unless a frequency cap holds it: at once inside the window, or when the send-window or
    frequency-cap timer fires (``on_timer``)."""
    config = node.config
    caps = ctx.definitions.frequency_caps(ctx.tenant_id)
    if caps:
        held = decide(caps, ctx.sends, config["channel"], plan.priority, ctx.now)
        if held is not None:
            if config["cap_mode"] == "wait":
                return Wait(et.TIMER_FREQUENCY_CAP, held.retry_at)
            output = {**config["output"], "skipped": True, "reason": held.reason, "allowedAt": held.retry_at}
            return Continue(node.next, output, config["input"], status="skipped", reason=held.reason)
    sender, params, recorded = config["sender"], config["params"], config["input"]
    if config["templated"]:
        scope = ctx.run_scope(run)
        sender, params = render(sender, scope), render(params, scope)
        recorded = _input(config["channel"], node.data["templateId"], sender, params)
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
            sender,
            params,
        )
    )
    ctx.record_send(config["channel"])
    output = config["output"]
    zone_name = ctx.profile.get("timezone")
    if isinstance(zone_name, str) and zone_name:
        # The contact's zone at the send: analytics read the send's local hour from it (night sends).
        output = {**output, "contactTimezone": zone_name[:64]}
    return Continue(node.next, output, recorded)


def _checker(kind: str) -> Callable[[dict[str, Any], str, Collector], None]:
    def check(data: dict[str, Any], path: str, out: Collector) -> None:
        require(data, "templateId", path, out, kind)
        if data.get("sendWindow") is not None:
            check_window(data["sendWindow"], f"{path}.sendWindow", out)
        mode = data.get("frequencyCap")
        if mode is not None and mode not in CAP_MODES:
            out.add(
                f"{path}.frequencyCap",
                "invalid_value",
                'frequencyCap must be "skip" (go on without sending) or "wait" (send once the cap allows)',
            )

    return check


HANDLERS: Final = {
    kind: NodeHandler(_execute, _prepare, _checker(kind), on_timer=_send) for kind in MESSAGE_CHANNELS
}
