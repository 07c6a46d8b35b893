"""`asbhub evaluate`, run as a user runs it: from counts (checked against the formulas worked
by hand here) and from areas and dated events (checked against a count made here)."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from asbhub.data import sample_paths
from asbhub.geo import from_bng

Z95 = 1.959963984540054


def asbhub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asbhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_from_counts_reproduces_the_hand_computed_measures(tmp_path: Path) -> None:
    # Op Dexter-like: the response area fell from 188 to 41, the control barely moved.
    rb, ra, cb, ca = 188, 41, 1500, 1480
    proc = asbhub(
        "evaluate",
        "--response-before",
        str(rb),
        "--response-after",
        str(ra),
        "--control-before",
        str(cb),
        "--control-after",
        str(ca),
        "--out",
        "e.json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    rr = (rb * ca) / (ra * cb)
    se = math.sqrt(1 / rb + 1 / ra + 1 / cb + 1 / ca)
    low, high = math.exp(math.log(rr) - Z95 * se), math.exp(math.log(rr) + Z95 * se)
    wdd = (ra - rb) - (ca - cb)
    wdd_se = math.sqrt(ra + rb + ca + cb)
    doc = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    m = doc["measures"]
    assert m["rate_ratio"]["value"] == pytest.approx(rr, rel=1e-12)
    assert m["rate_ratio"]["ci_low"] == pytest.approx(low, rel=1e-9)
    assert m["rate_ratio"]["ci_high"] == pytest.approx(high, rel=1e-9)
    assert m["wdd"]["estimate"] == wdd == -127
    assert m["wdd"]["se"] == pytest.approx(wdd_se, rel=1e-12)
    assert m["wdd"]["p_value"] == pytest.approx(
        math.erfc(abs(wdd / wdd_se) / math.sqrt(2)), rel=1e-9
    )
    assert m["wdq"]["wdq"] is None and "no buffer area" in m["wdq"]["reason"]
    assert m["net_effect"]["total"] is None
    assert doc["counts"]["response_before"] == rb and doc["asbhub"]["data"]["kind"] == "counts"
    assert doc["asbhub"]["command"].startswith("asbhub evaluate --response-before 188")
    out = proc.stdout
    assert f"rate ratio  {rr:.3f} (95% CI {low:.3f} to {high:.3f};" in out
    assert f"WDD         {wdd:.1f} events (SE {wdd_se:.2f}," in out
    assert "WDQ         undefined: no buffer area: the WDQ needs buffer counts" in out
    assert "net effect  undefined: no buffer area" in out
    assert f"run {doc['asbhub']['run_id']}" in out


def test_from_counts_with_a_buffer_and_unequal_periods() -> None:
    rb, ra, bb, ba, cb, ca = 188, 41, 60, 52, 160, 150
    proc = asbhub(
        "evaluate",
        "--response-before",
        str(rb),
        "--response-after",
        str(ra),
        "--buffer-before",
        str(bb),
        "--buffer-after",
        str(ba),
        "--control-before",
        str(cb),
        "--control-after",
        str(ca),
        "--before-days",
        "90",
        "--after-days",
        "92",
    )
    assert proc.returncode == 0, proc.stderr
    sm = ra / ca - rb / cb
    bdm = ba / ca - bb / cb
    net = (rb * ca / cb - ra) + (bb * ca / cb - ba)
    s = 92 / 90
    wdd = (ra - s * rb) - (ca - s * cb) + (ba - s * bb) - (ca - s * cb)
    wdd_se = math.sqrt((ra + s * s * rb) + (ba + s * s * bb) + 4 * (ca + s * s * cb))
    assert f"WDQ         {bdm / sm:.3f}: diffusion of benefits" in proc.stdout
    assert f"net effect  {net:.1f} events prevented in total" in proc.stdout
    assert f"WDD         {wdd:.1f} events (SE {wdd_se:.2f}," in proc.stdout
    assert "(before 90 days, after 92 days)" in proc.stdout


def test_an_undefined_measure_says_why() -> None:
    proc = asbhub(
        "evaluate",
        "--response-before",
        "12",
        "--response-after",
        "0",
        "--control-before",
        "40",
        "--control-after",
        "38",
    )
    assert proc.returncode == 0, proc.stderr
    assert "rate ratio  undefined: zero count in response_after" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--response-before", "-1"], "argument --response-before: expected a count"),
        (["--response-before", "1.5"], "argument --response-before: expected a count"),
        (
            ["--response-before", "5", "--control-before", "3"],
            "missing --response-after, --control-after",
        ),
        (
            [
                "--response-before",
                "1",
                "--response-after",
                "1",
                "--control-before",
                "1",
                "--control-after",
                "1",
                "--buffer-before",
                "4",
            ],
            "--buffer-before and --buffer-after",
        ),
        (["--response-before", "1", "--response", "a.geojson"], "give either counts"),
        (
            [
                "--response-before",
                "1",
                "--response-after",
                "1",
                "--control-before",
                "1",
                "--control-after",
                "1",
                "--out",
                "e.csv",
            ],
            "--out e.csv: cannot tell the format",
        ),
        (
            [
                "--response-before",
                "1",
                "--response-after",
                "1",
                "--control-before",
                "1",
                "--control-after",
                "1",
                "--before-days",
                "0",
            ],
            "--before-days must be a positive",
        ),
        (
            [
                "--response",
                "r.geojson",
                "--control",
                "c.geojson",
                "--start",
                "2021-04-31",
                "--end",
                "2021-05-01",
                "--before-days",
                "30",
            ],
            "--start '2021-04-31' is not a date",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_option(tmp_path: Path, args: list[str], message: str) -> None:
    proc = asbhub("evaluate", *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert list(tmp_path.iterdir()) == []


# -- from areas and dated events ------------------------------------------------------------

RESPONSE = (435000, 336000, 435500, 336500)  # BNG box
CONTROL = (438000, 338000, 438500, 338500)
START, END = date(2021, 4, 5), date(2021, 4, 30)  # the operation, both days included
BEFORE_DAYS = 30


def _box_geojson(box: tuple[int, int, int, int], wgs84: bool) -> dict:
    x0, y0, x1, y1 = box
    xs, ys = [x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0]
    if wgs84:
        lon, lat = from_bng(np.array(xs, float), np.array(ys, float))
        ring = [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            ],
        }
    return {
        "type": "Polygon",
        "coordinates": [[[a, b] for a, b in zip(xs, ys, strict=True)]],
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
    }


def _events() -> list[tuple[str, int, int, date]]:
    """(area, easting, northing, day): points kept well inside or outside each area (the store
    keeps WGS84 to six decimals, about 0.1 m), on every side of the windows' edges."""
    rng = np.random.default_rng(3)
    days = [date(2021, 2, 20) + timedelta(days=int(d)) for d in range(0, 116)]
    out = []
    places = {
        "response": (435020, 336020, 435480, 336480),
        "buffer": (435600, 336020, 435650, 336480),  # 100 to 150 m east of the response
        "control": (438020, 338020, 438480, 338480),
        "elsewhere": (441000, 341000, 441500, 341500),
    }
    for area, (x0, y0, x1, y1) in places.items():
        for _ in range(60):
            out.append(
                (
                    area,
                    int(rng.integers(x0, x1)),
                    int(rng.integers(y0, y1)),
                    days[int(rng.integers(len(days)))],
                )
            )
    # Days on the windows' edges: the first before day, the first day of the operation, its
    # last day, the first after day, the day after the after window.
    for d in (date(2021, 3, 6), START, END, date(2021, 5, 1), date(2021, 5, 31)):
        out.append(("response", 435250, 336250, d))
    return out


def _expected(events: list[tuple[str, int, int, date]]) -> dict[str, int]:
    before = (START - timedelta(days=BEFORE_DAYS), START)
    after = (END + timedelta(days=1), END + timedelta(days=1 + BEFORE_DAYS))
    out: dict[str, int] = {}
    for area in ("response", "buffer", "control"):
        for name, (a, b) in (("before", before), ("after", after)):
            out[f"{area}_{name}"] = sum(1 for ar, _, _, d in events if ar == area and a <= d < b)
    return out


@pytest.fixture(scope="module")
def area_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list]:
    folder = tmp_path_factory.mktemp("evaluate")
    events = _events()
    with (folder / "export.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "incident_reference",
                "record_type",
                "crime_type",
                "occurred_from",
                "reported_at",
                "easting",
                "northing",
            ]
        )
        for k, (_, x, y, d) in enumerate(events):
            # 11:00 UTC is midday in April, so the UK local day is the day written.
            when = datetime(d.year, d.month, d.day, 11).strftime("%Y-%m-%dT%H:%MZ")
            w.writerow([f"EV-{k:04d}", "crime", "Burglary", when, when, x, y])
        w.writerow(["EV-UNDATED", "crime", "Burglary", "", "2021-03-20T09:00Z", 435250, 336250])
    url = f"sqlite:///{folder / 'store.sqlite3'}"
    assert asbhub("ingest", str(folder / "export.csv"), "--db", url).returncode == 0
    (folder / "response.geojson").write_text(json.dumps(_box_geojson(RESPONSE, wgs84=True)))
    (folder / "control.geojson").write_text(json.dumps(_box_geojson(CONTROL, wgs84=False)))
    return folder, url, events


def test_from_areas_counts_match_a_count_made_here(area_run) -> None:
    folder, url, events = area_run
    proc = asbhub(
        "evaluate",
        "--db",
        url,
        "--response",
        "response.geojson",
        "--control",
        "control.geojson",
        "--buffer-distance",
        "200",
        "--start",
        START.isoformat(),
        "--end",
        END.isoformat(),
        "--before-days",
        str(BEFORE_DAYS),
        "--out",
        "e.json",
        cwd=folder,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((folder / "e.json").read_text(encoding="utf-8"))
    want = _expected(events)
    assert {k: doc["counts"][k] for k in want} == want
    assert min(want.values()) > 0
    assert doc["counts"]["before_days"] == doc["counts"]["after_days"] == BEFORE_DAYS
    assert doc["tally"]["before_window"] == ["2021-03-06T00:00:00", "2021-04-05T00:00:00"]
    assert doc["tally"]["after_window"] == ["2021-05-01T00:00:00", "2021-05-31T00:00:00"]
    during = sum(1 for a, _, _, d in events if a != "elsewhere" and START <= d <= END)
    assert doc["tally"]["n_during"] == during
    data = doc["asbhub"]["data"]
    assert data["records_without_date"] == 1
    assert data["areas"]["response"]["crs"] == "EPSG:4326"
    assert data["areas"]["control"]["crs"] == "EPSG:27700"
    assert (
        f"1 of {len(events) + 1} records have no date (occurred_from) and are left out"
        in proc.stderr
    )
    c = want
    assert (
        f"counts      response {c['response_before']} -> {c['response_after']}; control "
        f"{c['control_before']} -> {c['control_after']}; buffer {c['buffer_before']} -> "
        f"{c['buffer_after']} (before 30 days, after 30 days)"
    ) in proc.stdout


def test_from_areas_police_uk_files_are_refused(area_run, tmp_path: Path) -> None:
    folder, _, _ = area_run
    proc = asbhub(
        "evaluate",
        str(sample_paths()[0]),
        "--response",
        str(folder / "response.geojson"),
        "--control",
        str(folder / "control.geojson"),
        "--start",
        "2019-01-10",
        "--end",
        "2019-01-20",
        "--before-days",
        "28",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "data.police.uk publishes a month for each record but no date or time" in proc.stderr


def test_an_area_that_is_not_a_polygon_is_refused(area_run, tmp_path: Path) -> None:
    folder, url, _ = area_run
    (tmp_path / "point.geojson").write_text(
        json.dumps({"type": "Point", "coordinates": [-1.5, 52.9]})
    )
    proc = asbhub(
        "evaluate",
        "--db",
        url,
        "--response",
        "point.geojson",
        "--control",
        str(folder / "control.geojson"),
        "--start",
        "2021-04-05",
        "--end",
        "2021-04-30",
        "--before-days",
        "30",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert (
        "--response point.geojson: expected Polygon or MultiPolygon geometries, found Point"
        in proc.stderr
    )
