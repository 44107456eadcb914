"""The projector reads run events with the typed decoder it shares with the worker's log lines
(``workflows.runevents``), keeping what the read model stores: the trigger summary and data, the run's
context, a step's input and output."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from api.projector.events import RunEvent, UndecodableError, decode

RUN = str(uuid.uuid4())
WF = str(uuid.uuid4())


def record(**run: Any) -> dict[str, Any]:
    return {
        "kind": "run_event",
        "subject": "workflow.node.executed",
        "tenantId": "t1",
        "contactId": "c1",
        "runId": RUN,
        "nodeId": "mail",
        "idempotencyKey": f"{RUN}:mail:1:completed",
        "eventType": "workflow.node.executed",
        "occurredAt": 1_767_225_600_000,
        "run": {
            "workflowId": WF,
            "workflowVersion": 2,
            "version": 2,
            "runId": RUN,
            "status": "running",
            "currentNodeId": "mail",
            "triggerEvent": {"id": "e1", "type": "contact.created", "occurredAt": "2026-01-01T00:00:00.000Z"},
            "triggerData": {"plan": "pro"},
            "context": {"variables": {}, "hasOpened": False},
            "startedAt": 1_767_225_600_000,
            "completedAt": None,
            **run,
        },
        "step": {
            "nodeId": "mail",
            "nodeType": "send_email",
            "visit": 1,
            "seq": 1,
            "status": "completed",
            "input": {"templateId": "t"},
            "output": {"channel": "email", "contactTimezone": "Europe/Paris"},
            "errorMessage": None,
            "startedAt": 1_767_225_600_000,
            "completedAt": 1_767_225_600_000,
            "scheduledAt": None,
        },
    }


def test_a_run_event_keeps_what_the_read_model_stores() -> None:
    event = decode(orjson.dumps(record()))
    assert isinstance(event, RunEvent)
    assert (str(event.run_id), str(event.workflow_id), event.workflow_version) == (RUN, WF, 2)
    assert event.trigger_event == {
        "id": "e1",
        "type": "contact.created",
        "occurredAt": "2026-01-01T00:00:00.000Z",
        "data": {"plan": "pro"},
    }
    assert event.context == {"variables": {}, "hasOpened": False}
    assert event.step is not None
    assert (event.step.input, event.step.output["contactTimezone"]) == ({"templateId": "t"}, "Europe/Paris")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"workflowVersion": "2"}, "$.run.workflowVersion"),
        ({"startedAt": "yesterday"}, "$.run.startedAt"),
        ({"status": "sleeping"}, "run fields invalid"),
        ({"workflowId": "not-a-uuid"}, "not a UUID"),
    ],
)
def test_a_field_of_another_shape_is_a_reason_to_dead_letter(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(UndecodableError, match=reason.replace("$", r"\$").replace(".", r"\.")):
        decode(orjson.dumps(record(**change)))


def test_what_is_not_a_run_record_is_skipped_or_refused() -> None:
    assert decode(b"[1, 2]") is None  # JSON, not an object
    assert decode(orjson.dumps({"kind": "send_message", "subject": "pipeline.message.send"})) is None
    with pytest.raises(UndecodableError, match="not JSON"):
        decode(b"{nope")
    nul = record(currentNodeId="ma\u0000il")
    with pytest.raises(UndecodableError, match="NUL"):
        decode(orjson.dumps(nul))
