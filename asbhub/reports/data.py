"""The scrutiny report's queries: every row the report reads from the store, and nothing else.

As :mod:`asbhub.store.query` does for the analysis commands, the SQL of the report lives here,
filters run in the database, and the results come back as polars frames ready for
:mod:`asbhub.analysis`. Tables that another part of asbhub creates (the cases app's PMPs and
powers) are looked for first, so the report works, and says "no data", before they exist.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from asbhub.analysis_inputs import area_lsoa_codes
from asbhub.geo import AreaHierarchy
from asbhub.store.db import Store

__all__ = [
    "CALL_COLUMNS",
    "RECORD_COLUMNS",
    "call_sources",
    "report_calls",
    "report_records",
    "incident_sources",
    "table_exists",
    "pmp_counts",
    "power_counts",
]

#: Columns of :func:`report_records`; ``force`` is the force named by the loaded unit.
RECORD_COLUMNS = {
    "month": pl.String,
    "crime_type": pl.String,
    "record_type": pl.String,
    "asb_category": pl.String,
    "covid": pl.Boolean,
    "lsoa_code": pl.String,
    "force": pl.String,
}

#: Columns of :func:`report_calls`, as :func:`asbhub.analysis.call_kpis` reads them.
CALL_COLUMNS = {
    "channel": pl.String,
    "queued_at": pl.Datetime("us", "UTC"),
    "abandoned": pl.Boolean,
    "wait_seconds": pl.Float64,
    "force": pl.String,
}


def _placeholders(values: list[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def report_records(
    store: Store,
    months: tuple[str, str],
    lpu: str | None = None,
    areas: AreaHierarchy | None = None,
    forces: list[str] | None = None,
) -> pl.DataFrame:
    """Incidents, crimes and ROCs of the months given, one row each, for the report's tables.

    Parameters
    ----------
    store : Store
    months : (str, str)
        First and last month, inclusive, ``YYYY-MM``.
    lpu : str, optional
        Keep records whose LSOA lies in this LPU (by the area hierarchy); records without an
        LSOA are then left out.
    areas : AreaHierarchy, optional
        For ``lpu``; default :meth:`AreaHierarchy.load`.
    forces : list of str, optional
        Keep the records of these forces (as the loaded units name them).

    Returns
    -------
    polars.DataFrame
        Columns :data:`RECORD_COLUMNS`.
    """
    where = ["i.month >= %s", "i.month <= %s"]
    params: list[Any] = list(months)
    if lpu is not None:
        codes, _, _ = area_lsoa_codes(areas or AreaHierarchy.load(), lpu, None)
        if not codes:
            return pl.DataFrame(schema=RECORD_COLUMNS)
        where.append(f"l.lsoa_code IN ({_placeholders(codes)})")
        params.extend(codes)
    if forces is not None:
        where.append(f"s.force IN ({_placeholders(forces)})")
        params.extend(forces)
    sql = ("SELECT i.month, i.crime_type, i.record_type, i.asb_category, i.covid, l.lsoa_code, "
           "s.force FROM incidents_incident i "
           "JOIN incidents_source s ON s.id = i.source_id "
           "LEFT JOIN incidents_location l ON l.id = i.location_id "
           "WHERE " + " AND ".join(where))
    with store.connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    frame = pl.DataFrame(rows, schema=list(RECORD_COLUMNS), orient="row")
    # SQLite hands back booleans as 0/1: cast column by column to the one schema.
    return frame.with_columns(pl.col(c).cast(t) for c, t in RECORD_COLUMNS.items())


def incident_sources(store: Store) -> list[dict[str, Any]]:
    """Every loaded unit of incidents: kind, force, month, rows and SHA-256 of its content."""
    sql = ("SELECT kind, force, month, rows, content_hash, file FROM incidents_source "
           "ORDER BY kind, force, month, id")
    with store.connection.cursor() as cur:
        cur.execute(sql)
        return [{"kind": k, "force": f, "month": m or None, "rows": int(n),
                 "content_sha256": h, "file": file} for k, f, m, n, h, file in cur.fetchall()]


def call_sources(store: Store) -> list[dict[str, Any]]:
    """Every loaded call log: file, calls it holds now and SHA-256 of its valid calls."""
    if not table_exists(store, "contact_callsource"):
        return []
    with store.connection.cursor() as cur:
        cur.execute("SELECT file, rows, content_hash FROM contact_callsource ORDER BY file, id")
        return [{"kind": "calls", "file": f, "rows": int(n), "content_sha256": h}
                for f, n, h in cur.fetchall()]


def report_calls(store: Store) -> pl.DataFrame:
    """Every stored call, with the columns the call-handling figures need."""
    if not table_exists(store, "contact_call"):
        return pl.DataFrame(schema=CALL_COLUMNS)
    sql = "SELECT channel, queued_at, abandoned, wait_seconds, force FROM contact_call"
    with store.connection.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    frame = pl.DataFrame(rows, schema=list(CALL_COLUMNS), orient="row", infer_schema_length=None)
    return frame.with_columns(
        pl.col("channel").cast(pl.String),
        pl.col("queued_at").cast(pl.Datetime("us")).dt.replace_time_zone(
            "UTC", non_existent="null") if frame["queued_at"].dtype != CALL_COLUMNS["queued_at"]
        else pl.col("queued_at"),
        pl.col("abandoned").cast(pl.Boolean),
        pl.col("wait_seconds").cast(pl.Float64),
        pl.col("force").cast(pl.String),
    )


def table_exists(store: Store, name: str) -> bool:
    """Whether the store has a table of this name (another app's tables may not exist yet)."""
    with store.connection.cursor() as cur:
        return name in store.connection.introspection.table_names(cur)


def pmp_counts(store: Store, end: str) -> pl.DataFrame | None:
    """PMPs per LPU opened by the end of ``end`` (``YYYY-MM-DD``, exclusive) and open then.

    None when the cases app's table is not in the store. Demonstration plans are left out.
    """
    if not table_exists(store, "cases_pmp"):
        return None
    sql = ("SELECT lpu, COUNT(*), SUM(CASE WHEN closed_at IS NULL OR closed_at >= %s "
           "THEN 1 ELSE 0 END) FROM cases_pmp WHERE opened_at < %s AND NOT is_demo "
           "GROUP BY lpu ORDER BY lpu")
    with store.connection.cursor() as cur:
        cur.execute(sql, [end, end])
        rows = cur.fetchall()
    return pl.DataFrame([(a, int(b), int(c)) for a, b, c in rows], orient="row",
                        schema={"lpu": pl.String, "opened": pl.Int64, "open": pl.Int64})


def power_counts(store: Store, start: str, end: str) -> pl.DataFrame | None:
    """Uses of ASB powers by kind and age band dated from ``start`` to before ``end``
    (``YYYY-MM-DD``): the day issued, else granted, else applied for.

    None when the cases app's table is not in the store. Demonstration rows are left out.
    """
    if not table_exists(store, "cases_power"):
        return None
    day = "COALESCE(issued_on, granted_on, applied_on)"
    sql = (f"SELECT kind, age_band, COUNT(*), SUM(CASE WHEN granted_on IS NOT NULL THEN 1 "
           f"ELSE 0 END) FROM cases_power WHERE {day} >= %s AND {day} < %s AND NOT is_demo "
           "GROUP BY kind, age_band ORDER BY kind, age_band")
    with store.connection.cursor() as cur:
        cur.execute(sql, [start, end])
        rows = cur.fetchall()
    return pl.DataFrame([(k, a or "", int(n), int(g)) for k, a, n, g in rows], orient="row",
                        schema={"kind": pl.String, "age_band": pl.String, "uses": pl.Int64,
                                "granted": pl.Int64})
