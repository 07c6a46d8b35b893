"""Incident pages: the overview of what is loaded, its CSV tables and the ASB map points.

Thin: parse the request, call :mod:`asbhub.records.incidents.selectors`, render.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from asbhub.records.incidents import selectors as services
from asbhub.store.db import Store
from asbhub.store.query import store_version
from asbhub.web.csvsafe import safe_writer
from asbhub.web.versioned import per_store_version

#: The tables the overview offers as CSV (?format=csv&table=NAME): builder, rows, file name.
#: Issue #12: the page's figures and its CSVs leave synthetic data out (and say how much).
CSV_TABLES = {
    "types": (
        lambda: overview_figures()["by_type"],
        services.month_type_csv_rows,
        "asbhub-records-by-month-and-type.csv",
    ),
    "areas": (
        lambda: overview_figures()["by_area"],
        services.area_csv_rows,
        "asbhub-records-by-area.csv",
    ),
}


def tile_layer() -> dict[str, str]:
    """The background map tiles: the ``ASBHUB_TILE_URL`` setting (from the environment).

    OpenStreetMap's public tiles by default; a force's own tile server in production (OSM's
    usage policy does not cover heavy use); an empty value turns tiles off, which is what an
    offline machine wants: the map then shows the area outlines and the points alone.
    """
    return {"url": settings.ASBHUB_TILE_URL, "attribution": settings.ASBHUB_TILE_ATTRIBUTION}


def overview(request: HttpRequest) -> HttpResponse:
    """What is loaded: totals, counts by month and type and by area, the latest ASB map.

    ``?format=csv&table=types`` or ``table=areas`` downloads a table as CSV.
    """
    fmt = request.GET.get("format", "html")
    if fmt == "csv":
        return _csv_download(request.GET.get("table", ""))
    if fmt != "html":
        raise Http404(f"no format {fmt!r}; use html or csv")
    figures = overview_figures()
    summary = figures["summary"]
    if not summary["rows"]:
        return render(request, "incidents/overview.html", {"summary": summary, "empty": True})
    return render(
        request,
        "incidents/overview.html",
        {
            "summary": summary,
            "by_type": figures["by_type"],
            "by_area": figures["by_area"],
            "synthetic_rows": figures["synthetic_rows"],
            "outlines": services.lpu_outlines_geojson(),
            "tiles": tile_layer(),
        },
    )


# -- Serving cost (issue #18 item 6) ----------------------------------------------------------
# The overview's figures and its map's points change only when data is loaded (a load or a
# resident's report adds a source or moves its load time), so they are kept per store version
# (asbhub.store.query.store_version, one cheap query) instead of recomputed on every request.
# Read-only once built: the same dicts serve every thread of the process.


def _version() -> tuple[int, str]:
    return store_version(Store(url=services.DB_ALIAS, alias=services.DB_ALIAS))


def overview_figures() -> dict[str, Any]:
    """The overview's summary, tables and synthetic count, built once per store version."""
    return _figures_at(_version())


@per_store_version(maxsize=2)
def _figures_at(version: tuple[int, str]) -> dict[str, Any]:
    by_type = services.counts_by_month_and_type(real_only=True)
    return {
        # Issue #12: the Forces box and the last load leave synthetic sources out too.
        "summary": services.store_summary(by_type=by_type, real_only=True),
        "by_type": by_type,
        "by_area": services.counts_by_area(real_only=True),
        "synthetic_rows": services.synthetic_rows(),
    }


@per_store_version(maxsize=2)
def _latest_asb_points_at(version: tuple[int, str]) -> dict[str, Any]:
    return services.latest_asb_points()


def _csv_download(table: str) -> HttpResponse:
    if table not in CSV_TABLES:
        raise Http404(f"no table {table!r}; use one of {', '.join(CSV_TABLES)}")
    build, to_rows, filename = CSV_TABLES[table]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    safe_writer(response).writerows(to_rows(build()))
    return response


def latest_asb_geojson(request: HttpRequest) -> JsonResponse:
    """The latest month's ASB incidents as GeoJSON points (see services.latest_asb_points)."""
    return JsonResponse(
        _latest_asb_points_at(_version()),
        content_type="application/geo+json",
        json_dumps_params={"separators": (",", ":")},
    )
