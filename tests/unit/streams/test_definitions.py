"""DefinitionFeed: version records and active pointers applied to the trigger index."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.definitions import DefinitionFeed
from streams.store import MemoryPartitionStore
from streams.timers import TimerPump
from tests.unit.streams.builders import (
    DELAY_MS,
    EVENTS,
    T0,
    TENANT,
    apply,
    as_in_records,
    contact_on,
    delay_workflow,
    envelope,
    feed_with,
    pointer,
    processor,
    record,
    schedule_workflow,
    subjects,
)
from workflows.wire import active_key, definition_key

CREATED = "contact.created"


def starters(feed: DefinitionFeed) -> list[str]:
    return [d.id for d in feed.index.candidates(TENANT, CREATED)]


def version_record(definition: dict[str, Any]) -> tuple[bytes, bytes]:
    return definition_key(definition["id"], definition["version"]), orjson.dumps(definition)


@pytest.mark.parametrize("pointer_first", [False, True], ids=["version-then-pointer", "pointer-then-version"])
def test_a_version_and_an_active_pointer_make_the_trigger_index_match(pointer_first: bool) -> None:
    feed = DefinitionFeed()
    records = [version_record(delay_workflow()), (active_key("wf1"), pointer("wf1", 1))]
    for key, value in reversed(records) if pointer_first else records:
        feed.apply(key, value)
    assert starters(feed) == ["wf1"]
    assert (feed.applied, feed.rejected) == (2, 0)
    assert feed.index.active_version("wf1") == 1


def test_a_version_without_a_pointer_is_loaded_but_starts_nothing() -> None:
    feed = DefinitionFeed()
    feed.apply(*version_record(delay_workflow()))
    assert starters(feed) == []
    assert feed.index.plan("wf1", 1) is not None


def test_the_pointer_activates_a_version_stored_as_draft() -> None:
    feed = feed_with(delay_workflow(status="draft"))
    assert starters(feed) == ["wf1"]
    active = feed.index.active("wf1")
    assert active is not None
    assert active.status == "active"


def test_the_pointer_moves_new_runs_to_another_version_and_keeps_the_old_one_loaded() -> None:
    feed = feed_with(delay_workflow())
    feed.apply(*version_record(delay_workflow(version=2)))
    feed.apply(active_key("wf1"), pointer("wf1", 2))
    assert [d.version for d in feed.index.candidates(TENANT, CREATED)] == [2]
    assert feed.index.plan("wf1", 1) is not None


@pytest.mark.parametrize(
    ("version", "status"),
    [(1, "paused"), (1, "archived"), (1, "draft"), (None, "active")],
    ids=["paused", "archived", "draft", "null-version"],
)
def test_a_non_active_pointer_stops_new_runs_but_the_pinned_version_finishes(
    version: int | None, status: str
) -> None:
    feed = feed_with(delay_workflow())
    store = MemoryPartitionStore()
    proc = processor(store, feed)
    first, second = contact_on(0), contact_on(1)
    apply(store, proc.process([record(0, 0, envelope("e1", CREATED, first))], now=T0))

    feed.apply(active_key("wf1"), pointer("wf1", version, status))

    assert starters(feed) == []
    assert feed.index.plan("wf1", 1) is not None
    assert proc.process([record(1, 0, envelope("e2", CREATED, second))], now=T0 + 1).outputs == []
    pump = TimerPump(store, feed, events_topic=EVENTS, refire_s=30, fire_limit=10, per_record=10)
    fired = pump.tick({0}, now=T0 + DELAY_MS, mono=0.0).records
    resumed = proc.process(as_in_records(fired), now=T0 + DELAY_MS)
    assert subjects(resumed.outputs) == ["workflow.node.executed", "workflow.run.completed"]


def test_reactivating_a_paused_workflow_starts_runs_again() -> None:
    feed = feed_with(delay_workflow())
    feed.apply(active_key("wf1"), pointer("wf1", 1, "paused"))
    feed.apply(active_key("wf1"), pointer("wf1", 1))
    assert starters(feed) == ["wf1"]


_INVALID_DEFINITION = orjson.dumps(delay_workflow() | {"nodes": [{"id": "x", "type": "no_such_node"}]})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (None, b"{}"),
        (b"wf1:1", b"{not json"),
        (b"wf1:1", b"[1, 2]"),
        (b"wf1:one", orjson.dumps(delay_workflow())),
        (b"wf1:1", _INVALID_DEFINITION),
        (b"wf1:active", b"[]"),
        (b"wf1:active", b"nope"),
    ],
    ids=[
        "no-key",
        "bad-json",
        "not-an-object",
        "bad-version",
        "invalid-definition",
        "pointer-list",
        "pointer-json",
    ],
)
def test_a_malformed_record_is_counted_and_changes_nothing(key: bytes | None, value: bytes) -> None:
    fresh = DefinitionFeed()
    fresh.apply(key, value)
    assert (fresh.applied, fresh.rejected, len(fresh.index)) == (0, 1, 0)

    loaded = feed_with(delay_workflow())
    loaded.apply(key, value)
    assert (loaded.applied, loaded.rejected) == (2, 1)
    assert starters(loaded) == ["wf1"]


def test_a_version_tombstone_removes_it() -> None:
    feed = feed_with(delay_workflow())
    feed.apply(definition_key("wf1", 1), None)
    assert starters(feed) == []
    assert feed.index.plan("wf1", 1) is None
    assert (len(feed.index), feed.applied, feed.rejected) == (0, 3, 0)
    feed.apply(definition_key("wf1", 7), None)  # a tombstone of a version never seen
    assert (feed.applied, feed.rejected) == (4, 0)


def test_a_pointer_tombstone_stops_new_runs_and_keeps_the_version() -> None:
    feed = feed_with(delay_workflow())
    feed.apply(active_key("wf1"), None)
    assert starters(feed) == []
    assert feed.index.active("wf1") is None
    assert feed.index.plan("wf1", 1) is not None


def test_a_pointer_to_a_version_not_yet_received_starts_nothing_until_it_arrives() -> None:
    feed = feed_with(delay_workflow())
    feed.apply(active_key("wf1"), pointer("wf1", 2))
    assert starters(feed) == []
    feed.apply(*version_record(delay_workflow(version=2, status="draft")))
    assert [d.version for d in feed.index.candidates(TENANT, CREATED)] == [2]


def test_schedule_plans_lists_only_active_schedule_workflows() -> None:
    feed = feed_with(schedule_workflow("cron-a"), schedule_workflow("cron-b"), delay_workflow())
    feed.apply(active_key("cron-b"), pointer("cron-b", 1, "paused"))
    assert [plan.workflow_id for plan in feed.schedule_plans()] == ["cron-a"]


def test_a_pointer_to_an_invalid_version_stops_the_previous_version_like_a_missing_one() -> None:
    feed = feed_with(delay_workflow())
    broken = delay_workflow(version=2) | {"nodes": [{"id": "x", "type": "no_such_node"}]}
    feed.apply(*version_record(broken))
    assert feed.rejected == 1
    feed.apply(active_key("wf1"), pointer("wf1", 2))
    assert feed.index.active_version("wf1") == 2
    assert starters(feed) == []
