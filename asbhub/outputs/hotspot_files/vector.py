"""The cells as data and vector files: the cell table, GeoJSON (WGS84 polygons) and CSV with
WKT and its ``.json`` stamp."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from asbhub.analysis import (
    EMERGING_CATEGORIES,
    TREND_CATEGORIES,
    HotspotCount,
    HotspotEmerging,
    HotspotGiStar,
    HotspotKDE,
    HotspotResult,
    HotspotTrend,
)
from asbhub.geo import from_bng
from asbhub.outputs.csvsafe import safe_writer
from asbhub.outputs.hotspot_files.legend import _classes_of, legend_for
from asbhub.outputs.hotspot_files.stamp import _COORD_DECIMALS, KDE_MIN_SHARE, jsonable

if TYPE_CHECKING:
    from asbhub.geo import AreaHierarchy


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def _selection(result: HotspotResult) -> tuple[NDArray[np.bool_], str, NDArray[np.int8]]:
    """Which cells to write, the rule in words, and every cell's class."""
    if isinstance(result, HotspotGiStar):
        classes = np.asarray(result.classes)
        keep = (np.asarray(result.counts) > 0) | (classes != 0)
        return keep, "cells with a count above zero or a non-zero Gi* class", classes
    if isinstance(result, HotspotTrend):
        classes = np.asarray(result.categories)
        keep = (np.asarray(result.counts).sum(axis=0) > 0) | (classes != 0)
        return keep, "cells with a count above zero in any month, or a trend category", classes
    if isinstance(result, HotspotEmerging):
        classes = np.asarray(result.categories)
        keep = np.asarray(result.cube.mask) & (
            (np.asarray(result.counts).sum(axis=0) > 0) | (classes > 0)
        )
        return keep, "analysed cells (with a record in some month) or with a category", classes
    if isinstance(result, HotspotKDE):
        density = np.asarray(result.density)
        peak = float(density.max())
        keep = density >= KDE_MIN_SHARE * peak if peak > 0 else np.zeros(density.shape, bool)
        classes = _classes_of(density, legend_for(result)["entries"])
        return keep, f"cells with a density of at least {KDE_MIN_SHARE:.0%} of the peak", classes
    if isinstance(result, HotspotCount):
        counts = np.asarray(result.counts)
        classes = _classes_of(counts, legend_for(result)["entries"])
        return counts > 0, "cells with a count above zero", classes
    raise TypeError(f"not a hotspot result: {type(result).__name__}")


def _round_sig(values: NDArray[np.float64], digits: int = 6) -> list[float | None]:
    """Values to ``digits`` significant figures: p-values near 1e-30 keep their size."""
    return [None if not math.isfinite(v) else float(f"{v:.{digits}g}") for v in values.tolist()]


def _counts(result: HotspotResult, values: NDArray[np.float64]) -> NDArray[Any]:
    """Whole numbers unless weighted: a record count of 3.0 looks like a weight in a table."""
    return values if result.weighted else np.rint(values).astype(np.int64)


#: Said of a Gi* hot spot cell that holds no record itself.
ZERO_HOT_NOTE = "No records here: hot because of its neighbours"


def cell_table(result: HotspotResult, areas: AreaHierarchy | None = None) -> pl.DataFrame:
    """The cells to write, one row each, with their properties and corners.

    Columns: ``cell_id`` (``E<easting>N<northing>`` of the south-west corner, the same cell
    in every run with that cell size), ``row``, ``col``, ``easting`` and ``northing`` of the
    centre (BNG), ``lon`` and ``lat`` of the centre (WGS84, for map visuals that take points),
    ``lsoa_code`` and ``lpu`` at the centre (when ``areas`` is given; null outside the
    force), then by method:

    - gistar: ``count``, ``z``, ``p``, ``p_fdr`` (Benjamini-Hochberg q), ``n_neighbours``,
      ``note`` (:data:`ZERO_HOT_NOTE` for a hot cell with no record, else empty);
    - count: ``count``;  kde: ``density``, ``density_share`` (of the peak);
    - trends: ``count`` (all months), ``months_hot``, ``hot_last_month``, ``trend_s``,
      ``trend_z``, ``trend_p``, ``category``;

    and ``class``, ``class_label`` (see :func:`legend_for`). The corner coordinates are in
    the private columns ``_lon`` and ``_lat`` (lists of five, closed ring).
    """
    g = result.grid
    keep, _, classes = _selection(result)
    rows, cols = np.nonzero(keep)
    x0 = g.x0 + cols * g.cell_size
    y0 = g.y0 + rows * g.cell_size
    cx, cy = x0 + g.cell_size / 2, y0 + g.cell_size / 2
    clon, clat = from_bng(cx, cy)
    # South-west, south-east, north-east, north-west, and back: counter-clockwise.
    cs = g.cell_size
    ring_x = np.stack([x0, x0 + cs, x0 + cs, x0, x0], axis=1)
    ring_y = np.stack([y0, y0, y0 + cs, y0 + cs, y0], axis=1)
    rlon, rlat = from_bng(ring_x, ring_y)
    labels = {e["class"]: e["label"] for e in legend_for(result)["entries"]}
    cls = classes[rows, cols]
    data: dict[str, Any] = {
        "cell_id": [f"E{x:.0f}N{y:.0f}" for x, y in zip(x0, y0, strict=True)],
        "row": rows.astype(np.int64),
        "col": cols.astype(np.int64),
        "easting": cx,
        "northing": cy,
        "lon": np.round(clon, _COORD_DECIMALS),
        "lat": np.round(clat, _COORD_DECIMALS),
    }
    if areas is not None:
        lsoa = areas.locate(cx, cy) if rows.size else np.array([], dtype=object)
        data["lsoa_code"] = pl.Series(list(lsoa), dtype=pl.String)
        data["lpu"] = pl.Series(areas.lpu_for(lsoa), dtype=pl.String)
    if isinstance(result, HotspotGiStar):
        data["count"] = _counts(result, np.asarray(result.counts)[rows, cols])
        data["z"] = np.round(np.asarray(result.z)[rows, cols], 4)
        data["p"] = _round_sig(np.asarray(result.p)[rows, cols])
        data["p_fdr"] = _round_sig(np.asarray(result.q)[rows, cols])
        data["n_neighbours"] = np.asarray(result.n_neighbours)[rows, cols].astype(np.int64)
    elif isinstance(result, HotspotTrend):
        counts = np.asarray(result.counts)[:, rows, cols]
        hot = np.asarray(result.hot)[:, rows, cols]
        data["count"] = _counts(result, counts.sum(axis=0))
        data["months_hot"] = hot.sum(axis=0).astype(np.int64)
        data["hot_last_month"] = hot[-1] if hot.shape[0] else np.zeros(rows.size, bool)
        data["trend_s"] = np.asarray(result.trend_s)[rows, cols].astype(np.int64)
        data["trend_z"] = np.round(np.asarray(result.trend_z)[rows, cols], 4)
        data["trend_p"] = _round_sig(np.asarray(result.trend_p)[rows, cols])
        data["category"] = [TREND_CATEGORIES[c] for c in cls.tolist()]
    elif isinstance(result, HotspotEmerging):
        cube = result.cube
        bins = np.asarray(cube.bins)[:, rows, cols]
        data["count"] = _counts(result, np.asarray(cube.counts)[:, rows, cols].sum(axis=0))
        data["steps_hot"] = (bins > 0).sum(axis=0).astype(np.int64)
        data["steps_cold"] = (bins < 0).sum(axis=0).astype(np.int64)
        data["z_last"] = np.round(np.asarray(cube.z)[-1, rows, cols], 4)
        data["trend_s"] = np.asarray(cube.trend_s)[rows, cols].astype(np.int64)
        data["trend_z"] = np.round(np.asarray(cube.trend_z)[rows, cols], 4)
        data["trend_p"] = _round_sig(np.asarray(cube.trend_p)[rows, cols])
        data["category"] = [EMERGING_CATEGORIES[c] for c in cls.tolist()]
    elif isinstance(result, HotspotKDE):
        density = np.asarray(result.density)[rows, cols]
        peak = float(np.asarray(result.density).max()) or 1.0
        data["density"] = _round_sig(density)
        data["density_share"] = np.round(density / peak, 4)
    else:
        assert isinstance(result, HotspotCount), type(result)  # the fourth kind: narrows the type
        data["count"] = _counts(result, np.asarray(result.counts)[rows, cols])
    data["class"] = cls.astype(np.int64)
    data["class_label"] = [labels.get(c, str(c)) for c in cls.tolist()]
    if isinstance(result, HotspotGiStar):
        # Issue #12: Gi* sums a cell with its neighbours, so an empty cell beside busy ones can
        # be "hot"; never show one as a hot spot without saying so.
        data["note"] = [
            ZERO_HOT_NOTE if c > 0 and n == 0 else ""
            for c, n in zip(cls.tolist(), list(data["count"]), strict=True)
        ]
    data["_lon"] = np.round(rlon, _COORD_DECIMALS).tolist()
    data["_lat"] = np.round(rlat, _COORD_DECIMALS).tolist()
    return pl.DataFrame(data, strict=False)


def _with_output(
    stamp: dict[str, Any], result: HotspotResult, written: int, fmt: str
) -> dict[str, Any]:
    _, rule, _ = _selection(result)
    return {
        **stamp,
        "output": {
            "format": fmt,
            "cells_written": written,
            "cells_total": result.grid.n_cells,
            "cells_rule": rule,
        },
    }


def hotspot_geojson(
    result: HotspotResult, stamp: dict[str, Any], areas: AreaHierarchy | None = None
) -> dict[str, Any]:
    """The written cells as a GeoJSON FeatureCollection (EPSG:4326) with the stamp.

    The stamp, with an ``output`` part and the map's ``legend``, is the top-level ``"asbhub"``
    member. Each feature is a Polygon with the properties of :func:`cell_table`.
    """
    table = cell_table(result, areas)
    props = [c for c in table.columns if not c.startswith("_")]
    features = []
    for rec in table.iter_rows(named=True):
        ring = [[lo, la] for lo, la in zip(rec["_lon"], rec["_lat"], strict=True)]
        features.append(
            {
                "type": "Feature",
                "id": rec["cell_id"],
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {k: jsonable(rec[k]) for k in props},
            }
        )
    meta = _with_output(stamp, result, len(features), "geojson")
    meta["legend"] = legend_for(result)
    out: dict[str, Any] = {"type": "FeatureCollection", "asbhub": meta}
    if features:
        lons = np.concatenate([np.asarray(r) for r in table["_lon"].to_list()])
        lats = np.concatenate([np.asarray(r) for r in table["_lat"].to_list()])
        out["bbox"] = [float(lons.min()), float(lats.min()), float(lons.max()), float(lats.max())]
    out["features"] = features
    return out


def write_geojson(
    result: HotspotResult,
    path: Path | str,
    stamp: dict[str, Any],
    areas: AreaHierarchy | None = None,
) -> dict[str, Any]:
    """Write :func:`hotspot_geojson` to ``path``; returns the stamp's ``output`` part."""
    collection = hotspot_geojson(result, stamp, areas)
    with Path(path).open("w", encoding="utf-8") as fh:
        # allow_nan=False: NaN is not JSON, and QGIS would refuse the file.
        json.dump(collection, fh, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return collection["asbhub"]["output"]


def _wkt(lons: list[float], lats: list[float]) -> str:
    ring = ", ".join(
        f"{lo:.{_COORD_DECIMALS}f} {la:.{_COORD_DECIMALS}f}"
        for lo, la in zip(lons, lats, strict=True)
    )
    return f"POLYGON (({ring}))"


def csv_rows(
    result: HotspotResult, stamp: dict[str, Any], areas: AreaHierarchy | None = None
) -> list[list[Any]]:
    """The CSV as rows, header first: the properties of :func:`cell_table`, the cell as WKT
    (``geometry_wkt``, WGS84, which QGIS's delimited-text layer and Power BI map visuals
    read) and ``run_id``."""
    table = cell_table(result, areas)
    props = [c for c in table.columns if not c.startswith("_")]
    out: list[list[Any]] = [[*props, "geometry_wkt", "run_id"]]
    for rec in table.iter_rows(named=True):
        values = ["" if rec[k] is None else rec[k] for k in props]
        out.append([*values, _wkt(rec["_lon"], rec["_lat"]), stamp["run_id"]])
    return out


def write_csv(
    result: HotspotResult,
    path: Path | str,
    stamp: dict[str, Any],
    areas: AreaHierarchy | None = None,
) -> dict[str, Any]:
    """Write the cells as CSV (UTF-8, one row per cell) and the stamp beside it as
    ``PATH.json``; returns the stamp's ``output`` part."""
    path = Path(path)
    rows = csv_rows(result, stamp, areas)
    # utf-8-sig: Excel and Power BI then read the file as UTF-8 without being told.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        safe_writer(fh).writerows(rows)
    meta = _with_output(stamp, result, len(rows) - 1, "csv")
    meta["output"]["table"] = path.name
    meta["legend"] = legend_for(result)
    sidecar = path.with_name(path.name + ".json")
    sidecar.write_text(
        json.dumps(meta, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    return meta["output"]
