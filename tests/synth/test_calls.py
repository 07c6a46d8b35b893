"""Synthetic calls reproduce seed 003's call-handling figures, within tolerance, for a fixed seed.

Tolerances are about four standard errors of the quantity (Poisson for counts, binomial for
shares), so a correct generator passes for any seed and a mis-calibrated one fails.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from asbhub.analysis.calls import call_kpis, triage_vs_main
from asbhub.ingest.calls import read_calls
from asbhub.synth.calls import (
    SEED_999_BY_YEAR,
    SEED_TRIAGE_MAIN_WAITS,
    generate_calls,
    write_calls_csv,
)


@cache
def five_years_of_999() -> pl.DataFrame:
    """February 2017 (seed 003's first February) to March 2022, 999 only: ~730,000 calls."""
    return generate_calls(date(2017, 2, 1), date(2022, 3, 31), seed=2022, channels=["999"])


@cache
def triage_winter() -> pl.DataFrame:
    """101 and triage, November 2021 to March 2022: triage starts in late December 2021."""
    return generate_calls(date(2021, 11, 1), date(2022, 3, 31), seed=17, channels=["101", "triage"])


def four_sd_share(p: float, n: int) -> float:
    return 4 * math.sqrt(p * (1 - p) / n)


# -- 999 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fy", [2017, 2018, 2019, 2020, 2021])
def test_999_financial_years_match_seed_003(fy: int) -> None:
    seed = SEED_999_BY_YEAR[fy]
    r = call_kpis(five_years_of_999(), by="financial_year").row(f"{fy}/{(fy + 1) % 100:02d}")
    assert abs(r["calls"] - seed.calls) <= 4 * math.sqrt(seed.calls), r["calls"]
    assert abs(r["abandoned"] - seed.abandoned) <= 4 * math.sqrt(seed.abandoned), r["abandoned"]
    if seed.over_target is not None:
        p = seed.over_target / seed.calls
        assert abs(r["over_target"] / r["calls"] - p) <= four_sd_share(p, seed.calls)
    else:  # "No data available": the default, within the 10-13% of the other years
        assert 10 <= r["pct_over_target"] <= 13


@pytest.mark.parametrize("year", [2017, 2018, 2019, 2020, 2021, 2022])
def test_999_februaries_match_seed_003(year: int) -> None:
    seed = SEED_999_BY_YEAR[year - 1]
    r = call_kpis(five_years_of_999()).row(f"{year}-02")
    p = seed.feb_pct_abandoned / 100
    assert abs(r["pct_abandoned"] / 100 - p) <= four_sd_share(p, r["calls"]), r["pct_abandoned"]
    # Seed 003 prints the average wait to the second.
    assert round(r["mean_wait_s"]) == seed.mean_wait_s, r["mean_wait_s"]


def test_999_default_year() -> None:
    """A year the seed does not cover: about 150,000 calls, 12% over target, 0.55% abandoned."""
    calls = generate_calls(date(2022, 4, 1), date(2023, 3, 31), seed=5, channels=["999"])
    r = call_kpis(calls, by="financial_year").row("2022/23")
    assert abs(r["calls"] - 150_000) <= 4 * math.sqrt(150_000)
    assert 10 <= r["pct_over_target"] <= 13
    assert abs(r["pct_over_target"] / 100 - 0.12) <= four_sd_share(0.12, r["calls"])
    assert abs(r["pct_abandoned"] / 100 - 0.0055) <= four_sd_share(0.0055, r["calls"])
    assert abs(r["mean_wait_s"] - 7.0) < 0.15
    # Most 999 calls within 10 s, a few over a minute; the national 90% is narrowly missed,
    # as the seed's 11-20% longer than target implies.
    assert 87 < r["pct_answered_within_10s"] < 90 and r["national_target_met"] is False
    assert 0.1 < r["pct_band_gt_60s"] < 1.0
    assert 10 < r["p90_wait_s"] < 13


def test_999_wait_from_2023_is_six_seconds() -> None:
    """Seed 001 (March 2024): 'the average time to answer a 999 call now six seconds'."""
    calls = generate_calls(date(2024, 2, 1), date(2025, 2, 28), seed=1, channels=["999"], scale=0.2)
    kpis = call_kpis(calls)
    assert round(kpis.row("2024-02")["mean_wait_s"]) == 6
    assert round(kpis.row("2025-02")["mean_wait_s"]) == 6  # carried forward


def test_999_profiles() -> None:
    calls = five_years_of_999().with_columns(
        pl.col("queued_at").dt.convert_time_zone("Europe/London").alias("local")
    )
    per_day = calls.group_by(pl.col("local").dt.date().alias("day")).len()
    by_month = per_day.group_by(pl.col("day").dt.month().alias("m")).agg(pl.col("len").mean())
    daily = dict(by_month.iter_rows())
    assert daily[7] > 1.15 * daily[2]  # summer against February
    by_weekday = dict(
        per_day.group_by(pl.col("day").dt.weekday().alias("d"))
        .agg(pl.col("len").mean())
        .iter_rows()
    )
    assert by_weekday[6] > 1.1 * by_weekday[2]  # Saturday against Tuesday
    by_hour = dict(calls.group_by(pl.col("local").dt.hour().alias("h")).len().iter_rows())
    assert by_hour[19] > 2.5 * by_hour[5]
    # Busy hours answer late more often.
    late = calls.with_columns((pl.col("abandoned") | (pl.col("wait_seconds") > 10)).alias("late"))
    share = dict(
        late.group_by(pl.col("local").dt.hour().alias("h")).agg(pl.col("late").mean()).iter_rows()
    )
    assert share[19] > 2 * share[5]


# -- 101 and triage ------------------------------------------------------------------------------


def test_triage_against_main_queue_matches_seed_003() -> None:
    result = triage_vs_main(triage_winter())
    rows = {r["month"]: r for r in result.table.iter_rows(named=True)}
    for month, (tri, main) in SEED_TRIAGE_MAIN_WAITS.items():
        r = rows[month]
        # About four standard errors of a month's mean wait (gamma waits, shape 1.3).
        assert abs(r["triage_mean_wait_s"] - tri) <= 0.02 * tri, (month, r["triage_mean_wait"])
        assert abs(r["main_mean_wait_s"] - main) <= 0.04 * main, (month, r["main_mean_wait"])
        assert r["triage_pct_abandoned"] < r["main_pct_abandoned"] / 2
    # Before triage, the main queue alone, and slow (the assumed 10 minutes, 30% abandoned).
    nov = rows["2021-11"]
    assert nov["triage_calls"] == 0 and abs(nov["main_mean_wait_s"] - 600) < 15
    assert abs(nov["main_pct_abandoned"] - 30) < 1.5


def test_triage_starts_in_late_december_2021() -> None:
    calls = triage_winter()
    triage = calls.filter(pl.col("channel") == "triage")
    first = triage["queued_at"].min().astimezone(UTC)
    assert datetime(2021, 12, 20, tzinfo=UTC) <= first < datetime(2021, 12, 20, 2, tzinfo=UTC)
    # From then on, every 101 call is a triage call transferred to the control room.
    main = calls.filter(pl.col("channel") == "101")
    after = main.filter(pl.col("queued_at") >= datetime(2021, 12, 20, tzinfo=UTC))
    transferred = triage.filter(pl.col("transferred_to") == "control room")
    assert sorted(after["queued_at"].to_list()) == sorted(transferred["ended_at"].to_list())
    # Triage resolves two thirds of the calls it answers ("has managed two thirds").
    answered = triage.filter(~pl.col("abandoned"))
    share = 1 - transferred.height / answered.height
    assert abs(share - 2 / 3) <= four_sd_share(2 / 3, answered.height)
    # An abandoned call is never transferred.
    assert triage.filter(pl.col("abandoned") & pl.col("transferred_to").is_not_null()).height == 0


def test_101_abandons_far_more_than_999() -> None:
    calls = generate_calls(date(2021, 6, 1), date(2021, 6, 30), seed=3)
    r999 = call_kpis(calls, channel="999").row("2021-06")
    r101 = call_kpis(calls, channel="101").row("2021-06")
    assert r101["pct_abandoned"] > 20 * r999["pct_abandoned"]
    assert r101["mean_wait_s"] > 50 * r999["mean_wait_s"]
    assert call_kpis(calls, channel="triage").table.height == 0  # before triage started
    online = call_kpis(calls, channel="online").row("2021-06")
    assert abs(online["calls"] - 25_000 / 12) < 250 and abs(online["mean_wait_s"] - 90) < 10


# -- the frame itself ----------------------------------------------------------------------------


def test_same_seed_same_calls() -> None:
    a = generate_calls(date(2022, 1, 10), date(2022, 1, 12), seed=42)
    b = generate_calls(date(2022, 1, 10), date(2022, 1, 12), seed=42)
    c = generate_calls(date(2022, 1, 10), date(2022, 1, 12), seed=43)
    assert a.equals(b)
    assert not a.equals(c)
    assert set(a["channel"].unique()) == {"999", "101", "triage", "online"}


def test_frame_is_consistent(tmp_path: Path) -> None:
    calls = generate_calls(date(2022, 3, 26), date(2022, 3, 28), seed=8)  # clocks go forward
    assert calls["call_id"].is_unique().all()
    assert calls["queued_at"].is_sorted()
    assert calls.schema["queued_at"] == pl.Datetime("us", "UTC")
    assert (calls["abandoned"] == calls["answered_at"].is_null()).all()
    local = calls["queued_at"].dt.convert_time_zone("Europe/London").dt.date()
    assert local.min() == date(2022, 3, 26) and local.max() == date(2022, 3, 28)
    waits = calls.select(
        (pl.coalesce("answered_at", "ended_at") - pl.col("queued_at")).dt.total_microseconds() / 1e6
    ).to_series()
    assert (waits == calls["wait_seconds"]).all() and (waits > 0).all()
    # Written and read back, every call passes the reader's checks unchanged.
    path = write_calls_csv(calls, tmp_path / "calls.csv")
    assert path.read_text().splitlines()[0] == (
        "call_id,channel,queued_at,answered_at,ended_at,abandoned,transferred_to,force"
    )
    parsed = read_calls(str(path), path.read_bytes())
    assert parsed.rejects == []
    assert parsed.rows.drop("line", "row_hash").equals(calls)


def test_scale_and_channels() -> None:
    full = generate_calls(date(2022, 5, 1), date(2022, 5, 31), seed=2, channels=["999"])
    tenth = generate_calls(date(2022, 5, 1), date(2022, 5, 31), seed=2, channels=["999"], scale=0.1)
    assert abs(tenth.height - full.height / 10) < 4 * math.sqrt(full.height / 10)
    only_101 = generate_calls(date(2022, 5, 1), date(2022, 5, 3), seed=2, channels=["101"])
    assert only_101["channel"].unique().to_list() == ["101"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"start": date(2022, 2, 1), "end": date(2022, 1, 1)}, "is before start"),
        ({"start": date(2022, 2, 1), "end": date(2999, 1, 1)}, "is in the future"),
        (
            {"start": date(2022, 2, 1), "end": date(2022, 2, 2), "channels": ["fax"]},
            "expected some of 999, 101, triage, online",
        ),
        ({"start": date(2022, 2, 1), "end": date(2022, 2, 2), "scale": 0}, "expected a positive"),
    ],
)
def test_bad_arguments(args: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_calls(**args)
