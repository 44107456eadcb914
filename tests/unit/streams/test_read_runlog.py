"""The worker's [RUN]/[NODE]/[GOAL] lines: INFO, the spec's fields with correlationId = the triggering
event's id, a line for a capped enrolment, and never profile content."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from streams.engine import simulate
from streams.runlog import RunLog, line_of
from streams.sink import OutRecord
from tests.unit.streams.runlog_decoded import log_effect, log_unit, run_line
from workflows.logs import LINES, JsonFormatter

DEFINITION: dict[str, Any] = {
    "id": "wf-1",
    "tenantId": "acme",
    "version": 3,
    "status": "active",
    "trigger": {"type": "event", "event": "contact.created"},
    "nodes": [
        {"id": "n1", "type": "send_email", "data": {"templateId": "t1", "fromName": "{{contact.email}}"}},
        {"id": "n2", "type": "delay", "data": {"duration": 60, "unit": "seconds"}},
    ],
    "edges": [{"source": "trigger", "target": "n1"}, {"source": "n1", "target": "n2"}],
    "goals": [{"id": "goal-1", "name": "Purchased", "event": "order.placed"}],
    "settings": {"maxActiveRunsPerContact": 1},
}
PROFILE = {"id": "c-1", "email": "ada@example.com", "attributes": {"secret_plan": "gold"}}


def _records() -> list[OutRecord]:
    journey = [
        {"type": "contact.created", "at": 0, "id": "evt-1", "data": {"note": "private words"}},
        {"type": "contact.created", "at": 10, "id": "evt-2"},  # capped: one active run per contact
        {"type": "order.placed", "at": 20, "id": "evt-3"},  # the goal, while the run waits in n2
    ]
    effects = simulate(DEFINITION, PROFILE, journey, 1_767_225_600_000).effects
    return [
        OutRecord("workflows.out", 0, b"c-1", orjson.dumps(e.to_dict()), [("subject", e.subject.encode())])
        for e in effects
        if e.subject
    ]


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    names = ("tenantId", "correlationId", "workflowId", "version", "runId", "contactId", "triggerType")
    names += ("nodeId", "nodeType", "status", "goalId", "goalName", "reason")
    return {n: getattr(record, n) for n in names if hasattr(record, n)}


def test_run_node_goal_and_enrolment_lines_carry_the_specs_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="streams.runs")
    for record in _records():
        log_effect(record)
    lines = [(r.levelno, r.getMessage(), _fields(r)) for r in caplog.records]
    messages = [m for _, m, _ in lines]
    assert messages == [
        "[RUN] workflow run started",
        "[NODE] node executed",  # n1 completed; n2's pending record is not a line
        "[RUN] enrolment skipped: a re-entry cap refused the run",
        "[GOAL] goal reached",
    ]
    assert {level for level, _, _ in lines} == {logging.INFO}
    started, node, skipped, goal = (f for _, _, f in lines)
    assert started["correlationId"] == "evt-1"
    assert {k: started[k] for k in ("tenantId", "workflowId", "version", "contactId", "triggerType")} == {
        "tenantId": "acme",
        "workflowId": "wf-1",
        "version": 3,
        "contactId": "c-1",
        "triggerType": "event",
    }
    assert (node["nodeId"], node["nodeType"], node["status"], node["correlationId"]) == (
        "n1",
        "send_email",
        "completed",
        "evt-1",
    )
    assert (skipped["workflowId"], skipped["contactId"], skipped["reason"]) == (
        "wf-1",
        "c-1",
        "workflow_active_runs_limit",
    )
    assert (goal["goalId"], goal["goalName"], goal["correlationId"], goal["runId"]) == (
        "goal-1",
        "Purchased",
        "evt-1",
        started["runId"],
    )
    text = repr([r.__dict__ for r in caplog.records])
    for private in ("ada@example.com", "gold", "private words"):
        assert private not in text  # no profile content, no event data, no rendered inputs


def test_a_units_lines_are_one_record_written_as_the_same_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="streams.runs")
    for record in _records():
        log_effect(record)
    single = [JsonFormatter().format(r) for r in caplog.records]
    caplog.clear()
    log_unit(_records())
    [batch] = caplog.records  # one record for the whole unit
    written = JsonFormatter().format(batch).split("\n")

    def without_time(line: str) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(line)
        parsed.pop("ts")
        return parsed

    assert [without_time(line) for line in written] == [without_time(line) for line in single]
    assert len(written) == 4


def test_lines_built_from_the_output_dicts_are_the_lines_decoded_from_the_records(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="streams.runs")
    effects = simulate(
        DEFINITION,
        PROFILE,
        [
            {"type": "contact.created", "at": 0, "id": "evt-1"},
            {"type": "contact.created", "at": 10, "id": "evt-2"},
            {"type": "order.placed", "at": 20, "id": "evt-3"},
        ],
        1_767_225_600_000,
    ).effects
    payloads = [(e.subject, e.to_dict()) for e in effects if e.subject]
    from_dicts = [line for subject, d in payloads if (line := line_of(subject, d)) is not None]
    records = [
        OutRecord("workflows.out", 0, b"c-1", orjson.dumps(d), [("subject", subject.encode())])
        for subject, d in payloads
    ]
    decoded = [
        {"msg": m, **extra} for r in records if (line := run_line(r)) is not None for m, extra in [line]
    ]
    assert from_dicts == decoded
    assert [list(line) for line in from_dicts] == [list(line) for line in decoded]  # the same field order
    assert len(from_dicts) == 4
    RunLog().write(from_dicts)
    [batch] = caplog.records
    assert batch.lines == decoded
    # what the engine would never emit yields no line rather than an error
    assert line_of("workflow.run.started", {"run": None}) is None
    assert line_of("workflow.run.started", {"run": {"triggerEvent": "not a dict"}}) is None
    assert line_of("message.send", {"run": {}}) is None


def test_each_line_of_a_record_is_one_json_object_with_the_records_head() -> None:
    record = logging.LogRecord("streams.runs", logging.INFO, "", 0, "%d lines", (3,), None)
    record.__dict__[LINES] = [{"msg": "a", "n": 1}, {}, {"msg": "b", "at": datetime(2026, 1, 1, tzinfo=UTC)}]
    written = [orjson.loads(line) for line in JsonFormatter().format(record).split("\n")]
    assert [{k: v for k, v in w.items() if k != "ts"} for w in written] == [
        {"level": "INFO", "logger": "streams.runs", "msg": "a", "n": 1},
        {"level": "INFO", "logger": "streams.runs"},
        {"level": "INFO", "logger": "streams.runs", "msg": "b", "at": "2026-01-01T00:00:00+00:00"},
    ]
    assert all(w["ts"].endswith("+00:00") for w in written)
