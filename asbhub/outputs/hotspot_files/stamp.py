"""What every hot spot file carries: the stamp (:func:`make_stamp`), the attribution, the
method's name and the format a file name asks for."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from asbhub.analysis import (
    Grid,
    HotspotCount,
    HotspotEmerging,
    HotspotGiStar,
    HotspotKDE,
    HotspotResult,
    HotspotTrend,
)

if TYPE_CHECKING:
    pass


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


_METHOD_NAMES = {
    "gistar": "Getis-Ord Gi* hot and cold spots",
    "kde": "Kernel density",
    "count": "Counts per cell",
    "trends": "Hot spot trends (Mann-Kendall on Gi* z)",
}

# -- issue #16: emerging hot spots (asbhub.analysis.emerging): ArcGIS's 17 categories --------
_METHOD_NAMES["emerging"] = "Emerging hot spots (space-time Gi*, Mann-Kendall; ArcGIS categories)"


def method_of(result: HotspotResult) -> str:
    """``'gistar'``, ``'kde'``, ``'count'``, ``'trends'`` or ``'emerging'``."""
    if isinstance(result, HotspotEmerging):
        return "emerging"
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


def jsonable(value: Any) -> Any:
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
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
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
        if isinstance(result, HotspotEmerging) and f.name == "cube":
            out.update({k: v for k, v in result.parameters().items() if k != "periods"})
            continue
        if isinstance(value, np.ndarray):
            continue
        out[f.name] = jsonable(value)
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
        "requested": jsonable(requested or {}),
        "seed": seed,
        "data": {
            **jsonable(data),
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
