"""Send windows and quiet hours: waits until the window opens (DST edges, weekends, across midnight, zone
fallback), smoothing spread evenly and stably, node windows over workflow windows, validation, simulate."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from streams.engine import EmitRunEvent, ScheduleTimer, SendMessage, simulate, validate
from streams.engine.timeutil import to_epoch_ms
from streams.engine.windows import compile_window, release_at

from .helpers import Harness, kinds, node, only, workflow

NY = ZoneInfo("America/New_York")
OFFICE = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}


def at(year: int, month: int, day: int, hour: int, minute: int = 0, tz: Any = UTC) -> int:
    return to_epoch_ms(datetime(year, month, day, hour, minute, tzinfo=tz))


def flow(
    window: dict[str, Any] | None = None, node_window: dict[str, Any] | None = None, **settings: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"templateId": "tpl", "subject": "Hi"}
    if node_window is not None:
        data["sendWindow"] = node_window
    if window is not None:
        settings["sendWindow"] = window
    return workflow([node("m", "send_email", **data)], settings=settings)


def reach(definition: dict[str, Any], now: int, **profile: Any) -> tuple[Harness, list[Any]]:
    h = Harness(definition)
    h.now = now
    return h, h.create(**profile)


def released(definition: dict[str, Any], now: int, **profile: Any) -> int | None:
    """When the message node reached at ``now`` sends: None when it sends at once."""
    _, effects = reach(definition, now, **profile)
    if any(isinstance(e, SendMessage) for e in effects):
        return None
    timer = only(effects, "schedule_timer")
    assert isinstance(timer, ScheduleTimer)
    assert timer.timer_kind == "send_window"
    return timer.due_at


def test_inside_the_window_the_message_goes_at_once() -> None:
    assert released(flow(OFFICE), at(2026, 3, 4, 15)) is None  # Wednesday 15:00 UTC


def test_outside_the_window_the_run_waits_and_sends_when_it_opens() -> None:
    h, effects = reach(flow(OFFICE), at(2026, 3, 4, 18))  # Wednesday 18:00 UTC: closed
    assert kinds(effects) == ["run.started", "schedule_timer", "m:pending"]
    timer = only(effects, "schedule_timer")
    assert timer.due_at == at(2026, 3, 5, 9)  # type: ignore[union-attr]
    sent = h.fire(timer)
    assert kinds(sent) == ["send_message", "m:completed", "run.completed"]
    send = only(sent, "send_message")
    assert isinstance(send, SendMessage)
    assert dict(send.params) == {"subject": "Hi"}  # the window is not a pipeline parameter
    [step] = [e.step for e in sent if isinstance(e, EmitRunEvent) and e.step is not None]
    assert (step["startedAt"], step["scheduledAt"], step["completedAt"]) == (
        at(2026, 3, 4, 18),
        at(2026, 3, 5, 9),
        at(2026, 3, 5, 9),
    )


def test_weekend_waits_for_monday_across_the_spring_forward_change() -> None:
    window = {**OFFICE, "timezone": "contact"}
    saturday = at(2026, 3, 7, 12, tz=NY)  # EST; DST starts Sunday March 8
    assert released(flow(window), saturday, timezone="America/New_York") == at(2026, 3, 9, 13)  # 09:00 EDT


def test_an_opening_inside_the_spring_forward_gap_moves_forward_by_the_gap() -> None:
    window = {"start": "02:30", "end": "05:00", "timezone": "America/New_York"}
    before = at(2026, 3, 8, 6)  # 01:00 EST
    assert released(flow(window), before) == at(2026, 3, 8, 7, 30)  # 03:30 EDT


def test_an_ambiguous_opening_at_the_fall_back_change_takes_the_first_occurrence() -> None:
    window = {"start": "01:30", "end": "04:00", "timezone": "America/New_York"}
    assert released(flow(window), at(2026, 11, 1, 4)) == at(2026, 11, 1, 5, 30)  # 00:00 EDT -> 01:30 EDT
    # In the repeated hour, after the change: 01:40 EST is inside, and at 01:10 EST the window opens again
    # at 01:30 EST, twenty minutes later (not the next day).
    assert released(flow(window), at(2026, 11, 1, 6, 40)) is None
    assert released(flow(window), at(2026, 11, 1, 6, 10)) == at(2026, 11, 1, 6, 30)


def test_a_window_across_midnight() -> None:
    night = {"days": ["fri"], "start": "22:00", "end": "06:00", "timezone": "UTC"}
    assert released(flow(night), at(2026, 3, 6, 21)) == at(2026, 3, 6, 22)  # Friday 21:00: opens at 22:00
    assert released(flow(night), at(2026, 3, 6, 23)) is None  # Friday night
    assert released(flow(night), at(2026, 3, 7, 3)) is None  # Saturday 03:00: still Friday's window
    assert released(flow(night), at(2026, 3, 7, 7)) == at(2026, 3, 13, 22)  # closed until next Friday


@pytest.mark.parametrize(
    ("window_zone", "contact_zone", "workflow_zone", "opens"),
    [
        ("contact", "Asia/Tokyo", "Europe/Paris", at(2026, 3, 5, 0)),  # 09:00 JST
        ("contact", None, "Europe/Paris", at(2026, 3, 5, 8)),  # no contact zone: 09:00 CET
        ("contact", "Not/AZone", None, at(2026, 3, 5, 9)),  # unknown and none: UTC
        ("workflow", "Asia/Tokyo", "Europe/Paris", at(2026, 3, 5, 8)),
        ("workflow", "Asia/Tokyo", None, at(2026, 3, 5, 9)),
        ("America/New_York", "Asia/Tokyo", "Europe/Paris", at(2026, 3, 5, 14)),  # 09:00 EST
    ],
)
def test_zone_fallback(
    window_zone: str, contact_zone: str | None, workflow_zone: str | None, opens: int
) -> None:
    window = {"start": "09:00", "end": "10:00", "timezone": window_zone}
    settings = {"timezone": workflow_zone} if workflow_zone else {}
    profile = {"timezone": contact_zone} if contact_zone else {}
    reached = at(2026, 3, 4, 23, 30)  # outside in all of these zones
    assert released(flow(window, **settings), reached, **profile) == opens


def test_the_node_window_wins_over_the_workflow_window() -> None:
    definition = flow(OFFICE, node_window={"start": "20:00", "end": "21:00"})
    assert released(definition, at(2026, 3, 4, 15)) == at(2026, 3, 4, 20)


def test_smoothing_spreads_1000_contacts_evenly_over_30_minutes() -> None:
    window = compile_window({**OFFICE, "timezone": "UTC", "smoothing": {"amount": 30, "unit": "minutes"}})
    assert window is not None
    night = at(2026, 3, 4, 3)
    opens = at(2026, 3, 4, 9)
    releases = [release_at(window, night, ZoneInfo("UTC"), f"contact-{i}", f"run-{i}") for i in range(1000)]
    assert all(r is not None and opens <= r < opens + 30 * 60_000 for r in releases)
    buckets = Counter((r - opens) // 60_000 for r in releases if r is not None)
    average = 1000 / 30
    assert len(buckets) == 30
    assert max(buckets.values()) <= 2 * average
    # Stable: the same contact and run is released at the same instant, whatever else is released.
    again = [release_at(window, night + 5, ZoneInfo("UTC"), f"contact-{i}", f"run-{i}") for i in range(1000)]
    assert again == releases


def test_smoothing_in_the_engine_and_never_past_the_window() -> None:
    window = {
        "start": "09:00",
        "end": "09:10",
        "timezone": "UTC",
        "smoothing": {"amount": 2, "unit": "hours"},
    }
    due = released(flow(window), at(2026, 3, 4, 3))
    assert due is not None
    assert at(2026, 3, 4, 9) <= due < at(2026, 3, 4, 9, 10)
    assert released(flow(window), at(2026, 3, 4, 3)) == due  # replayed: the same instant


@pytest.mark.parametrize(
    ("window", "path", "code"),
    [
        ({"start": "9am", "end": "17:00"}, "$.settings.sendWindow.start", "missing_required"),
        ({"start": "09:00"}, "$.settings.sendWindow.end", "missing_required"),
        ({**OFFICE, "days": ["mon", "someday"]}, "$.settings.sendWindow.days[1]", "invalid_value"),
        ({**OFFICE, "days": []}, "$.settings.sendWindow.days", "invalid_value"),
        ({**OFFICE, "timezone": "Mars/Olympus"}, "$.settings.sendWindow.timezone", "unknown_timezone"),
        (
            {**OFFICE, "smoothing": {"amount": 2, "unit": "days"}},
            "$.settings.sendWindow.smoothing",
            "invalid_value",
        ),
        ("always", "$.settings.sendWindow", "invalid_type"),
    ],
    ids=["start", "end", "day", "no-days", "zone", "smoothing", "not-object"],
)
def test_validation(window: Any, path: str, code: str) -> None:
    assert (path, code) in [(p.path, p.code) for p in validate(flow(window))]
    d = flow(node_window=window)
    node_path = path.replace("$.settings.sendWindow", "$.nodes[0].data.sendWindow")
    assert (node_path, code, "m") in [(p.path, p.code, p.node_id) for p in validate(d)]


def test_valid_windows() -> None:
    assert validate(flow(OFFICE)) == []
    assert validate(flow({**OFFICE, "timezone": "workflow", "smoothing": 1800}, node_window=OFFICE)) == []


def test_simulate_waits_for_the_window() -> None:
    result = simulate(
        flow({**OFFICE, "timezone": "UTC"}),
        {"email": "a@b.c"},
        [{"type": "contact.created", "at": 0}],
        start=at(2026, 3, 7, 12),
    )
    assert result.path == ["m"]
    assert result.end_time == at(2026, 3, 9, 9)
    assert [e.kind for e in result.effects if e.kind == "send_message"] == ["send_message"]
