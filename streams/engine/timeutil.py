"""Time arithmetic on epoch milliseconds, without a clock.

The engine never reads the clock: ``now`` always comes from the caller. Local times use zoneinfo so daylight
saving changes are handled by the tz database: a local time that does not exist (spring forward) resolves
forward by the size of the gap, an ambiguous one (fall back) resolves to its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "UNIT_SECONDS",
    "duration_ms",
    "format_iso",
    "next_time_of_day",
    "parse_instant",
    "parse_time_of_day",
    "to_epoch_ms",
    "zone",
]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)

UNIT_SECONDS: Final[dict[str, int]] = {
    "second": 1,
    "seconds": 1,
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
    "week": 604800,
    "weeks": 604800,
}


def to_epoch_ms(dt: datetime) -> int:
    """Exact epoch milliseconds of an aware datetime (naive ones are read as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return (dt - EPOCH) // _MS


def format_iso(ms: int) -> str:
    """ISO-8601 UTC with millisecond precision, e.g. ``2026-03-08T07:00:00.000Z``."""
    return (EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_instant(value: Any) -> int | None:
    """An ISO-8601 string or epoch milliseconds as epoch ms; None when it is neither (never raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) < 1e16 else None
    if isinstance(value, str) and value:
        try:
            return to_epoch_ms(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def duration_ms(value: Any) -> int | None:
    """``{"amount": 7, "unit": "days"}`` or a number of seconds as milliseconds; None if malformed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value * 1000)
    if isinstance(value, dict):
        amount = value.get("amount", value.get("duration"))
        unit = value.get("unit", "seconds")
        factor = UNIT_SECONDS.get(unit) if isinstance(unit, str) else None
        if factor is None or isinstance(amount, bool) or not isinstance(amount, int | float):
            return None
        return int(amount * factor * 1000)
    return None


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo | None:
    """The IANA zone of that name, or None when it is unknown (never raises)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def parse_time_of_day(value: Any) -> tuple[int, int] | None:
    """``"09:00"`` as (9, 0); None when malformed."""
    if not isinstance(value, str):
        return None
    hh, sep, mm = value.partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2:
        return None
    hour, minute = int(hh), int(mm)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def local_ms(day: date, hour: int, minute: int, tz: ZoneInfo) -> int:
    """Epoch ms of a local wall-clock time; fold=0 sends gaps forward and ambiguous times to the first."""
    return to_epoch_ms(datetime.combine(day, time(hour, minute), tzinfo=tz))


def next_time_of_day(after_ms: int, hour: int, minute: int, tz: ZoneInfo) -> int:
    """The first instant >= ``after_ms`` whose local wall-clock time in ``tz`` is hour:minute."""
    day = datetime.fromtimestamp(after_ms / 1000, tz).date()
    # Two days always suffice; a third guards zones that skip a whole calendar day (Samoa 2011).
    for offset in range(4):
        candidate = local_ms(day + timedelta(days=offset), hour, minute, tz)
        if candidate >= after_ms:
            return candidate
    return after_ms  # unreachable in practice; keeps the function total
