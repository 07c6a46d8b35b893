"""`asbhub places` run as a user runs it (a subprocess) on the bundled sample, checked against
an independent count with the csv module; harm files' errors reach the user with file, line
and field."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

from asbhub.data import sample_paths

SAMPLE = str(sample_paths()[0])


def asbhub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asbhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def rows(month: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(SAMPLE) as zf:
        raw = zf.read(f"{month}/{month}-derbyshire-street.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(raw)))


def test_json_ranks_map_points_as_an_independent_count(tmp_path: Path) -> None:
    proc = asbhub(
        "places", SAMPLE, "--period", "2019-01", "--crime-type", "asb", "--level", "point",
        "--top", "5", "--squares", "3", "--json", "--out", "p.geojson", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    asb = [r for r in rows("2019-01") if r["Crime type"] == "Anti-social behaviour"]
    expected = Counter(
        (r["Location"], r["Longitude"], r["Latitude"]) for r in asb if r["Longitude"]
    )
    top = expected.most_common(5)
    assert [p["records"] for p in doc["places"]] == [n for _, n in top]
    assert doc["places"][0]["label"] == top[0][0][0]
    assert doc["asbhub"]["summary"]["places_with_records"] == len(expected)
    assert doc["asbhub"]["data"]["filters"]["months"] == ["2019-01", "2019-01"]
    assert doc["asbhub"]["parameters"]["level"] == "point"
    assert len(doc["patrol_squares"]) == 3
    assert doc["written"][0]["rows"] == len(expected) + 3
    assert (tmp_path / "p.geojson").is_file()


def test_rank_by_harm_with_a_documented_file(tmp_path: Path) -> None:
    weights = tmp_path / "w.csv"
    text = "# test weights\ncrime_type,weight,source\n"
    types = sorted({r["Crime type"] for r in rows("2019-01")})
    text += "".join(f"{t},{100 if t == 'Burglary' else 1},made up for a test\n" for t in types)
    weights.write_text(text, encoding="utf-8")
    proc = asbhub(
        "places", SAMPLE, "--month", "2019-01", "--harm", str(weights), "--rank-by", "harm",
        "--squares", "0", "--top", "3", "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    # By a loop: harm per map point, 100 a burglary and 1 anything else.
    harm: Counter[tuple[str, str, str]] = Counter()
    for r in rows("2019-01"):
        if r["Longitude"]:
            harm[(r["Location"], r["Longitude"], r["Latitude"])] += (
                100 if r["Crime type"] == "Burglary" else 1
            )
    assert doc["asbhub"]["parameters"]["rank_by"] == "harm"
    sources = doc["asbhub"]["requested"]["harm_weights_file"]["sources"]
    assert sources["Burglary"] == "made up for a test"
    # Streets (the default level) join points, so the top street holds at least the top point.
    assert doc["places"][0]["harm"] >= max(harm.values())


def test_harm_file_error_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("crime_type,weight,source\nBurglary,ten,T\n", encoding="utf-8")
    proc = asbhub("places", SAMPLE, "--harm", str(bad))
    assert proc.returncode == 2
    assert "line 2, field weight: expected a number 0 or more, got 'ten'" in proc.stderr


def test_rank_by_harm_without_weights_says_what_to_add() -> None:
    proc = asbhub("places", SAMPLE, "--rank-by", "harm")
    assert proc.returncode == 2
    assert "--rank-by harm needs --harm-weights FILE" in proc.stderr


def test_bad_period_says_the_form() -> None:
    proc = asbhub("places", SAMPLE, "--period", "2019/01")
    assert proc.returncode == 2
    assert "expected YYYY-MM..YYYY-MM" in proc.stderr
