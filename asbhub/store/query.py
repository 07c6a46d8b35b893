"""Reading incidents back out of the store for the analyses: points, and what the store holds.

The SQL of the analysis commands lives here and nowhere else. Filtering happens in the
database, so a force's years of records stay there and only the rows asked for reach Python.
An LPU or SNT filter is turned into its LSOA codes through the area hierarchy, the same rule
the file path applies (:func:`asbhub.analysis_inputs.area_lsoa_codes`), so both give the
same points.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from asbhub.analysis_inputs import POINT_COLUMNS, area_lsoa_codes
from asbhub.domain.dates import split_months
from asbhub.geo import AreaHierarchy
from asbhub.store import tables as t
from asbhub.store.db import Store
from asbhub.store.sql import fetch, in_list

__all__ = [
    "incident_points",
    "store_crime_types",
    "store_forces",
    "store_loads",
    "store_months",
    "store_version",
]

_SCHEMA = {
    "easting": pl.Float64,
    "northing": pl.Float64,
    "month": pl.String,
    "crime_type": pl.String,
    "record_type": pl.String,
    "lsoa_code": pl.String,
}


def _in(column: str, values: list[Any], where: list[str], params: list[Any]) -> None:
    cond, more = in_list(column, values)
    where.append(cond)
    params.extend(more)


def incident_points(
    store: Store,
    months: tuple[str, str] | None = None,
    crime_types: list[str] | tuple[str, ...] | None = None,
    record_types: list[str] | tuple[str, ...] | None = None,
    lpu: str | None = None,
    snt: str | None = None,
    areas: AreaHierarchy | None = None,
    force: str | None = None,
    kinds: list[str] | tuple[str, ...] | None = None,
    real_only: bool = False,
) -> pl.DataFrame:
    """Incidents in the store as points on British National Grid.

    Parameters
    ----------
    store : Store
    months : (str, str), optional
        First and last month, inclusive, ``'YYYY-MM'``.
    crime_types : sequence of str, optional
        Exact crime types as stored (see :func:`asbhub.analysis_inputs.resolve_crime_types`
        for what a user types).
    record_types : sequence of str, optional
        ``'asb'``, ``'crime'``, ``'roc'``.
    lpu, snt : str, optional
        Keep records whose LSOA lies in this LPU (name) or SNT (code or name), by the area
        hierarchy. Records without an LSOA are then left out.
    areas : AreaHierarchy, optional
        Default :meth:`AreaHierarchy.load` when an LPU or SNT is given.
    force : str, optional
        Only this force's records, as its loaded units (``incidents_source.force``) name it.
    kinds : sequence of str, optional
        Only records of loaded units of these kinds (``incidents_source.kind``).
    real_only : bool
        Leave out synthetic data (:func:`asbhub.store.scope.is_synthetic_force`).

    Returns
    -------
    polars.DataFrame
        Columns ``easting``, ``northing`` (null for a record without coordinates), ``month``,
        ``crime_type``, ``record_type``, ``lsoa_code``; in the order stored.

    Raises
    ------
    ValueError
        For an unknown LPU or SNT (listing the valid LPUs).
    """
    found = _select(
        store,
        "l.easting, l.northing, i.month, i.crime_type, i.record_type, l.lsoa_code",
        months,
        crime_types,
        record_types,
        lpu,
        snt,
        areas,
        force,
        kinds,
        real_only,
    )
    if found is None:
        return pl.DataFrame(schema=_SCHEMA)
    rows = found
    frame = pl.DataFrame(rows, schema=_SCHEMA, orient="row")
    return frame.select(POINT_COLUMNS)


def incident_places(
    store: Store,
    months: tuple[str, str] | None = None,
    crime_types: list[str] | tuple[str, ...] | None = None,
    record_types: list[str] | tuple[str, ...] | None = None,
    lpu: str | None = None,
    snt: str | None = None,
    areas: AreaHierarchy | None = None,
    force: str | None = None,
    kinds: list[str] | tuple[str, ...] | None = None,
    real_only: bool = False,
) -> list[str | None]:
    """The published place ("On or near ...") of the records :func:`incident_points` returns
    for the same filters, in the same order (issue #16 item 4, places).

    Only data.police.uk's anonymised street descriptions are returned: a force export's
    free-text location or a resident's own report (key ``public-report|...``) gives None.
    """
    found = _select(
        store,
        # substr, not LIKE: the query is formatted with parameters, where % must be doubled.
        "CASE WHEN substr(l.description, 1, 11) = 'On or near ' "
        "AND substr(l.key, 1, 14) <> 'public-report|' THEN l.description END",
        months,
        crime_types,
        record_types,
        lpu,
        snt,
        areas,
        force,
        kinds,
        real_only,
    )
    return [] if found is None else [r[0] for r in found]


def incident_times(
    store: Store,
    months: tuple[str, str] | None = None,
    crime_types: list[str] | tuple[str, ...] | None = None,
    record_types: list[str] | tuple[str, ...] | None = None,
    lpu: str | None = None,
    snt: str | None = None,
    areas: AreaHierarchy | None = None,
    force: str | None = None,
) -> list[Any]:
    """``occurred_from`` of the records :func:`incident_points` returns for the same filters,
    in the same order (None for a record with no date, as every data.police.uk row)."""
    found = _select(
        store, "i.occurred_from", months, crime_types, record_types, lpu, snt, areas, force
    )
    return [] if found is None else [r[0] for r in found]


def _select(
    store: Store,
    columns: str,
    months: tuple[str, str] | None,
    crime_types: list[str] | tuple[str, ...] | None,
    record_types: list[str] | tuple[str, ...] | None,
    lpu: str | None,
    snt: str | None,
    areas: AreaHierarchy | None,
    force: str | None = None,
    kinds: list[str] | tuple[str, ...] | None = None,
    real_only: bool = False,
) -> list[tuple[Any, ...]] | None:
    """Rows of ``columns`` for the filters, in stored order; None when the area has no LSOA."""
    where: list[str] = []
    params: list[Any] = []
    if months is not None:
        where.append("i.month >= %s AND i.month <= %s")
        params.extend(months)
    if crime_types is not None:
        _in("i.crime_type", list(crime_types), where, params)
    if record_types is not None:
        _in("i.record_type", list(record_types), where, params)
    if lpu is not None or snt is not None:
        codes, _, _ = area_lsoa_codes(areas or AreaHierarchy.load(), lpu, snt)
        if not codes:
            return None
        _in("l.lsoa_code", codes, where, params)
    if force is not None:  # --force (issue #12 item 5): the force named by the loaded unit
        where.append(f"i.source_id IN (SELECT s.id FROM {t.SOURCE} s WHERE s.force = %s)")
        params.append(force)
    if kinds is not None or real_only:  # the scope (issue #12 item 2, asbhub.store.scope)
        source: list[str] = []
        if kinds is not None:
            _in("s.kind", list(kinds), source, params)
        if real_only:
            source.append("UPPER(s.force) NOT LIKE %s")
            params.append("SYNTHETIC%")
        where.append(
            f"i.source_id IN (SELECT s.id FROM {t.SOURCE} s WHERE " + " AND ".join(source) + ")"
        )
    sql = f"SELECT {columns} FROM {t.INCIDENT} i LEFT JOIN {t.LOCATION} l ON l.id = i.location_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY i.id"
    return fetch(store.connection, sql, params)


def store_crime_types(store: Store) -> list[str]:
    """The crime types the store holds, sorted."""
    return sorted(
        r[0] for r in fetch(store.connection, f"SELECT DISTINCT crime_type FROM {t.INCIDENT}")
    )


def store_months(store: Store) -> list[str]:
    """The months the store holds records for, sorted: only months allowed by
    :mod:`asbhub.domain.dates`, so an odd stored value ('1-01', '0999-01', written around the
    checks) never becomes a report's period or stretches a range of months."""
    rows = fetch(store.connection, f"SELECT DISTINCT month FROM {t.INCIDENT}")
    return split_months([r[0] for r in rows])[0]


def store_loads(store: Store, months: list[str]) -> list[dict[str, Any]]:
    """The loaded units behind the given months, for a stamp: which file each came from and
    the digest of its content, so a map can be traced to the files that made it.

    Force exports are stored as one unit per file with no month, and are listed whenever
    they are loaded.
    """
    sql = f"SELECT kind, force, month, file, content_hash, rows, loaded_at FROM {t.SOURCE}"
    rows = fetch(store.connection, sql + " ORDER BY kind, force, month, id")
    wanted = set(months)
    out = []
    for kind, force, month, file, digest, n, loaded_at in rows:
        if month and month not in wanted:
            continue
        out.append(
            {
                "kind": kind,
                "force": force,
                "month": month or None,
                "file": file,
                "content_sha256": digest,
                "rows": n,
                "loaded_at": loaded_at.isoformat()
                if hasattr(loaded_at, "isoformat")
                else str(loaded_at),
            }
        )
    return out


def store_version(store: Store) -> tuple[int, str]:
    """Something that changes whenever the store's incidents do: the number of loaded units
    and the latest load time. A cache of results keyed on it is never stale."""
    n, latest = fetch(store.connection, f"SELECT COUNT(*), MAX(loaded_at) FROM {t.SOURCE}")[0]
    return int(n), str(latest)


def store_forces(store: Store) -> dict[str, int]:
    """Records in the store by force, as the loaded units name it, sorted by name."""
    sql = (
        f"SELECT s.force, COUNT(*) FROM {t.INCIDENT} i "
        f"JOIN {t.SOURCE} s ON s.id = i.source_id GROUP BY s.force ORDER BY s.force"
    )
    return {str(f): int(n) for f, n in fetch(store.connection, sql)}
