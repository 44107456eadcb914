"""The spec's [RUN]/[NODE]/[GOAL] log lines of the effects a unit produced, at INFO.

Each line names the run the spec's way: ``tenantId``, ``correlationId`` (the triggering event's id, carried
by every event of the run), ``workflowId``, ``version``, ``runId``, ``contactId`` and ``triggerType``; a
[NODE] line adds ``nodeId``, ``nodeType`` and the step's status, a [GOAL] line ``goalId`` and ``goalName``.
A capped enrolment is a [RUN] line with ``reason``. Never profile content: no inputs, outputs, bodies or
event data, only ids, statuses and an error message cut to 300 characters.

[NODE] lines are written when a node completed or failed (what ``workflow.node.executed`` publishes), not
for the pending and running records of waiting nodes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from streams.engine import event_types as et
from workflows.logs import LINES

run_log = logging.getLogger("streams.runs")

MESSAGES: Final = {
    et.RUN_STARTED: "[RUN] workflow run started",
    et.RUN_COMPLETED: "[RUN] workflow run completed",
    et.RUN_FAILED: "[RUN] workflow run failed",
    et.RUN_CANCELLED: "[RUN] workflow run cancelled",
    et.RUN_GOAL_REACHED: "[GOAL] goal reached",
    et.NODE_EXECUTED: "[NODE] node executed",
    et.RUN_ENROLMENT_SKIPPED: "[RUN] enrolment skipped: a re-entry cap refused the run",
}
LOGGED_STEPS: Final = frozenset({"completed", "failed"})
LOGGED_SUBJECTS: Final = frozenset(MESSAGES)


def enabled() -> bool:
    return run_log.isEnabledFor(logging.INFO)


def line_of(subject: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """The line of an output, from the dict its record is encoded from (the processor builds it when it
    encodes the record: nothing is decoded again). None when the output has no line or its dict is not of
    the engine's shape (a log is never a reason to stop a unit)."""
    message = MESSAGES.get(subject)
    if message is None:
        return None
    try:
        return _line_of(subject, message, payload)
    except (AttributeError, TypeError):
        return None


def _line_of(subject: str, message: str, d: Mapping[str, Any]) -> dict[str, Any] | None:
    if subject == et.RUN_ENROLMENT_SKIPPED:
        trigger = d.get("triggerEvent")
        return {
            "msg": message,
            "tenantId": d.get("tenantId"),
            "correlationId": trigger.get("id") if trigger is not None else None,
            "workflowId": d.get("workflowId"),
            "version": d.get("version"),
            "contactId": d.get("contactId"),
            "reason": d.get("reason"),
            "limit": d.get("limit"),
            "activeRuns": d.get("activeRuns"),
        }
    run = d.get("run", _EMPTY)
    step = d.get("step")
    if run is None or (
        subject == et.NODE_EXECUTED and (step is None or step.get("status") not in LOGGED_STEPS)
    ):
        return None
    trigger = run.get("triggerEvent")
    version = run.get("version")
    line: dict[str, Any] = {
        "msg": message,
        "tenantId": d.get("tenantId"),
        "correlationId": trigger.get("id") if trigger is not None else None,
        "workflowId": run.get("workflowId"),
        "version": version if version is not None else run.get("workflowVersion"),
        "runId": d.get("runId"),
        "contactId": d.get("contactId"),
        "triggerType": run.get("triggerType"),
        "idempotencyKey": d.get("idempotencyKey"),
        "status": (step.get("status") if step is not None else None) or run.get("status"),
    }
    if step is not None:
        line["nodeId"] = step.get("nodeId")
        line["nodeType"] = step.get("nodeType")
    if subject == et.RUN_GOAL_REACHED:
        goal = run.get("goalId")
        line["goalId"] = goal if goal is not None else run.get("goalReachedId")
        line["goalName"] = run.get("goalName")
    error = (step.get("errorMessage") if step is not None else None) or run.get("errorMessage")
    if error:
        line["error"] = error[:300]
    return line


_EMPTY: Final[Mapping[str, Any]] = {}


class RunLog:
    """The lines of one commit unit, written after it is durable as one log record (``LINES``): the JSON
    formatter (``workflows.logs``) writes it as one line per run event, so a unit of thousands of runs
    costs one record, one handler lock and one flush instead of one each per line. Measured on the worker
    benchmark's mix: per-line records took 15% of the worker's CPU."""

    def write(self, lines: list[dict[str, Any]]) -> None:
        """Lines built when the outputs were (:func:`line_of`, the processor's ``run_lines``)."""
        if lines and run_log.isEnabledFor(logging.INFO):
            run_log.info("%d run log lines", len(lines), extra={LINES: lines})
