"""`asbhub hotspots` and `asbhub trends`, run as a user runs them (a real subprocess), checked
against an independent count of the bundled sample made here with the csv module."""

from __future__ import annotations

import csv
import io
import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from asbhub.data import sample_paths
from asbhub.geo import bundled_areas_folder

ASB = "Anti-social behaviour"
SAMPLE = str(sample_paths()[0])


def asbhub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asbhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def sample_rows(month: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(SAMPLE) as zf:
        raw = zf.read(f"{month}/{month}-derbyshire-street.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(raw)))


def lpu_by_lsoa() -> dict[str, str]:
    with (bundled_areas_folder() / "areas.csv").open(encoding="utf-8", newline="") as fh:
        return {r["lsoa_code"]: r["lpu"] for r in csv.DictReader(fh)}


def located_asb(month: str, lpu: str | None = None) -> int:
    """ASB rows of the month with coordinates (in the LPU, by its LSOA, if given)."""
    lookup = lpu_by_lsoa()
    return sum(
        1
        for r in sample_rows(month)
        if r["Crime type"] == ASB
        and r["Longitude"]
        and r["Latitude"]
        and (lpu is None or lookup.get(r["LSOA code"]) == lpu)
    )


@pytest.fixture(scope="module")
def jan_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("cli")
    proc = asbhub(
        "hotspots",
        SAMPLE,
        "--method",
        "gistar",
        "--cell",
        "250",
        "--month",
        "2019-01",
        "--crime-type",
        "asb",
        "--out",
        "x.geojson",
        "--out",
        "x.csv",
        "--out",
        "x.png",
        cwd=folder,
    )
    assert proc.returncode == 0, proc.stderr
    return folder, proc


def test_hotspots_from_files_count_every_located_record(jan_files) -> None:
    folder, _ = jan_files
    fc = json.loads((folder / "x.geojson").read_text(encoding="utf-8"))
    stamp = fc["asbhub"]
    strays = stamp["data"]["excluded_strays_or_outside"]
    total = sum(f["properties"]["count"] for f in fc["features"])
    assert total == located_asb("2019-01") - strays
    assert stamp["data"]["n_points_used"] == total
    assert located_asb("2019-01") == 2_980
    # Every ASB row of the month is accounted for: mapped, or left out and counted.
    jan_asb = sum(r["Crime type"] == ASB for r in sample_rows("2019-01"))
    assert stamp["data"]["records_matching"] == jan_asb
    assert stamp["data"]["excluded_without_coordinates"] == jan_asb - located_asb("2019-01")


def test_files_are_stamped_with_the_command_and_parameters(jan_files) -> None:
    folder, proc = jan_files
    stamp = json.loads((folder / "x.geojson").read_text(encoding="utf-8"))["asbhub"]
    assert stamp["command"].startswith("asbhub hotspots ")
    assert "--cell 250" in stamp["command"] and "--out x.png" in stamp["command"]
    assert stamp["method"] == "gistar" and stamp["seed"] is None
    assert stamp["parameters"]["cell_size"] == 250 and stamp["parameters"]["fdr"] is True
    assert stamp["requested"]["method"] == "gistar"
    side = json.loads((folder / "x.csv.json").read_text(encoding="utf-8"))
    assert side["run_id"] == stamp["run_id"]
    with (folder / "x.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == stamp["output"]["cells_written"]
    assert {r["run_id"] for r in rows} == {stamp["run_id"]}
    png = (folder / "x.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1500, 1800)
    # What was chosen and found, printed for the user.
    out = proc.stdout
    assert "cell size   250 m (given)" in out
    assert "band        354 m (default: cell x sqrt 2)" in out
    n_hot = sum(1 for r in rows if int(r["class"]) > 0)
    assert f"hot spots   {n_hot:,} cells (99%:" in out
    assert f"run {stamp['run_id']}" in out


def test_hotspots_from_the_store_match_the_files(jan_files, tmp_path: Path, store_url: str) -> None:
    from asbhub.analysis_inputs import display_url

    folder, _ = jan_files
    assert asbhub("ingest", SAMPLE, "--db", store_url).returncode == 0
    proc = asbhub(
        "hotspots",
        "--db",
        store_url,
        "--method",
        "gistar",
        "--cell",
        "250",
        "--month",
        "2019-01",
        "--crime-type",
        "asb",
        "--out",
        "s.geojson",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    store = json.loads((tmp_path / "s.geojson").read_text(encoding="utf-8"))
    files = json.loads((folder / "x.geojson").read_text(encoding="utf-8"))

    def cells(fc: dict) -> dict[str, tuple]:
        return {
            f["id"]: (f["properties"]["count"], f["properties"]["class"]) for f in fc["features"]
        }

    assert cells(store) == cells(files)
    data = store["asbhub"]["data"]
    assert data["kind"] == "store" and data["url"] == display_url(store_url)
    assert [load["month"] for load in data["loads"]] == ["2019-01"]
    assert data["loads"][0]["file"].endswith("2019-01-derbyshire-street.csv")


def test_lpu_filter_counts_only_that_lpu(tmp_path: Path) -> None:
    proc = asbhub(
        "hotspots",
        SAMPLE,
        "--lpu",
        "erewash",
        "--month",
        "2019-02",
        "--crime-type",
        "Anti-social behaviour",
        "--method",
        "count",
        "--out",
        "e.geojson",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    fc = json.loads((tmp_path / "e.geojson").read_text(encoding="utf-8"))
    strays = fc["asbhub"]["data"]["excluded_strays_or_outside"]
    assert fc["asbhub"]["data"]["filters"]["lpu"] == "Erewash"
    total = sum(f["properties"]["count"] for f in fc["features"])
    assert total == located_asb("2019-02", "Erewash") - strays > 0


def test_trends_write_a_category_per_cell(tmp_path: Path) -> None:
    proc = asbhub(
        "trends",
        SAMPLE,
        "--crime-type",
        "asb",
        "--cell",
        "500",
        "--out",
        "t.geojson",
        "--out",
        "t.csv",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    fc = json.loads((tmp_path / "t.geojson").read_text(encoding="utf-8"))
    assert fc["asbhub"]["method"] == "trends"
    assert fc["asbhub"]["parameters"]["periods"] == ["2018-12", "2019-01", "2019-02"]
    assert all(f["properties"]["category"] for f in fc["features"])
    total = sum(f["properties"]["count"] for f in fc["features"])
    located = sum(located_asb(m) for m in ("2018-12", "2019-01", "2019-02"))
    assert total == located - fc["asbhub"]["data"]["excluded_strays_or_outside"]
    assert "categories  new:" in proc.stdout


def test_errors_say_what_to_change(tmp_path: Path) -> None:
    proc = asbhub("hotspots", SAMPLE, "--lpu", "Nowhere", "--out", "a.geojson", cwd=tmp_path)
    assert proc.returncode == 2
    assert "unknown LPU 'Nowhere'" in proc.stderr and "Erewash" in proc.stderr
    proc = asbhub(
        "hotspots",
        SAMPLE,
        "--month",
        "2020-05",
        "--crime-type",
        "asb",
        "--out",
        "a.geojson",
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert (
        "no records match the filters (crime type Anti-social behaviour; month 2020-05)"
        in proc.stderr
    )
    assert "months 2018-12 to 2019-02" in proc.stderr
    proc = asbhub("hotspots", SAMPLE, "--out", "a.shp", cwd=tmp_path)
    assert proc.returncode == 2 and "name the file with one of .geojson" in proc.stderr
    proc = asbhub("hotspots", SAMPLE, "--crime-type", "burglery", "--out", "a.csv", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown crime type 'burglery'" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_too_few_records_get_counts_not_gistar_classes(tmp_path: Path) -> None:
    # Issue #12 (docs/scope.md): the sample's rarest crime type in one LPU and month.
    lookup = lpu_by_lsoa()
    counts: dict[tuple[str, str], int] = {}
    for r in sample_rows("2019-02"):
        lpu = lookup.get(r["LSOA code"])
        if lpu and r["Longitude"] and r["Latitude"]:
            counts[(r["Crime type"], lpu)] = counts.get((r["Crime type"], lpu), 0) + 1
    (crime_type, lpu), n = min(counts.items(), key=lambda kv: (kv[1], kv[0]))
    assert 0 < n < 30
    proc = asbhub(
        "hotspots",
        SAMPLE,
        "--method",
        "gistar",
        "--month",
        "2019-02",
        "--lpu",
        lpu,
        "--crime-type",
        crime_type,
        "--out",
        "x.geojson",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "too few records to test for hot spots: only" in proc.stderr
    fc = json.loads((tmp_path / "x.geojson").read_text(encoding="utf-8"))
    assert fc["asbhub"]["method"] == "count"
    assert sum(f["properties"]["count"] for f in fc["features"]) == n
