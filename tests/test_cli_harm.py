"""Harm-weighted hot spots from the command line (issue #16 item 3): every method takes a
documented weights file; the GeoJSON opens in GDAL and its stamp names the weights' sources."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
import pytest

from tests.test_cli_places import SAMPLE, asbhub, rows


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("harm") / "w.csv"
    types = sorted({r["Crime type"] for r in rows("2019-01")})
    path.write_text(
        "# made up for a test\ncrime_type,weight,source\n"
        + "".join(f"{t},{50 if t == 'Robbery' else 1},test table\n" for t in types),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("method", ["gistar", "kde", "count"])
def test_harm_weighted_geojson_opens_in_gdal(method: str, weights: Path, tmp_path: Path) -> None:
    proc = asbhub(
        "hotspots", SAMPLE, "--month", "2019-01", "--method", method, "--cell", "500",
        "--harm", str(weights), "--out", "h.geojson", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "h.geojson"
    info = pyogrio.read_info(path)
    assert info["features"] > 0 and info["crs"] == "EPSG:4326"
    stamp = json.loads(path.read_text())["asbhub"]
    assert stamp["parameters"]["weighted"] is True
    assert stamp["requested"]["harm_weights_file"]["sources"]["Robbery"] == "test table"
    if method == "count":
        # Each robbery adds 49 over its count of 1: the weighted total, less the records
        # mapped, is 49 x the robberies mapped (all but at most the few strays left out).
        df = pyogrio.read_dataframe(path)
        used, strays = stamp["data"]["n_points_used"], stamp["data"]["excluded_strays_or_outside"]
        robberies = sum(
            1 for r in rows("2019-01") if r["Longitude"] and r["Crime type"] == "Robbery"
        )
        extra = df["count"].sum() - used
        assert extra % 49 == 0 and robberies - strays <= extra / 49 <= robberies
        assert robberies > 0
