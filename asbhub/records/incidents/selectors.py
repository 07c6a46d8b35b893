"""Read-only queries behind the overview page: what is loaded, by month, type and area.

Each function returns plain dicts and lists (no model instances, no querysets), so views,
the CSV downloads, the JSON API and tests all see the same numbers. Counting is grouped in
SQL; only the grouped rows (a few hundred, however many incidents) reach Python, where the
LSOA -> LPU mapping from the area hierarchy is applied.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from asbhub.domain.dates import month_range_allowed, month_runs, months_between, split_months
from asbhub.domain.months import label_or_text as month_label  # 'February 2019'; odd text as is
from asbhub.domain.vocab import RecordType
from asbhub.geo import MappingFileError, area_hierarchy, from_bng
from asbhub.ingest.police_uk import KIND as POLICE_UK_KIND
from asbhub.records.incidents.models import Incident, Source
from asbhub.store.scope import SYNTHETIC_PREFIX

log = logging.getLogger(__name__)

DB_ALIAS = "default"

#: How record types are named on the page, in the order they are listed: ASB first, because
#: it is what the product is for.
RECORD_TYPE_LABELS: dict[str, str] = {
    RecordType.ASB.value: "Anti-social behaviour",
    RecordType.ROC.value: "Records of contact (ROC)",
    RecordType.CRIME.value: "Crime",
}
#: Short names for table columns, where a phone has no room for the long ones.
RECORD_TYPE_SHORT_LABELS: dict[str, str] = {
    RecordType.ASB.value: "ASB",
    RecordType.ROC.value: "ROC",
    RecordType.CRIME.value: "Crime",
}
OUTSIDE_FORCE_AREA = "Outside force area"
NO_LOCATION = "No location"

# LPU outlines are simplified for a force-wide map: at 100 (GEOS coverage simplification,
# roughly metres) the change is invisible at that scale and the layer is about 60 kB, against
# 0.8 MB for the full LSOA polygons.
OUTLINE_TOLERANCE_M = 100.0
POLYGONS_FILE = "lsoa_bng.geojson"


# -- labels -------------------------------------------------------------------------------


def file_label(path: str) -> str:
    """A loaded file as a reader knows it: 'member.csv (in archive.zip)', without the folders
    of the machine it was loaded on."""
    if "!" in path:
        archive, member = path.split("!", 1)
        return f"{Path(member).name} (in {Path(archive).name})"
    return Path(path).name


def record_type_label(record_type: str) -> str:
    return RECORD_TYPE_LABELS.get(record_type, record_type)


def _record_type_order(record_type: str) -> tuple[int, str]:
    order = list(RECORD_TYPE_LABELS)
    return (order.index(record_type) if record_type in order else len(order), record_type)


# -- totals -------------------------------------------------------------------------------


def store_summary(
    using: str = DB_ALIAS, by_type: dict[str, Any] | None = None, real_only: bool = False
) -> dict[str, Any]:
    """Headline facts about the store: rows, months, forces, the last load.

    Parameters
    ----------
    using : str
        Database alias.
    by_type : dict, optional
        The result of :func:`counts_by_month_and_type`, if the caller has it: the rows and
        months then come from it instead of a second pass over every incident.
    real_only : bool
        Leave synthetic sources out of ``forces``, ``sources`` and ``last_load`` too (issue
        #12: the overview's Forces box); ``synthetic_forces`` then names those left out.

    Returns
    -------
    dict
        ``rows`` (int), ``by_record_type`` (list of ``{record_type, label, rows}``),
        ``months`` (sorted 'YYYY-MM' with data), ``first_month``/``last_month`` (or None),
        ``missing_months`` (calendar months between first and last with no rows),
        ``odd_months`` (stored months outside the allowed range, not in ``months``),
        ``forces`` (sorted names), ``sources`` (loaded units), ``last_load`` (``{loaded_at,
        file, file_label, force, month}`` or None); ``*_label`` keys spell months out.
    """
    if by_type is None:
        by_type = counts_by_month_and_type(using)
    rows_by_type = {g["record_type"]: g["total"] for g in by_type["groups"]}
    # Only allowed months span the range: a stored month outside it (written by SQL or an
    # old version) is listed as odd, never stretched into thousands of "missing" months.
    months, odd_months = split_months(by_type["months"], timezone.localdate())
    sources = Source.objects.using(using)
    every_force = sorted(
        f for f in sources.values_list("force", flat=True).distinct().order_by() if f
    )
    synthetic_forces = [f for f in every_force if f.upper().startswith(SYNTHETIC_PREFIX)]
    forces = every_force
    if real_only:
        sources = sources.exclude(force__istartswith=SYNTHETIC_PREFIX)
        forces = [f for f in every_force if f not in synthetic_forces]
    latest = (
        sources.order_by("-loaded_at", "-id").values("loaded_at", "file", "force", "month").first()
    )
    last: dict[str, Any] | None = dict(latest) if latest else None  # given a file_label below
    missing: list[str] = []
    if months:
        have = set(months)
        missing = [m for m in months_between(months[0], months[-1]) if m not in have]
    if last:
        last["file_label"] = file_label(last["file"])
    return {
        "rows": sum(rows_by_type.values()),
        "by_record_type": [
            {"record_type": rt, "label": record_type_label(rt), "rows": n}
            for rt, n in rows_by_type.items()
        ],
        "months": months,
        "first_month": months[0] if months else None,
        "last_month": months[-1] if months else None,
        "missing_months": missing,
        "first_month_label": month_label(months[0]) if months else None,
        "last_month_label": month_label(months[-1]) if months else None,
        "missing_month_labels": [month_label(m) for m in missing],
        # Issue #12 item 7: "December 2018 to February 2019; June 2026 to December 2026".
        "covered_label": "; ".join(
            month_label(a) if a == b else f"{month_label(a)} to {month_label(b)}"
            for a, b in month_runs(months)
        ),
        "odd_months": odd_months,
        "forces": forces,
        "synthetic_forces": synthetic_forces if real_only else [],
        "sources": sources.count(),
        "last_load": last,
    }


# -- by month and type --------------------------------------------------------------------


def _incidents(using: str, real_only: bool) -> Any:
    """Every incident, or (``real_only``) those of sources not marked synthetic: issue #12,
    synthetic rows never mix into real figures (:mod:`asbhub.store.scope`)."""
    qs = Incident.objects.using(using)
    return qs.exclude(source__force__istartswith=SYNTHETIC_PREFIX) if real_only else qs


def synthetic_rows(using: str = DB_ALIAS) -> int:
    """How many incidents come from synthetic sources (left out of the overview's figures)."""
    return Incident.objects.using(using).filter(source__force__istartswith=SYNTHETIC_PREFIX).count()


def counts_by_month_and_type(using: str = DB_ALIAS, real_only: bool = False) -> dict[str, Any]:
    """Row counts by month, record type and crime type (``real_only``: synthetic data left
    out).

    Returns
    -------
    dict
        ``months``: sorted 'YYYY-MM' (``month_labels``: 'Feb 2019'). ``groups``: one per
        record type (ASB, ROC, crime), each ``{record_type, label, counts, total, rows}``
        where ``counts`` lines up with ``months`` and ``rows`` holds ``{crime_type, counts,
        total}`` per crime type, sorted. ``totals``: ``{counts, total}`` over everything.

    Examples
    --------
    >>> t = counts_by_month_and_type()          # doctest: +SKIP
    >>> t["months"], t["groups"][0]["label"]    # doctest: +SKIP
    (['2018-12', '2019-01', '2019-02'], 'Anti-social behaviour')
    """
    cells = (
        _incidents(using, real_only)
        .values_list("month", "record_type", "crime_type")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[tuple[str, str], dict[str, int]] = {}
    months_set: set[str] = set()
    for month, record_type, crime_type, n in cells:
        months_set.add(month)
        by_month = counts.setdefault((record_type, crime_type), {})
        by_month[month] = by_month.get(month, 0) + n
    months = sorted(months_set)

    def line(by_month: dict[str, int]) -> list[int]:
        return [by_month.get(m, 0) for m in months]

    groups = []
    for record_type in sorted({rt for rt, _ in counts}, key=_record_type_order):
        rows = [
            {
                "crime_type": ct,
                "counts": line(counts[(rt, ct)]),
                "total": sum(counts[(rt, ct)].values()),
            }
            for rt, ct in sorted(k for k in counts if k[0] == record_type)
        ]
        group_counts = [sum(col) for col in zip(*(r["counts"] for r in rows), strict=True)]
        groups.append(
            {
                "record_type": record_type,
                "label": record_type_label(record_type),
                "counts": group_counts,
                "total": sum(group_counts),
                "rows": rows,
            }
        )
    total_counts = (
        [sum(col) for col in zip(*(g["counts"] for g in groups), strict=True)] if groups else []
    )
    return {
        "months": months,
        "month_labels": [month_label(m, short=True) for m in months],
        "groups": groups,
        "totals": {"counts": total_counts, "total": sum(total_counts)},
    }


def month_type_csv_rows(table: dict[str, Any]) -> list[list[Any]]:
    """The month-by-type table as CSV rows: one per record type and crime type, no subtotals,
    so a spreadsheet can sum any column without double counting."""
    out: list[list[Any]] = [["record_type", "crime_type", *table["months"], "total"]]
    for g in table["groups"]:
        for r in g["rows"]:
            out.append([g["record_type"], r["crime_type"], *r["counts"], r["total"]])
    return out


# -- by area ------------------------------------------------------------------------------


def _district(lsoa_name: str | None) -> str | None:
    # "Amber Valley 001A" -> "Amber Valley": the name of an LSOA starts with its district.
    if not lsoa_name or " " not in lsoa_name:
        return None
    return lsoa_name.rsplit(" ", 1)[0]


def counts_by_area(using: str = DB_ALIAS, real_only: bool = False) -> dict[str, Any]:
    """Row counts by Local Policing Unit (LPU), by record type and for the latest month's ASB
    (``real_only``: synthetic data left out).

    A row's LPU comes from its LSOA through the area hierarchy. A row whose LSOA is not one
    of the force's (police.uk puts some incidents near a border in the neighbour's LSOA), or
    whose point was located outside every LSOA, counts as 'Outside force area'; a row with
    no LSOA otherwise counts as 'No location'. Nothing is dropped: the areas sum to the total.

    Returns
    -------
    dict
        ``area_kind`` ('LPU', or 'District' if the area files could not be read, with
        ``areas_error`` saying why), ``force_name``, ``record_types`` (ordered codes) with
        ``record_type_labels`` and ``record_type_short_labels``, ``latest_asb_month`` (or None;
        also as ``latest_asb_month_label`` and ``_short_label``), ``rows``: one per area
        ``{area, kind, counts, total, latest_asb}`` where ``kind`` is 'area', 'outside' or
        'none' and ``counts`` lines up with ``record_types``; ``totals`` likewise.
    """
    latest = latest_asb_month(using)
    grouped = (
        _incidents(using, real_only)
        .values_list(
            "location__lsoa_code", "location__lsoa_name", "location__outside_area", "record_type"
        )
        .annotate(
            n=Count("id"),
            latest_asb=Count("id", filter=Q(record_type=RecordType.ASB.value, month=latest or "")),
        )
        .order_by()
    )
    areas_error = None
    try:
        hierarchy = area_hierarchy()
        lpu_of = dict(
            zip(hierarchy.lsoa["lsoa_code"].to_list(), hierarchy.lsoa["lpu"].to_list(), strict=True)
        )
        named_areas = hierarchy.lpus
        force_name = hierarchy.force_name
        area_kind = "LPU"
    except MappingFileError as exc:
        # The page must still show what was loaded; the district in each LSOA's name is a
        # coarse but honest stand-in until the mapping files are fixed.
        log.warning("area hierarchy unavailable, grouping by district: %s", exc)
        areas_error = str(exc)
        lpu_of, named_areas, force_name, area_kind = None, [], None, "District"

    cells: dict[str, dict[str, int]] = {}
    latest_by_area: dict[str, int] = {}
    record_types: set[str] = set()
    for lsoa_code, lsoa_name, outside, record_type, n, latest_asb in grouped:
        if lsoa_code:
            area = lpu_of.get(lsoa_code) if lpu_of is not None else _district(lsoa_name)
            area = area or OUTSIDE_FORCE_AREA
        elif outside:
            area = OUTSIDE_FORCE_AREA
        else:
            area = NO_LOCATION
        record_types.add(record_type)
        by_type = cells.setdefault(area, {})
        by_type[record_type] = by_type.get(record_type, 0) + n
        latest_by_area[area] = latest_by_area.get(area, 0) + latest_asb

    ordered_types = sorted(record_types, key=_record_type_order)
    specials = [OUTSIDE_FORCE_AREA, NO_LOCATION]
    # Every LPU is listed even with no rows: a zero is information an inspector needs.
    names = list(named_areas) + sorted(
        a for a in cells if a not in named_areas and a not in specials
    )
    rows: list[dict[str, Any]] = []
    for area in names + specials:
        if area in specials and area not in cells:
            continue
        by_type = cells.get(area, {})
        counts = [by_type.get(rt, 0) for rt in ordered_types]
        kind = {OUTSIDE_FORCE_AREA: "outside", NO_LOCATION: "none"}.get(area, "area")
        rows.append(
            {
                "area": area,
                "kind": kind,
                "counts": counts,
                "total": sum(counts),
                "latest_asb": latest_by_area.get(area, 0),
            }
        )
    total_counts = [sum(r["counts"][i] for r in rows) for i in range(len(ordered_types))]
    return {
        "area_kind": area_kind,
        "areas_error": areas_error,
        "force_name": force_name,
        "record_types": ordered_types,
        "record_type_labels": [record_type_label(rt) for rt in ordered_types],
        "record_type_short_labels": [RECORD_TYPE_SHORT_LABELS.get(rt, rt) for rt in ordered_types],
        "latest_asb_month": latest,
        "latest_asb_month_label": month_label(latest) if latest else None,
        "latest_asb_month_short_label": month_label(latest, short=True) if latest else None,
        "rows": rows,
        "totals": {
            "counts": total_counts,
            "total": sum(total_counts),
            "latest_asb": sum(r["latest_asb"] for r in rows),
        },
    }


def area_csv_rows(table: dict[str, Any]) -> list[list[Any]]:
    """The area table as CSV rows, one per area, without the total row."""
    latest = table["latest_asb_month"]
    header = [table["area_kind"].lower(), *table["record_types"], "total"]
    if latest:
        header.append(f"asb_{latest}")
    out: list[list[Any]] = [header]
    for r in table["rows"]:
        out.append([r["area"], *r["counts"], r["total"], *([r["latest_asb"]] if latest else [])])
    return out


# -- the map ------------------------------------------------------------------------------


def latest_asb_month(using: str = DB_ALIAS) -> str | None:
    """The latest month holding any mappable ASB incident ('YYYY-MM'), or None.

    Only data.police.uk records count: their points are anonymised by the Home Office. A
    force's own records (exact points, location text as typed) and the public's reports are
    never mapped on the public pages.
    """
    first, last = month_range_allowed(timezone.localdate())
    # Within the allowed months only: an odd stored month (say '9999-12') must not hide the
    # real latest month from everyone.
    return (
        Incident.objects.using(using)
        .filter(
            record_type=RecordType.ASB.value,
            public_report=False,
            source__kind=POLICE_UK_KIND,
            month__gte=first,
            month__lte=last,
        )
        .aggregate(m=Max("month"))["m"]
    )


def latest_asb_points(using: str = DB_ALIAS) -> dict[str, Any]:
    """The latest month's ASB incidents as a GeoJSON FeatureCollection (WGS84).

    One Point feature per incident with a published position, properties ``month``,
    ``crime_type`` and ``location`` (police.uk's "On or near ..." text). Incidents at the same
    anonymised point are separate features, so the feature count is the incident count.
    The collection also carries ``month`` (or None) and ``without_position``, the incidents of
    that month that cannot be drawn, so a map can say what it leaves out.
    """
    month = latest_asb_month(using)
    features: list[dict[str, Any]] = []
    without = 0
    if month:
        # A member of the public's own report carries the exact point and the words they
        # typed: never on this public map (data.police.uk points are anonymised already).
        rows = (
            Incident.objects.using(using)
            .filter(
                record_type=RecordType.ASB.value,
                month=month,
                public_report=False,
                source__kind=POLICE_UK_KIND,
            )
            .values_list(
                "crime_type", "location__longitude", "location__latitude", "location__description"
            )
            .order_by("id")
        )
        for crime_type, lon, lat, description in rows:
            if lon is None or lat is None:
                without += 1
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {
                        "month": month,
                        "crime_type": crime_type,
                        "location": description or "",
                    },
                }
            )
    return {
        "type": "FeatureCollection",
        "month": month,
        "without_position": without,
        "features": features,
    }


def lpu_outlines_geojson() -> dict[str, Any] | None:
    """The force's LPU outlines in WGS84 as a GeoJSON FeatureCollection, or None.

    Dissolved from the LSOA polygons on British National Grid in the areas folder, simplified
    and reprojected once per process (about half a second), then served from memory. Each
    feature has properties ``lpu``, ``label_lon`` and ``label_lat`` (a point inside the
    outline to hang its name on). None when the areas folder has no polygons file.
    """
    try:
        folder = str(area_hierarchy().folder)
    except MappingFileError as exc:
        log.warning("no LPU outlines: %s", exc)
        return None
    return _lpu_outlines(folder)


@lru_cache(maxsize=4)
def _lpu_outlines(folder: str) -> dict[str, Any] | None:
    import numpy as np
    import shapely
    from shapely.geometry import mapping

    from asbhub.outputs import lpu_outlines_bng

    path = Path(folder) / POLYGONS_FILE
    if not path.is_file():
        log.warning("no LPU outlines: %s not found", path)
        return None
    outlines = lpu_outlines_bng(area_hierarchy(folder))
    names = list(outlines)
    dissolved = [outlines[name] for name in names]
    # Simplify the LPUs as one coverage, so neighbours keep a shared edge (no slivers or gaps).
    simplified = shapely.coverage_simplify(dissolved, OUTLINE_TOLERANCE_M)

    def to_wgs84(xy: np.ndarray) -> np.ndarray:
        lon, lat = from_bng(xy[:, 0], xy[:, 1])
        # Five decimals is about a metre: finer digits only make the page heavier.
        return np.column_stack([lon, lat]).round(5)

    features = []
    for name, bng, geom in zip(names, dissolved, simplified, strict=True):
        inside = bng.point_on_surface()
        label_lon, label_lat = from_bng([inside.x], [inside.y])
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "lpu": name,
                    "label_lon": round(float(label_lon[0]), 5),
                    "label_lat": round(float(label_lat[0]), 5),
                },
                "geometry": mapping(shapely.transform(geom, to_wgs84)),
            }
        )
    return {"type": "FeatureCollection", "features": features}
