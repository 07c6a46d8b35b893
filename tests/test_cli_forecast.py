"""`asbhub hotspots evaluate` (issue #16): the table, the stamped CSV and the errors, on the
bundled Derbyshire sample (December 2018 to February 2019)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from asbhub.cli.forecast import rewrite_argv
from tests.test_cli_analysis import SAMPLE, asbhub, located_asb


def test_hotspots_evaluate_is_the_forecast_command() -> None:
    assert rewrite_argv(["hotspots", "evaluate", "x"]) == ["hotspots-evaluate", "x"]
    assert rewrite_argv(["hotspots", "x", "--out", "a.csv"]) == ["hotspots", "x", "--out", "a.csv"]


def test_evaluate_writes_a_stamped_csv_whose_scores_follow_from_its_counts(tmp_path: Path) -> None:
    out = tmp_path / "forecast.csv"
    proc = asbhub(
        "hotspots", "evaluate", SAMPLE, "--crime-type", "asb", "--method", "naive",
        "--method", "counts", "--share", "1", "--share", "5", "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "| 1% | naive | 2 |" in proc.stdout and "| 5% | counts | 2 |" in proc.stdout
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    # Two methods x two test months (January, February) x two shares.
    assert len(rows) == 8
    assert {r["test_month"] for r in rows} == {"2019-01", "2019-02"}
    stamp = json.loads((tmp_path / "forecast.csv.json").read_text())
    assert stamp["parameters"]["cell_size"] == 250.0
    assert stamp["requested"]["methods"] == ["naive", "counts"]
    assert len(stamp["data"]["files"]) == 3 and all(
        len(f["sha256"]) == 64 for f in stamp["data"]["files"]
    )
    assert all(r["run_id"] == stamp["run_id"] for r in rows)
    for r in rows:
        total = float(r["total"])
        # Every located ASB record of the test month is in the study area.
        assert total == located_asb(r["test_month"])
        pai = (float(r["captured"]) / total) / (
            int(r["cells_flagged"]) / int(r["cells_in_study_area"])
        )
        assert math.isclose(float(r["pai"]), pai, rel_tol=1e-9)
        assert math.isclose(
            float(r["pei"]), float(r["captured"]) / float(r["oracle_captured"]), rel_tol=1e-9
        )


def test_evaluate_json_and_errors(tmp_path: Path) -> None:
    proc = asbhub("hotspots", "evaluate", SAMPLE, "--method", "gistar", "--share", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert [s["method"] for s in payload["summary"]] == ["gistar"]
    assert payload["rows"][0]["rri"] == ""  # Gi* predicts no counts
    proc = asbhub("hotspots", "evaluate", SAMPLE, "--out", str(tmp_path / "a.geojson"))
    assert proc.returncode == 2 and "name it FILE.csv" in proc.stderr
    proc = asbhub("hotspots", "evaluate", str(tmp_path), "--force", "rutland")
    assert proc.returncode == 2 and "no data.police.uk street files of force 'rutland'" in (
        proc.stderr
    )


def test_hotspots_method_emerging_writes_stamped_geojson(tmp_path: Path) -> None:
    from asbhub.analysis import EMERGING_CATEGORIES

    out = tmp_path / "e.geojson"
    proc = asbhub(
        "hotspots", SAMPLE, "--crime-type", "asb", "--method", "emerging", "--cell", "500",
        "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "months      3: 2018-12, 2019-01, 2019-02" in proc.stdout
    fc = json.loads(out.read_text())
    stamp = fc["asbhub"]
    assert stamp["method"] == "emerging"
    prm = stamp["parameters"]
    assert prm["time_steps"] == 1 and prm["confidence"] == 0.9 and prm["share"] == 0.9
    assert prm["periods"] == ["2018-12", "2019-01", "2019-02"]
    feats = fc["features"]
    assert len(feats) == prm["cells_analysed"]
    assert all(f["properties"]["category"] in EMERGING_CATEGORIES for f in feats)
    # Every located ASB record of the three months is in an analysed cell.
    located = sum(located_asb(m) for m in ("2018-12", "2019-01", "2019-02"))
    assert sum(f["properties"]["count"] for f in feats) == located
    legend = {e["class"] for e in stamp["legend"]["entries"]}
    assert {f["properties"]["class"] for f in feats} <= legend and len(legend) == 17


def test_evaluate_from_the_store_matches_the_files(tmp_path: Path, sqlite_url: str) -> None:
    assert asbhub("ingest", SAMPLE, "--db", sqlite_url).returncode == 0
    args = ("--crime-type", "asb", "--share", "5", "--method", "naive", "--method", "kde")
    stored = asbhub(
        "hotspots", "evaluate", "--db", sqlite_url, "--force", "derbyshire constabulary", *args
    )
    files = asbhub("hotspots", "evaluate", SAMPLE, *args)
    assert stored.returncode == 0 and files.returncode == 0, stored.stderr + files.stderr
    table = [line for line in stored.stdout.splitlines() if line.startswith("|")]
    assert len(table) == 4 and table == [
        line for line in files.stdout.splitlines() if line.startswith("|")
    ]


def test_harm_weighted_emerging_geojson_opens_in_gdal(tmp_path: Path) -> None:
    import pyogrio

    from tests.test_cli_places import rows

    months = ("2019-01", "2019-02")
    types = sorted({r["Crime type"] for m in months for r in rows(m)})
    weights = tmp_path / "w.csv"
    weights.write_text(
        "# made up for a test\ncrime_type,weight,source\n"
        + "".join(f"{t},{50 if t == 'Robbery' else 1},test table\n" for t in types),
        encoding="utf-8",
    )
    proc = asbhub(
        "hotspots", SAMPLE, "--from", months[0], "--to", months[1], "--method", "emerging",
        "--cell", "1000", "--harm", str(weights), "--out", "h.geojson", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "h.geojson"
    info = pyogrio.read_info(path)
    assert info["features"] > 0 and info["crs"] == "EPSG:4326"
    stamp = json.loads(path.read_text())["asbhub"]
    assert stamp["method"] == "emerging" and stamp["parameters"]["weighted"] is True
    # Each robbery weighs 50: the weighted total over the analysed cells, less the records
    # mapped, is 49 x the robberies mapped (all but the few strays left out).
    df = pyogrio.read_dataframe(path)
    used, strays = stamp["data"]["n_points_used"], stamp["data"]["excluded_strays_or_outside"]
    robberies = sum(
        1 for m in months for r in rows(m) if r["Longitude"] and r["Crime type"] == "Robbery"
    )
    extra = round(df["count"].sum() - used)
    assert robberies > 0 and extra % 49 == 0 and robberies - strays <= extra / 49 <= robberies
