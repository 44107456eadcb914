"""Send windows and quiet hours: when a message node may send.

``settings.sendWindow`` (every message node of the workflow) or a message node's ``data.sendWindow`` (that
node; it wins) is ``{"days": ["mon", ..., "fri"], "start": "09:00", "end": "17:00", "timezone": "contact",
"smoothing": {"amount": 30, "unit": "minutes"}}``. ``timezone`` is ``contact`` (the contact's zone, else
the workflow's, else UTC; the default), ``workflow`` (the workflow's, else UTC) or an IANA zone. A window
whose end is before its start runs across midnight (``22:00``-``06:00`` on a listed day runs into the
next morning); equal start and end mean the whole listed day. ``days`` defaults to every day.

A node reached inside its window sends at once. Reached outside, the run waits until the window next opens
(wall-clock time in the zone, so DST-correct: an opening inside a spring-forward gap moves forward by the
gap, an ambiguous one takes its first occurrence), plus, with ``smoothing``, an offset in [0, smoothing)
derived from a hash of contact and run: a backlog is released evenly over the span, and the same run is
always released at the same instant (no randomness, replays agree). The offset never passes the window's
length.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Final

from streams.engine.rules import Collector
from streams.engine.timeutil import duration_ms, parse_time_of_day, to_epoch_ms, zone

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = ["MAX_SMOOTHING_MS", "SendWindow", "check_window", "compile_window", "release_at", "window_zone"]

MAX_SMOOTHING_MS: Final = 86_400_000
_DAY_S: Final = 86_400
_DAYS: Final = {
    name: i
    for i, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
_ZONE_MODES: Final = frozenset({"contact", "workflow"})


@dataclass(frozen=True, slots=True)
class SendWindow:
    days: frozenset[int]  # 0 = Monday
    start_s: int  # seconds after local midnight
    end_s: int
    zone_mode: str  # contact | workflow | fixed
    fixed_zone: str | None
    smoothing_ms: int

    @property
    def length_s(self) -> int:
        return (self.end_s - self.start_s) % _DAY_S or _DAY_S


def _day(value: Any) -> int | None:
    return _DAYS.get(value.lower()) if isinstance(value, str) else None


def check_window(spec: Any, path: str, out: Collector) -> None:
    """Validate a sendWindow object (problems under ``path``)."""
    if not isinstance(spec, dict):
        out.add(path, "invalid_type", "sendWindow must be an object")
        return
    days = spec.get("days")
    if days is not None:
        if not isinstance(days, list) or not days:
            out.add(f"{path}.days", "invalid_value", "days must be a non-empty list of weekdays (mon..sun)")
        else:
            for i, day in enumerate(days):
                if _day(day) is None:
                    out.add(f"{path}.days[{i}]", "invalid_value", f"unknown weekday {day!r} (mon..sun)")
    for key in ("start", "end"):
        if parse_time_of_day(spec.get(key)) is None:
            out.add(f"{path}.{key}", "missing_required", f'sendWindow needs {key} as "HH:MM" (24h)')
    tz = spec.get("timezone", "contact")
    if not (isinstance(tz, str) and (tz in _ZONE_MODES or zone(tz) is not None)):
        out.add(
            f"{path}.timezone",
            "unknown_timezone",
            f"timezone must be contact, workflow or an IANA zone: {tz!r}",
        )
    smoothing = spec.get("smoothing")
    if smoothing is not None:
        ms = duration_ms(smoothing)
        if ms is None or ms < 0 or ms > MAX_SMOOTHING_MS:
            out.add(
                f"{path}.smoothing",
                "invalid_value",
                'smoothing must be {"amount": n, "unit": "minutes"} or seconds, from 0 to 1 day',
            )


def compile_window(spec: Any) -> SendWindow | None:
    """A validated sendWindow as a SendWindow; None when there is none."""
    if not isinstance(spec, dict):
        return None
    start = parse_time_of_day(spec.get("start")) or (0, 0)
    end = parse_time_of_day(spec.get("end")) or (0, 0)
    days = spec.get("days")
    listed = {d for d in map(_day, days) if d is not None} if isinstance(days, list) else set(range(7))
    tz = spec.get("timezone", "contact")
    fixed = tz if isinstance(tz, str) and tz not in _ZONE_MODES else None
    return SendWindow(
        frozenset(listed),
        start[0] * 3600 + start[1] * 60,
        end[0] * 3600 + end[1] * 60,
        "fixed" if fixed else str(tz),
        fixed,
        duration_ms(spec.get("smoothing")) or 0,
    )


def window_zone(window: SendWindow, contact_zone: Any, workflow_zone: Any) -> ZoneInfo:
    """The zone the window is read in: fixed, or contact -> workflow -> UTC (unknown names are skipped)."""
    names = (
        (window.fixed_zone,)
        if window.zone_mode == "fixed"
        else (workflow_zone,)
        if window.zone_mode == "workflow"
        else (contact_zone, workflow_zone)
    )
    for name in names:
        if isinstance(name, str) and (tz := zone(name)) is not None:
            return tz
    utc = zone("UTC")
    assert utc is not None
    return utc


_UTC: Final = zone("UTC")
_DAY_MS: Final = _DAY_S * 1000
_EPOCH_WEEKDAY: Final = 3  # 1970-01-01 was a Thursday


def _local_day_and_second(now: int, tz: ZoneInfo) -> tuple[int, int]:
    """(weekday, second of the day) of ``now`` in ``tz``; in UTC, plain arithmetic (no datetime)."""
    if tz is _UTC:
        return (now // _DAY_MS + _EPOCH_WEEKDAY) % 7, now // 1000 % _DAY_S
    local = datetime.fromtimestamp(now / 1000, tz)
    return local.weekday(), local.hour * 3600 + local.minute * 60 + local.second


def is_open(window: SendWindow, now: int, tz: ZoneInfo) -> bool:
    day, secs = _local_day_and_second(now, tz)
    start, end = window.start_s, window.end_s
    if start == end:
        return day in window.days
    if start < end:
        return day in window.days and start <= secs < end
    return (day in window.days and secs >= start) or ((day - 1) % 7 in window.days and secs < end)


def next_open(window: SendWindow, now: int, tz: ZoneInfo) -> int:
    """The first opening of the window after ``now`` (wall-clock start on a listed day)."""
    if tz is _UTC:  # no gaps, no folds: days are 86,400 s
        first_day = now // _DAY_MS
        for offset in range(9):
            day_number = first_day + offset
            if (day_number + _EPOCH_WEEKDAY) % 7 in window.days:
                candidate = day_number * _DAY_MS + window.start_s * 1000
                if candidate > now:
                    return candidate
        return now
    today = datetime.fromtimestamp(now / 1000, tz).date()
    hour, minute = divmod(window.start_s // 60, 60)
    for offset in range(9):  # a week, plus days a zone may skip
        day = today + timedelta(days=offset)
        if day.weekday() in window.days:
            # fold=0 sends a start inside a spring-forward gap forward by the gap. An ambiguous start (fall
            # back) happens twice, and after the first the second still opens the window: fold=1 is then the
            # later instant (in a gap it is the earlier one, which does not exist on the wall clock).
            wall = datetime.combine(day, time(hour, minute), tzinfo=tz)
            first, second = to_epoch_ms(wall), to_epoch_ms(wall.replace(fold=1))
            for candidate in (first, second) if second > first else (first,):
                if candidate > now:
                    return candidate
    return now  # no listed day (refused by validation): never hold a run forever


def smoothing_offset(window: SendWindow, contact_id: str, run_id: str) -> int:
    span = min(window.smoothing_ms, window.length_s * 1000)
    if span <= 0:
        return 0
    digest = hashlib.sha256(f"{contact_id}:{run_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % span


def release_at(window: SendWindow, now: int, tz: ZoneInfo, contact_id: str, run_id: str) -> int | None:
    """None when the window is open at ``now`` (send now); else when the run's message is released."""
    if is_open(window, now, tz):
        return None
    return next_open(window, now, tz) + smoothing_offset(window, contact_id, run_id)
