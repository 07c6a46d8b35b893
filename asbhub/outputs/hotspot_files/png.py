"""PNG maps of a hot spot result, with LPU outlines, a legend and the stamp in words.

matplotlib is imported here only, and only inside the functions that draw."""

from __future__ import annotations

import json
import math
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from asbhub.analysis import (
    HotspotEmerging,
    HotspotGiStar,
    HotspotKDE,
    HotspotResult,
    HotspotTrend,
)
from asbhub.domain.months import month_range_label
from asbhub.outputs.hotspot_files.legend import legend_for
from asbhub.outputs.hotspot_files.stamp import _METHOD_NAMES, ATTRIBUTION
from asbhub.outputs.hotspot_files.vector import _selection, _with_output

if TYPE_CHECKING:
    import shapely

    from asbhub.geo import AreaHierarchy


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
    if isinstance(result, HotspotEmerging):
        c = result.cube
        method.append(
            f"Space-time Gi*: band {c.band:.0f} m and {c.time_steps} preceding "
            f"{result.period}(s); bins significant at {c.confidence:.0%} "
            + ("(Benjamini-Hochberg FDR)" if c.fdr else "(no FDR correction)")
            + f"; Mann-Kendall trend at p \u2264 {c.trend_alpha:g} over {result.n_periods} "
            f"{result.period}s; {c.share:.0%} rule; ArcGIS Pro's categories."
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
    # Emerging hot spots (issue #16) have 17 classes: four columns keep the key short.
    return handles, 4 if len(handles) > 12 else 3 if len(handles) > 6 else 2


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
