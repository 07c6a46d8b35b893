"""Build asbhub's bundled Derbyshire area hierarchy from the shared ONS and police.uk files.

Regenerates everything under ``asbhub/data/geography/derbyshire/``:

- ``areas.csv``: one row per 2011 LSOA with its force, LPU, SNT, district and IMD 2019;
- ``neighbourhoods.csv``: the 95 police.uk neighbourhoods (SNTs) with their LPU;
- ``wards.csv``: how each 2025 ward was mapped (provenance; asbhub does not read it);
- ``lsoa_bng.geojson``: the 642 LSOA polygons on British National Grid;
- ``README.md``: sources, licences and counts.

The rules are explained in ``docs/geography.md``. Output is byte-for-byte deterministic, so
``tests/geo/test_areas.py`` can rebuild into a temporary folder and compare.

Usage::

    python data-raw/build_geography.py [--source ../shared/data/police-uk/geography] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np
import polars as pl
import shapely

from asbhub.geo.areas import AREA_COLUMNS
from asbhub.geo.projection import to_bng

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "police-uk" / "geography"
DEFAULT_OUT = REPO / "asbhub" / "data" / "geography" / "derbyshire"

FORCE_CODE = "E23000018"
FORCE_NAME = "Derbyshire Constabulary"
DERBY = "E06000015"
N_LSOA_ENGLAND = 32_844  # LSOAs ranked in the English IMD 2019
SIMPLIFY_M = 5.0  # Visvalingam-Whyatt tolerance; the ONS files are already generalised to ~20 m
LSOA_FILES = [
    "E06000015", "E07000032", "E07000033", "E07000034", "E07000035",
    "E07000036", "E07000037", "E07000038", "E07000039",
]  # fmt: skip

# County LPUs follow districts (seed 003 table 5.34 names them, and each police.uk county sector
# is named after its district), except where match_wards finds police.uk placing a
# neighbourhood across a district line. South Derbyshire is absent from table 5.34 but has its
# own SNT in table 5.30, so it stays an LPU of its own.
LPU_BY_LAD = {
    "E07000032": "Amber Valley",
    "E07000033": "North East",  # Bolsover
    "E07000034": "Chesterfield",
    "E07000035": "Derbyshire Dales",
    "E07000036": "Erewash",
    "E07000037": "High Peak",
    "E07000038": "North East",  # North East Derbyshire
    "E07000039": "South Derbyshire",
}
LPU_BY_SECTOR = {
    "ND": "Derbyshire Dales", "NE": "North East", "NH": "High Peak", "NR": "Amber Valley",
    "NT": "Chesterfield", "SK": "Erewash", "SS": "South Derbyshire",
    "SN": "Derby North", "SW": "Derby West",
}  # fmt: skip
# police.uk had three Derby sectors, seed 003 four LPUs: SE is split, its two southern
# neighbourhoods forming Derby South (see docs/geography.md).
LPU_BY_SNT = {"SE01": "Derby East", "SE03": "Derby East", "SE02": "Derby South",
              "SE04": "Derby South"}  # fmt: skip

# Derby's 18 wards (2025) -> LPU, written by hand: police.uk's Derby neighbourhoods are named
# after the pre-2023 wards, and their sector (SN, SE, SW) gives the LPU; see docs/geography.md.
DERBY_WARDS = {
    "E05015507": ("Abbey", "Derby West"),  # SW03 Abbey
    "E05015508": ("Allestree", "Derby North"),  # SN02 Allestree and Darley
    "E05015509": ("Alvaston North", "Derby East"),  # SE01 Alvaston
    "E05015510": ("Alvaston South", "Derby East"),  # SE01 Alvaston; SE03 Boulton (abolished)
    "E05015511": ("Arboretum", "Derby North"),  # SN03 Derby City (city centre); SW04 Rose Hill
    "E05015512": ("Blagreaves", "Derby West"),  # SW02 Littleover and Blagreaves
    "E05015513": ("Chaddesden East", "Derby North"),  # SN05 Chaddesden and Spondon
    "E05015514": ("Chaddesden North", "Derby North"),  # SN05; SN04 Derwent (abolished)
    "E05015515": ("Chaddesden West", "Derby North"),  # SN05
    "E05015516": ("Chellaston & Shelton Lock", "Derby South"),  # SE04 Chellaston
    "E05015517": ("Darley", "Derby North"),  # SN02 Allestree and Darley
    "E05015518": ("Littleover", "Derby West"),  # SW02 Littleover and Blagreaves
    "E05015519": ("Mackworth & New Zealand", "Derby North"),  # SN01 Mackworth and Morley
    "E05015520": ("Mickleover", "Derby West"),  # SW01 Mickleover
    "E05015521": ("Normanton", "Derby West"),  # SW05 Normanton
    "E05015522": ("Oakwood", "Derby North"),  # SN04 Derwent and Oakwood
    "E05015523": ("Sinfin & Osmaston", "Derby South"),  # SE02 Sinfin and Osmaston
    "E05015524": ("Spondon", "Derby North"),  # SN05 Chaddesden and Spondon
}
# Places that ONS and police.uk spell differently.
SPELLINGS = {"youlgreave": "youlgrave"}
_COMPASS = re.compile(r"\s+(north|south|east|west|central)$")


def read_features(path: Path) -> list[dict]:
    """Read the features of one ONS GeoJSON file."""
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)["features"]


def project(geojson_geoms: list[dict]) -> np.ndarray:
    """WGS84 GeoJSON geometries -> shapely geometries on British National Grid."""
    geoms = np.array([shapely.geometry.shape(g) for g in geojson_geoms], dtype=object)

    def _to_bng(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_bng(xy[:, 0], xy[:, 1]))

    return shapely.transform(geoms, _to_bng)


def place_parts(name: str, *, strip_compass: bool) -> set[str]:
    """Split an area name into normalised place names: "Heanor West & Loscoe" -> heanor, loscoe.

    Only the ward side drops a compass suffix ("Clowne East" is part of Clowne); neighbourhood
    names keep theirs, so "Long Eaton North" never matches a "Long Eaton Central" ward.
    """
    text = name.lower().replace("&", " and ").replace("'", "").replace(".", "")
    parts = set()
    for part in re.split(r",|\band\b|-with-", text):
        part = " ".join(part.split())
        if strip_compass:
            part = _COMPASS.sub("", part)
        if part:
            parts.add(SPELLINGS.get(part, part))
    return parts


def overlaps(lsoas: np.ndarray, lsoa_codes: list[str], lsoa_lad: list[str], wards: pl.DataFrame,
             ward_geoms: np.ndarray) -> pl.DataFrame:  # fmt: skip
    """Share of each LSOA's area in each ward of its own district (2011 LSOAs do not nest in
    2025 wards, so an LSOA may straddle two)."""
    tree = shapely.STRtree(ward_geoms)
    ward_codes = wards["ward_code"].to_list()
    ward_lads = wards["lad_code"].to_list()
    rows: dict[str, list] = {"lsoa_code": [], "ward_code": [], "share": []}
    for geom, code, lad in zip(lsoas, lsoa_codes, lsoa_lad, strict=True):
        cands = [j for j in tree.query(geom, predicate="intersects") if ward_lads[j] == lad]
        areas = shapely.area(shapely.intersection(geom, ward_geoms[cands]))
        for j, area in zip(cands, areas, strict=True):
            rows["lsoa_code"].append(code)
            rows["ward_code"].append(ward_codes[j])
            rows["share"].append(area / geom.area)
    return pl.DataFrame(rows)


def largest(shares: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per LSOA, the ``key`` value holding the largest summed share (ties: lowest value).

    Shares are rounded before comparing so that summation order cannot flip a near tie.
    """
    return (
        shares.group_by("lsoa_code", key)
        .agg(pl.col("share").sum().round(6))
        .sort(["lsoa_code", "share", key], descending=[False, True, False])
        .unique("lsoa_code", keep="first", maintain_order=True)
    )


def match_wards(wards: pl.DataFrame, hoods: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """Ward -> (SNT code or "", rule): its name must name exactly one candidate neighbourhood.

    Candidates are the neighbourhoods of the ward's own LPU, plus any neighbourhood whose every
    place is a ward of one other LPU only (police.uk puts "South Normanton and Pinxton", wards of
    Bolsover district, in the Amber Valley sector).
    """
    ward_rows = list(wards.select("ward_code", "ward_name", "lpu").iter_rows())
    ward_parts = {code: place_parts(name, strip_compass=True) for code, name, _ in ward_rows}
    hood_rows = list(hoods.select("snt_code", "snt_name", "lpu").iter_rows())
    hood_parts = {code: place_parts(name, strip_compass=False) for code, name, _ in hood_rows}
    displaced = set()
    for code, _, lpu in hood_rows:
        # Every place the name lists must be a ward of one other LPU, and none a ward of its own.
        homes = [
            {wl for w, _, wl in ward_rows if part in ward_parts[w]} for part in hood_parts[code]
        ]
        if all(len(h) == 1 and lpu not in h for h in homes) and len(set.union(*homes)) == 1:
            displaced.add(code)
    out = {}
    for ward_code, _, lpu in ward_rows:
        hits = sorted(
            code for code, _, hood_lpu in hood_rows
            if (hood_lpu == lpu or code in displaced) and ward_parts[ward_code] & hood_parts[code]
        )  # fmt: skip
        if len(hits) == 1:
            rule = "name match" + (" (across district)" if hits[0] in displaced else "")
            out[ward_code] = (hits[0], rule)
        elif hits:
            out[ward_code] = ("", "ambiguous: " + " ".join(hits))
        else:
            out[ward_code] = ("", "no name match")
    return out


def imd_decile(rank: pl.Expr) -> pl.Expr:
    """Decile 1 = the most deprived 10% of England's LSOAs: rank / N <= d / 10, d smallest."""
    return ((rank * 10 + N_LSOA_ENGLAND - 1) // N_LSOA_ENGLAND).cast(pl.Int64)


def read_lsoas(source: Path) -> tuple[pl.DataFrame, np.ndarray, list[dict]]:
    """The lookup (sorted by LSOA code), the LSOA polygons on BNG and ONS's centroids."""
    lookup = pl.read_csv(source / "lookups" / "derbyshire_lsoa11_lookup.csv", infer_schema=False)
    lookup = lookup.with_columns(pl.col("IMD19_RANK").cast(pl.Int64)).sort("LSOA11CD")
    feats = [f for lad in LSOA_FILES for f in read_features(source / "lsoa11" / f"{lad}.geojson")]
    feats.sort(key=lambda f: f["properties"]["LSOA11CD"])
    codes = [f["properties"]["LSOA11CD"] for f in feats]
    lads = [f["properties"]["LADCD_ACTIVE"] for f in feats]
    if codes != lookup["LSOA11CD"].to_list() or lads != lookup["LAD19CD"].to_list():
        raise SystemExit("LSOA polygons and derbyshire_lsoa11_lookup.csv disagree on LSOAs or LADs")
    # ONS's own centroid, kept as a label point and as an independent check of to_bng.
    centroids = [
        {"centroid_lon": p["LONG"], "centroid_lat": p["LAT"], "centroid_e": p["BNG_E"],
         "centroid_n": p["BNG_N"]}
        for p in (f["properties"] for f in feats)
    ]  # fmt: skip
    return lookup, project([f["geometry"] for f in feats]), centroids


def read_neighbourhoods(source: Path) -> pl.DataFrame:
    """The force's police.uk neighbourhoods with their LPU, from the id's sector prefix."""
    pfn = pl.read_csv(source / "police-neighbourhoods" / "PFN.csv", infer_schema=False)
    hoods = (
        pfn.filter(pl.col("PFA") == FORCE_CODE)
        .select(pl.col("PFNid").alias("snt_code"), pl.col("PFNn").alias("snt_name"))
        .with_columns(pl.col("snt_code").str.slice(0, 2).alias("police_uk_sector"))
        .sort("snt_code")
    )
    lpu = [LPU_BY_SNT.get(c) or LPU_BY_SECTOR.get(c[:2]) for c in hoods["snt_code"]]
    if None in lpu:
        raise SystemExit(f"neighbourhood ids without an LPU rule: {hoods['snt_code'].to_list()}")
    return hoods.with_columns(pl.Series("lpu", lpu))


def read_wards(source: Path, hoods: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray]:
    """2025 wards with their LPU, SNT and the rule that gave them; polygons on BNG."""
    feats = read_features(source / "ward" / "E06000015.geojson")
    feats += read_features(source / "ward" / "E10000007.geojson")
    feats.sort(key=lambda f: f["properties"]["WD25CD"])
    props = [f["properties"] for f in feats]
    wards = pl.DataFrame(
        {
            "ward_code": [p["WD25CD"] for p in props],
            "ward_name": [p["WD25NM"] for p in props],
            "lad_code": [p["LAD25CD"] for p in props],
        }
    )
    derby = wards.filter(pl.col("lad_code") == DERBY)
    if dict(derby.select("ward_code", "ward_name").iter_rows()) != {
        code: name for code, (name, _) in DERBY_WARDS.items()
    }:
        raise SystemExit(f"Derby's wards differ from DERBY_WARDS; update the table:\n{derby}")
    derby_lpu = {code: lpu for code, (_, lpu) in DERBY_WARDS.items()}
    wards = wards.with_columns(
        pl.when(pl.col("lad_code") == DERBY)
        .then(pl.col("ward_code").replace_strict(derby_lpu, default=None))
        .otherwise(pl.col("lad_code").replace_strict(LPU_BY_LAD, default=None))
        .alias("lpu")
    )
    hood_lpu = dict(hoods.select("snt_code", "lpu").iter_rows())
    district_lpu = dict(wards.select("ward_code", "lpu").iter_rows())
    rule = {
        code: (hood_lpu.get(snt, district_lpu[code]), snt or None, why)
        for code, (snt, why) in match_wards(wards, hoods).items()
    }
    codes = wards["ward_code"].to_list()
    wards = wards.with_columns(
        pl.Series("lpu", [rule[c][0] for c in codes]),
        pl.Series("snt_code", [rule[c][1] for c in codes], dtype=pl.String),
        pl.Series("rule", [rule[c][2] for c in codes]),
    )
    return wards, project([f["geometry"] for f in feats])


def build(source: Path, out: Path) -> dict:
    """Write the bundled files from ``source`` into ``out``; return the counts for the README."""
    lookup, lsoas, centroids = read_lsoas(source)
    hoods = read_neighbourhoods(source)
    wards, ward_geoms = read_wards(source, hoods)
    codes = lookup["LSOA11CD"].to_list()
    shares = overlaps(lsoas, codes, lookup["LAD19CD"].to_list(), wards, ward_geoms).join(
        wards.select("ward_code", "lpu", "snt_code"), on="ward_code"
    )
    # An LSOA's LPU is the one holding most of its area; its SNT only if that SNT holds at
    # least half, so a plurality of unmapped or split wards leaves the SNT empty.
    lpu = largest(shares, "lpu")
    snt = largest(shares.with_columns(pl.col("snt_code").fill_null("")), "snt_code").filter(
        (pl.col("snt_code") != "") & (pl.col("share") >= 0.5)
    )
    areas = (
        lookup.select(
            pl.lit(FORCE_CODE).alias("force_code"),
            pl.lit(FORCE_NAME).alias("force_name"),
            pl.col("LSOA11CD").alias("lsoa_code"),
            pl.col("LSOA11NM").alias("lsoa_name"),
            pl.col("LAD19CD").alias("lad_code"),
            pl.col("LAD19NM").alias("lad_name"),
            pl.col("IMD19_RANK").alias("imd_rank"),
            imd_decile(pl.col("IMD19_RANK")).alias("imd_decile"),
        )
        .join(lpu.select("lsoa_code", "lpu"), on="lsoa_code", how="left")
        .join(snt.select("lsoa_code", "snt_code"), on="lsoa_code", how="left")
        .join(hoods.select("snt_code", "snt_name"), on="snt_code", how="left")
        .select(AREA_COLUMNS)
        .sort("lsoa_code")
    )
    clash = areas.join(hoods.select("snt_code", pl.col("lpu").alias("snt_lpu")), on="snt_code")
    if clash.filter(pl.col("lpu") != pl.col("snt_lpu")).height:
        raise SystemExit(f"LSOAs whose SNT lies in another LPU:\n{clash}")

    hoods = hoods.join(
        areas.group_by("snt_code").len("n_lsoas"), on="snt_code", how="left"
    ).with_columns(pl.col("n_lsoas").fill_null(0))
    main_ward = largest(shares, "ward_code")
    wards = wards.join(
        main_ward.group_by("ward_code").len("n_lsoas"), on="ward_code", how="left"
    ).with_columns(pl.col("n_lsoas").fill_null(0))

    out.mkdir(parents=True, exist_ok=True)
    areas.write_csv(out / "areas.csv")
    hoods.select(
        pl.lit(FORCE_CODE).alias("force_code"), "lpu", "snt_code", "snt_name", "police_uk_sector",
        "n_lsoas",
    ).write_csv(out / "neighbourhoods.csv")  # fmt: skip
    wards.select("ward_code", "ward_name", "lad_code", "lpu", "snt_code", "rule", "n_lsoas").sort(
        "ward_code"
    ).write_csv(out / "wards.csv")  # fmt: skip
    write_polygons(out / "lsoa_bng.geojson", codes, simplify(lsoas), centroids)

    counts = {
        "lsoas": areas.height,
        "snt_mapped": areas["snt_code"].is_not_null().sum(),
        "hoods_with_lsoas": int((hoods["n_lsoas"] > 0).sum()),
        "hoods": hoods.height,
        "lsoas_over_90pc_in_one_ward": int((main_ward["share"] >= 0.9).sum()),
        "per_lpu": dict(areas.group_by("lpu").len().sort("lpu").iter_rows()),
    }
    write_readme(out / "README.md", counts)
    return counts


def simplify(geoms: np.ndarray) -> np.ndarray:
    """Simplify shared edges once (no slivers or gaps between LSOAs), then snap to 1 m."""
    simple = shapely.set_precision(shapely.coverage_simplify(geoms, SIMPLIFY_M), 1.0)
    if not (shapely.is_valid(simple).all() and shapely.coverage_is_valid(simple)):
        raise SystemExit("simplified LSOAs are not a valid coverage; lower SIMPLIFY_M")
    return simple


def write_polygons(path: Path, codes: list[str], geoms: np.ndarray, extra: list[dict]) -> None:
    """GeoJSON on EPSG:27700, integer metres, one feature a line (small, diffable)."""
    lines = []
    for code, geom, props in zip(codes, geoms, extra, strict=True):
        geometry = json.loads(shapely.to_geojson(geom))
        geometry["coordinates"] = _ints(geometry["coordinates"])
        properties = {"lsoa_code": code} | props
        feature = {"type": "Feature", "properties": properties, "geometry": geometry}
        lines.append(json.dumps(feature, separators=(",", ":")))
    head = (
        '{"type":"FeatureCollection","name":"lsoa_bng",'
        '"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},'
        '"features":[\n'
    )
    path.write_text(head + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def _ints(coords: list) -> list:
    if coords and isinstance(coords[0], float | int):
        return [round(c) for c in coords]
    return [_ints(c) for c in coords]


README = """# Derbyshire area hierarchy (bundled)

Generated by `data-raw/build_geography.py`; do not edit by hand. The rules are in
`docs/geography.md`.

- `areas.csv`: one row per 2011 LSOA ({lsoas}): force, LPU, SNT, district (LAD 2019), IMD 2019
  rank and decile of England's 32,844 LSOAs (1 = most deprived 10%).
- `neighbourhoods.csv`: the {hoods} police.uk neighbourhoods (SNTs) with their LPU and how many
  LSOAs map to each.
- `lsoa_bng.geojson`: the LSOA polygons on British National Grid (EPSG:27700), simplified by
  {simplify:g} m and rounded to whole metres; properties `lsoa_code` and ONS's centroid
  (`centroid_lon`, `centroid_lat` in WGS84; `centroid_e`, `centroid_n` on BNG).
- `wards.csv`: provenance only, not read by asbhub: each 2025 ward's LPU and SNT, the rule that
  gave them, and how many LSOAs have most of their area in it.

LSOAs with an SNT: {snt_mapped} of {lsoas}; neighbourhoods with at least one LSOA:
{hoods_with_lsoas} of {hoods}. LSOAs per LPU: {per_lpu}.

## Replacing this folder
A force points `ASBHUB_AREAS` at its own folder with the same files and columns (see
`docs/geography.md`); `asbhub.geo.AreaHierarchy.load()` then reads that instead.

## Sources and licences
- LSOA 2011 and ward 2025 boundaries (ONS Generalised Clipped, via drkane/geo-lookups), LSOA to
  LAD lookup and the Index of Multiple Deprivation 2019 (ONS / MHCLG, via jtrim-ons/ons-lookups).
  Source: Office for National Statistics, licensed under the Open Government Licence v3.0.
  Contains OS data © Crown copyright and database right.
- Police neighbourhood list (data.police.uk, via lvalnegri/RgeoUK): Open Government Licence v3.0.
- LPU names: Derbyshire Police and Crime Commissioner, Performance Scrutiny Meeting paper
  (seed 003, table 5.34).

Open Government Licence v3.0:
https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/
"""


def write_readme(path: Path, counts: dict) -> None:
    per_lpu = ", ".join(f"{k} {v}" for k, v in counts["per_lpu"].items())
    text = README.format(**(counts | {"per_lpu": per_lpu, "simplify": SIMPLIFY_M}))
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="the police-uk/geography folder (default: %(default)s)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    args = parser.parse_args(argv)
    if not (args.source / "lookups" / "derbyshire_lsoa11_lookup.csv").is_file():
        parser.error(f"{args.source} does not hold lookups/derbyshire_lsoa11_lookup.csv")
    counts = build(args.source, args.out)
    print(f"wrote {args.out}: {json.dumps(counts, indent=1)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
