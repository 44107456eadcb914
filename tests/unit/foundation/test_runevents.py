"""The typed decoder of ``workflows.out`` run records: what the engine emits decodes with the fields the
log lines read, other subjects are not run records, and a record of the wrong shape is refused."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.engine import simulate
from workflows.runevents import (
    EnrolmentSkippedRecord,
    RunEventDecodeError,
    RunEventRecord,
    decode_out_record,
)

DEFINITION: dict[str, Any] = {
    "id": "wf-1",
    "tenantId": "acme",
    "version": 3,
    "status": "active",
    "trigger": {"type": "event", "event": "contact.created"},
    "nodes": [
        {"id": "n1", "type": "send_email", "data": {"templateId": "t1"}},
        {"id": "n2", "type": "delay", "data": {"duration": 60, "unit": "seconds"}},
    ],
    "edges": [{"source": "trigger", "target": "n1"}, {"source": "n1", "target": "n2"}],
    "settings": {"maxActiveRunsPerContact": 1},
}


def _effects() -> list[Any]:
    journey = [
        {"type": "contact.created", "at": 0, "id": "evt-1", "data": {"note": "private"}},
        {"type": "contact.created", "at": 10, "id": "evt-2"},
    ]
    return list(simulate(DEFINITION, {"id": "c-1"}, journey, 1_767_225_600_000).effects)


def test_run_events_decode_with_run_and_step_fields() -> None:
    decoded = [decode_out_record(e.subject, orjson.dumps(e.to_dict())) for e in _effects() if e.subject]
    started = next(
        d for d in decoded if isinstance(d, RunEventRecord) and d.event_type == "workflow.run.started"
    )
    assert (started.tenant_id, started.contact_id, started.run.workflow_id) == ("acme", "c-1", "wf-1")
    assert started.run.pinned_version == 3
    assert started.run.trigger_event is not None
    assert started.run.trigger_event.id == "evt-1"
    node = next(d for d in decoded if isinstance(d, RunEventRecord) and d.step is not None)
    assert (node.step.node_id, node.step.node_type) == ("n1", "send_email")  # type: ignore[union-attr]
    skipped = next(d for d in decoded if isinstance(d, EnrolmentSkippedRecord))
    assert (skipped.workflow_id, skipped.reason) == ("wf-1", "workflow_active_runs_limit")


def test_other_subjects_are_not_run_records() -> None:
    assert decode_out_record("pipeline.message.send", b'{"kind": "send_message"}') is None


@pytest.mark.parametrize(
    "value", [b"not json", b'{"run": {"startedAt": "yesterday"}}', b'{"step": [1]}', b"[]"]
)
def test_a_broken_run_record_is_refused(value: bytes) -> None:
    with pytest.raises(RunEventDecodeError):
        decode_out_record("workflow.run.started", value)
