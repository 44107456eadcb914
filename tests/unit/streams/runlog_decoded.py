"""An independent reading of the run log lines for the tests: each line rebuilt from the output record's
bytes with the typed decoder the projector uses (``workflows.runevents``), to compare with the lines the
worker builds from the dicts it encodes (``streams.runlog.line_of``)."""

from __future__ import annotations

import logging
from typing import Any

import orjson

from streams.engine import event_types as et
from streams.runlog import LOGGED_STEPS, MESSAGES, RunLog, run_log
from streams.sink import OutRecord
from workflows.runevents import (
    EnrolmentSkippedRecord,
    RunEventDecodeError,
    RunEventRecord,
    decode_out_record,
)
from workflows.wire import SUBJECT_HEADER


def _subject(record: OutRecord) -> str:
    """The subject header of a single output, else the subject the output names (a pack's output)."""
    for name, value in record.headers:
        if name == SUBJECT_HEADER:
            return value.decode()
    try:
        named = orjson.loads(record.value or b"{}").get("subject")
    except (orjson.JSONDecodeError, AttributeError):
        return ""
    return named if isinstance(named, str) else ""


def log_effect(record: OutRecord) -> None:
    """One line per run lifecycle event, finished node and capped enrolment; nothing for other records."""
    if not run_log.isEnabledFor(logging.INFO):
        return
    line = run_line(record)
    if line is not None:
        message, extra = line
        run_log.info(message, extra=extra)


def run_line(record: OutRecord) -> tuple[str, dict[str, Any]] | None:
    """The message and fields of a record's line, or None when the record has none (or is undecodable:
    the line is a log, never a reason to stop a unit that is already durable)."""
    subject = _subject(record)
    message = MESSAGES.get(subject)
    if message is None:
        return None
    try:
        decoded = decode_out_record(subject, record.value)
    except RunEventDecodeError:
        return None
    if isinstance(decoded, EnrolmentSkippedRecord):
        trigger = decoded.trigger_event
        return message, {
            "tenantId": decoded.tenant_id,
            "correlationId": trigger.id if trigger is not None else None,
            "workflowId": decoded.workflow_id,
            "version": decoded.version,
            "contactId": decoded.contact_id,
            "reason": decoded.reason,
            "limit": decoded.limit,
            "activeRuns": decoded.active_runs,
        }
    if not isinstance(decoded, RunEventRecord):
        return None
    run, step = decoded.run, decoded.step
    if subject == et.NODE_EXECUTED and (step is None or step.status not in LOGGED_STEPS):
        return None
    trigger = run.trigger_event
    extra: dict[str, Any] = {
        "tenantId": decoded.tenant_id,
        "correlationId": trigger.id if trigger is not None else None,
        "workflowId": run.workflow_id,
        "version": run.pinned_version,
        "runId": decoded.run_id,
        "contactId": decoded.contact_id,
        "triggerType": run.trigger_type,
        "idempotencyKey": decoded.idempotency_key,
        "status": (step.status if step is not None else None) or run.status,
    }
    if step is not None:
        extra.update(nodeId=step.node_id, nodeType=step.node_type)
    if subject == et.RUN_GOAL_REACHED:
        extra.update(goalId=run.reached_goal, goalName=run.goal_name)
    error = (step.error_message if step is not None else None) or run.error_message
    if error:
        extra["error"] = error[:300]
    return message, extra


def log_unit(outputs: list[OutRecord], out_topic: str = "workflows.out") -> None:
    """Every decoded line of these outputs as one log record, as the worker writes a unit's lines."""
    lines: list[dict[str, Any]] = []
    for record in outputs:
        if record.topic != out_topic:
            continue
        line = run_line(record)
        if line is not None:
            message, extra = line
            lines.append({"msg": message, **extra})
    RunLog().write(lines)
