"""Call-handling figures against brute-force Python on crafted calls.

The reference here loops over calls one by one with the definitions of
asbhub.analysis.calls written out again, and numpy.percentile for the 90th percentile.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from asbhub.analysis.calls import (
    DEFAULT_TARGET_SECONDS,
    call_kpis,
    format_hms,
    triage_vs_main,
)

LONDON = ZoneInfo("Europe/London")


def frame(rows: list[tuple[str, datetime, bool, float]]) -> pl.DataFrame:
    """Calls from (channel, queued_at, abandoned, wait seconds)."""
    return pl.DataFrame(
        {
            "channel": [r[0] for r in rows],
            "queued_at": [r[1] for r in rows],
            "abandoned": [r[2] for r in rows],
            "wait_seconds": [r[3] for r in rows],
        },
        schema={
            "channel": pl.String,
            "queued_at": pl.Datetime("us", "UTC"),
            "abandoned": pl.Boolean,
            "wait_seconds": pl.Float64,
        },
    )


def crafted(seed: int = 3, n: int = 3000) -> list[tuple[str, datetime, bool, float]]:
    """Random calls over 2020-2023 on every channel, with waits on the band edges often."""
    rng = np.random.default_rng(seed)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    edges = [0.0, 10.0, 60.0, 10.000001, 9.999999, 60.000001, 59.999999]
    rows = []
    for _ in range(n):
        when = start + timedelta(seconds=int(rng.integers(0, 4 * 365 * 86400)))
        channel = str(rng.choice(["999", "101", "triage", "online"]))
        wait = float(rng.choice(edges)) if rng.random() < 0.3 else float(rng.exponential(30))
        rows.append((channel, when, bool(rng.random() < 0.1), round(wait, 6)))
    # A month with no calls at all inside the span (March 2021).
    return [r for r in rows if r[1].astimezone(LONDON).strftime("%Y-%m") != "2021-03"]


def period_of(by: str, when: datetime) -> str:
    local = when.astimezone(LONDON)
    if by == "month":
        return f"{local.year:04d}-{local.month:02d}"
    if by == "year":
        return f"{local.year:04d}"
    fy = local.year if local.month >= 4 else local.year - 1
    return f"{fy}/{(fy + 1) % 100:02d}"


def brute(
    rows: list[tuple[str, datetime, bool, float]],
    by: str,
    channels: set[str],
    targets: dict[str, float],
    method: str = "linear",
) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    groups: dict[str, list[tuple[str, datetime, bool, float]]] = {}
    for r in rows:
        if r[0] in channels:
            groups.setdefault(period_of(by, r[1]), []).append(r)
    for period, calls in groups.items():
        waits = [w for _, _, ab, w in calls if not ab]
        n = len(calls)
        within_target = sum(1 for ch, _, ab, w in calls if not ab and w <= targets[ch])
        within_10 = sum(1 for _, _, ab, w in calls if not ab and w <= 10)
        abandoned = sum(1 for _, _, ab, _ in calls if ab)
        lost = [w for _, _, ab, w in calls if ab]
        out[period] = {
            "calls": n,
            "answered": len(waits),
            "abandoned": abandoned,
            "pct_abandoned": 100 * abandoned / n,
            "over_target": n - within_target,
            "pct_over_target": 100 * (n - within_target) / n,
            "answered_within_10s": within_10,
            "pct_answered_within_10s": 100 * within_10 / n,
            "national_target_met": 10 * within_10 >= 9 * n,
            "mean_wait_s": sum(waits) / len(waits) if waits else None,
            "p90_wait_s": float(np.percentile(waits, 90, method=method)) if waits else None,
            "mean_abandoned_wait_s": sum(lost) / len(lost) if lost else None,
            "band_le_10s": sum(1 for w in waits if w <= 10),
            "band_10_to_60s": sum(1 for w in waits if 10 < w <= 60),
            "band_gt_60s": sum(1 for w in waits if w > 60),
        }
    return out


def assert_matches(table: pl.DataFrame, expected: dict[str, dict[str, object]]) -> None:
    got = {r["period"]: r for r in table.iter_rows(named=True)}
    for period, exp in expected.items():
        row = got[period]
        for key, value in exp.items():
            if isinstance(value, float):
                assert row[key] == pytest.approx(value, rel=1e-12, abs=1e-9), (period, key)
            else:
                assert row[key] == value, (period, key, row[key], value)
    # Every other period in the span has no calls.
    for period in set(got) - set(expected):
        assert got[period]["calls"] == 0, period


@pytest.mark.parametrize("by", ["month", "year", "financial_year"])
@pytest.mark.parametrize("channel", ["999", "101", "triage", ("101", "triage"), None])
def test_kpis_match_brute_force(by: str, channel: str | tuple[str, ...] | None) -> None:
    rows = crafted()
    result = call_kpis(frame(rows), by=by, channel=channel)
    channels = (
        {channel}
        if isinstance(channel, str)
        else set(channel)
        if channel
        else {"999", "101", "triage", "online"}
    )
    assert_matches(result.table, brute(rows, by, channels, DEFAULT_TARGET_SECONDS))
    assert result.table["period"].to_list() == sorted(result.table["period"].to_list())


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint"])
def test_p90_matches_numpy_percentile(method: str) -> None:
    rows = crafted(seed=11, n=800)
    result = call_kpis(frame(rows), by="year", channel=None, percentile_method=method)
    expected = brute(
        rows, "year", {"999", "101", "triage", "online"}, DEFAULT_TARGET_SECONDS, method
    )
    for r in result.table.iter_rows(named=True):
        assert r["p90_wait_s"] == pytest.approx(expected[r["period"]]["p90_wait_s"], abs=1e-9)
    assert result.percentile_method == method


def test_p90_on_few_calls() -> None:
    t = datetime(2022, 2, 1, 12, tzinfo=UTC)
    for waits in ([7.0], [3.0, 20.0], [1.0, 2.0, 3.0, 4.0, 50.0]):
        calls = frame([("999", t, False, w) for w in waits])
        assert call_kpis(calls).row("2022-02")["p90_wait_s"] == pytest.approx(
            float(np.percentile(waits, 90))
        )


def test_band_and_target_boundaries() -> None:
    """Exactly 10 s is within 10 s and in the first band; exactly 60 s is in the second."""
    t = datetime(2022, 2, 1, 12, tzinfo=UTC)
    waits = [0.0, 9.999, 10.0, 10.001, 59.999, 60.0, 60.001, 300.0]
    calls = frame([("999", t, False, w) for w in waits] + [("999", t, True, 4.0)])
    r = call_kpis(calls).row("2022-02")
    assert (r["calls"], r["answered"], r["abandoned"]) == (9, 8, 1)
    assert (r["band_le_10s"], r["band_10_to_60s"], r["band_gt_60s"]) == (3, 3, 2)
    assert r["answered_within_10s"] == r["answered_within_target"] == 3
    assert r["over_target"] == 6  # five answered late and the abandoned call
    assert r["pct_answered_within_10s"] == pytest.approx(100 * 3 / 9)
    assert r["pct_over_target"] == pytest.approx(100 * 6 / 9)
    assert r["pct_band_le_10s"] == pytest.approx(100 * 3 / 8)
    assert r["band_le_10s"] + r["band_10_to_60s"] + r["band_gt_60s"] + r["abandoned"] == 9
    assert r["national_target_met"] is False
    assert r["mean_abandoned_wait_s"] == 4.0

    # The 101 target (60 s by default) has its boundary on the same side.
    calls101 = frame([("101", t, False, w) for w in waits])
    r = call_kpis(calls101, channel="101").row("2022-02")
    assert (r["answered_within_target"], r["over_target"]) == (6, 2)
    r = call_kpis(calls101, channel="101", target_seconds=20).row("2022-02")
    assert (r["answered_within_target"], r["over_target"]) == (4, 4)


def test_band_edges_are_parameters() -> None:
    t = datetime(2022, 2, 1, 12, tzinfo=UTC)
    calls = frame([("999", t, False, w) for w in (5.0, 15.0, 30.0, 45.0, 90.0, 120.0, 121.0)])
    result = call_kpis(calls, band_edges=(15, 30, 120))
    r = result.row("2022-02")
    assert [r[f"band_{b.name}"] for b in result.bands] == [2, 1, 3, 1]
    assert [b.name for b in result.bands] == ["le_15s", "15_to_30s", "30_to_120s", "gt_120s"]
    assert result.params["band_edges"] == [15.0, 30.0, 120.0]


def test_national_target_met_at_exactly_90_percent() -> None:
    t = datetime(2022, 2, 1, 12, tzinfo=UTC)
    calls = frame([("999", t, False, 10.0)] * 9 + [("999", t, False, 10.5)])
    assert call_kpis(calls).row("2022-02")["national_target_met"] is True
    calls = frame([("999", t, False, 10.0)] * 8 + [("999", t, True, 1.0)] * 2)
    assert call_kpis(calls).row("2022-02")["national_target_met"] is False
    # 27 of 30 (and no abandoned call) is exactly 90% too.
    calls = frame([("999", t, False, 1.0)] * 27 + [("999", t, False, 11.0)] * 3)
    assert call_kpis(calls).row("2022-02")["national_target_met"] is True


def test_financial_years_and_local_time() -> None:
    calls = frame(
        [
            # 22:59 UTC on 31 March 2022 is 23:59 BST: March, 2021/22.
            ("999", datetime(2022, 3, 31, 22, 59, tzinfo=UTC), False, 5.0),
            # 23:30 UTC on 31 March 2022 is 00:30 BST on 1 April: April, 2022/23.
            ("999", datetime(2022, 3, 31, 23, 30, tzinfo=UTC), False, 6.0),
            # 31 December 2021 23:30 UTC is GMT: still 2021, and 2021/22.
            ("999", datetime(2021, 12, 31, 23, 30, tzinfo=UTC), False, 7.0),
            ("999", datetime(2020, 4, 1, 0, 0, tzinfo=UTC), False, 8.0),  # 01:00 BST, 1 April
            ("999", datetime(2020, 3, 31, 22, 0, tzinfo=UTC), False, 9.0),  # 23:00 BST, 31 March
        ]
    )
    fy = call_kpis(calls, by="financial_year").table
    assert fy.select("period", "period_start", "calls").rows() == [
        ("2019/20", date(2019, 4, 1), 1),
        ("2020/21", date(2020, 4, 1), 1),
        ("2021/22", date(2021, 4, 1), 2),
        ("2022/23", date(2022, 4, 1), 1),
    ]
    assert call_kpis(calls, by="financial_year").row("2021/22")["mean_wait_s"] == 6.0
    year = call_kpis(calls, by="year").table
    assert year.select("period", "calls").rows() == [("2020", 2), ("2021", 1), ("2022", 2)]
    month = call_kpis(calls, by="month").table
    assert month.filter(pl.col("period").is_in(["2022-03", "2022-04"])).select(
        "period", "calls"
    ).rows() == [("2022-03", 1), ("2022-04", 1)]
    # A millennium financial year is labelled with two digits of the next year.
    assert call_kpis(
        frame([("999", datetime(2099, 6, 1, tzinfo=UTC), False, 1.0)]), by="financial_year"
    ).table["period"].to_list() == ["2099/00"]


def test_zero_call_months_are_listed() -> None:
    calls = frame(
        [
            ("999", datetime(2022, 1, 15, 12, tzinfo=UTC), False, 5.0),
            ("999", datetime(2022, 4, 15, 12, tzinfo=UTC), True, 5.0),
            ("101", datetime(2022, 6, 15, 12, tzinfo=UTC), False, 5.0),  # another channel
        ]
    )
    table = call_kpis(calls).table
    assert table["period"].to_list() == ["2022-01", "2022-02", "2022-03", "2022-04"]
    feb = table.row(1, named=True)
    assert (
        feb["calls"],
        feb["answered"],
        feb["abandoned"],
        feb["over_target"],
        feb["band_le_10s"],
    ) == (0, 0, 0, 0, 0)
    assert all(
        feb[k] is None
        for k in (
            "pct_abandoned",
            "pct_over_target",
            "pct_answered_within_10s",
            "national_target_met",
            "mean_wait_s",
            "p90_wait_s",
            "mean_abandoned_wait_s",
            "pct_band_le_10s",
        )
    )
    apr = table.row(3, named=True)  # only an abandoned call: no answered waits
    assert (
        apr["calls"],
        apr["pct_abandoned"],
        apr["mean_wait_s"],
        apr["p90_wait_s"],
        apr["pct_band_gt_60s"],
    ) == (1, 100.0, None, None, None)

    # start and end widen (or narrow) the span, and drop calls outside it.
    table = call_kpis(calls, start=date(2021, 11, 3), end=date(2022, 2, 28)).table
    assert table.select("period", "calls").rows() == [
        ("2021-11", 0),
        ("2021-12", 0),
        ("2022-01", 1),
        ("2022-02", 0),
    ]
    fy = call_kpis(calls, by="financial_year", start=date(2020, 4, 1)).table
    assert fy.select("period", "calls").rows() == [("2020/21", 0), ("2021/22", 1), ("2022/23", 1)]


def test_no_calls_at_all() -> None:
    empty = frame([])
    assert call_kpis(empty).table.height == 0
    table = call_kpis(empty, by="year", start=date(2020, 1, 1), end=date(2021, 12, 31)).table
    assert table.select("period", "calls", "mean_wait_s").rows() == [
        ("2020", 0, None),
        ("2021", 0, None),
    ]


def test_wait_from_times_and_naive_utc() -> None:
    q = datetime(2022, 7, 1, 8, 0)
    calls = pl.DataFrame(
        {
            "channel": ["999", "999", "999"],
            "queued_at": [q, q, q],
            "answered_at": [q + timedelta(seconds=10), None, q + timedelta(seconds=61)],
            "ended_at": [
                q + timedelta(seconds=200),
                q + timedelta(seconds=30),
                q + timedelta(seconds=300),
            ],
            "abandoned": [False, True, False],
        }
    )
    r = call_kpis(calls).row("2022-07")
    assert (r["band_le_10s"], r["band_gt_60s"], r["mean_abandoned_wait_s"]) == (1, 1, 30.0)
    assert r["mean_wait_s"] == 35.5
    # Naive times are UTC: 23:30 on 30 June UTC is July in London.
    late = calls.with_columns(pl.lit(datetime(2022, 6, 30, 23, 30)).alias("queued_at"))
    assert call_kpis(
        late.drop("answered_at", "ended_at").with_columns(pl.lit(1.0).alias("wait_seconds"))
    ).table["period"].to_list() == ["2022-07"]


def test_params_are_reported() -> None:
    t = datetime(2022, 2, 1, tzinfo=UTC)
    result = call_kpis(frame([("101", t, False, 1.0)]), channel=None, target_seconds={"101": 30})
    assert result.params == {
        "by": "month",
        "channels": ["999", "101", "triage", "online"],
        "target_seconds": {"999": 10.0, "101": 30.0, "triage": 60.0, "online": 60.0},
        "within_seconds": 10.0,
        "target_share": 0.9,
        "bands": [
            "le_10s: up to 10 s (inclusive)",
            "10_to_60s: over 10 s, up to 60 s",
            "gt_60s: over 60 s",
        ],
        "band_edges": [10.0, 60.0],
        "percentile": 90.0,
        "percentile_method": "linear",
        "waits_of": "answered calls (queued to answered)",
        "time_zone": "Europe/London",
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "week"}, "expected 'month', 'year' or 'financial_year'"),
        ({"channel": "112"}, "expected one or more of 999, 101, triage, online"),
        ({"band_edges": (60, 10)}, "expected increasing positive seconds"),
        ({"band_edges": ()}, "expected increasing positive seconds"),
        ({"percentile_method": "nearest"}, "expected one of linear, lower, higher, midpoint"),
        ({"target_seconds": -1}, "expected a number of seconds"),
        ({"start": date(2022, 3, 1), "end": date(2022, 1, 1)}, "is after end"),
    ],
)
def test_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    calls = frame([("999", datetime(2022, 2, 1, tzinfo=UTC), False, 1.0)])
    with pytest.raises(ValueError, match=message):
        call_kpis(calls, **kwargs)


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="lack column.s. abandoned, answered_at, ended_at"):
        call_kpis(pl.DataFrame({"channel": ["999"], "queued_at": [datetime(2022, 1, 1)]}))


# -- triage against the main queue ---------------------------------------------------------------


def test_triage_vs_main_matches_brute_force() -> None:
    rows = crafted(seed=5, n=2000)
    result = triage_vs_main(frame(rows))
    got = {r["month"]: r for r in result.table.iter_rows(named=True)}
    months = {period_of("month", r[1]) for r in rows if r[0] in ("101", "triage")}
    assert min(got) == min(months) and max(got) == max(months)
    assert result.table["month"].to_list() == sorted(got)
    for month, r in got.items():
        for prefix, channel in (("triage", "triage"), ("main", "101")):
            calls = [x for x in rows if x[0] == channel and period_of("month", x[1]) == month]
            waits = [w for _, _, ab, w in calls if not ab]
            assert r[f"{prefix}_calls"] == len(calls)
            assert r[f"{prefix}_answered"] == len(waits)
            if waits:
                mean = sum(waits) / len(waits)
                assert r[f"{prefix}_mean_wait_s"] == pytest.approx(mean, rel=1e-12)
                assert r[f"{prefix}_mean_wait"] == format_hms(mean)
            else:
                assert r[f"{prefix}_mean_wait_s"] is None and r[f"{prefix}_mean_wait"] is None
            if calls:
                assert r[f"{prefix}_pct_abandoned"] == pytest.approx(
                    100 * (len(calls) - len(waits)) / len(calls)
                )
    first_triage = min(x[1] for x in rows if x[0] == "triage")
    assert result.triage_started == first_triage


def test_triage_vs_main_prints_seed_003s_table() -> None:
    """The averages seed 003 printed, from calls whose means are exactly those."""
    seed = {"2022-01": (37, 222), "2022-02": (34, 212), "2022-03": (37, 292)}
    rows = []
    for month, (tri, main) in seed.items():
        t = datetime.fromisoformat(f"{month}-10T12:00:00+00:00")
        rows += [
            ("triage", t, False, tri - 3.0),
            ("triage", t, False, tri + 3.0),
            ("triage", t, True, 500.0),
            ("101", t, False, float(main)),
        ]
    rows.append(("101", datetime(2021, 12, 1, 12, tzinfo=UTC), False, 601.0))  # before triage
    result = triage_vs_main(frame(rows))
    assert result.table.select("month_label", "triage_mean_wait", "main_mean_wait").rows() == [
        ("Dec 2021", None, "00:10:01"),
        ("Jan 2022", "00:00:37", "00:03:42"),
        ("Feb 2022", "00:00:34", "00:03:32"),
        ("Mar 2022", "00:00:37", "00:04:52"),
    ]
    assert result.table["triage_pct_abandoned"].to_list()[1:] == pytest.approx([100 / 3] * 3)
    assert result.triage_started == datetime(2022, 1, 10, 12, tzinfo=UTC)
    assert result.params["triage_started"] == "2022-01-10T12:00:00+00:00"
    # The span can be set, and a month with no calls is listed empty.
    window = triage_vs_main(frame(rows), start=date(2022, 2, 1), end=date(2022, 5, 1)).table
    assert window["month"].to_list() == ["2022-02", "2022-03", "2022-04", "2022-05"]
    assert window.row(3, named=True)["triage_calls"] == 0
    assert window.row(3, named=True)["main_mean_wait"] is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "00:00:00"),
        (0.49, "00:00:00"),
        (0.5, "00:00:01"),
        (36.5, "00:00:37"),
        (59.5, "00:01:00"),
        (221.6, "00:03:42"),
        (3599.5, "01:00:00"),
        (86400.0, "24:00:00"),
        (None, None),
        (math.nan, None),
    ],
)
def test_format_hms(seconds: float | None, text: str | None) -> None:
    assert format_hms(seconds) == text
