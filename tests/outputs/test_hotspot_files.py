"""GeoJSON, CSV and PNG hotspot files: valid, stamped, and faithful to the result they came from.

Real data: January 2019's anti-social behaviour in the bundled Derbyshire sample, read with
the same helper the CLI uses. Polygons are checked by projecting them back to British National
Grid and comparing with the lattice cells the result describes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import struct
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import shapely

from asbhub.analysis import hotspot_classify, hotspot_count, hotspot_gistar, hotspot_kde
from asbhub.analysis_inputs import PointFilters, points_from_files
from asbhub.data import sample_paths
from asbhub.geo import AreaHierarchy, to_bng
from asbhub.outputs import (
    ATTRIBUTION,
    PNG_SIZE,
    hotspot_geojson,
    legend_for,
    lpu_outlines_bng,
    make_stamp,
    output_format,
    write_csv,
    write_geojson,
    write_png,
)

JAN = "2019-01"
ASB = "Anti-social behaviour"
PROPERTIES = ("cell_id", "row", "col", "count", "z", "p", "p_fdr", "class", "class_label", "lpu")


@pytest.fixture(scope="module")
def points():
    return points_from_files(sample_paths(), PointFilters(months=(JAN, JAN), crime_types=("asb",)))


@pytest.fixture(scope="module")
def areas() -> AreaHierarchy:
    return AreaHierarchy.load()


@pytest.fixture(scope="module")
def gistar(points):
    return hotspot_gistar(points.xy(), cell_size=250)


@pytest.fixture(scope="module")
def stamp(gistar, points) -> dict:
    return make_stamp(
        gistar,
        data=points.data_stamp(),
        command="asbhub hotspots test",
        generated_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory, gistar, stamp, areas) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hotspots")
    paths = {
        "geojson": folder / "hot.geojson",
        "csv": folder / "hot.csv",
        "png": folder / "hot.png",
    }
    write_geojson(gistar, paths["geojson"], stamp, areas)
    write_csv(gistar, paths["csv"], stamp, areas)
    write_png(gistar, paths["png"], stamp, lpu_outlines_bng(areas))
    return paths


@pytest.fixture(scope="module")
def collection(written) -> dict:
    return json.loads(written["geojson"].read_text(encoding="utf-8"))


# -- GeoJSON --------------------------------------------------------------------------------


def test_geojson_is_a_feature_collection_of_closed_lon_lat_polygons(collection: dict) -> None:
    assert collection["type"] == "FeatureCollection"
    assert collection["features"], "no cells written"
    for f in collection["features"]:
        assert f["type"] == "Feature"
        geom = f["geometry"]
        assert geom["type"] == "Polygon" and len(geom["coordinates"]) == 1
        ring = geom["coordinates"][0]
        assert len(ring) == 5 and ring[0] == ring[-1]
        for lon, lat in ring:
            # Derbyshire, and in any case a longitude and latitude, not metres.
            assert -2.2 < lon < -1.0 and 52.6 < lat < 53.6
        polygon = shapely.geometry.shape(geom)
        assert shapely.is_valid(polygon)
        # RFC 7946: exterior rings counter-clockwise.
        assert polygon.exterior.is_ccw
        for name in PROPERTIES:
            assert name in f["properties"], name
    west, south, east, north = collection["bbox"]
    assert west < east and south < north


def test_polygons_project_back_onto_their_grid_cells(collection: dict, gistar) -> None:
    g = gistar.grid
    worst = 0.0
    for f in collection["features"]:
        p = f["properties"]
        lon, lat = np.array(f["geometry"]["coordinates"][0]).T
        e, n = to_bng(lon, lat)
        x0, y0 = g.x0 + p["col"] * g.cell_size, g.y0 + p["row"] * g.cell_size
        x1, y1 = x0 + g.cell_size, y0 + g.cell_size
        expected = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
        worst = max(worst, float(np.abs(np.column_stack([e, n]) - expected).max()))
        assert p["cell_id"] == f"E{x0:.0f}N{y0:.0f}" == f["id"]
    assert worst < 1.0, f"a corner moved {worst:.3f} m"


def test_properties_are_the_results_values(collection: dict, gistar) -> None:
    for f in collection["features"]:
        p = f["properties"]
        r, c = p["row"], p["col"]
        assert p["count"] == gistar.counts[r, c] and isinstance(p["count"], int)
        assert p["z"] == pytest.approx(gistar.z[r, c], abs=1e-4)
        assert p["p"] == pytest.approx(gistar.p[r, c], rel=1e-5)
        assert p["p_fdr"] == pytest.approx(gistar.q[r, c], rel=1e-5)
        assert p["class"] == gistar.classes[r, c]
        assert p["count"] > 0 or p["class"] != 0


def test_exactly_the_busy_or_significant_cells_are_written(collection: dict, gistar) -> None:
    keep = (gistar.counts > 0) | (gistar.classes != 0)
    assert len(collection["features"]) == int(keep.sum())
    assert collection["asbhub"]["output"]["cells_written"] == int(keep.sum())
    assert collection["asbhub"]["output"]["cells_total"] == gistar.grid.n_cells
    # Every record mapped is in a written cell.
    assert sum(f["properties"]["count"] for f in collection["features"]) == gistar.n_points_used
    hot_99 = [f for f in collection["features"] if f["properties"]["class"] == 3]
    assert len(hot_99) == int((gistar.classes == 3).sum()) > 0
    assert {f["properties"]["class_label"] for f in hot_99} == {"Hot spot, 99% confidence"}


def test_stamp_has_parameters_seed_and_data(collection: dict, gistar) -> None:
    from asbhub import __version__

    s = collection["asbhub"]
    assert s["version"] == __version__
    assert s["generated_at"] == "2025-01-02T03:04:05Z"
    assert s["command"] == "asbhub hotspots test"
    assert s["method"] == "gistar" and s["seed"] is None
    prm = s["parameters"]
    assert prm["cell_size"] == 250 and prm["cell_size_rule"] == "given"
    assert prm["band"] == pytest.approx(250 * math.sqrt(2))
    assert prm["fdr"] is True and prm["confidence_levels"] == [0.9, 0.95, 0.99]
    assert prm["grid"] == {
        "x0": gistar.grid.x0,
        "y0": gistar.grid.y0,
        "cell_size": 250.0,
        "nx": gistar.grid.nx,
        "ny": gistar.grid.ny,
        "epsg": 27700,
    }
    assert "strays" in prm["extent_rule"]
    data = s["data"]
    assert data["kind"] == "files"
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        members = sorted(n for n in zf.namelist() if n.endswith(".csv"))
        digests = [hashlib.sha256(zf.read(n)).hexdigest() for n in members]
    assert [f["sha256"] for f in data["files"]] == digests
    assert data["filters"]["months"] == [JAN, JAN] and data["filters"]["crime_types"] == [ASB]
    assert data["months_covered"] == [JAN]
    assert data["n_points_used"] + data["n_points_excluded"] == data["records_matching"]
    assert (
        data["excluded_without_coordinates"] + data["excluded_strays_or_outside"]
        == data["n_points_excluded"]
    )
    assert s["attribution"] == ATTRIBUTION
    assert "Open Government Licence v3.0" in ATTRIBUTION
    assert [e["label"] for e in s["legend"]["entries"]] == [
        "Hot spot, 99% confidence",
        "Hot spot, 95% confidence",
        "Hot spot, 90% confidence",
        "Not significant",
        "Cold spot, 90% confidence",
        "Cold spot, 95% confidence",
        "Cold spot, 99% confidence",
    ]


def test_run_id_is_a_digest_of_the_stamp(gistar, points) -> None:
    when = datetime(2025, 1, 2, tzinfo=UTC)
    a = make_stamp(gistar, data=points.data_stamp(), command="x", generated_at=when)
    b = make_stamp(gistar, data=points.data_stamp(), command="x", generated_at=when)
    c = make_stamp(gistar, data=points.data_stamp(), command="y", generated_at=when)
    assert a["run_id"] == b["run_id"] != c["run_id"]
    assert len(a["run_id"]) == 12


def test_cells_carry_the_lpu_at_their_centre(collection: dict, areas: AreaHierarchy) -> None:
    for f in collection["features"][:200]:
        p = f["properties"]
        code = areas.locate([p["easting"]], [p["northing"]])[0]
        assert p["lsoa_code"] == code
        assert p["lpu"] == areas.lpu_for([code])[0]
    assert {f["properties"]["lpu"] for f in collection["features"]} >= set(areas.lpus) - {None}


# -- CSV ------------------------------------------------------------------------------------


def test_csv_rows_equal_the_geojson_features(written: dict, collection: dict, stamp: dict) -> None:
    text = written["csv"].read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    features = collection["features"]
    assert len(rows) == len(features)
    for row, f in zip(rows, features, strict=True):
        for name, value in f["properties"].items():
            got = row[name]
            if value is None:
                assert got == ""
            elif isinstance(value, bool):
                assert got == str(value)
            elif isinstance(value, int | float):
                assert float(got) == pytest.approx(value, rel=1e-9, abs=1e-12), name
            else:
                assert got == value, name
        assert row["run_id"] == stamp["run_id"]
        polygon = shapely.from_wkt(row["geometry_wkt"])
        expected = shapely.geometry.shape(f["geometry"])
        assert shapely.equals_exact(polygon, expected, tolerance=1e-6)


def test_csv_stamp_sits_beside_it(written: dict, collection: dict) -> None:
    sidecar = written["csv"].with_name("hot.csv.json")
    side = json.loads(sidecar.read_text(encoding="utf-8"))
    geo = collection["asbhub"]
    assert side["run_id"] == geo["run_id"]
    for key in ("version", "generated_at", "command", "method", "parameters", "seed", "data"):
        assert side[key] == geo[key], key
    assert side["output"]["format"] == "csv" and side["output"]["table"] == "hot.csv"
    assert side["output"]["cells_written"] == geo["output"]["cells_written"]


# -- PNG ------------------------------------------------------------------------------------


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks.append((kind, body))
        pos += 12 + length
    return chunks


def test_png_is_a_png_of_the_expected_size_with_the_stamp(written: dict, stamp: dict) -> None:
    chunks = _png_chunks(written["png"].read_bytes())
    kind, ihdr = chunks[0]
    assert kind == b"IHDR"
    assert struct.unpack(">II", ihdr[:8]) == PNG_SIZE
    texts = {}
    for kind, body in chunks:
        if kind == b"tEXt":
            key, value = body.split(b"\0", 1)
            texts[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt":
            key, rest = body.split(b"\0", 1)
            texts[key.decode("latin-1")] = rest[2:].split(b"\0", 2)[2].decode("utf-8")
    described = json.loads(texts["Description"])
    assert described["run_id"] == stamp["run_id"] and described["output"]["format"] == "png"
    assert chunks[-1][0] == b"IEND"


def test_png_draws_the_hot_spot_colour(written: dict) -> None:
    from matplotlib.image import imread

    img = imread(written["png"])
    hot = np.array([0xB2, 0x18, 0x2B]) / 255
    close = np.abs(img[..., :3] - hot).max(axis=-1) < 0.02
    # The cells and the key's swatch: a few hundred pixels at the very least.
    assert close.sum() > 500


# -- the other methods ----------------------------------------------------------------------


def test_kde_cells_are_the_dense_ones(points, tmp_path: Path) -> None:
    kde = hotspot_kde(points.xy(), cell_size=1000)
    stamp = make_stamp(kde, data=points.data_stamp(), command="t")
    fc = hotspot_geojson(kde, stamp)
    peak = float(kde.density.max())
    assert len(fc["features"]) == int((kde.density >= 0.01 * peak).sum())
    assert all(f["properties"]["density_share"] >= 0.0099 for f in fc["features"])
    prm = fc["asbhub"]["parameters"]
    assert prm["kernel"] == "quartic" and prm["bandwidth"] == pytest.approx(kde.bandwidth)
    assert "Scott" in prm["bandwidth_rule"]
    write_png(kde, tmp_path / "kde.png", stamp)
    assert struct.unpack(">II", (tmp_path / "kde.png").read_bytes()[16:24]) == PNG_SIZE


def test_count_cells_sum_to_the_points_used(points) -> None:
    r = hotspot_count(points.xy(), cell_size=500)
    fc = hotspot_geojson(r, make_stamp(r, data=points.data_stamp(), command="t"))
    assert sum(f["properties"]["count"] for f in fc["features"]) == r.n_points_used
    assert all(f["properties"]["count"] > 0 for f in fc["features"])
    legend = legend_for(r)["entries"]
    top = max(fc["features"], key=lambda f: f["properties"]["count"])
    assert top["properties"]["class"] == legend[-1]["class"]
    assert legend[-1]["label"].endswith("or more")


def test_trend_cells_have_a_category(tmp_path: Path) -> None:
    pts = points_from_files(sample_paths(), PointFilters(crime_types=("asb",)))
    r = hotspot_classify(pts.xy(), pts.frame["month"].to_numpy(), cell_size=500)
    stamp = make_stamp(r, data=pts.data_stamp(), command="t")
    write_geojson(r, tmp_path / "t.geojson", stamp)
    fc = json.loads((tmp_path / "t.geojson").read_text())
    assert fc["asbhub"]["parameters"]["periods"] == ["2018-12", "2019-01", "2019-02"]
    cats = {f["properties"]["category"] for f in fc["features"]}
    assert "persistent" in cats and cats <= {
        "no pattern",
        "new",
        "emerging",
        "intensifying",
        "persistent",
        "diminishing",
        "sporadic",
        "former",
    }
    total = sum(f["properties"]["count"] for f in fc["features"])
    assert total == r.n_points_used


def test_unknown_file_ending_is_refused_with_the_known_ones() -> None:
    assert output_format("a.GeoJSON") == "geojson" and output_format("b.csv") == "csv"
    with pytest.raises(ValueError, match=r"\.geojson, \.json, \.csv, \.png"):
        output_format("map.shp")
