"""Send windows read in UTC take an arithmetic path: it agrees with the datetime path of any zone."""

from __future__ import annotations

import random
from zoneinfo import ZoneInfo

from streams.engine.windows import compile_window, is_open, next_open

# The same zone as UTC under another name: the general (datetime) path.
_ETC_UTC = ZoneInfo("Etc/UTC")
_UTC = ZoneInfo("UTC")
_SPECS = [
    {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"},
    {"days": ["sat"], "start": "22:00", "end": "06:00"},
    {"start": "00:00", "end": "00:00"},
    {"days": ["sun", "wed"], "start": "13:30", "end": "13:30"},
    {"days": ["fri"], "start": "23:59", "end": "00:01"},
]


def test_utc_arithmetic_agrees_with_datetime() -> None:
    rng = random.Random(15)
    instants = [rng.randrange(-86_400_000 * 30, 4_102_444_800_000) for _ in range(3000)]
    # Around the openings themselves: a minute either side and the exact millisecond.
    base = 1_767_225_600_000
    instants += [base + day * 86_400_000 + m for day in range(14) for m in (-1, 0, 1, 32_400_000, 79_200_000)]
    for spec in _SPECS:
        window = compile_window(spec)
        assert window is not None
        for now in instants:
            assert is_open(window, now, _UTC) == is_open(window, now, _ETC_UTC), (spec, now)
            assert next_open(window, now, _UTC) == next_open(window, now, _ETC_UTC), (spec, now)
