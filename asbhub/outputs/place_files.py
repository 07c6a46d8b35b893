"""Ranked places and patrol squares as GeoJSON, CSV and JSON, stamped like hot spot maps.

One table (:func:`place_rows`): a row per ranked place (``kind`` = ``place``, a map point or
street, located at its busiest map point) and per candidate patrol square (``kind`` =
``patrol_square``), busiest first in each. GeoJSON (EPSG:4326) carries the stamp as its
top-level ``"asbhub"`` member; a CSV has the stamp beside it as ``FILE.csv.json``, the
geometry as WKT and a ``run_id`` on every row, and is formula-injection safe
(:mod:`asbhub.outputs.csvsafe`): place descriptions are published text.

Pure: no Django and no database.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from asbhub.geo import from_bng
from asbhub.outputs.csvsafe import safe_writer
from asbhub.outputs.hotspot_files.stamp import ATTRIBUTION, jsonable

if TYPE_CHECKING:
    from asbhub.analysis.places import PatrolSquares, PlaceConcentration

__all__ = [
    "PLACE_COLUMNS",
    "PLACE_FORMATS",
    "place_summary",
    "places_geojson",
    "place_rows",
    "places_output_format",
    "places_stamp",
    "write_places",
]

#: The formats ``asbhub places --out`` writes, by file ending.
PLACE_FORMATS = {".geojson": "geojson", ".csv": "csv", ".json": "json"}

#: Columns of the table, besides ``geometry_wkt`` and ``run_id`` in a CSV.
PLACE_COLUMNS = (
    "kind",
    "rank",
    "label",
    "area",
    "records",
    "ci_low",
    "ci_high",
    "harm",
    "share",
    "cumulative_share",
    "map_points",
    "easting",
    "northing",
)

_DECIMALS = 6


def places_output_format(path: Path | str) -> str:
    """``'geojson'``, ``'csv'`` or ``'json'`` from a file's ending.

    Examples
    --------
    >>> places_output_format("top.csv")
    'csv'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in PLACE_FORMATS:
        raise ValueError(
            f"--out {path}: cannot tell the format from {suffix or 'no ending'!r}; name the "
            f"file with {', '.join(PLACE_FORMATS)}"
        )
    return PLACE_FORMATS[suffix]


def places_stamp(
    result: PlaceConcentration,
    squares: PatrolSquares | None,
    *,
    data: dict[str, Any],
    command: str,
    requested: dict[str, Any] | None = None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """What a places file was made from, JSON-ready, with the parts of a hot spot stamp
    (:func:`asbhub.outputs.make_stamp`) and a ``run_id``."""
    from asbhub import __version__

    when = (generated_at or datetime.now(UTC)).astimezone(UTC)
    parameters: dict[str, Any] = dict(result.parameters())
    if squares is not None:
        parameters["patrol_square_m"] = squares.size
        parameters["patrol_squares"] = int(squares.x0.size)
        parameters["patrol_rank_by"] = squares.rank_by
    stamp: dict[str, Any] = {
        "version": __version__,
        "generated_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "command": command,
        "method": "places",
        "method_name": "Places that concentrate records: map points or streets ranked with "
        "exact Poisson intervals, concentration, stability and patrol squares",
        "parameters": jsonable(parameters),
        "requested": jsonable(requested or {}),
        "seed": None,
        "data": {
            **jsonable(data),
            "records_with_place": result.n_records,
            "records_without_place": result.n_without_place,
        },
        "summary": place_summary(result),
        "crs": "EPSG:4326 (computed on EPSG:27700, British National Grid)",
        "attribution": ATTRIBUTION,
    }
    digest = hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()
    stamp["run_id"] = digest[:12]
    return stamp


def _num(v: float) -> float | None:
    return None if not math.isfinite(v) else round(float(v), _DECIMALS)


def place_summary(result: PlaceConcentration) -> dict[str, Any]:
    """Concentration and stability figures, JSON-ready."""
    out: dict[str, Any] = {
        "places_with_records": result.n_places,
        "universe": result.universe,
        "share_of_places_for_25pc": _num(result.share_for_25),
        "share_of_places_for_50pc": _num(result.share_for_50),
        "gini": _num(result.gini),
        "gini_generalized": _num(result.gini_generalized),
    }
    st = result.stability
    if st is not None:
        out["months"] = [
            {
                "month": m,
                "records": int(st.records[i]),
                "gini_generalized": _num(float(st.gini_generalized[i])),
                "spearman_with_next": _num(float(st.spearman[i])) if i < st.spearman.size else None,
                "top_retained_next": _num(float(st.top_retained[i]))
                if i < st.top_retained.size
                else None,
            }
            for i, m in enumerate(st.months)
        ]
    return out


def place_rows(
    result: PlaceConcentration, squares: PatrolSquares | None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The table: places busiest first (the first ``limit``), then patrol squares; each row
    with ``_geometry`` (GeoJSON, EPSG:4326) besides :data:`PLACE_COLUMNS`."""
    n = len(result.labels) if limit is None else min(limit, len(result.labels))
    lon, lat = from_bng(result.easting[:n], result.northing[:n])
    rows: list[dict[str, Any]] = []
    for i in range(n):
        rows.append(
            {
                "kind": result.level,
                "rank": i + 1,
                "label": result.labels[i],
                "area": result.areas[i],
                "records": int(result.counts[i]),
                "ci_low": _num(float(result.ci_low[i])),
                "ci_high": _num(float(result.ci_high[i])),
                "harm": None if result.harm is None else _num(float(result.harm[i])),
                "share": _num(float(result.share[i])),
                "cumulative_share": _num(float(result.cumulative_share[i])),
                "map_points": int(result.n_points[i]),
                "easting": round(float(result.easting[i]), 1),
                "northing": round(float(result.northing[i]), 1),
                "_geometry": {
                    "type": "Point",
                    "coordinates": [
                        round(float(lon[i]), _DECIMALS),
                        round(float(lat[i]), _DECIMALS),
                    ],
                },
            }
        )
    if squares is not None:
        s = squares.size
        for i in range(squares.x0.size):
            x0, y0 = float(squares.x0[i]), float(squares.y0[i])
            xs = np.array([x0, x0 + s, x0 + s, x0, x0])
            ys = np.array([y0, y0, y0 + s, y0 + s, y0])
            lo, la = from_bng(xs, ys)
            ring = [
                [round(float(a), _DECIMALS), round(float(b), _DECIMALS)]
                for a, b in zip(lo, la, strict=True)
            ]
            rows.append(
                {
                    "kind": "patrol_square",
                    "rank": i + 1,
                    "label": f"{s:g} m square at E {x0:.0f} N {y0:.0f}",
                    "area": "",
                    "records": int(squares.counts[i]),
                    "ci_low": _num(float(squares.ci_low[i])),
                    "ci_high": _num(float(squares.ci_high[i])),
                    "harm": None if squares.harm is None else _num(float(squares.harm[i])),
                    "share": _num(float(squares.share[i])),
                    "cumulative_share": _num(float(np.sum(squares.share[: i + 1]))),
                    "map_points": None,
                    "easting": x0 + s / 2,
                    "northing": y0 + s / 2,
                    "_geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            )
    return rows


def places_geojson(
    result: PlaceConcentration,
    squares: PatrolSquares | None,
    stamp: dict[str, Any],
    limit: int | None = None,
) -> dict[str, Any]:
    """A FeatureCollection: places as Points, patrol squares as Polygons, with the stamp."""
    features = [
        {
            "type": "Feature",
            "geometry": row["_geometry"],
            "properties": {k: row[k] for k in PLACE_COLUMNS},
        }
        for row in place_rows(result, squares, limit)
    ]
    return {
        "type": "FeatureCollection",
        "asbhub": {**stamp, "output": {"format": "geojson", "features": len(features)}},
        "features": features,
    }


def _wkt(geometry: dict[str, Any]) -> str:
    if geometry["type"] == "Point":
        lo, la = geometry["coordinates"]
        return f"POINT ({lo} {la})"
    ring = ", ".join(f"{lo} {la}" for lo, la in geometry["coordinates"][0])
    return f"POLYGON (({ring}))"


def write_places(
    result: PlaceConcentration,
    squares: PatrolSquares | None,
    path: Path | str,
    stamp: dict[str, Any],
    limit: int | None = None,
) -> dict[str, Any]:
    """Write the table to ``path`` in the format its ending names; returns what was written.

    ``.geojson``: :func:`places_geojson`. ``.csv``: the table with ``geometry_wkt`` and
    ``run_id``, the stamp beside it as ``PATH.json``. ``.json``: the stamp (with the summary)
    and the rows.
    """
    path = Path(path)
    fmt = places_output_format(path)
    rows = place_rows(result, squares, limit)
    if fmt == "geojson":
        doc = places_geojson(result, squares, stamp, limit)
        path.write_text(
            json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")),
            encoding="utf-8",
        )
    elif fmt == "csv":
        # utf-8-sig: Excel and Power BI then read the file as UTF-8 without being told.
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = safe_writer(fh)
            w.writerow([*PLACE_COLUMNS, "geometry_wkt", "run_id"])
            for row in rows:
                w.writerow(
                    [
                        *("" if row[k] is None else row[k] for k in PLACE_COLUMNS),
                        _wkt(row["_geometry"]),
                        stamp["run_id"],
                    ]
                )
        meta = {**stamp, "output": {"format": "csv", "rows": len(rows), "table": path.name}}
        path.with_name(path.name + ".json").write_text(
            json.dumps(meta, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
            encoding="utf-8",
        )
    else:
        doc = {
            "asbhub": stamp,
            "rows": [{k: r[k] for k in PLACE_COLUMNS} for r in rows],
        }
        path.write_text(
            json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
            encoding="utf-8",
        )
    return {"path": str(path), "format": fmt, "rows": len(rows)}
