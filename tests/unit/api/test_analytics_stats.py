"""Wilson intervals, the two-proportion z-test, split summaries and time buckets (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from api.analytics.buckets import MAX_BUCKETS, TooManyBucketsError, bucket_starts
from api.analytics.splits import compare
from api.analytics.stats import two_proportion_p, wilson

PARIS = ZoneInfo("Europe/Paris")
KOLKATA = ZoneInfo("Asia/Kolkata")


def test_wilson_matches_the_textbook_values() -> None:
    low, high = wilson(10, 100)  # 10 %: [5.52 %, 17.44 %]
    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)
    assert wilson(0, 0) == (0.0, 0.0)
    low, high = wilson(0, 20)
    assert low == 0.0
    assert 0.16 < high < 0.17


def test_the_z_test_tells_a_real_gap_from_noise() -> None:
    assert two_proportion_p(100, 1000, 150, 1000) < 0.001
    assert two_proportion_p(100, 1000, 105, 1000) > 0.5
    assert two_proportion_p(0, 0, 5, 10) == 1.0
    assert two_proportion_p(0, 50, 0, 50) == 1.0  # no variance: nothing to tell
    assert two_proportion_p(50, 100, 50, 100) == pytest.approx(1.0)


def _variant(variant_id: str, entered: int, converted: int) -> dict[str, object]:
    return {
        "variant_id": variant_id,
        "entered": entered,
        "converted": converted,
        "conversion_rate": converted / entered if entered else 0.0,
    }


def test_a_winner_needs_significance_and_the_minimum_sample() -> None:
    result = compare([_variant("a", 1000, 100), _variant("b", 1000, 150)])
    assert result is not None
    assert (result["best_id"], result["winner"], result["significant"]) == ("b", "b", True)
    assert result["summary"].startswith("Variant b converts at 15.0% against 10.0% for a (p = 0.0")
    few = compare([_variant("a", 50, 0), _variant("b", 50, 30)])
    assert few is not None
    assert (few["significant"], few["winner"]) == (True, None)
    assert "not enough runs yet" in few["summary"]
    assert compare([_variant("a", 10, 1)]) is None


def test_the_baseline_can_win_too() -> None:
    result = compare([_variant("a", 1000, 200), _variant("b", 1000, 100), _variant("c", 1000, 120)])
    assert result is not None
    assert (result["baseline_id"], result["best_id"], result["winner"]) == ("a", "a", "a")
    assert "against 12.0% for c" in result["summary"]


def test_day_buckets_are_local_days_of_23_and_25_hours() -> None:
    spring = bucket_starts(
        datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 30, 1, tzinfo=UTC), "day", PARIS
    )
    assert [s.isoformat() for s in spring] == [
        "2026-03-28T00:00:00+01:00",
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
    ]
    autumn = bucket_starts(
        datetime(2026, 10, 25, 0, tzinfo=PARIS), datetime(2026, 10, 26, 0, tzinfo=PARIS), "hour", PARIS
    )
    assert len(autumn) == 25
    assert [s.isoformat() for s in autumn[2:4]] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]


def test_hours_of_a_half_hour_zone_start_at_half_past_utc() -> None:
    starts = bucket_starts(
        datetime(2026, 1, 1, 0, 10, tzinfo=UTC), datetime(2026, 1, 1, 2, tzinfo=UTC), "hour", KOLKATA
    )
    assert [s.astimezone(UTC).strftime("%H:%M") for s in starts] == ["23:30", "00:30", "01:30"]


def test_more_than_a_thousand_buckets_is_refused() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert len(bucket_starts(start, datetime(2026, 2, 11, 16, tzinfo=UTC), "hour", ZoneInfo("UTC"))) == 1000
    with pytest.raises(TooManyBucketsError, match=str(MAX_BUCKETS)):
        bucket_starts(start, datetime(2026, 2, 11, 16, 1, tzinfo=UTC), "hour", ZoneInfo("UTC"))
