"""Legends: one definition of the classes and colours for the PNG, the web map and the
files (ColorBrewer and Paul Tol schemes, safe for colour-blind readers)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
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
from asbhub.outputs.hotspot_files.stamp import KDE_MIN_SHARE

if TYPE_CHECKING:
    pass
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


# Issue #16: emerging hot spots' 17 categories (asbhub.analysis.emerging).
_EMERGING_COLOURS = {
    0: "#e0e0e0",  # no pattern
    1: "#fdd49e",  # new
    2: "#fdbb84",  # consecutive
    3: "#b30000",  # intensifying
    4: "#e34a33",  # persistent
    5: "#fc8d59",  # diminishing
    6: "#fee8c8",  # sporadic
    7: "#c994c7",  # oscillating
    8: "#bcbddc",  # historical
    9: "#c6dbef",
    10: "#9ecae1",
    11: "#08519c",
    12: "#3182bd",
    13: "#6baed6",
    14: "#deebf7",
    15: "#a6bddb",
    16: "#d0d1e6",
}


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
    if isinstance(result, HotspotEmerging):
        entries = [
            {
                "class": code,
                "label": EMERGING_CATEGORIES[code].capitalize(),
                "colour": _EMERGING_COLOURS[code],
            }
            for code in (*range(1, 17), 0)
        ]
        return {
            "title": f"Emerging hot and cold spots over {result.n_periods} {result.period}s",
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
