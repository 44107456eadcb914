"""Time-series buckets: local hours or local calendar days of a time zone, DST included. Pure.

Counts are stored per UTC quarter hour; every zone's offset is a multiple of 15 minutes, so each quarter
falls in exactly one local hour and one local day.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

Interval = Literal["hour", "day"]
MAX_BUCKETS: Final = 1000


class TooManyBucketsError(ValueError):
    pass


def _floor(at: datetime, interval: Interval, tz: ZoneInfo) -> datetime:
    local = at.astimezone(tz)
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    return datetime(local.year, local.month, local.day, tzinfo=tz)


def _next(start: datetime, interval: Interval, tz: ZoneInfo) -> datetime:
    if interval == "hour":
        # Absolute time: a local hour is 60 minutes long even across a DST change.
        return (start.astimezone(ZoneInfo("UTC")) + timedelta(hours=1)).astimezone(tz)
    day = start.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def bucket_starts(start: datetime, end: datetime, interval: Interval, tz: ZoneInfo) -> list[datetime]:
    """Starts (aware, in ``tz``) of the buckets that overlap [start, end), at most MAX_BUCKETS."""
    out: list[datetime] = []
    current = _floor(start, interval, tz)
    while current < end:
        if len(out) == MAX_BUCKETS:
            raise TooManyBucketsError(
                f"from..to spans more than {MAX_BUCKETS} {interval} buckets: narrow the range or use "
                "interval=day"
            )
        out.append(current)
        current = _next(current, interval, tz)
    return out


def bucket_end(last_start: datetime, interval: Interval, tz: ZoneInfo) -> datetime:
    return _next(last_start, interval, tz)
