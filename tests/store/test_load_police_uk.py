"""Loading data.police.uk files into the store: nothing lost, reloads, rejects, both databases."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from asbhub.data import sample_paths
from asbhub.ingest.inputs import expand_inputs
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest

HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"


def sample_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        for n in sorted(zf.namelist()):
            rows += csv.DictReader(io.StringIO(zf.read(n).decode("utf-8")))
    return rows


def db_counts(store) -> Counter:
    with store.connection.cursor() as cur:
        cur.execute(
            "SELECT month, crime_type, COUNT(*) FROM incidents_incident GROUP BY month, crime_type"
        )
        return Counter({(m, t): n for m, t, n in cur.fetchall()})


def load(store, *paths: Path, strict: bool = False):
    return ingest(store, list(expand_inputs(list(paths))), strict=strict)


def test_sample_loads_with_counts_matching_an_independent_count(store_url: str) -> None:
    store = open_store(store_url)
    result = load(store, *sample_paths())
    rows = sample_rows()
    assert result.ok
    assert result.totals()["read"] == result.totals()["stored"] == len(rows)
    expected = Counter((r["Month"], r["Crime type"]) for r in rows)
    assert db_counts(store) == expected
    assert result.by_crime_type() == dict(sorted(Counter(r["Crime type"] for r in rows).items()))
    # Identical rows are kept, each an incident.
    assert sum(expected.values()) == len(rows)
    # Each data.police.uk point is stored once, with its British National Grid position.
    with store.connection.cursor() as cur:
        cur.execute(
            "SELECT longitude, latitude, easting, northing FROM incidents_location "
            "WHERE longitude IS NOT NULL"
        )
        stored = cur.fetchall()
    points = {
        (r["Longitude"], r["Latitude"], r["Location"], r["LSOA code"], r["LSOA name"])
        for r in rows
        if r["Longitude"]
    }
    assert len(stored) == len(points)
    # Projected as an independent pyproj transformation does it (to within the datum choice).
    ref = Transformer.from_crs(4326, 27700, always_xy=True)
    lon, lat, e, n = (np.array(c, dtype=float) for c in zip(*stored, strict=True))
    re, rn = ref.transform(lon, lat)
    assert np.abs(e - re).max() < 5 and np.abs(n - rn).max() < 5


def test_second_load_stores_nothing(store_url: str) -> None:
    store = open_store(store_url)
    load(store, *sample_paths())
    again = load(store, *sample_paths())
    t = again.totals()
    assert t["stored"] == 0 and t["already_stored"] == t["read"] == len(sample_rows())
    assert sum(db_counts(store).values()) == t["read"]


def test_bad_rows_among_good_ones(tmp_path: Path, sqlite_url: str) -> None:
    good = ",2019-01,Derbyshire Constabulary,Derbyshire Constabulary,-1.4,53.0,On or near X,E01019400,Amber Valley 001A,Anti-social behaviour,,"
    lines = [
        HEADER,
        good,
        good.replace("2019-01", "2019-13"),
        good,
        good.replace("-1.4", "west"),
        good,
    ]
    f = tmp_path / "2019-01-derbyshire-street.csv"
    f.write_text("\n".join(lines) + "\n")
    store = open_store(sqlite_url)
    result = load(store, f)
    (fr,) = result.files
    assert (fr.read, fr.stored, fr.already_stored, fr.rejected) == (5, 3, 0, 2)
    assert [(r.line, r.field) for r in result.rejects] == [(3, "Month"), (5, "Longitude")]
    assert result.ok  # every row accounted for: the load succeeded
    assert sum(db_counts(store).values()) == 3


def test_strict_stores_nothing_from_a_file_with_rejects(tmp_path: Path, sqlite_url: str) -> None:
    good = ",2019-01,Derbyshire Constabulary,Derbyshire Constabulary,-1.4,53.0,On or near X,E01019400,Amber Valley 001A,Anti-social behaviour,,"
    f = tmp_path / "bad.csv"
    f.write_text("\n".join([HEADER, good, good.replace("2019-01", "2019-13")]) + "\n")
    store = open_store(sqlite_url)
    result = load(store, f, strict=True)
    (fr,) = result.files
    assert not result.ok and "--strict" in (fr.error or "")
    assert (fr.read, fr.stored, fr.rejected) == (2, 0, 2)
    assert sum(db_counts(store).values()) == 0
    # The same file without --strict then loads its good row.
    assert load(store, f).totals()["stored"] == 1


def test_republished_month_replaces_the_old_edition(tmp_path: Path, store_url: str) -> None:
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        name = sorted(n for n in zf.namelist() if n.endswith(".csv"))[0]
        raw = zf.read(name).decode("utf-8")
    first = tmp_path / "v1" / Path(name).name
    first.parent.mkdir()
    first.write_text(raw)
    lines = raw.splitlines()
    # The new edition: one crime's outcome updated, and one ASB row dropped.
    i = next(k for k, ln in enumerate(lines) if ",Status update unavailable," in ln)
    lines[i] = lines[i].replace(
        ",Status update unavailable,", ",Investigation complete; no suspect identified,"
    )
    j = next(k for k, ln in enumerate(lines) if "Anti-social behaviour" in ln)
    del lines[j]
    second = tmp_path / "v2" / Path(name).name
    second.parent.mkdir()
    second.write_text("\n".join(lines) + "\n")
    store = open_store(store_url)
    n = len(raw.splitlines()) - 1
    assert load(store, first).totals()["stored"] == n
    t = load(store, second).totals()
    assert (t["read"], t["stored"], t["already_stored"], t["replaced"]) == (n - 1, 1, n - 2, 2)
    assert sum(db_counts(store).values()) == n - 1
    with store.connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM incidents_incident WHERE outcome = %s",
            ["Investigation complete; no suspect identified"],
        )
        updated = cur.fetchall()[0][0]
    assert updated == raw.count(",Investigation complete; no suspect identified,") + 1


def test_wrong_file_fails_the_load_and_counts_its_rows(tmp_path: Path, sqlite_url: str) -> None:
    f = tmp_path / "people.csv"
    f.write_text("name,age\nAnn,3\nBob,4\n")
    store = open_store(sqlite_url)
    result = load(store, f, *sample_paths())
    bad = result.files[0]
    assert bad.error and "expected exactly: Crime ID,Month" in bad.error
    assert (bad.read, bad.rejected) == (2, 2)
    assert not result.ok
    # The good files in the same run are stored all the same.
    assert result.totals()["stored"] == len(sample_rows())


def test_full_shared_data_set_matches_independent_counts(
    shared_police_uk: Path, sqlite_url: str
) -> None:
    files = sorted(shared_police_uk.glob("*/*-street.csv"))
    assert len(files) == 25
    store = open_store(sqlite_url)
    result = load(store, *files)
    assert result.ok
    expected: Counter = Counter()
    for f, fr in zip(files, result.files, strict=True):
        with f.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert (fr.read, fr.stored, fr.rejected) == (len(rows), len(rows), 0), f
        expected.update((r["Month"], r["Crime type"]) for r in rows)
    assert db_counts(store) == expected
    assert sum(expected.values()) == 198_638  # SOURCES.md: 39,616 Derbyshire + the four others


@pytest.mark.postgres
def test_postgres_and_sqlite_hold_the_same_rows(pg_url: str, sqlite_url: str) -> None:
    a, b = open_store(pg_url), open_store(sqlite_url)
    for s in (a, b):
        load(s, *sample_paths())
    q = (
        "SELECT i.month, i.crime_type, COALESCE(i.crime_id, ''), l.description, "
        "ROUND(CAST(l.easting AS numeric), 0) FROM incidents_incident i "
        "LEFT JOIN incidents_location l ON l.id = i.location_id"
    )
    rows = []
    for s in (a, b):
        with s.connection.cursor() as cur:
            cur.execute(q)
            rows.append(
                Counter(
                    (m, t, c, d, int(e) if e is not None else None)
                    for m, t, c, d, e in cur.fetchall()
                )
            )
    assert rows[0] == rows[1]
    assert a.vendor == "postgresql" and b.vendor == "sqlite"
