"""Hotspot results as files for QGIS, Power BI and reports: GeoJSON, CSV and PNG maps.

Every file carries a *stamp* (:func:`make_stamp`): the asbhub version, when and by what command
it was made, the method and every parameter the analysis reports (including the ones it chose
itself), the seed (``None``: nothing here is random) and the data (file names with SHA-256
digests, or the store and the loads behind it; the filters; the months covered; the points
used and left out). The same stamp goes

- into GeoJSON as the top-level ``"asbhub"`` member (RFC 7946 allows foreign members; QGIS and
  GDAL ignore it, and a reader of the file finds it at the top),
- beside a CSV as ``PATH.json`` (e.g. ``hot.csv.json``), because Power BI and Excel read a
  CSV as one table and would take comment lines or a header block for data. Every CSV row
  has a ``run_id`` column equal to the stamp's ``run_id``, so runs appended into one Power BI
  table can still be told apart and joined to their stamps,
- into the footer of a PNG map, in words.

Cells are written where something is: a count above zero or a non-zero class (Gi*), a count
above zero (counts), a density of at least 1% of the peak (KDE), any count or a trend category
(trends). The stamp's ``output`` part says which rule applied and how many cells of the
lattice were written (``cells_written``, ``cells_total``).

Each cell is a Polygon in WGS84 (EPSG:4326): the four corners of the square British National
Grid cell projected with :func:`asbhub.geo.from_bng` (a square on the grid is a slightly skewed
quadrilateral in longitude and latitude; that is correct, not an error), ring
counter-clockwise as RFC 7946 asks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import textwrap
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from asbhub.analysis import (
    TREND_CATEGORIES,
    Grid,
    HotspotCount,
    HotspotGiStar,
    HotspotKDE,
    HotspotResult,
    HotspotTrend,
)
from asbhub.domain.months import month_range_label
from asbhub.geo import from_bng
from asbhub.outputs.csvsafe import safe_writer

if TYPE_CHECKING:
    import shapely

    from asbhub.geo import AreaHierarchy

__all__ = [
    "ATTRIBUTION",
    "OUTPUT_FORMATS",
    "PNG_SIZE",
    "cell_table",
    "csv_rows",
    "describe_data",
    "hotspot_geojson",
    "legend_for",
    "lpu_outlines_bng",
    "make_stamp",
    "method_of",
    "output_format",
    "write_csv",
    "write_geojson",
    "write_outputs",
    "write_png",
]

#: Attribution every output carries: the incident data and the boundaries drawn with it.
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(data.police.uk). Boundaries: Source: Office for National Statistics licensed under the "
    "Open Government Licence v3.0. Contains OS data \u00a9 Crown copyright and database right "
    "2025."
)

#: File name endings and the format each is written in.
OUTPUT_FORMATS = {".geojson": "geojson", ".json": "geojson", ".csv": "csv", ".png": "png"}

# KDE cells below this share of the peak are left out: near-white on any map, and at a
# force-wide bandwidth they would be most of the lattice.
KDE_MIN_SHARE = 0.01
# Six decimal places of a degree is about 0.1 m: well inside the 1 m a cell corner must keep.
_COORD_DECIMALS = 6

# Colours: ColorBrewer RdBu for Gi* (diverging, safe for the common colour-vision deficiencies,
# and the scheme GIS users know for hot and cold spots); YlOrRd for counts and density; Paul
# Tol's "muted" qualitative scheme (designed for colour-blind readers) for trend categories.
_GISTAR_COLOURS = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    0: "#e0e0e0",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}
_SEQUENTIAL = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
_TREND_COLOURS = {
    "no pattern": "#e0e0e0",
    "new": "#ddcc77",
    "emerging": "#cc6677",
    "intensifying": "#882255",
    "persistent": "#aa4499",
    "diminishing": "#88ccee",
    "sporadic": "#999933",
    "former": "#44aa99",
}
_METHOD_NAMES = {
    "gistar": "Getis-Ord Gi* hot and cold spots",
    "kde": "Kernel density",
    "count": "Counts per cell",
    "trends": "Hot spot trends (Mann-Kendall on Gi* z)",
}


def method_of(result: HotspotResult) -> str:
    """``'gistar'``, ``'kde'``, ``'count'`` or ``'trends'``."""
    if isinstance(result, HotspotGiStar):
        return "gistar"
    if isinstance(result, HotspotKDE):
        return "kde"
    if isinstance(result, HotspotTrend):
        return "trends"
    if isinstance(result, HotspotCount):
        return "count"
    raise TypeError(f"not a hotspot result: {type(result).__name__}")


def output_format(path: Path | str) -> str:
    """The format a file name asks for, from its ending.

    Raises
    ------
    ValueError
        For any other ending, listing the ones understood.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ValueError(
            f"{path}: cannot tell the format from {suffix or 'no ending'!r}; "
            f"name the file with one of {', '.join(OUTPUT_FORMATS)}"
        )
    return OUTPUT_FORMATS[suffix]


# --------------------------------------------------------------------------------------------
# The stamp
# --------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Grid):
        return {
            "x0": value.x0,
            "y0": value.y0,
            "cell_size": value.cell_size,
            "nx": value.nx,
            "ny": value.ny,
            "epsg": value.epsg,
        }
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def result_parameters(result: HotspotResult) -> dict[str, Any]:
    """Every scalar parameter the result reports (cell size and its rule, extent rule, band,
    bandwidth, kernel, FDR, confidence levels, ...), JSON-ready; arrays are left out."""
    out: dict[str, Any] = {"cell_size": result.cell_size}
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if f.name in ("excluded_indices", "n_points_used"):
            continue
        if f.name == "periods":
            out["periods"] = [str(p)[:7] for p in np.asarray(value).astype("datetime64[M]")]
            continue
        if isinstance(value, np.ndarray):
            continue
        out[f.name] = _jsonable(value)
    return out


def make_stamp(
    result: HotspotResult,
    *,
    data: dict[str, Any],
    command: str,
    seed: int | None = None,
    requested: dict[str, Any] | None = None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """What a file was made from, JSON-ready (see the module notes).

    Parameters
    ----------
    result : HotspotResult
    data : dict
        :meth:`asbhub.analysis_inputs.PointSet.data_stamp`: the source, filters, months
        covered and records, with ``records_without_coordinates``.
    command : str
        The command line (or the web request) that made it.
    seed : int, optional
        None: hotspot counts, KDE, Gi* and trends involve no randomness.
    requested : dict, optional
        Settings as asked for, besides what the result reports (e.g. harm weights).
    generated_at : datetime, optional
        Default now (UTC).

    Returns
    -------
    dict
        ``version``, ``generated_at``, ``command``, ``method``, ``method_name``,
        ``parameters``, ``requested``, ``seed``, ``data`` (with ``n_points_used``,
        ``n_points_excluded``, ``excluded_without_coordinates``,
        ``excluded_strays_or_outside``), ``attribution`` and ``run_id`` (the first 12 hex
        digits of the SHA-256 of the rest).
    """
    from asbhub import __version__

    method = method_of(result)
    when = (generated_at or datetime.now(UTC)).astimezone(UTC)
    without = int(data.get("records_without_coordinates", 0))
    stamp: dict[str, Any] = {
        "version": __version__,
        "generated_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "command": command,
        "method": method,
        "method_name": _METHOD_NAMES[method],
        "parameters": result_parameters(result),
        "requested": _jsonable(requested or {}),
        "seed": seed,
        "data": {
            **_jsonable(data),
            "n_points_used": result.n_points_used,
            "n_points_excluded": result.n_points_excluded,
            "excluded_without_coordinates": without,
            "excluded_strays_or_outside": result.n_points_excluded - without,
        },
        "crs": "EPSG:4326 (cells computed on EPSG:27700, British National Grid)",
        "attribution": ATTRIBUTION,
    }
    digest = hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()
    stamp["run_id"] = digest[:12]
    return stamp


# --------------------------------------------------------------------------------------------
# Legends: one definition of classes and colours for the PNG, the web map and the files
# --------------------------------------------------------------------------------------------


def _nice_breaks(low: float, high: float) -> list[float]:
    """1-2-5 series edges from the one at or below ``low`` to the one above ``high``."""
    k = math.floor(math.log10(low))
    edges: list[float] = []
    while True:
        for m in (1.0, 2.0, 5.0):
            e = m * 10.0**k
            if e <= low * (1 + 1e-12):
                edges = [e]
            elif edges:
                edges.append(e)
                if e > high:
                    return edges
        k += 1


def _count_legend(values: NDArray[np.float64], weighted: bool) -> list[dict[str, Any]]:
    positive = values[values > 0]
    if positive.size == 0:
        return []
    edges = _nice_breaks(float(positive.min()), float(positive.max()))
    # Keep five classes at most, merging the lowest: the busy end is what the map is for.
    while len(edges) - 1 > len(_SEQUENTIAL):
        edges.pop(1)
    # Fewer classes take the darker end of the ramp, so a lone class is not near-white.
    colours = _SEQUENTIAL[len(_SEQUENTIAL) - (len(edges) - 1) :]
    out = []
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        last = i == len(edges) - 2
        if not weighted and float(lo).is_integer() and float(hi).is_integer():
            top = int(hi) - 1
            label = (
                f"{int(lo)} or more"
                if last
                else (f"{int(lo)}" if top == int(lo) else f"{int(lo)}\u2013{top}")
            )
        else:
            label = f"{lo:g} or more" if last else f"{lo:g} to under {hi:g}"
        out.append(
            {
                "class": i + 1,
                "min": lo,
                "max": None if last else hi,
                "label": label,
                "colour": colours[i],
            }
        )
    return out


def legend_for(result: HotspotResult) -> dict[str, Any]:
    """The classes a map of ``result`` is coloured by.

    Returns
    -------
    dict
        ``title`` and ``entries``: one ``{class, label, colour}`` per class (with ``min`` and
        ``max`` for counts and density), in the order a key lists them. Every written cell has
        a ``class`` property equal to one entry's ``class``.
    """
    if isinstance(result, HotspotGiStar):
        levels = result.confidence_levels
        entries = []
        for code in range(len(levels), -len(levels) - 1, -1):
            if code == 0:
                label = "Not significant"
            else:
                kind = "Hot spot" if code > 0 else "Cold spot"
                label = f"{kind}, {levels[abs(code) - 1] * 100:g}% confidence"
            entries.append(
                {
                    "class": code,
                    "label": label,
                    "colour": _GISTAR_COLOURS.get(code, _GISTAR_COLOURS[0]),
                }
            )
        basis = "FDR-corrected" if result.fdr else "uncorrected"
        return {"title": f"Gi* class ({basis} p-values)", "entries": entries}
    if isinstance(result, HotspotTrend):
        noun = "hot spot" if result.kind == "hot" else "cold spot"
        entries = []
        for code in (1, 2, 3, 4, 5, 6, 7, 0):
            name = TREND_CATEGORIES[code]
            label = "No pattern" if code == 0 else f"{name.capitalize()} {noun}"
            entries.append({"class": code, "label": label, "colour": _TREND_COLOURS[name]})
        return {
            "title": f"Trend of each cell over {result.n_periods} {result.period}s",
            "entries": entries,
        }
    if isinstance(result, HotspotKDE):
        peak = float(result.density.max())
        entries = []
        shares = (KDE_MIN_SHARE, 0.2, 0.4, 0.6, 0.8, None)
        for i, (lo, hi) in enumerate(zip(shares[:-1], shares[1:], strict=True)):
            hi_label = f"{hi * 100:g}%" if hi else "100%"
            entries.append(
                {
                    "class": i + 1,
                    "min": lo * peak,
                    "max": hi * peak if hi else None,
                    "label": f"{lo * 100:g}\u2013{hi_label} of peak "
                    f"({lo * peak:.3g}\u2013{(hi or 1.0) * peak:.3g} per km\u00b2)",
                    "colour": _SEQUENTIAL[i],
                }
            )
        return {"title": f"Density ({result.units})", "entries": entries}
    if isinstance(result, HotspotCount):
        what = "Total weight" if result.weighted else "Records"
        return {
            "title": f"{what} per {result.cell_size:g} m cell",
            "entries": _count_legend(np.asarray(result.counts), result.weighted),
        }
    raise TypeError(f"not a hotspot result: {type(result).__name__}")


def _classes_of(values: NDArray[np.float64], entries: list[dict[str, Any]]) -> NDArray[np.int8]:
    """Class of each value from legend ranges; 0 below the first."""
    out = np.zeros(values.shape, dtype=np.int8)
    for e in entries:
        out[values >= e["min"] * (1 - 1e-12)] = e["class"]
    return out


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
    elif isinstance(result, HotspotKDE):
        density = np.asarray(result.density)[rows, cols]
        peak = float(np.asarray(result.density).max()) or 1.0
        data["density"] = _round_sig(density)
        data["density_share"] = np.round(density / peak, 4)
    else:
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
                "properties": {k: _jsonable(rec[k]) for k in props},
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


# --------------------------------------------------------------------------------------------
# Area outlines for the PNG
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _outlines(folder: str) -> dict[str, shapely.Geometry]:
    import shapely
    from shapely.geometry import shape

    from asbhub.geo import AreaHierarchy

    path = Path(folder) / "lsoa_bng.geojson"
    if not path.is_file():
        return {}
    areas = AreaHierarchy.load(folder)
    lpu_of = dict(zip(areas.lsoa["lsoa_code"].to_list(), areas.lsoa["lpu"].to_list(), strict=True))
    with path.open(encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    parts: dict[str, list[Any]] = {}
    for f in features:
        lpu = lpu_of.get((f.get("properties") or {}).get("lsoa_code"))
        if lpu:
            parts.setdefault(lpu, []).append(shape(f["geometry"]))
    return {name: shapely.union_all(parts[name]) for name in sorted(parts)}


def lpu_outlines_bng(areas: AreaHierarchy) -> dict[str, shapely.Geometry]:
    """Each LPU's outline on British National Grid, dissolved from the LSOA polygons in the
    areas folder (empty if it has none). Read once per folder and process."""
    return _outlines(str(areas.folder))


# --------------------------------------------------------------------------------------------
# Writing several files
# --------------------------------------------------------------------------------------------


def write_outputs(
    result: HotspotResult,
    paths: list[Path],
    stamp: dict[str, Any],
    areas: AreaHierarchy | None = None,
    title: str | None = None,
    outlines: dict[str, shapely.Geometry] | None = None,
) -> list[dict[str, Any]]:
    """Write each file in the format its name asks for; returns each file's ``output`` part
    with its ``path``. Every name is checked before anything is written."""
    formats = [output_format(p) for p in paths]
    done = []
    for path, fmt in zip(paths, formats, strict=True):
        if fmt == "geojson":
            info = write_geojson(result, path, stamp, areas)
        elif fmt == "csv":
            info = write_csv(result, path, stamp, areas)
        else:
            info = write_png(result, path, stamp, outlines, title=title)
        done.append({"path": str(path), **info})
    return done


# --------------------------------------------------------------------------------------------
# PNG maps
# --------------------------------------------------------------------------------------------

#: Size of a PNG map in pixels (width, height): A4-ish portrait at 150 dpi, which suits a
#: force or an LPU and prints sharply in a report.
PNG_SIZE = (1500, 1800)
PNG_DPI = 150


def describe_data(stamp: dict[str, Any]) -> str:
    """What was mapped, in words: ``'Anti-social behaviour, January 2019, LPU Erewash'``."""
    data = stamp.get("data", {})
    filters = data.get("filters") or {}
    types = filters.get("crime_types")
    what = ", ".join(types) if types else "All crime and ASB"
    months = filters.get("months") or (
        [data["months_covered"][0], data["months_covered"][-1]]
        if data.get("months_covered")
        else None
    )
    parts = [what]
    if months:
        first, last = months
        parts.append(month_range_label(first, last))
    if filters.get("lpu"):
        parts.append(f"{filters['lpu']} LPU")
    if filters.get("snt"):
        parts.append(f"SNT {filters['snt']}")
    return ", ".join(parts)


def _parameter_lines(result: HotspotResult, stamp: dict[str, Any]) -> list[str]:
    """The footer of a PNG: method and parameters, data, provenance."""
    prm = stamp["parameters"]
    data = stamp["data"]
    rule = prm.get("cell_size_rule", "")
    method = [
        f"Method: {stamp['method_name']}.",
        f"Cell {prm['cell_size']:g} m ({'given' if rule == 'given' else rule}).",
    ]
    if isinstance(result, HotspotGiStar | HotspotTrend):
        levels = (
            result.confidence_levels if isinstance(result, HotspotGiStar) else (result.confidence,)
        )
        method.append(
            f"Band {result.band:.0f} m (cells within it are neighbours, the cell "
            f"itself included); confidence {'/'.join(f'{c:.0%}' for c in levels)}, "
            + ("Benjamini-Hochberg FDR-corrected." if result.fdr else "no FDR correction.")
        )
    if isinstance(result, HotspotTrend):
        method.append(
            f"Mann-Kendall trend at p \u2264 {result.trend_alpha:g} over "
            f"{result.n_periods} {result.period}s."
        )
    if isinstance(result, HotspotKDE):
        method.append(
            f"{result.kernel.capitalize()} kernel, bandwidth {result.bandwidth:.0f} m "
            f"({result.bandwidth_rule})."
        )
    if result.weighted:
        method.append("Harm-weighted.")
    source = data.get("kind")
    if source == "files":
        files = data.get("files", [])
        src = f"{len(files)} data.police.uk file{'s' if len(files) != 1 else ''}"
    else:
        src = f"the asbhub store ({data.get('url', '')})"
    return [
        " ".join(method),
        f"Data: {data['records_matching']:,} records from {src}; {data['n_points_used']:,} "
        f"mapped, {data['n_points_excluded']:,} left out ({data['excluded_without_coordinates']:,}"
        f" without coordinates, {data['excluded_strays_or_outside']:,} strays far from the rest)."
        f" Extent: {prm.get('extent_rule', '')}.",
        f"Made by asbhub {stamp['version']} at {stamp['generated_at']}, run {stamp['run_id']}; "
        "no randomness (seed: none). Command: " + stamp["command"],
        ATTRIBUTION,
    ]


def _rgba_image(result: HotspotResult) -> NDArray[np.float64]:
    from matplotlib.colors import to_rgba

    keep, _, classes = _selection(result)
    img = np.zeros((*result.grid.shape, 4))
    for entry in legend_for(result)["entries"]:
        mask = keep & (classes == entry["class"])
        img[mask] = to_rgba(entry["colour"])
    return img


def _nice_length(target: float) -> float:
    exponent = math.floor(math.log10(target))
    return max(m * 10.0**exponent for m in (1, 2, 5) if m * 10.0**exponent <= target)


def _draw_outlines(ax: Any, outlines: dict[str, shapely.Geometry], view: tuple[float, ...]) -> bool:
    import matplotlib.patheffects as pe
    import shapely

    box = shapely.box(*view)
    shown = {name: geom for name, geom in outlines.items() if geom.intersects(box)}
    for geom in shown.values():
        for poly in getattr(geom, "geoms", [geom]):
            for ring in (poly.exterior, *poly.interiors):
                x, y = ring.xy
                ax.plot(x, y, color="#0b0c0c", linewidth=0.9, zorder=3)
    # Where the labels land on the page is known only once the view and aspect are fixed.
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.apply_aspect()
    # Big areas name themselves first; a small one whose name would overlap a placed name
    # goes without (Derby's four city LPUs at force scale), as on the web map.
    renderer = ax.figure.canvas.get_renderer()
    placed: list[Any] = []
    for name, geom in sorted(shown.items(), key=lambda kv: -kv[1].intersection(box).area):
        spot = geom.intersection(box).representative_point()
        label = ax.text(
            spot.x,
            spot.y,
            name,
            fontsize=7.5,
            ha="center",
            va="center",
            zorder=4,
            color="#0b0c0c",
            path_effects=[pe.withStroke(linewidth=2.5, foreground="white")],
        )
        extent = label.get_window_extent(renderer)
        if any(extent.overlaps(other) for other in placed):
            label.remove()
        else:
            placed.append(extent)
    return bool(shown)


def _legend_handles(result: HotspotResult, has_outlines: bool) -> tuple[list[Any], int]:
    """Key entries and columns. Gi*: hot spots in the first column, cold in the last, the
    neutral entries between, so the key reads like the diverging scale it is."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    def patch(e: dict[str, Any]) -> Patch:
        return Patch(facecolor=e["colour"], edgecolor="#505a5f", linewidth=0.5, label=e["label"])

    entries = legend_for(result)["entries"]
    boundary = Line2D([], [], color="#0b0c0c", linewidth=0.9, label="Local Policing Unit boundary")
    blank = Patch(facecolor="none", edgecolor="none", label="")
    if isinstance(result, HotspotGiStar):
        k = len(result.confidence_levels)
        hot = [patch(e) for e in entries[:k]]
        cold = [patch(e) for e in reversed(entries[k + 1 :])]
        middle = [patch(entries[k])] + ([boundary] if has_outlines else [])
        middle += [blank] * (k - len(middle))
        return hot + middle + cold, 3
    handles = [patch(e) for e in entries] + ([boundary] if has_outlines else [])
    return handles, 3 if len(handles) > 6 else 2


def write_png(
    result: HotspotResult,
    path: Path | str,
    stamp: dict[str, Any],
    outlines: dict[str, shapely.Geometry] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """A map of the cells for reports, :data:`PNG_SIZE` pixels, drawn with matplotlib (Agg).

    Cells are coloured by :func:`legend_for` (Gi* class, trend category, or count or density
    class) on British National Grid, under the LPU ``outlines`` (see
    :func:`lpu_outlines_bng`) where they fall in view, with a key, a scale bar, and a footer
    giving the parameters, the data, the run and the attribution. The full stamp is also
    stored in the PNG's ``Description`` text chunk.

    Returns
    -------
    dict
        The stamp's ``output`` part for this file.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    g = result.grid
    ext = g.extent
    pad = 0.03 * max(ext.width, ext.height)
    view = (ext.xmin - pad, ext.ymin - pad, ext.xmax + pad, ext.ymax + pad)
    fig = Figure(figsize=(PNG_SIZE[0] / PNG_DPI, PNG_SIZE[1] / PNG_DPI), dpi=PNG_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.03, 0.225, 0.94, 0.685))
    ax.set_facecolor("white")
    ax.set_aspect("equal", adjustable="box")
    ax.imshow(
        _rgba_image(result),
        origin="lower",
        extent=(ext.xmin, ext.xmax, ext.ymin, ext.ymax),
        interpolation="nearest",
        zorder=2,
    )
    has_outlines = bool(outlines) and _draw_outlines(ax, outlines or {}, view)
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("#b1b4b6")

    # Scale bar and north arrow, in the lower-left and upper-right corners of the view.
    length = _nice_length((view[2] - view[0]) / 5)
    x0, y0 = view[0] + pad * 0.6, view[1] + pad * 0.6
    ax.plot(
        [x0, x0 + length], [y0, y0], color="#0b0c0c", linewidth=3, zorder=5, solid_capstyle="butt"
    )
    ax.text(
        x0 + length / 2,
        y0 + pad * 0.25,
        f"{length / 1000:g} km",
        ha="center",
        va="bottom",
        fontsize=8,
        zorder=5,
    )
    ax.annotate(
        "N",
        xy=(0.97, 0.97),
        xytext=(0.97, 0.90),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "#0b0c0c"},
    )

    legend = legend_for(result)
    handles, ncol = _legend_handles(result, has_outlines)
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.215),
        ncol=ncol,
        frameon=False,
        fontsize=9,
        title=legend["title"],
        title_fontsize=9.5,
        columnspacing=2.5,
    )

    heading = title or f"{_METHOD_NAMES[stamp['method']]}"
    fig.text(0.03, 0.975, heading, fontsize=17, fontweight="bold", va="top")
    fig.text(0.03, 0.935, describe_data(stamp), fontsize=12, va="top", color="#0b0c0c")
    footer = "\n".join(
        textwrap.fill(line, 165, break_on_hyphens=False) for line in _parameter_lines(result, stamp)
    )
    fig.text(0.03, 0.105, footer, fontsize=7, va="top", color="#0b0c0c", linespacing=1.35)

    info = _with_output(stamp, result, int(_selection(result)[0].sum()), "png")
    fig.savefig(
        path,
        dpi=PNG_DPI,
        format="png",
        metadata={
            "Title": f"{heading}: {describe_data(stamp)}",
            "Software": f"asbhub {stamp['version']}",
            "Copyright": ATTRIBUTION,
            "Description": json.dumps(info, ensure_ascii=False, allow_nan=False),
        },
    )
    return info["output"]
