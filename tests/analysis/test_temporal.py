"""asbhub.analysis.temporal: day-of-week x hour profiles against a count made here with the
standard library's zoneinfo, planted peaks recovered from seeded data, summer time, and monthly
baselines checked against the statistics module."""

from __future__ import annotations

import csv
import doctest
import io
import math
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

import asbhub.analysis.temporal as temporal
from asbhub.analysis.temporal import DAYS, monthly_exceedance, temporal_profile
from tests.analysis.test_tables import SAMPLE_MONTHS, _sample_bytes

LONDON = ZoneInfo("Europe/London")


def _planted(
    seed: int,
    start: datetime,
    peak_day: int,
    peak_hours: tuple[int, int],
    n_background: int = 1_500,
    n_peak: int = 500,
    weeks: int = 8,
) -> list[datetime]:
    """Uniform background over ``weeks`` weeks plus a block on one weekday, as UTC datetimes."""
    rng = np.random.default_rng(seed)
    background = rng.uniform(0, weeks * 7 * 86_400, n_background)
    week = rng.integers(0, weeks, n_peak)
    first, last = peak_hours
    offset = rng.uniform(first * 3_600, last * 3_600, n_peak)
    peak = week * 7 * 86_400 + peak_day * 86_400 + offset
    local = [start + timedelta(seconds=float(s)) for s in np.concatenate([background, peak])]
    return [t.astimezone(UTC) for t in local]


def _brute_table(times: list[datetime]) -> Counter[tuple[int, int]]:
    counts: Counter[tuple[int, int]] = Counter()
    for t in times:
        local = t.astimezone(LONDON)
        counts[(local.weekday(), local.hour)] += 1
    return counts


def test_planted_monday_evening_peak_is_recovered() -> None:
    # Four weeks either side of the clocks going forward, so summer time matters.
    start = datetime(2021, 3, 1, tzinfo=LONDON)  # a Monday
    times = _planted(2021, start, peak_day=0, peak_hours=(16, 22))
    profile = temporal_profile(pl.Series("occurred_from", times))
    brute = _brute_table(times)
    assert profile.table["day"].to_list() == list(DAYS)
    assert profile.table.columns == ["day", *(f"{h:02d}" for h in range(24)), "total"]
    assert [[brute[(d, h)] for h in range(24)] for d in range(7)] == profile.counts.tolist()
    assert profile.n_used == len(times) == 2_000 and profile.n_missing == 0
    assert profile.peak_day == "Monday"
    window = profile.peak_window
    assert window is not None and window.label == "Monday 16:00-22:00"
    assert (window.day, window.start_hour, window.end_hour, window.hours) == ("Monday", 16, 22, 6)
    assert window.count == sum(brute[(0, h)] for h in range(16, 22))
    assert window.share == pytest.approx(window.count / 2_000)
    assert window.expected_share == pytest.approx(6 / 168)
    assert profile.peak_hours is not None and profile.peak_hours.label == "16:00-22:00"
    fixed = temporal_profile(times, window_hours=6)
    assert fixed.peak_window is not None and fixed.peak_window.label == "Monday 16:00-22:00"
    assert "6 consecutive hours" in fixed.window_rule


def test_fixed_window_is_the_block_with_the_most_records() -> None:
    times = _planted(7, datetime(2019, 1, 7, tzinfo=LONDON), peak_day=2, peak_hours=(9, 12))
    brute = _brute_table(times)
    week = [brute[(d, h)] for d in range(7) for h in range(24)]
    for hours in (1, 3, 5):
        best = max(range(168), key=lambda s: (sum(week[(s + i) % 168] for i in range(hours)), -s))
        window = temporal_profile(times, window_hours=hours).peak_window
        assert window is not None
        assert (DAYS.index(window.day) * 24 + window.start_hour) == best
        assert window.count == sum(week[(best + i) % 168] for i in range(hours))


def test_a_peak_across_midnight_is_labelled_with_both_days() -> None:
    start = datetime(2019, 1, 7, tzinfo=LONDON)
    times = _planted(11, start, peak_day=4, peak_hours=(21, 27))  # Friday 21:00 to 03:00
    window = temporal_profile(times).peak_window
    assert window is not None and window.label == "Friday 21:00-Saturday 03:00"
    evening = _planted(12, start, peak_day=6, peak_hours=(18, 24))
    assert temporal_profile(evening).peak_window.label == "Sunday 18:00-24:00"


def test_summer_time_is_applied_to_utc_timestamps() -> None:
    times = [
        datetime(2019, 3, 31, 0, 30, tzinfo=UTC),  # 00:30 GMT, Sunday
        datetime(2019, 3, 31, 1, 30, tzinfo=UTC),  # 02:30 BST: clocks went forward at 01:00
        datetime(2019, 7, 1, 15, 30, tzinfo=UTC),  # 16:30 BST, Monday
        datetime(2019, 10, 27, 0, 30, tzinfo=UTC),  # 01:30 BST, Sunday
        datetime(2019, 10, 27, 1, 30, tzinfo=UTC),  # 01:30 GMT: clocks went back at 01:00 UTC
        datetime(2019, 12, 30, 23, 30, tzinfo=UTC),  # 23:30 GMT, Monday
    ]
    counts = temporal_profile(times).counts
    expected = np.zeros((7, 24), dtype=np.int64)
    for day, hour, n in [(6, 0, 1), (6, 2, 1), (0, 16, 1), (6, 1, 2), (0, 23, 1)]:
        expected[day, hour] = n
    np.testing.assert_array_equal(counts, expected)
    # Any aware zone is converted, not just UTC.
    series = (
        pl.Series([datetime(2019, 3, 31, 1, 30)])
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("America/New_York")
    )
    assert temporal_profile(series).counts[6, 2] == 1


def test_naive_timestamps_are_local_unless_told_otherwise() -> None:
    naive = pl.DataFrame({"when": [datetime(2019, 7, 1, 15, 30), None]})
    local = temporal_profile(naive, column="when")
    assert local.counts[0, 15] == 1 and local.n_missing == 1 and "clock time" in local.naive_rule
    as_utc = temporal_profile(naive, column="when", naive="utc")
    assert as_utc.counts[0, 16] == 1


def test_a_flat_week_has_no_peak_window() -> None:
    start = datetime(2019, 1, 7, tzinfo=UTC)
    times = [start + timedelta(hours=h, minutes=10) for h in range(168) for _ in range(3)]
    profile = temporal_profile(times)
    assert profile.counts.min() == profile.counts.max() == 3
    assert profile.peak_window is None and profile.peak_hours is None
    assert profile.notes == ("no block of hours stands out from a flat week",)
    assert temporal_profile(times, window_hours=6).peak_window is None
    empty = temporal_profile(pl.Series("t", [], dtype=pl.Datetime("us", "UTC")))
    assert empty.n_used == 0 and empty.peak_day is None and empty.peak_window is None


def test_profile_rejects_dates_without_times() -> None:
    with pytest.raises(ValueError, match="a Date has no hour"):
        temporal_profile(pl.Series([datetime(2019, 1, 1).date()]))


# --- monthly exceedance ----------------------------------------------------------------------


def _months(first: str, n: int) -> list[str]:
    y, m = int(first[:4]), int(first[5:])
    return [f"{y + (m - 1 + i) // 12:04d}-{(m - 1 + i) % 12 + 1:02d}" for i in range(n)]


def test_seasonal_baseline_flags_the_month_above_the_upper_bound() -> None:
    months = _months("2018-01", 38)  # Jan 2018 to Feb 2021
    seasonal = [100, 90, 110, 120, 140, 150, 160, 155, 130, 120, 110, 105]
    rng = np.random.default_rng(5)
    counts = [seasonal[i % 12] + int(rng.integers(-6, 7)) for i in range(38)]
    counts[-1] = 140  # Feb 2021, far above the Februaries before it
    counts[-2] = 60  # Jan 2021, far below
    result = monthly_exceedance(pl.DataFrame({"month": months, "count": counts}))
    table = result.table
    assert table["month"].to_list() == months and table["count"].to_list() == counts
    for i, month in enumerate(months):
        row = table.row(i, named=True)
        prior = [counts[i - 12 * y] for y in (1, 2, 3) if i - 12 * y >= 0]
        window = counts[max(0, i - 12) : i]
        if len(prior) == 3:
            values, rule = prior, "seasonal"
        elif len(window) >= 6:
            values, rule = window, "rolling"
        else:
            assert row["rule"] is None and row["exceeds"] is None, month
            continue
        mean, sd = statistics.mean(values), statistics.stdev(values)
        spread = max(sd, math.sqrt(mean))
        assert row["rule"] == rule, month
        assert row["baseline_mean"] == pytest.approx(mean)
        assert row["baseline_sd"] == pytest.approx(sd)
        assert row["upper"] == pytest.approx(mean + 2 * spread)
        assert row["lower"] == pytest.approx(max(0.0, mean - 2 * spread))
        assert row["exceeds"] == (counts[i] > mean + 2 * spread)
    assert table.filter(pl.col("month") >= "2021-01")["rule"].to_list() == ["seasonal"] * 2
    assert result.exceeding[-1] == "2021-02"
    assert table.filter(pl.col("month") == "2021-01")["below"].item() is True
    assert result.latest["exceeds"] is True
    assert result.briefing_line("ASB incidents").startswith(
        "Feb 2021: 140 ASB incidents, above the expected range of"
    )
    assert result.months_missing == ()


def test_short_history_uses_the_rolling_baseline_and_missing_months_are_reported() -> None:
    counts = {
        "2021-01": 50,
        "2021-02": 54,
        "2021-03": 47,
        "2021-05": 52,
        "2021-06": 49,
        "2021-07": 51,
        "2021-08": 90,
    }
    frame = pl.DataFrame({"month": list(counts), "count": list(counts.values())})
    result = monthly_exceedance(frame, min_months=5, poisson_floor=False)
    assert result.months_missing == ("2021-04",)
    table = result.table
    assert table.filter(pl.col("month") == "2021-04").row(0, named=True)["count"] is None
    values = [50, 54, 47, 52, 49, 51]  # April is not a zero
    row = table.filter(pl.col("month") == "2021-08").row(0, named=True)
    assert row["rule"] == "rolling" and row["n_baseline"] == 6
    assert row["upper"] == pytest.approx(statistics.mean(values) + 2 * statistics.stdev(values))
    assert result.exceeding == ("2021-08",)
    # Told April is covered (with nothing in it), April counts as 0 and enters the baseline.
    covered = monthly_exceedance(frame, min_months=5, poisson_floor=False, coverage=["2021-04"])
    assert covered.months_missing == () and covered.table["count"][3] == 0
    with pytest.raises(ValueError, match="more than once"):
        monthly_exceedance(pl.concat([frame, frame.head(1)]))


def test_records_are_counted_per_month_when_no_count_is_given() -> None:
    rows = pl.DataFrame({"month": ["2021-01"] * 3 + ["2021-02"] * 5})
    result = monthly_exceedance(rows, baseline="seasonal")
    assert result.counted_from == "rows"
    assert result.table.select("month", "count").rows() == [("2021-01", 3), ("2021-02", 5)]
    assert result.exceeding == () and "too little history" in result.notes[0]


def test_exceedance_on_the_real_derbyshire_sample() -> None:
    by_month: Counter[str] = Counter()
    frames = []
    for _name, raw in _sample_bytes():
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
        by_month.update(r["Month"] for r in rows if r["Crime type"] == "Anti-social behaviour")
        frames.append(
            pl.DataFrame(
                {"month": [r["Month"] for r in rows], "crime_type": [r["Crime type"] for r in rows]}
            )
        )
    asb = pl.concat(frames).filter(pl.col("crime_type") == "Anti-social behaviour")
    result = monthly_exceedance(asb, min_months=2)
    assert result.table["count"].to_list() == [by_month[m] for m in SAMPLE_MONTHS]
    feb = result.latest
    values = [by_month["2018-12"], by_month["2019-01"]]
    mean = statistics.mean(values)
    assert feb["upper"] == pytest.approx(mean + 2 * max(statistics.stdev(values), math.sqrt(mean)))
    assert feb["exceeds"] == (by_month["2019-02"] > feb["upper"])


def test_docstring_examples_run() -> None:
    assert doctest.testmod(temporal, raise_on_error=False).failed == 0
