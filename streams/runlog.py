"""The spec's [RUN]/[NODE]/[GOAL] log lines of the effects a unit produced: ids and statuses only."""

from __future__ import annotations

import logging

import orjson

from streams.engine import event_types as et
from streams.sink import OutRecord

run_log = logging.getLogger("streams.runs")

_RUN_TAGS = {
    et.RUN_GOAL_REACHED: "[GOAL]",
    et.NODE_EXECUTED: "[NODE]",
}


def log_effect(record: OutRecord) -> None:
    """The spec's [RUN]/[NODE]/[GOAL] lines: ids and statuses only (no inputs, outputs or bodies)."""
    subject = next((v.decode() for k, v in record.headers if k == "subject"), "")
    if not subject.startswith("workflow."):
        return
    tag = _RUN_TAGS.get(subject, "[RUN]")
    if tag == "[NODE]" and not run_log.isEnabledFor(logging.DEBUG):
        return  # one line per node at INFO would dominate the worker's CPU at volume
    effect = orjson.loads(record.value or b"{}")
    run = effect.get("run") or {}
    step = effect.get("step") or {}
    extra = {
        "tenantId": effect.get("tenantId"),
        "contactId": effect.get("contactId"),
        "runId": effect.get("runId"),
        "workflowId": run.get("workflowId"),
        "workflowVersion": run.get("workflowVersion"),
        "idempotencyKey": effect.get("idempotencyKey"),
        "triggerEventId": (run.get("triggerEvent") or {}).get("id"),
        "status": step.get("status") or run.get("status"),
    }
    if step:
        extra.update(nodeId=step.get("nodeId"), nodeType=step.get("nodeType"))
    error = step.get("errorMessage") or run.get("errorMessage")
    if error:
        extra["error"] = str(error)[:300]
    level = logging.DEBUG if tag == "[NODE]" else logging.INFO
    run_log.log(level, f"{tag} {subject.removeprefix('workflow.')}", extra=extra)
