"""asbhub.geo.areas and .locate: the bundled Derbyshire hierarchy and point-in-polygon."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely

from asbhub.geo import (
    AREAS_ENV_VAR,
    AreaHierarchy,
    LsoaLocator,
    MappingFileError,
    bundled_areas_folder,
    to_bng,
)

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "data-raw" / "build_geography.py"

# shared/data/police-uk/SOURCES.md, section 2 ("Checked").
LSOAS_PER_LAD = {
    "Derby": 151, "Amber Valley": 78, "Bolsover": 48, "Chesterfield": 69, "Derbyshire Dales": 43,
    "Erewash": 73, "High Peak": 59, "North East Derbyshire": 63, "South Derbyshire": 58,
}  # fmt: skip
# Seed 003 table 5.34, plus South Derbyshire (table 5.30).
LPUS = {
    "Amber Valley", "Chesterfield", "Derbyshire Dales", "High Peak", "North East", "Derby North",
    "Derby East", "Derby West", "Erewash", "Derby South", "South Derbyshire",
}  # fmt: skip


@pytest.fixture(scope="module")
def areas() -> AreaHierarchy:
    return AreaHierarchy.load()


@pytest.fixture(scope="module")
def centroids() -> pl.DataFrame:
    path = bundled_areas_folder() / "lsoa_bng.geojson"
    props = [f["properties"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]
    return pl.DataFrame(props)


def test_every_lsoa_has_a_district_and_an_lpu(areas: AreaHierarchy) -> None:
    assert (areas.force_code, areas.force_name) == ("E23000018", "Derbyshire Constabulary")
    lsoa = areas.lsoa
    assert lsoa.height == 642 and lsoa["lsoa_code"].n_unique() == 642
    for column in ("lsoa_code", "lsoa_name", "lad_code", "lad_name", "lpu", "imd_rank"):
        assert lsoa[column].null_count() == 0, column
    assert set(areas.lpus) == LPUS and areas.lpus == sorted(LPUS)
    per_lad = dict(lsoa.group_by("lad_name").len().iter_rows())
    assert per_lad == LSOAS_PER_LAD


def test_lpus_follow_districts_except_derby_and_the_police_uk_sector(areas: AreaHierarchy) -> None:
    lpus_by_lad = {
        lad: set(lpus) for lad, lpus in areas.lsoa.group_by("lad_name").agg("lpu").iter_rows()
    }
    assert lpus_by_lad["Derby"] == {"Derby North", "Derby East", "Derby South", "Derby West"}
    # police.uk puts South Normanton and Pinxton (Bolsover district) in the Amber Valley sector.
    assert lpus_by_lad["Bolsover"] == {"North East", "Amber Valley"}
    assert lpus_by_lad["North East Derbyshire"] == {"North East"}
    for lad in ("Amber Valley", "Chesterfield", "Derbyshire Dales", "Erewash", "High Peak",
                "South Derbyshire"):  # fmt: skip
        assert lpus_by_lad[lad] == {lad}


def test_imd_decile_is_the_national_decile_of_the_rank(areas: AreaHierarchy) -> None:
    rank, decile = areas.lsoa["imd_rank"].to_numpy(), areas.lsoa["imd_decile"].to_numpy()
    assert ((rank >= 1) & (rank <= 32_844)).all()
    # decile d holds ranks with (d - 1) / 10 < rank / 32,844 <= d / 10
    assert ((decile - 1) * 32_844 < rank * 10).all() and (rank * 10 <= decile * 32_844).all()
    row = areas.lsoa.filter(pl.col("lsoa_code") == "E01013456").row(0, named=True)
    assert (row["imd_rank"], row["imd_decile"]) == (1646, 1)  # Derby 013C, in England's worst 10%


def test_neighbourhoods_and_snt_mapping_agree(areas: AreaHierarchy) -> None:
    hoods = areas.neighbourhoods
    assert hoods.height == 95 and hoods["snt_code"].n_unique() == 95
    sector_lpu = {"ND": "Derbyshire Dales", "NE": "North East", "NH": "High Peak",
                  "NR": "Amber Valley", "NT": "Chesterfield", "SK": "Erewash",
                  "SS": "South Derbyshire", "SN": "Derby North", "SW": "Derby West"}  # fmt: skip
    for code, lpu in hoods.select("snt_code", "lpu").iter_rows():
        expected = sector_lpu.get(code[:2]) or {
            "SE01": "Derby East", "SE02": "Derby South", "SE03": "Derby East",
            "SE04": "Derby South"}[code]  # fmt: skip
        assert lpu == expected, code
    mapped = areas.lsoa.filter(pl.col("snt_code").is_not_null())
    assert mapped.height == hoods["n_lsoas"].cast(pl.Int64).sum()
    assert 300 < mapped.height < 642  # most, not all: docs/geography.md gives the count
    assert mapped.join(hoods, on="snt_code").filter(pl.col("lpu") != pl.col("lpu_right")).is_empty()
    row = areas.lsoa.filter(pl.col("lsoa_code") == "E01013453").row(0, named=True)
    assert (row["lpu"], row["snt_code"], row["snt_name"]) == ("Derby West", "SW03", "Abbey")


def test_lpu_for_and_snt_for(areas: AreaHierarchy) -> None:
    codes = ["E01013453", "E01013456", "E01028999", None, ""]  # last three not in Derbyshire
    assert areas.lpu_for(codes) == ["Derby West", "Derby West", None, None, None]
    assert areas.snt_for(codes) == ["SW03", "SW03", None, None, None]


def test_every_ons_centroid_is_located_in_its_own_lsoa(
    areas: AreaHierarchy, centroids: pl.DataFrame
) -> None:
    e, n = to_bng(centroids["centroid_lon"].to_numpy(), centroids["centroid_lat"].to_numpy())
    found = areas.locate(e, n)
    assert found.tolist() == centroids["lsoa_code"].to_list()
    assert sorted(found.tolist()) == areas.lsoa["lsoa_code"].to_list()


def test_landmarks_fall_in_the_right_lpu(areas: AreaHierarchy) -> None:
    landmarks = {  # approximate WGS84 positions, each well inside its town
        "Chesterfield": (-1.4254, 53.2353),  # the Crooked Spire
        "High Peak": (-1.9140, 53.2590),  # Buxton Opera House
        "Derbyshire Dales": (-1.5560, 53.1372),  # County Hall, Matlock
        "Derby North": (-1.4776, 52.9253),  # Derby Cathedral, city centre
        "North East": (-1.2966, 53.2308),  # Bolsover Castle
        "South Derbyshire": (-1.5570, 52.7735),  # Swadlincote
    }
    lon, lat = zip(*landmarks.values(), strict=True)
    assert areas.lpu_for(areas.locate(*to_bng(lon, lat))) == list(landmarks)


def test_points_outside_every_lsoa_are_none(areas: AreaHierarchy) -> None:
    lon = [-5.0, -1.5, 1.5, np.nan, -1.48]
    lat = [54.0, 50.3, 52.9, 52.9, np.nan]  # Irish Sea, English Channel 300 km south, Norfolk
    assert areas.locate(*to_bng(lon, lat)).tolist() == [None] * 5
    assert areas.locate([], []).tolist() == []


def brute_force(loc: LsoaLocator, e: np.ndarray, n: np.ndarray) -> list[str | None]:
    """Every polygon against every point with no index, on unprepared copies of the polygons;
    a point in several (on a shared edge) goes to the lowest code."""
    points = shapely.points(e, n)
    polygons = shapely.from_wkb(shapely.to_wkb(loc.polygons))
    inside = np.array([shapely.covers(p, points) for p in polygons])  # polygons x points
    return [min(loc.codes[inside[:, i]], default=None) for i in range(len(e))]


def test_locate_matches_brute_force_and_is_order_free(areas: AreaHierarchy) -> None:
    rng = np.random.default_rng(642)
    e, n = rng.uniform(400_000, 460_000, 3000), rng.uniform(318_000, 410_000, 3000)
    expected = brute_force(areas.locator, e, n)
    assert areas.locate(e, n).tolist() == expected
    assert 0 < sum(c is not None for c in expected) < 3000
    order = rng.permutation(3000)
    assert areas.locate(e[order], n[order]).tolist() == [expected[i] for i in order]


def test_shared_boundary_gets_the_lower_code(areas: AreaHierarchy) -> None:
    loc = areas.locator
    x, y = shapely.get_coordinates(loc.polygons[:40]).T  # vertices, many on shared edges
    points = shapely.points(x, y)
    shared = np.array([shapely.covers(p, points) for p in loc.polygons]).sum(axis=0) >= 2
    assert shared.sum() > 100, "expected vertices shared by neighbouring LSOAs"
    owners = brute_force(loc, x[shared], y[shared])
    assert loc.locate(x[shared], y[shared]).tolist() == owners
    assert all(o is not None for o in owners)


def test_locator_from_plain_squares() -> None:
    loc = LsoaLocator(["B", "A"], [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    assert loc.locate([5, 10, 15, 25, np.nan], [5, 5, 5, 5, 5]).tolist() == [
        "B",
        "A",
        "A",
        None,
        None,
    ]
    with pytest.raises(ValueError, match="2 LSOA codes but 1 polygons"):
        LsoaLocator(["A", "B"], [shapely.box(0, 0, 1, 1)])


def test_fill_lsoa_keeps_given_codes_and_flags_the_unplaced(areas: AreaHierarchy) -> None:
    e, n = to_bng([-1.49699, -1.49699, -5.0, np.nan], [52.92017, 52.92017, 54.0, np.nan])
    codes, outside = areas.fill_lsoa(["E01028999", None, "", None], e, n)
    assert codes.tolist() == ["E01028999", "E01013453", None, None]
    assert outside.tolist() == [False, False, True, True]


# --- a force's own mapping folder -------------------------------------------------------------


@pytest.fixture
def own_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "myforce"
    shutil.copytree(bundled_areas_folder(), folder)
    return folder


def test_env_var_points_at_a_replacement_folder(own_folder: Path, monkeypatch) -> None:
    areas_csv = own_folder / "areas.csv"
    frame = pl.read_csv(areas_csv, infer_schema=False).head(10)
    frame.with_columns(pl.lit("Test Force").alias("force_name")).write_csv(areas_csv)
    monkeypatch.setenv(AREAS_ENV_VAR, str(own_folder))
    areas = AreaHierarchy.load()
    assert areas.folder == own_folder and areas.force_name == "Test Force"
    assert areas.lsoa.height == 10


def test_missing_column_names_file_column_and_expected(own_folder: Path) -> None:
    areas_csv = own_folder / "areas.csv"
    pl.read_csv(areas_csv, infer_schema=False).drop("lpu").write_csv(areas_csv)
    with pytest.raises(MappingFileError) as err:
        AreaHierarchy.load(own_folder)
    message = str(err.value)
    assert str(areas_csv) in message and "missing column(s) lpu" in message
    assert "expected columns force_code, force_name, lpu, snt_code" in message


def test_neighbourhoods_missing_column(own_folder: Path) -> None:
    path = own_folder / "neighbourhoods.csv"
    pl.read_csv(path, infer_schema=False).drop("snt_name").write_csv(path)
    with pytest.raises(
        MappingFileError, match=r"neighbourhoods\.csv: missing column\(s\) snt_name"
    ):
        AreaHierarchy.load(own_folder)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f.with_columns(pl.lit(None, pl.String).alias("lpu")), r"line 2: empty lpu"),
        (lambda f: pl.concat([f, f.head(1)]), r"listed more than once: E01013453"),
        (lambda f: f.with_columns(pl.lit("x").alias("imd_rank")), r"imd_rank 'x' is not a whole"),
        (lambda f: f.with_columns(pl.lit("ZZ99").alias("snt_code")), r"'ZZ99', which is not in"),
        (lambda f: f.with_columns(pl.lit("Erewash").alias("lpu")), r"but its SNT SW03 is in LPU"),
    ],
)
def test_inconsistent_folder_says_what_is_wrong(own_folder: Path, edit, message: str) -> None:
    areas_csv = own_folder / "areas.csv"
    edit(pl.read_csv(areas_csv, infer_schema=False)).write_csv(areas_csv)
    with pytest.raises(MappingFileError, match=message):
        AreaHierarchy.load(own_folder)


def test_missing_files_and_folders(own_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(MappingFileError, match=f"does not exist.*{AREAS_ENV_VAR}"):
        AreaHierarchy.load(tmp_path / "nowhere")
    (own_folder / "lsoa_bng.geojson").unlink()
    areas = AreaHierarchy.load(own_folder)  # the hierarchy itself needs no polygons
    with pytest.raises(MappingFileError, match="lsoa_bng.geojson not found"):
        areas.locate([433917.0], [335978.0])
    (own_folder / "neighbourhoods.csv").unlink()
    with pytest.raises(MappingFileError, match="neighbourhoods.csv not found"):
        AreaHierarchy.load(own_folder)


# --- the bundled files are what the build script makes ------------------------------------------


def test_bundled_files_are_up_to_date(shared_police_uk: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_geography", BUILD_SCRIPT)
    assert spec and spec.loader, f"cannot import {BUILD_SCRIPT}"
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.build(shared_police_uk / "geography", tmp_path)
    bundled = bundled_areas_folder()
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in bundled.iterdir())
    for name in made:
        assert (tmp_path / name).read_bytes() == (bundled / name).read_bytes(), (
            f"{name} is stale: run python data-raw/build_geography.py"
        )


def test_docs_counts_table_matches_the_data(areas: AreaHierarchy) -> None:
    text = (ROOT / "docs" / "geography.md").read_text(encoding="utf-8")
    table = text.split("<!-- counts:start -->")[1].split("<!-- counts:end -->")[0]
    rows = [line.strip("|").split("|") for line in table.strip().splitlines()[2:]]
    documented = {r[0].strip(" *"): [int(c.strip(" *")) for c in r[1:]] for r in rows}
    hoods = areas.neighbourhoods.with_columns(pl.col("n_lsoas").cast(pl.Int64))
    actual = {}
    for lpu in areas.lpus:
        lsoa = areas.lsoa.filter(pl.col("lpu") == lpu)
        snts = hoods.filter(pl.col("lpu") == lpu)
        actual[lpu] = [
            lsoa.height,
            lsoa["snt_code"].is_not_null().sum(),
            snts.height,
            (snts["n_lsoas"] > 0).sum(),
        ]
    actual["total"] = [sum(v[i] for v in actual.values()) for i in range(4)]
    assert documented == actual, "update the counts table in docs/geography.md"
