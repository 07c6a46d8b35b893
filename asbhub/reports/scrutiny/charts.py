"""The scrutiny report's figures, drawn straight to SVG: a line chart of counts by month and a
hot spot map (a PNG of the cells under LPU outlines, labels and a scale bar).

Why not matplotlib, as the hotspot command's PNG uses: importing and drawing it cost more than
the rest of the report together (measured by ``python -m bench report``), and its SVG writes
every glyph as a path, which WeasyPrint then draws node by node. These figures are a few
dozen elements each, text stays text (searchable, read by screen readers, sharp in print), and
the same inputs give the same bytes, so a rebuilt report is byte for byte the same.

Colours never carry meaning alone: the chart's series differ by line style and are named in a
key; the map's classes are named in a key beside it (:attr:`Chart.legend`) and counted in the
section's table.
"""

from __future__ import annotations

import base64
import io
import json
import math
from functools import lru_cache
from html import escape
from typing import Any

import numpy as np
import shapely

from asbhub.analysis.tables import month_label
from asbhub.geo import AreaHierarchy
from asbhub.reports.scrutiny.model import Chart

__all__ = ["hotspot_map", "line_chart", "lpu_outlines", "lsoa_polygons"]

#: Line colours and dash patterns of the chart's series, in order (GOV.UK blue and red).
SERIES_STYLES = (("#1d70b8", ""), ("#d4351c", "6 3"), ("#00703c", "2 2"))
#: Width of the map in SVG pixels; the raster of cells is scaled up to about this width.
MAP_WIDTH = 640
#: The tallest the map is shown (CSS pixels; 520 is about 138 mm): a tall force fits a page.
MAP_MAX_HEIGHT = 520


def _n(value: float) -> str:
    """A coordinate to one decimal, without a trailing ``.0``: short and the same every run."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * 10.0**exponent >= value:
            return m * 10.0**exponent
    return 10.0 ** (exponent + 1)


# --------------------------------------------------------------------------------------------
# Line chart of counts by month
# --------------------------------------------------------------------------------------------


def line_chart(
    months: list[str], series: dict[str, list[int]], title: str = "Records by month"
) -> Chart:
    """Counts by month as an SVG line chart, one line per series (at most three).

    Parameters
    ----------
    months : list of str
        ``YYYY-MM``, in order; a month missing from the data is simply not in the list.
    series : dict
        Name -> one count per month.

    Returns
    -------
    Chart
        ``svg`` set; ``alt`` lists every value, for screen readers.
    """
    if len(series) > len(SERIES_STYLES):
        raise ValueError(f"a chart takes at most {len(SERIES_STYLES)} series, got {len(series)}")
    width, height = 640, 250
    left, right, top, bottom = 48, 12, 30, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((v for vals in series.values() for v in vals), default=0)
    y_max = _nice_ceiling(peak * 1.05)
    n = len(months)

    def px(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n if n else 0)

    def py(v: float) -> float:
        return top + plot_h * (1 - v / y_max)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="DejaVu Sans, Arial, sans-serif" '
        'font-size="10">'
    ]
    for k in range(5):
        v = y_max * k / 4
        y = _n(py(v))
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y}" y2="{y}" '
            f'stroke="{"#0b0c0c" if k == 0 else "#dddddd"}" stroke-width="0.8"/>'
        )
        out.append(f'<text x="{left - 5}" y="{y}" text-anchor="end" dy="3.5">{v:,.0f}</text>')
    step = max(1, math.ceil(n / 12))
    for i in range(0, n, step):
        x = _n(px(i))
        out.append(
            f'<text x="{x}" y="{top + plot_h + 8}" text-anchor="end" '
            f'transform="rotate(-45 {x} {top + plot_h + 8})">'
            f"{escape(month_label(months[i]))}</text>"
        )
    for j, (name, values) in enumerate(series.items()):
        colour, dash = SERIES_STYLES[j]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = " ".join(f"{_n(px(i))},{_n(py(v))}" for i, v in enumerate(values))
        if len(values) > 1:
            out.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="1.8"{dash_attr}/>'
            )
        out.extend(
            f'<circle cx="{_n(px(i))}" cy="{_n(py(v))}" r="2.6" fill="{colour}"/>'
            for i, v in enumerate(values)
        )
        lx = left + 190 * j
        out.append(
            f'<line x1="{lx}" x2="{lx + 28}" y1="12" y2="12" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
        )
        out.append(f'<text x="{lx + 34}" y="12" dy="3.5">{escape(name)}</text>')
    out.append("</svg>")
    alt = "; ".join(
        f"{name}: "
        + ", ".join(f"{month_label(m)} {v:,}" for m, v in zip(months, vals, strict=True))
        for name, vals in series.items()
    )
    return Chart(title, alt, svg="".join(out))


# --------------------------------------------------------------------------------------------
# Area outlines, read once per process
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _lsoa_polygons(folder: str) -> dict[str, Any]:
    path = AreaHierarchy.load(folder).folder / "lsoa_bng.geojson"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    codes = [(f.get("properties") or {}).get("lsoa_code") for f in features]
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    return {c: g for c, g in zip(codes, geoms, strict=True) if c}


def lsoa_polygons(areas: AreaHierarchy) -> dict[str, Any]:
    """Each LSOA's polygon on British National Grid, from the areas folder (empty if it has
    none); read once per folder and process."""
    return _lsoa_polygons(str(areas.folder))


@lru_cache(maxsize=4)
def _lpu_outlines(folder: str) -> dict[str, Any]:
    areas = AreaHierarchy.load(folder)
    polygons = _lsoa_polygons(folder)
    parts: dict[str, list[Any]] = {}
    for code, lpu in areas.lsoa.select("lsoa_code", "lpu").iter_rows():
        if code in polygons:
            parts.setdefault(lpu, []).append(polygons[code])
    # LSOAs tile the force without overlaps, so the coverage union (edges shared by two
    # polygons dropped) gives the same outline as a general union, some ten times faster.
    return {name: shapely.coverage_union_all(parts[name]) for name in sorted(parts)}


def lpu_outlines(areas: AreaHierarchy) -> dict[str, Any]:
    """Each LPU's outline on British National Grid, dissolved from the LSOA polygons of the
    areas folder (empty if it has none); computed once per folder and process."""
    return _lpu_outlines(str(areas.folder))


# --------------------------------------------------------------------------------------------
# Hot spot map
# --------------------------------------------------------------------------------------------


def _cells_png(rgb: np.ndarray) -> str:
    from PIL import Image

    buf = io.BytesIO()
    # Flat colours compress well at the lowest level; higher levels cost time for little.
    # RGB on a white ground, not RGBA: a PDF then needs no soft mask for the image.
    Image.fromarray(rgb, "RGB").save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _ring_path(coords: np.ndarray, x0: float, y1: float, s: float) -> str:
    pts = [f"{_n((x - x0) * s)},{_n((y1 - y) * s)}" for x, y in coords]
    return "M" + " L".join(pts) + " Z"


def hotspot_map(
    classes: np.ndarray,
    keep: np.ndarray,
    extent: tuple[float, float, float, float],
    colours: list[tuple[int, str, str]],
    outlines: dict[str, Any],
    *,
    title: str,
    alt: str,
) -> Chart:
    """Cells coloured by class, under the outlines of the areas in view, as SVG.

    Parameters
    ----------
    classes : ndarray of int, shape ``(ny, nx)``
        Each cell's class; row 0 is the southern edge (as :class:`asbhub.analysis.grid.Grid`).
    keep : ndarray of bool, shape ``(ny, nx)``
        Cells to colour; the others are left clear.
    extent : (xmin, ymin, xmax, ymax)
        Of the grid, in British National Grid metres.
    colours : list of (class, colour, label)
        The key, in the order it is listed.
    outlines : dict
        Area name -> shapely geometry on British National Grid (:func:`lpu_outlines`).
    title, alt : str

    Returns
    -------
    Chart
        ``svg`` set, and ``legend`` naming every class with its count of cells.
    """
    ny, nx = classes.shape
    xmin, ymin, xmax, ymax = extent
    pad = 0.03 * max(xmax - xmin, ymax - ymin)
    vx0, vy0, vx1, vy1 = xmin - pad, ymin - pad, xmax + pad, ymax + pad
    s = MAP_WIDTH / (vx1 - vx0)
    width, height = MAP_WIDTH, (vy1 - vy0) * s

    palette = np.zeros((len(colours), 3), dtype=np.uint8)
    index = np.full(classes.shape, -1, dtype=np.int64)
    legend = []
    for i, (code, colour, label) in enumerate(colours):
        palette[i] = [int(colour[k : k + 2], 16) for k in (1, 3, 5)]
        mask = keep & (classes == code)
        index[mask] = i
        n = int(mask.sum())
        legend.append((colour, f"{label} ({n:,} cell{'s' if n != 1 else ''})"))
    rgb = np.full((ny, nx, 3), 255, dtype=np.uint8)
    rgb[index >= 0] = palette[index[index >= 0]]
    # One pixel per cell, scaled up by whole pixels (to about half the map's width: enough for
    # viewers that ignore image-rendering to keep the cells square without smoothing them into
    # each other, and a quarter of the pixels a PDF would otherwise carry).
    k = max(1, MAP_WIDTH // 2 // max(nx, ny))
    rgb = np.repeat(np.repeat(np.flipud(rgb), k, axis=0), k, axis=1)

    shown_as = min(1.0, MAP_MAX_HEIGHT / height)
    fs = 10 / shown_as  # text 10 px high as shown, whatever the map is scaled by
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {_n(height)}" '
        f'width="{_n(width * shown_as)}" height="{_n(height * shown_as)}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="{_n(fs)}">',
        f'<rect x="0" y="0" width="{width}" height="{_n(height)}" fill="#ffffff" '
        'stroke="#b1b4b6"/>',
        f'<image x="{_n((xmin - vx0) * s)}" y="{_n((vy1 - ymax) * s)}" '
        f'width="{_n((xmax - xmin) * s)}" height="{_n((ymax - ymin) * s)}" '
        'preserveAspectRatio="none" style="image-rendering: pixelated" '
        f'href="{_cells_png(rgb)}"/>',
    ]
    view = shapely.box(vx0, vy0, vx1, vy1)
    shown = {}
    for name, geom in outlines.items():
        if geom.intersects(view):
            # Simplified to a pixel as shown (not as drawn): finer detail is invisible, and
            # every point is parsed again by WeasyPrint when the report is printed.
            part = shapely.simplify(geom.intersection(view), 1.0 / (s * shown_as))
            shown[name] = part
            paths = [
                _ring_path(np.asarray(ring.coords), vx0, vy1, s)
                for poly in getattr(part, "geoms", [part])
                if poly.geom_type == "Polygon"
                for ring in (poly.exterior, *poly.interiors)
            ]
            out.append(
                f'<path d="{" ".join(paths)}" fill="none" stroke="#0b0c0c" stroke-width="0.9"/>'
            )
    # Big areas name themselves first; a small one whose name would overlap a placed name
    # goes without (Derby's city LPUs at force scale), as on the web map.
    placed: list[tuple[float, float, float, float]] = []
    for name, part in sorted(shown.items(), key=lambda kv: (-kv[1].area, kv[0])):
        spot = part.representative_point()
        x, y = (spot.x - vx0) * s, (vy1 - spot.y) * s
        half = 0.31 * fs * len(name)
        box = (x - half, y - 0.7 * fs, x + half, y + 0.7 * fs)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            continue
        placed.append(box)
        for paint in (
            f'fill="#ffffff" stroke="#ffffff" stroke-width="{_n(0.3 * fs)}"',
            'fill="#0b0c0c"',
        ):
            out.append(
                f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" '
                f'dy="{_n(0.35 * fs)}" {paint}>{escape(name)}</text>'
            )
    exponent = math.floor(math.log10((vx1 - vx0) / 5))
    length = max(m * 10.0**exponent for m in (1, 2, 5) if m * 10.0**exponent <= (vx1 - vx0) / 5)
    bx, by = 1.2 * fs, height - 1.4 * fs
    out.append(
        f'<line x1="{_n(bx)}" x2="{_n(bx + length * s)}" y1="{_n(by)}" y2="{_n(by)}" '
        f'stroke="#0b0c0c" stroke-width="{_n(0.3 * fs)}"/>'
    )
    out.append(
        f'<text x="{_n(bx + length * s / 2)}" y="{_n(by - 0.6 * fs)}" '
        f'text-anchor="middle">{length / 1000:g} km</text>'
    )
    nx_, u = width - 1.8 * fs, 0.6 * fs
    out.append(
        f'<path d="M{_n(nx_)},{_n(1.2 * fs)} L{_n(nx_ + u)},{_n(2.6 * fs)} '
        f'L{_n(nx_ - u)},{_n(2.6 * fs)} Z" fill="#0b0c0c"/>'
        f'<text x="{_n(nx_)}" y="{_n(4 * fs)}" text-anchor="middle" '
        'font-weight="bold">N</text>'
    )
    out.append("</svg>")
    return Chart(title, alt, svg="".join(out), legend=legend)
