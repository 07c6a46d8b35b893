"""`asbhub near-repeat`, run as a user runs it: dated events written as a force export, loaded
with `asbhub ingest`, and the Knox table checked against a brute-force count of every pair
made here."""

from __future__ import annotations

import csv
import itertools
import json
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from asbhub.data import sample_paths

SPATIAL = (0.0, 100.0, 200.0, 400.0)
TEMPORAL_DAYS = (0, 7, 14, 28)
T0 = datetime(2021, 3, 1, 10, 0, tzinfo=UTC)


def asbhub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asbhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def crafted_events() -> list[tuple[int, int, datetime]]:
    """Events on whole metres and whole hours, many pairs exactly 7, 14 or 28 days apart.

    The store keeps a point as WGS84 to six decimals (about 0.1 m), so no pair is placed
    within 1 m of a spatial edge: the brute force here and the store then agree on every band.
    """
    rng = np.random.default_rng(20240611)
    events: list[tuple[int, int, datetime]] = []
    while len(events) < 70:
        x, y = int(rng.integers(434000, 434800)), int(rng.integers(336000, 336800))
        if any(
            abs(math.hypot(x - ex, y - ey) - e) < 1.0 for ex, ey, _ in events for e in SPATIAL[1:]
        ):
            continue
        # Whole days at 10:00 for most (exact ties on the temporal edges), some at other hours.
        hour = 0 if rng.random() < 0.6 else int(rng.integers(1, 12))
        events.append((x, y, T0 + timedelta(days=int(rng.integers(0, 60)), hours=hour)))
    # A near-repeat cluster: three events within 60 m and 3 days.
    events += [
        (434400, 336400, T0 + timedelta(days=30)),
        (434430, 336420, T0 + timedelta(days=31)),
        (434380, 336450, T0 + timedelta(days=33)),
    ]
    return events


def brute_force(events: list[tuple[int, int, datetime]]) -> dict[tuple[int, int], int]:
    """Pairs per (spatial band, temporal band), bands closed on the right, the first holding 0."""
    edges_s = [d * 86_400 for d in TEMPORAL_DAYS]

    def band(value: float, edges: tuple[float, ...] | list[int]) -> int:
        for k in range(1, len(edges)):
            if value <= edges[k]:
                return k - 1
        return len(edges) - 1

    out: dict[tuple[int, int], int] = {}
    for (x1, y1, t1), (x2, y2, t2) in itertools.combinations(events, 2):
        d = math.hypot(x1 - x2, y1 - y2)
        gap = abs((t1 - t2).total_seconds())
        key = (band(d, SPATIAL), band(gap, edges_s))
        out[key] = out.get(key, 0) + 1
    return out


@pytest.fixture(scope="module")
def dated_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list]:
    folder = tmp_path_factory.mktemp("knox")
    events = crafted_events()
    path = folder / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
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
        for k, (x, y, t) in enumerate(events):
            when = t.strftime("%Y-%m-%dT%H:%MZ")
            w.writerow([f"NR-{k:04d}", "crime", "Burglary", when, when, x, y])
        # Reported but with no occurred_from: no event date, so reported and left out.
        w.writerow(["NR-UNDATED", "crime", "Burglary", "", "2021-03-05T09:00Z", 434100, 336100])
    url = f"sqlite:///{folder / 'store.sqlite3'}"
    proc = asbhub("ingest", str(path), "--db", url)
    assert proc.returncode == 0, proc.stderr
    return url, events


def run_knox(url: str, folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return asbhub(
        "near-repeat",
        "--db",
        url,
        "--spatial-edges",
        "0,100,200,400",
        "--temporal-edges",
        "0,7,14,28",
        "--permutations",
        "199",
        *extra,
        cwd=folder,
    )


def test_observed_counts_match_a_brute_force_count(dated_store, tmp_path: Path) -> None:
    url, events = dated_store
    proc = run_knox(url, tmp_path, "--seed", "7", "--out", "k.csv", "--out", "k.json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "k.json").read_text(encoding="utf-8"))
    s_labels = ["0 to 100 m", "over 100 to 200 m", "over 200 to 400 m", "over 400 m"]
    t_labels = ["0 to 7 days", "over 7 to 14 days", "over 14 to 28 days", "over 28 days"]
    assert doc["spatial_bands"] == s_labels and doc["temporal_bands"] == t_labels
    expected = brute_force(events)
    got = {
        (s_labels.index(c["spatial_band"]), t_labels.index(c["temporal_band"])): c["observed"]
        for c in doc["cells"]
    }
    assert {k: v for k, v in got.items() if v} == expected
    n = len(events)
    assert sum(got.values()) == n * (n - 1) // 2
    # Exact ties on the temporal edges were made on purpose, and sit in the lower band.
    assert expected[(3, 0)] > 0 and expected[(0, 0)] >= 3

    stamp = doc["asbhub"]
    assert stamp["seed"] == 7 and stamp["parameters"]["n_permutations"] == 199
    assert stamp["data"]["records_without_date"] == 1
    assert stamp["data"]["records_matching"] == n + 1 and stamp["data"]["n_points_used"] == n
    assert stamp["command"].startswith("asbhub near-repeat --db ")
    # The CSV: one row per band pair, the same numbers, the stamp beside it.
    with (tmp_path / "k.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 16 and {r["run_id"] for r in rows} == {stamp["run_id"]}
    assert [int(r["observed"]) for r in rows] == [c["observed"] for c in doc["cells"]]
    assert [float(r["p_value"]) for r in rows] == [c["p_value"] for c in doc["cells"]]
    side = json.loads((tmp_path / "k.csv.json").read_text(encoding="utf-8"))
    assert side["run_id"] == stamp["run_id"] and side["output"]["rows"] == 16
    # Printed: the labels as computed, the seed, the exclusion and why.
    assert "seed         7 (given)" in proc.stdout
    close = expected[(0, 0)]
    assert any(
        line.split()[:8] == ["0", "to", "100", "m", "0", "to", "7", "days"]
        and line.split()[8] == str(close)
        for line in proc.stdout.splitlines()
    )
    assert "1 of 74 records have no date (occurred_from) and are left out" in proc.stderr
    assert "data.police.uk publishes a month" in proc.stderr


def test_the_same_seed_gives_the_same_p_values(dated_store, tmp_path: Path) -> None:
    url, _ = dated_store
    runs = []
    for name in ("a.json", "b.json"):
        proc = run_knox(url, tmp_path, "--seed", "12345", "--out", name)
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads((tmp_path / name).read_text(encoding="utf-8"))["cells"])
    assert [c["p_value"] for c in runs[0]] == [c["p_value"] for c in runs[1]]
    assert [c["expected"] for c in runs[0]] == [c["expected"] for c in runs[1]]
    # And the seed is what fixes them: another seed draws other shuffles.
    other = run_knox(url, tmp_path, "--seed", "54321", "--out", "o.json")
    assert other.returncode == 0, other.stderr
    cells = json.loads((tmp_path / "o.json").read_text(encoding="utf-8"))["cells"]
    assert [c["expected"] for c in cells] != [c["expected"] for c in runs[0]]
    # Without a seed one is drawn, printed and stamped, and it repeats the run.
    proc = run_knox(url, tmp_path, "--out", "c.json")
    assert proc.returncode == 0, proc.stderr
    seed = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))["asbhub"]["seed"]
    assert f"give --seed {seed} to repeat this run" in proc.stdout
    again = run_knox(url, tmp_path, "--seed", str(seed), "--out", "d.json")
    assert again.returncode == 0, again.stderr
    c, d = (
        json.loads((tmp_path / f).read_text(encoding="utf-8"))["cells"]
        for f in ("c.json", "d.json")
    )
    assert [x["p_value"] for x in c] == [x["p_value"] for x in d]


def test_police_uk_files_are_refused_with_the_reason(tmp_path: Path) -> None:
    proc = asbhub(
        "near-repeat", str(sample_paths()[0]), "--month", "2019-01", "--out", "k.csv", cwd=tmp_path
    )
    assert proc.returncode == 2
    assert "data.police.uk publishes a month for each record but no date or time" in proc.stderr
    assert "force export" in proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spatial-edges", "10,50"], "--spatial-edges: spatial_edges must start at 0"),
        (["--spatial-edges", "0,a"], "--spatial-edges '0,a': expected numbers"),
        (["--temporal-edges", "0,7", "--temporal-band", "3"], "give either --temporal-edges or"),
        (["--spatial-band", "-5"], "--spatial-band must be a positive number of metres"),
        (["--permutations", "0"], "--permutations must be at least 1"),
        (["--out", "k.txt"], "--out k.txt: cannot tell the format"),
    ],
)
def test_bad_options_exit_2_naming_the_option(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = [] if "--out" in args else ["--out", "k.csv"]
    proc = asbhub(
        "near-repeat", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}", *args, *out, cwd=tmp_path
    )
    assert proc.returncode == 2
    assert message in proc.stderr
