"""Repeat victims and repeat locations against brute force (plain Python loops over rows)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from asbhub.analysis.repeats import repeat_locations, repeat_victims

AS_OF = dt.date(2021, 6, 30)
SINCE = dt.date(2021, 6, 1)


def _people(seed: int, n: int = 600) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = dt.date(2020, 1, 1)
    inc = rng.integers(0, n // 2, size=n)
    dates = {int(i): start + dt.timedelta(days=int(rng.integers(0, 600))) for i in set(inc)}
    rtype = {int(i): str(rng.choice(["crime", "asb", "roc"])) for i in set(inc)}
    return pl.DataFrame({
        "incident_id": inc,
        "occurred_from": [dates[int(i)] for i in inc],
        "record_type": [rtype[int(i)] for i in inc],
        "role": rng.choice(["caller", "victim", "witness", "suspect"], size=n),
        "person_id": [None if x < 0.05 else int(k) for x, k in
                      zip(rng.random(n), rng.integers(0, 60, size=n), strict=True)],
    })


def _brute_victims(df: pl.DataFrame, as_of: dt.date, window: int, min_count: int
                   ) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for r in df.iter_rows(named=True):
        ok = (r["record_type"] in ("crime", "asb")
              and (r["role"] == "victim" or (r["role"] == "caller" and r["record_type"] == "asb")))
        days = (as_of - r["occurred_from"]).days
        if ok and r["person_id"] is not None and 0 <= days < window:
            out.setdefault(r["person_id"], set()).add(r["incident_id"])
    return {k: v for k, v in out.items() if len(v) >= min_count}


@pytest.mark.parametrize(("seed", "window", "min_count"), [(1, 365, 2), (2, 90, 2), (3, 365, 4)])
def test_repeat_victims_match_brute_force(seed: int, window: int, min_count: int) -> None:
    df = _people(seed)
    res = repeat_victims(df, window_days=window, min_count=min_count, as_of=AS_OF, since=SINCE)
    now = _brute_victims(df, AS_OF, window, min_count)
    before_all = _brute_victims(df, SINCE, window, 1)
    got = {r["person_key"]: r for r in res.table.iter_rows(named=True)}
    assert set(got) == set(now)
    for k, ids in now.items():
        row = got[k]
        assert row["n_incidents"] == len(ids)
        assert row["incident_ids"] == sorted(ids)
        dates = [d for i, d in df.select("incident_id", "occurred_from").iter_rows() if i in ids]
        assert row["first_date"] == min(dates) and row["last_date"] == max(dates)
        n_before = len(before_all.get(k, ()))
        assert row["n_before"] == n_before
        assert row["new"] == (n_before < min_count)
        assert row["rising"] == (n_before >= min_count and len(ids) > n_before)
    assert res.parameters["window_days"] == window
    assert res.parameters["min_count"] == min_count
    assert res.parameters["as_of"] == AS_OF.isoformat()
    assert res.parameters["since"] == SINCE.isoformat()


def test_repeat_victims_roc_and_witness_do_not_count() -> None:
    d = dt.date(2021, 1, 1)
    df = pl.DataFrame({"incident_id": [1, 2, 3, 4], "occurred_from": [d] * 4,
                       "record_type": ["roc", "crime", "crime", "asb"],
                       "role": ["caller", "witness", "caller", "caller"],
                       "person_id": [7, 7, 7, 7]})
    assert repeat_victims(df, as_of=d).n_repeat == 0
    df2 = df.with_columns(pl.lit("asb").alias("record_type"))
    res = repeat_victims(df2, as_of=d)
    assert res.table["n_incidents"].to_list() == [3]  # the witness still does not count
    assert res.table["new"].to_list() == [True] and res.table["rising"].to_list() == [None]


def _incidents(seed: int, n: int = 300) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 40, size=n)
    east = 430000 + (base % 8) * 35.0 + np.where(rng.random(n) < 0.3, rng.integers(0, 3, n), 0)
    north = 335000 + (base // 8) * 35.0
    start = dt.date(2020, 6, 1)
    return pl.DataFrame({
        "incident_id": np.arange(n),
        "occurred_from": [start + dt.timedelta(days=int(x)) for x in rng.integers(0, 400, n)],
        "record_type": rng.choice(["crime", "asb", "roc"], size=n),
        "easting": [None if x < 0.03 else float(e) for x, e in
                    zip(rng.random(n), east, strict=True)],
        "northing": north.astype(float),
    })


def _brute_locations(df: pl.DataFrame, as_of: dt.date, window: int, d: float, min_count: int
                     ) -> list[tuple[tuple[float, float], set[int]]]:
    rows = [r for r in df.iter_rows(named=True)
            if r["record_type"] in ("crime", "asb") and r["easting"] is not None
            and 0 <= (as_of - r["occurred_from"]).days < window]
    points = sorted({(r["easting"], r["northing"]) for r in rows})
    near = {p: {r["incident_id"] for r in rows
                if math.dist(p, (r["easting"], r["northing"])) <= d} for p in points}
    order = sorted(points, key=lambda p: (-len(near[p]), p[0], p[1]))
    chosen: list[tuple[float, float]] = []
    for p in order:
        if len(near[p]) < min_count:
            break
        if all(math.dist(p, c) > d for c in chosen):
            chosen.append(p)
    return [(p, near[p]) for p in chosen]


@pytest.mark.parametrize(("seed", "distance", "min_count"),
                         [(1, 0.0, 3), (2, 0.0, 5), (3, 40.0, 5), (4, 80.0, 8)])
def test_repeat_locations_match_brute_force(seed: int, distance: float, min_count: int) -> None:
    df = _incidents(seed)
    res = repeat_locations(df, distance_m=distance, min_count=min_count, as_of=AS_OF,
                           since=SINCE)
    expect = _brute_locations(df, AS_OF, 365, distance, min_count)
    got = res.table
    assert [(e, n) for e, n in got.select("easting", "northing").iter_rows()] == \
        [p for p, _ in expect]
    assert [set(x) for x in got["incident_ids"].to_list()] == [ids for _, ids in expect]
    assert got["n_incidents"].to_list() == [len(ids) for _, ids in expect]
    for row, (p, _) in zip(got.iter_rows(named=True), expect, strict=True):
        before = [r for r in df.iter_rows(named=True)
                  if r["record_type"] in ("crime", "asb") and r["easting"] is not None
                  and 0 <= (SINCE - r["occurred_from"]).days < 365
                  and math.dist(p, (r["easting"], r["northing"])) <= distance]
        assert row["n_before"] == len(before)
        assert row["new"] == (len(before) < min_count)
    assert res.parameters["distance_m"] == distance
    assert res.n_without_point == sum(
        1 for r in df.iter_rows(named=True) if r["easting"] is None
        and r["record_type"] in ("crime", "asb") and 0 <= (AS_OF - r["occurred_from"]).days < 365)
