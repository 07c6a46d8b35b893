"""Places files (issue #16 item 4): the GeoJSON opens in GDAL (pyogrio), the CSV is safe from
formula injection and carries the run, every file is stamped with its parameters."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyogrio
import pytest

from asbhub.analysis import patrol_squares, place_concentration
from asbhub.outputs.place_files import places_stamp, write_places

LABELS = ['=HYPERLINK("http://x")', "On or near Market Place", "On or near Market Place"]
X = [430000.0, 431000.0, 431000.0]
Y = [330000.0, 331000.0, 331000.0]


@pytest.fixture
def made():
    r = place_concentration(
        LABELS, X, Y, weights=[10.0, 1.0, 1.0], months=["2019-01", "2019-01", "2019-02"]
    )
    sq = patrol_squares(X, Y, size=150, n=2)
    stamp = places_stamp(r, sq, data={"kind": "test"}, command="pytest", requested={"x": 1})
    return r, sq, stamp


def test_geojson_opens_in_gdal_with_points_and_squares(made, tmp_path: Path) -> None:
    r, sq, stamp = made
    path = tmp_path / "places.geojson"
    write_places(r, sq, path, stamp)
    info = pyogrio.read_info(path)
    assert info["features"] == 4
    assert "records" in list(info["fields"]) and "ci_high" in list(info["fields"])
    df = pyogrio.read_dataframe(path)
    assert df.crs.to_epsg() == 4326
    kinds = df["kind"].tolist()
    assert kinds == ["point", "point", "patrol_square", "patrol_square"]
    assert df.geometry.geom_type.tolist() == ["Point", "Point", "Polygon", "Polygon"]
    assert df["records"].tolist() == [2, 1, 2, 1]
    # The squares are 150 m on British National Grid.
    area = df[df["kind"] == "patrol_square"].to_crs(27700).geometry.area.to_numpy()
    # (to 0.1%: coordinates are written to 6 decimals of a degree, about 0.1 m)
    np.testing.assert_allclose(area, 150.0 * 150.0, rtol=1e-3)
    doc = json.loads(path.read_text())
    assert doc["asbhub"]["method"] == "places"
    assert doc["asbhub"]["parameters"]["patrol_square_m"] == 150.0
    assert doc["asbhub"]["parameters"]["interval"] == "exact Poisson (Garwood)"
    assert doc["asbhub"]["run_id"] == stamp["run_id"]


def test_csv_is_formula_safe_and_stamped(made, tmp_path: Path) -> None:
    r, sq, stamp = made
    path = tmp_path / "places.csv"
    write_places(r, sq, path, stamp)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    labels = [row["label"] for row in rows]
    assert '\'=HYPERLINK("http://x")' in labels
    assert not any(label.startswith("=") for label in labels)
    assert {row["run_id"] for row in rows} == {stamp["run_id"]}
    assert rows[0]["geometry_wkt"].startswith("POINT (")
    assert rows[-1]["geometry_wkt"].startswith("POLYGON ((")
    sidecar = json.loads((tmp_path / "places.csv.json").read_text())
    assert sidecar["run_id"] == stamp["run_id"] and sidecar["output"]["rows"] == 4
    assert sidecar["summary"]["places_with_records"] == 2


def test_unknown_ending_is_refused(made, tmp_path: Path) -> None:
    r, sq, stamp = made
    with pytest.raises(ValueError, match=r"name the file with \.geojson, \.csv, \.json"):
        write_places(r, sq, tmp_path / "x.xlsx", stamp)
