"""Delay timeOfDay across DST changes, and the cron next-fire calculator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streams.engine import CronError, CronSchedule, next_fire
from streams.engine.timeutil import format_iso, parse_instant

from .helpers import Harness, node, only, workflow


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


@pytest.mark.parametrize(
    ("now", "duration", "unit", "time_of_day", "tz", "due"),
    [
        # Across spring-forward: 09:00 EDT (13:00Z), not 09:00 EST (14:00Z).
        ("2026-03-07T11:00:00Z", 1, "days", "09:00", "America/New_York", "2026-03-08T13:00:00Z"),
        # 02:30 does not exist on 2026-03-08 in New York: resolves forward to 03:30 EDT.
        ("2026-03-07T12:00:00Z", 12, "hours", "02:30", "America/New_York", "2026-03-08T07:30:00Z"),
        # 01:30 happens twice on 2026-11-01: the first (EDT) one.
        ("2026-10-31T12:00:00Z", 12, "hours", "01:30", "America/New_York", "2026-11-01T05:30:00Z"),
        # After fall-back, 09:00 is EST (14:00Z).
        ("2026-10-31T12:00:00Z", 1, "days", "09:00", "America/New_York", "2026-11-01T14:00:00Z"),
        # Same day when the base time is still before the time of day.
        ("2026-06-01T05:00:00Z", 1, "hours", "09:00", "Europe/Berlin", "2026-06-01T07:00:00Z"),
        # Exactly at the time of day: no extra day.
        ("2026-06-01T06:00:00Z", 1, "hours", "09:00", "Europe/Berlin", "2026-06-01T07:00:00Z"),
        # UTC fallback.
        ("2026-06-01T10:00:00Z", 0, "seconds", "09:00", None, "2026-06-02T09:00:00Z"),
    ],
)
def test_delay_time_of_day(
    now: str, duration: int, unit: str, time_of_day: str, tz: str | None, due: str
) -> None:
    h = Harness(workflow([node("d", "delay", duration=duration, unit=unit, timeOfDay=time_of_day)]))
    h.now = ms(now)
    effects = h.create(timezone=tz) if tz else h.create()
    assert format_iso(only(effects, "schedule_timer").due_at) == format_iso(ms(due))  # type: ignore[union-attr]


def test_time_zone_falls_back_to_workflow_then_utc() -> None:
    d = workflow(
        [node("d", "delay", duration=0, unit="seconds", timeOfDay="09:00")],
        settings={"timezone": "Asia/Tokyo"},
    )
    h = Harness(d)
    h.now = ms("2026-06-01T10:00:00Z")
    assert only(h.create(timezone="Not/AZone"), "schedule_timer").due_at == ms("2026-06-02T00:00:00Z")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("expr", "tz", "after", "expected"),
    [
        ("0 9 * * *", "America/New_York", "2026-03-07T15:00:00Z", "2026-03-08T13:00:00Z"),
        ("30 2 * * *", "America/New_York", "2026-03-08T00:00:00Z", "2026-03-08T07:30:00Z"),
        ("30 1 * * *", "America/New_York", "2026-11-01T00:00:00Z", "2026-11-01T05:30:00Z"),
        ("30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"),  # fires once
        ("*/15 * * * *", "UTC", "2026-01-01T10:07:00Z", "2026-01-01T10:15:00Z"),
        ("0 9 * * mon-fri", "Europe/Berlin", "2026-01-02T09:00:00Z", "2026-01-05T08:00:00Z"),  # Fri -> Mon
        ("0 0 13 * 5", "UTC", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"),  # dom OR dow
        ("0 12 1 jan,jul *", "UTC", "2026-01-01T12:00:00Z", "2026-07-01T12:00:00Z"),
        ("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("5 4 * * 7", "UTC", "2026-01-01T00:00:00Z", "2026-01-04T04:05:00Z"),  # 7 = Sunday
        ("0 10-12/2 * * *", "UTC", "2026-01-01T10:00:00Z", "2026-01-01T12:00:00Z"),
    ],
)
def test_cron_next_fire(expr: str, tz: str, after: str, expected: str) -> None:
    result = next_fire(expr, tz, ms(after))
    assert result is not None
    assert format_iso(result) == format_iso(ms(expected))


def test_cron_that_never_fires() -> None:
    assert next_fire("0 0 30 2 *", "UTC", ms("2026-01-01T00:00:00Z")) is None


@pytest.mark.parametrize(
    "expr",
    [
        "",
        "* * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * * 13 *",
        "*/0 * * * *",
        "5-1 * * * *",
        "a * * * *",
    ],
)
def test_cron_rejects_malformed(expr: str) -> None:
    with pytest.raises(CronError):
        CronSchedule.parse(expr)


def test_cron_unknown_zone() -> None:
    with pytest.raises(CronError):
        next_fire("* * * * *", "Mars/Base", 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-01T00:00:00Z", 1_767_225_600_000),
        ("2026-01-01T01:00:00+01:00", 1_767_225_600_000),
        (5, 5),
        ("x", None),
        (True, None),
        (None, None),
    ],
)
def test_parse_instant(value: object, expected: int | None) -> None:
    assert parse_instant(value) == expected


def test_format_iso() -> None:
    assert format_iso(0) == "1970-01-01T00:00:00.000Z"
    assert datetime.fromisoformat(format_iso(1_767_225_600_123)) == datetime(
        2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC
    )
