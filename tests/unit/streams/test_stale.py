"""Stale-run detector: scan_stale reports, the processor re-checks (fail_stale) before failing a run."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

import streams.stale
from streams.engine import ContactState, Event, Run, run_id_for, step
from streams.engine.event_types import RUN_STALE_DETECTED as STALE_CHECK
from streams.engine.stale import stale_reason
from streams.keys import TIMER_PREFIX, prefix_end, state_key
from streams.stale import StaleScan, scan_stale
from streams.store import MemoryPartitionStore
from tests.unit.engine.helpers import workflow
from tests.unit.streams.builders import (
    DELAY_MS,
    EVENTS,
    MINUTE,
    OVERDUE_MS,
    T0,
    TENANT,
    apply,
    as_in_records,
    contact_on,
    contacts_on,
    delay_workflow,
    envelope,
    feed_with,
    load_state,
    node,
    processor,
    put_state,
    record,
    subjects,
)

NOW = T0 + DELAY_MS + OVERDUE_MS + 1  # the scan's clock: a delay started at T0 is 1 ms past the threshold
NOTHING = "stale: the run waits on nothing (no pending timer, no pending action)"


def stuck_state(contact: str) -> ContactState:
    """A running run that waits on nothing: what a lost wait leaves behind."""
    state = ContactState.empty(TENANT, contact)
    run = Run("run-stuck", "wf1", 1, T0, {"id": "e0", "type": "contact.created"}, current_node_id="a")
    state.runs[run.run_id] = run
    return state


def scan_envelopes(scan: StaleScan) -> list[dict[str, Any]]:
    return [e for r in scan.records for e in orjson.loads(r.value or b"")]


async def scan(store: MemoryPartitionStore, owned: set[int] | None = None) -> StaleScan:
    alive = owned if owned is not None else {0, 1, 2, 3}
    return await scan_stale(
        store, alive, events_topic=EVENTS, now=NOW, overdue_ms=OVERDUE_MS, owned=lambda p: p in alive
    )


def world() -> tuple[MemoryPartitionStore, dict[str, str]]:
    """p0: a run waiting on nothing; p1: a delay overdue past the threshold; p2: a delay due in the future;
    p3: a delay overdue by less than the threshold."""
    store = MemoryPartitionStore()
    proc = processor(store, feed_with(delay_workflow()))
    contacts = {"nothing": contact_on(0), "overdue": contact_on(1), "future": contact_on(2)}
    contacts["recent"] = contact_on(3)
    put_state(store, 0, stuck_state(contacts["nothing"]))
    for name, p, started in (
        ("overdue", 1, T0),
        ("future", 2, NOW - MINUTE),
        ("recent", 3, NOW - DELAY_MS - MINUTE),
    ):
        apply(
            store,
            proc.process([record(p, 0, envelope(f"e-{name}", "contact.created", contacts[name]))], started),
        )
    return store, contacts


async def test_scan_reports_runs_waiting_on_nothing_and_overdue_waits_only() -> None:
    store, contacts = world()
    result = await scan(store)

    assert result.stale == 2
    assert [(r.topic, r.partition) for r in result.records] == [(EVENTS, 0), (EVENTS, 1)]
    sent = scan_envelopes(result)
    assert [(e["type"], e["contactId"]) for e in sent] == [
        (STALE_CHECK, contacts["nothing"]),
        (STALE_CHECK, contacts["overdue"]),
    ]
    overdue_run = run_id_for(TENANT, "wf1", contacts["overdue"], "e-overdue")
    assert sent[0]["data"] == {"runId": "run-stuck", "reason": NOTHING, "overdueMs": OVERDUE_MS}
    assert sent[0]["id"] == "stale:run-stuck:a"
    assert sent[1]["data"] == {
        "runId": overdue_run,
        "reason": f"stale: its delay was due {OVERDUE_MS + 1} ms ago",
        "overdueMs": OVERDUE_MS,
    }
    assert result.running == {"timer": 3, "action": 0, "nothing": 1}
    assert result.timers == 3


async def test_applying_the_reports_fails_the_stale_runs_and_leaves_the_waiting_ones() -> None:
    store, contacts = world()
    waiting = {"future": 2, "recent": 3}
    before = {name: load_state(store, p, contacts[name]) for name, p in waiting.items()}
    assert [len(state.runs) if state else 0 for state in before.values()] == [1, 1]
    proc = processor(store, feed_with(delay_workflow()))

    result = proc.process(as_in_records((await scan(store)).records), now=NOW)

    failed = [
        orjson.loads(o.value or b"") for o in result.outputs if subjects([o]) == ["workflow.run.failed"]
    ]
    assert [(f["contactId"], f["run"]["errorMessage"]) for f in failed] == [
        (contacts["nothing"], NOTHING),
        (contacts["overdue"], f"stale: its delay was due {OVERDUE_MS + 1} ms ago"),
    ]
    assert result.run_events == {"failed": 2}
    [(overdue_timer, _)] = list(store.scan(1, TIMER_PREFIX, prefix_end(TIMER_PREFIX)))
    assert result.timer_changes == {1: {overdue_timer: None}}  # the failed run's timer is cancelled
    assert result.partitions() == {0, 1}
    apply(store, result)
    for p, name in ((0, "nothing"), (1, "overdue")):
        state = load_state(store, p, contacts[name])
        assert state is not None
        assert state.runs == {}
        assert state.finished["wf1"].status == "failed"
    assert list(store.scan(1, TIMER_PREFIX, prefix_end(TIMER_PREFIX))) == []
    for name, p in waiting.items():
        assert load_state(store, p, contacts[name]) == before[name]
    assert (await scan(store)).stale == 0


async def test_a_run_that_moved_on_before_the_report_is_applied_is_not_failed() -> None:
    two_delays = workflow(
        [node("d1", "delay", duration=60, unit="minutes"), node("d2", "delay", duration=60, unit="minutes")]
    )
    feed = feed_with(two_delays)
    store = MemoryPartitionStore()
    proc = processor(store, feed)
    contact = contact_on(2)
    apply(store, proc.process([record(2, 0, envelope("e1", "contact.created", contact))], now=T0))
    report = await scan(store)
    assert report.stale == 1
    [(_key, raw)] = list(store.scan(2, TIMER_PREFIX, prefix_end(TIMER_PREFIX)))
    timer = orjson.loads(raw)
    data = {k: timer[k] for k in ("runId", "timerId", "kind", "dueAt")}
    fired = envelope(f"timer:{timer['timerId']}", "workflow.timer.fired", contact, data)
    apply(store, proc.process([record(2, 1, fired)], now=NOW))  # the late timer fires first: now on d2

    result = proc.process(as_in_records(report.records), now=NOW + 5)

    assert result.outputs == []
    apply(store, result)  # the report is remembered as applied, nothing else changes
    state = load_state(store, 2, contact)
    assert state is not None
    [run] = state.runs.values()
    assert (run.status, run.current_node_id, run.wait_due_at) == ("running", "d2", NOW + 60 * MINUTE)


async def test_partitions_no_longer_owned_are_not_scanned() -> None:
    store, _ = world()
    result = await scan(store, owned={1, 2})
    assert [r.partition for r in result.records] == [1]
    assert result.running == {"timer": 2, "action": 0, "nothing": 0}
    assert result.timers == 2


async def test_scan_reads_large_partitions_page_by_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams.stale, "_PAGE", 3)
    store = MemoryPartitionStore()
    contacts = contacts_on(0, 7)
    for c in contacts:
        put_state(store, 0, stuck_state(c))
    result = await scan(store)
    assert result.stale == 7
    assert sorted(e["contactId"] for e in scan_envelopes(result)) == sorted(contacts)


def _run(**wait: Any) -> Run:
    return Run("r", "wf1", 1, T0, {}, **wait)


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (_run(), NOTHING),
        (
            _run(wait_timer_id="t", wait_due_at=NOW - OVERDUE_MS - 1, wait_kind="delay"),
            "stale: its delay was due",
        ),
        (
            _run(
                wait_timer_id="t",
                wait_due_at=NOW - OVERDUE_MS - 7,
                wait_kind="action_timeout",
                wait_action_key="k",
            ),
            "stale: its action_timeout was due",
        ),
        (_run(wait_timer_id="t", wait_due_at=NOW - OVERDUE_MS, wait_kind="delay"), None),
        (_run(wait_timer_id="t", wait_due_at=NOW + DELAY_MS, wait_kind="delay"), None),
        (_run(wait_action_key="k"), None),
    ],
    ids=["nothing", "overdue-delay", "overdue-action", "at-threshold", "future", "action-no-timer"],
)
def test_stale_reason(run: Run, expected: str | None) -> None:
    reason = stale_reason(run, NOW, OVERDUE_MS)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert reason.startswith(expected)


def test_the_engine_ignores_an_already_applied_report_and_an_unknown_run() -> None:
    state = stuck_state(contact_on(0))
    feed = feed_with(delay_workflow())

    def report(event_id: str, run_id: str) -> Event:
        return Event.create(
            id=event_id,
            type=STALE_CHECK,
            tenant_id=TENANT,
            contact_id=state.contact_id,
            occurred_at_ms=NOW,
            data={"runId": run_id, "overdueMs": OVERDUE_MS},
        )

    failed = step(state, report("s1", "run-stuck"), definitions=feed.index, now=NOW)
    assert [e.kind for e in failed.effects] == ["run_event"]
    assert failed.state.runs == {}
    again = step(failed.state, report("s1", "run-stuck"), definitions=feed.index, now=NOW)
    assert (again.state, again.effects) == (failed.state, [])
    unknown = step(state, report("s2", "no-such-run"), definitions=feed.index, now=NOW)
    assert (unknown.state.runs, unknown.effects) == (state.runs, [])


async def test_an_unreadable_state_is_skipped_and_the_others_are_scanned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, contacts = world()
    for partition, raw in ((0, b"\x09future"), (1, b"\x02\xc1"), (1, b'{"format":1,"tenantId":"t1"}')):
        store.write(partition, {state_key(TENANT, f"broken-{len(raw)}"): raw}, None)

    result = await scan(store)

    assert result.stale == 2  # the same two reports as without the broken records
    assert [e["contactId"] for e in scan_envelopes(result)] == [contacts["nothing"], contacts["overdue"]]
    skipped = [r for r in caplog.records if r.getMessage() == "unreadable state skipped by the stale scan"]
    assert len(skipped) == 3
