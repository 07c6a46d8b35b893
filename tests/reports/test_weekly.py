"""The weekly LPU ASB data pack: counts by day, category and SNT against a brute-force count of
a synthetic force export loaded into a SQLite store; the files it writes; an empty store."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from asbhub.geo import AreaHierarchy
from asbhub.ingest.inputs import expand_inputs
from asbhub.reports.weekly import (
    NO_SNT,
    build_weekly,
    weekly_csv_rows,
    weekly_map_png,
    write_weekly,
)
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest
from asbhub.synth.incidents import generate_force_export, write_force_export_csv

WEEK_ENDING = dt.date(2021, 3, 21)  # a Sunday
LPU = "Erewash"
NAMES = {"P": "Personal", "N": "Nuisance", "E": "Environmental"}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("weekly")
    synth = generate_force_export(
        dt.date(2021, 1, 20), dt.date(2021, 3, 31), seed=5, n_incidents=3000
    )
    path = write_force_export_csv(synth.export, tmp / "export.csv")
    store = open_store(f"sqlite:///{tmp / 'store.sqlite3'}")
    assert ingest(store, expand_inputs([path])).totals()["rejected"] == 0
    return store, synth


def _brute(export: pl.DataFrame) -> dict[str, dict[str, list[int]]]:
    """Plain Python over the export: per table and key, [this week, previous four weeks]."""
    areas = AreaHierarchy.load()
    hoods = dict(areas.neighbourhoods.select("snt_code", "snt_name").iter_rows())
    start = WEEK_ENDING - dt.timedelta(days=6)
    first = start - dt.timedelta(days=28)
    out: dict[str, dict[str, list[int]]] = {"day": {}, "category": {}, "snt": {}}
    for r in export.iter_rows(named=True):
        day = r["occurred_from"].astimezone(ZoneInfo("Europe/London")).date()
        if r["record_type"] != "asb" or r["lpu"] != LPU or not first <= day <= WEEK_ENDING:
            continue
        slot = 0 if day >= start else 1
        keys = {
            "day": day.strftime("%A"),
            "category": r["asb_category"],
            # The record's SNT, else its LSOA's by the hierarchy's neighbour rule.
            "snt": hoods.get(snt := r["snt"] or areas.neighbourhood_for([r["lsoa_code"]])[0], snt)
            or NO_SNT,
        }
        for table, key in keys.items():
            out[table].setdefault(key, [0, 0])[slot] += 1
    return out


def test_counts_match_a_brute_force_count(loaded) -> None:
    store, synth = loaded
    pack = build_weekly(store, LPU, WEEK_ENDING)
    expect = _brute(synth.export)
    assert pack.week_start == dt.date(2021, 3, 15)
    for table, frame in (
        ("day", pack.by_day),
        ("category", pack.by_category),
        ("snt", pack.by_snt),
    ):
        got = {}
        for key, n, avg in frame.iter_rows():
            key = key.split()[0] if table == "day" else key
            if n or avg:
                got[key] = [n, round(avg * 4)]
            assert avg * 4 == pytest.approx(round(avg * 4))
        assert got == expect[table], table
    assert pack.total == sum(v[0] for v in expect["day"].values()) > 10
    assert [k.split()[0] for k in pack.by_day["key"].to_list()] == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    # Every SNT of the LPU has a row, even one with nothing this week.
    hoods = AreaHierarchy.load().neighbourhoods.filter(pl.col("lpu") == LPU)
    assert set(hoods["snt_name"].to_list()) <= set(pack.by_snt["key"].to_list())
    assert len(pack.points) + pack.n_without_point == pack.total
    assert not pack.note


def test_files_and_map(loaded, tmp_path: Path) -> None:
    store, _ = loaded
    paths = write_weekly(store, LPU, WEEK_ENDING, tmp_path)
    assert {p.name for p in paths.values()} == {
        f"weekly-erewash-2021-03-21.{x}" for x in ("html", "csv", "png")
    }
    rows = list(csv.reader(io.StringIO(paths["csv"].read_text(encoding="utf-8"))))
    pack = build_weekly(store, LPU, WEEK_ENDING)
    assert rows == [[str(c) for c in r] for r in weekly_csv_rows(pack)]
    assert rows[-1][:3] == ["total", LPU, str(pack.total)]
    html = paths["html"].read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "By Safer Neighbourhood Team" in html
    from matplotlib.image import imread

    img = imread(paths["png"])
    assert float(np.var(img)) > 0
    # The week's points are drawn: a map without them differs.
    empty = build_weekly(store, LPU, dt.date(2020, 6, 7))
    assert weekly_map_png(empty) != paths["png"].read_bytes()


def test_no_dated_records_says_so(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    pack = build_weekly(store, LPU, WEEK_ENDING)
    assert pack.total == 0 and "months only" in pack.note and "force export" in pack.note


def test_unknown_lpu_lists_the_known_ones(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(ValueError, match="expected one of .*Erewash"):
        build_weekly(store, "Atlantis", WEEK_ENDING)


def test_records_without_an_snt_take_the_neighbour_rule(tmp_path: Path) -> None:
    """Records with an LSOA but no SNT (as police.uk's) are counted under the SNT the area
    hierarchy's neighbour rule gives; "No single SNT" is left for records with no usable LSOA."""
    synth = generate_force_export(
        dt.date(2021, 2, 1), dt.date(2021, 3, 31), seed=8, n_incidents=1500
    )
    export = synth.export.with_columns(pl.lit(None, dtype=pl.String).alias("snt"))
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    path = write_force_export_csv(export, tmp_path / "export.csv")
    assert ingest(store, expand_inputs([path])).totals()["rejected"] == 0
    pack = build_weekly(store, LPU, WEEK_ENDING)
    areas = AreaHierarchy.load()
    hoods = dict(areas.neighbourhoods.select("snt_code", "snt_name").iter_rows())
    start, first = WEEK_ENDING - dt.timedelta(days=6), WEEK_ENDING - dt.timedelta(days=34)
    expect: dict[str, list[int]] = {}
    ward_only_missing = 0
    for r in export.iter_rows(named=True):
        day = r["occurred_from"].astimezone(ZoneInfo("Europe/London")).date()
        if r["record_type"] != "asb" or r["lpu"] != LPU or not first <= day <= WEEK_ENDING:
            continue
        snt = areas.neighbourhood_for([r["lsoa_code"]])[0]
        key = hoods[snt] if snt else NO_SNT
        expect.setdefault(key, [0, 0])[0 if day >= start else 1] += 1
        ward_only_missing += areas.snt_for([r["lsoa_code"]])[0] is None
    got = {k: [a, round(b * 4)] for k, a, b in pack.by_snt.iter_rows() if a or b}
    assert got == expect
    # Most of Erewash has no SNT by wards alone; the neighbour rule leaves none of it out.
    assert ward_only_missing > 0.3 * sum(v[0] + v[1] for v in expect.values())
    assert NO_SNT not in got
