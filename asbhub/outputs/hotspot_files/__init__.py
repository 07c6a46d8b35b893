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

Modules: :mod:`~asbhub.outputs.hotspot_files.stamp` (the stamp, formats, attribution),
:mod:`~asbhub.outputs.hotspot_files.legend` (classes and colours),
:mod:`~asbhub.outputs.hotspot_files.vector` (cell table, GeoJSON, CSV) and
:mod:`~asbhub.outputs.hotspot_files.png` (PNG maps; matplotlib is imported there only);
:func:`write_outputs` here writes several at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from asbhub.analysis import HotspotResult
from asbhub.outputs.hotspot_files.legend import legend_for
from asbhub.outputs.hotspot_files.png import PNG_SIZE, describe_data, lpu_outlines_bng, write_png
from asbhub.outputs.hotspot_files.stamp import (
    ATTRIBUTION,
    OUTPUT_FORMATS,
    make_stamp,
    method_of,
    output_format,
)
from asbhub.outputs.hotspot_files.vector import (
    cell_table,
    csv_rows,
    hotspot_geojson,
    write_csv,
    write_geojson,
)

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
