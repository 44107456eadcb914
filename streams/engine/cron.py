"""A five-field cron expression (minute hour day-of-month month day-of-week) and its next fire time in an
IANA time zone.

Fields accept ``*``, numbers, ranges ``a-b``, steps ``*/n`` / ``a-b/n`` / ``a/n``, lists, month names
(jan-dec) and weekday names (sun-sat; 0 and 7 are Sunday). As in Vixie cron, when both day-of-month and
day-of-week are restricted a day matches if either does.

Daylight saving: a local time skipped by spring-forward fires once, shifted forward by the gap (02:30 on
2026-03-08 in New York fires at 03:30 EDT); a local time repeated by fall-back fires once, at its first
occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from streams.engine.timeutil import local_ms, zone

__all__ = ["CronError", "CronSchedule", "next_fire"]

_MONTHS: Final = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS: Final = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# Far enough for any satisfiable expression (Feb 29 on a given weekday recurs within 28 years).
_SEARCH_DAYS: Final = 366 * 29


class CronError(ValueError):
    """The expression is malformed; the message says which field."""


def _value(token: str, lo: int, hi: int, names: dict[str, int]) -> int:
    key = token.lower()
    if key in names:
        return names[key]
    if not token.isdigit():
        raise CronError(f"{token!r} is not a number")
    number = int(token)
    if not lo <= number <= hi:
        raise CronError(f"{number} is outside {lo}-{hi}")
    return number


def _field(text: str, lo: int, hi: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"bad step in {part!r}")
            step = int(step_text)
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, lo, hi, names), _value(last, lo, hi, names)
            if start > end:
                raise CronError(f"range {base!r} runs backwards")
        else:
            start = _value(base, lo, hi, names)
            end = hi if slash else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    day_restricted: bool
    weekday_restricted: bool

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        fields = expression.split()
        if len(fields) != 5:
            raise CronError(f"expected 5 fields, got {len(fields)}")
        minute, hour, dom, month, dow = fields
        weekdays = frozenset(d % 7 for d in _field(dow, 0, 7, _DAYS))
        return cls(
            _field(minute, 0, 59, {}),
            _field(hour, 0, 23, {}),
            _field(dom, 1, 31, {}),
            _field(month, 1, 12, _MONTHS),
            weekdays,
            dom != "*",
            dow != "*",
        )

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        dom_ok = day.day in self.days
        dow_ok = (day.isoweekday() % 7) in self.weekdays
        if self.day_restricted and self.weekday_restricted:
            return dom_ok or dow_ok
        return dom_ok and dow_ok

    def next_after(self, after_ms: int, tz: ZoneInfo) -> int | None:
        """The first fire time strictly after ``after_ms``; None if the expression never fires."""
        day = datetime.fromtimestamp(after_ms / 1000, tz).date() - timedelta(days=1)
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        for _ in range(_SEARCH_DAYS):
            if self._day_matches(day):
                # Gaps make local order and UTC order disagree within a day, so take the minimum.
                best = min(
                    (t for h in hours for m in minutes if (t := local_ms(day, h, m, tz)) > after_ms),
                    default=None,
                )
                if best is not None:
                    return best
            day += timedelta(days=1)
        return None


def next_fire(expression: str, timezone: str, after_ms: int) -> int | None:
    """Next fire time (epoch ms) strictly after ``after_ms``; raises CronError for a bad expression or
    an unknown zone, returns None when the expression can never fire (e.g. ``0 0 30 2 *``)."""
    tz = zone(timezone)
    if tz is None:
        raise CronError(f"unknown time zone {timezone!r}")
    return CronSchedule.parse(expression).next_after(after_ms, tz)
