"""Frequency caps across workflows: the tenant's policies per channel, the contact's send history, and
whether a message may go now.

A tenant's policy document (``PUT /api/v1/policies/frequency-caps``; the worker receives it on the
definitions topic) is ``{"caps": [{"channel": "email", "limit": 3, "window": {"amount": 7, "unit":
"days"}, "reserved": 1}]}``. Every message the contact was sent on the channel counts, whatever workflow
sent it (a skipped send does not count).

Priority (``settings.priority``, an integer from 0 to 100, default 0) only decides who may use a cap's
``reserved`` share: a workflow of priority 0 may send while fewer than ``limit - reserved`` messages of
the channel are in the window; a workflow of priority 1 or more may send up to ``limit``. So ``reserved:
1`` keeps the last message of the window for the important workflows (a receipt beats a newsletter).

Over a cap a message node skips (step ``skipped`` with its reason, the run goes on) or, with
``data.frequencyCap: "wait"``, waits until the oldest counted send leaves the window (timer kind
``frequency_cap``), then checks again.

The history is ``[[channel, sentAt], ...]`` in the contact's state, oldest first, bounded: entries older
than the tenant's longest cap window are dropped, and at most ``MAX_SEND_HISTORY`` are kept (more than the
largest allowed limit, so no cap is ever undercounted). It is kept only while the tenant has caps: sends
before a policy was first published do not count against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from streams.engine.rules import Collector, Problem, nonempty_str
from streams.engine.timeutil import duration_ms

__all__ = [
    "CAP_MODES",
    "MAX_CAPS",
    "MAX_CAP_LIMIT",
    "MAX_CAP_WINDOW_MS",
    "MAX_PRIORITY",
    "MAX_SEND_HISTORY",
    "CapDecision",
    "FrequencyCap",
    "check_caps",
    "compile_caps",
    "decide",
    "trimmed_history",
]

CHANNELS: Final = frozenset({"email", "sms", "whatsapp", "push"})
CAP_MODES: Final = frozenset({"skip", "wait"})
MAX_CAPS: Final = 20
MAX_CAP_LIMIT: Final = 100
MAX_CAP_WINDOW_MS: Final = 90 * 86_400_000
MAX_SEND_HISTORY: Final = MAX_CAP_LIMIT + 1
MAX_PRIORITY: Final = 100


@dataclass(frozen=True, slots=True)
class FrequencyCap:
    channel: str
    limit: int
    window_ms: int
    reserved: int = 0

    def allowed(self, priority: int) -> int:
        return self.limit if priority > 0 else self.limit - self.reserved

    def describe(self) -> str:
        return f"{self.limit} {self.channel} per {_span(self.window_ms)}"


@dataclass(frozen=True, slots=True)
class CapDecision:
    """A send over a cap: why, and when it would be allowed again."""

    reason: str
    retry_at: int


def _span(ms: int) -> str:
    for unit, size in (("day", 86_400_000), ("hour", 3_600_000), ("minute", 60_000)):
        if ms % size == 0:
            n = ms // size
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{ms // 1000} seconds"


def _int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_caps(document: Any) -> list[Problem]:
    """Problems of a policy document, with JSON paths (``$.caps[0].limit``); never raises."""
    out = Collector()
    if not isinstance(document, dict):
        out.add("$", "invalid_type", 'the policy must be an object: {"caps": [...]}')
        return out.problems
    caps = document.get("caps")
    if not isinstance(caps, list):
        out.add("$.caps", "invalid_type", "caps must be a list")
        return out.problems
    if len(caps) > MAX_CAPS:
        out.add("$.caps", "too_many", f"at most {MAX_CAPS} caps")
    for i, cap in enumerate(caps):
        path = f"$.caps[{i}]"
        if not isinstance(cap, dict):
            out.add(path, "invalid_type", "a cap must be an object: {channel, limit, window, reserved}")
            continue
        channel = cap.get("channel")
        if not (nonempty_str(channel) and channel in CHANNELS):
            out.add(f"{path}.channel", "invalid_value", f"channel must be one of {sorted(CHANNELS)}")
        limit = cap.get("limit")
        if not _int_in(limit, 1, MAX_CAP_LIMIT):
            out.add(f"{path}.limit", "invalid_value", f"limit must be an integer from 1 to {MAX_CAP_LIMIT}")
        window = duration_ms(cap.get("window"))
        if window is None or not 60_000 <= window <= MAX_CAP_WINDOW_MS:
            out.add(
                f"{path}.window",
                "invalid_value",
                'window must be {"amount": n, "unit": "minutes|hours|days"}, from 1 minute to 90 days',
            )
        reserved = cap.get("reserved", 0)
        if not _int_in(reserved, 0, MAX_CAP_LIMIT) or (
            _int_in(limit, 1, MAX_CAP_LIMIT) and reserved >= limit
        ):
            out.add(
                f"{path}.reserved",
                "invalid_value",
                "reserved must be an integer from 0 to limit - 1 (sends kept for priority workflows)",
            )
    return out.problems


def compile_caps(document: Any) -> tuple[FrequencyCap, ...]:
    """A policy document as caps; entries that do not validate are left out (the API refuses them)."""
    caps = document.get("caps") if isinstance(document, dict) else None
    if not isinstance(caps, list):
        return ()
    compiled = []
    for cap in caps[:MAX_CAPS]:
        if check_caps({"caps": [cap]}):
            continue
        window = duration_ms(cap["window"]) or 0
        compiled.append(FrequencyCap(cap["channel"], cap["limit"], window, cap.get("reserved", 0)))
    return tuple(compiled)


def decide(
    caps: Sequence[FrequencyCap], history: Sequence[Sequence[Any]], channel: str, priority: int, now: int
) -> CapDecision | None:
    """None when a message on ``channel`` may go at ``now``; else the cap it would pass and when it may."""
    worst: CapDecision | None = None
    for cap in caps:
        if cap.channel != channel:
            continue
        allowed = cap.allowed(priority)
        since = now - cap.window_ms
        times = sorted(at for ch, at in history if ch == channel and at > since)
        if len(times) < allowed:
            continue
        # The window holds ``len(times)`` sends; one more is allowed once len - allowed + 1 of them left it.
        retry_at = times[len(times) - allowed] + cap.window_ms
        if worst is None or retry_at > worst.retry_at:
            share = "" if priority > 0 or cap.reserved == 0 else f", {cap.reserved} reserved for priority"
            worst = CapDecision(
                f"frequency cap: {cap.describe()} reached ({len(times)} sent{share})", retry_at
            )
    return worst


def trimmed_history(
    history: Sequence[Sequence[Any]], caps: Sequence[FrequencyCap], now: int
) -> list[list[Any]]:
    """The history without what no cap can count any more, at most MAX_SEND_HISTORY entries (newest kept)."""
    horizon = max((cap.window_ms for cap in caps), default=MAX_CAP_WINDOW_MS)
    kept = [[ch, at] for ch, at in history if at > now - horizon]
    return kept[-MAX_SEND_HISTORY:]
