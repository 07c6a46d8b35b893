"""The scrutiny report's queries: every row the report reads from the store, and nothing else.

As :mod:`asbhub.store.query` does for the analysis commands, the SQL of the report lives here,
filters run in the database, and the results come back as polars frames ready for
:mod:`asbhub.analysis`. Tables 5.34 and 5.36 are counted by the case system's own services
(:mod:`asbhub.records.cases.services`); the Case Review counts, which it has no function for, are
here.
"""

from __future__ import annotations

from datetime import date
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
    "CASE_REVIEW_COLUMNS",
    "case_review_counts",
]

#: Columns of :func:`report_records`; ``force`` and ``kind`` are the loaded unit's (see
#: :mod:`asbhub.store.scope`).
RECORD_COLUMNS = {
    "month": pl.String,
    "crime_type": pl.String,
    "record_type": pl.String,
    "asb_category": pl.String,
    "covid": pl.Boolean,
    "lsoa_code": pl.String,
    "force": pl.String,
    "kind": pl.String,
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
    sql = (
        "SELECT i.month, i.crime_type, i.record_type, i.asb_category, i.covid, l.lsoa_code, "
        "s.force, s.kind FROM incidents_incident i "
        "JOIN incidents_source s ON s.id = i.source_id "
        "LEFT JOIN incidents_location l ON l.id = i.location_id "
        "WHERE " + " AND ".join(where)
    )
    with store.connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    # Every row decides the types (a police.uk month first has no ASB category for hundreds of
    # rows; a force export's later rows do).
    frame = pl.DataFrame(rows, schema=list(RECORD_COLUMNS), orient="row", infer_schema_length=None)
    # SQLite hands back booleans as 0/1: cast column by column to the one schema.
    return frame.with_columns(pl.col(c).cast(t) for c, t in RECORD_COLUMNS.items())


def incident_sources(store: Store) -> list[dict[str, Any]]:
    """Every loaded unit of incidents: kind, force, month, rows and SHA-256 of its content."""
    sql = (
        "SELECT kind, force, month, rows, content_hash, file FROM incidents_source "
        "ORDER BY kind, force, month, id"
    )
    with store.connection.cursor() as cur:
        cur.execute(sql)
        return [
            {
                "kind": k,
                "force": f,
                "month": m or None,
                "rows": int(n),
                "content_sha256": h,
                "file": file,
            }
            for k, f, m, n, h, file in cur.fetchall()
        ]


def call_sources(store: Store) -> list[dict[str, Any]]:
    """Every loaded call log: file, calls it holds now and SHA-256 of its valid calls."""
    if not table_exists(store, "contact_callsource"):
        return []
    with store.connection.cursor() as cur:
        cur.execute("SELECT file, rows, content_hash FROM contact_callsource ORDER BY file, id")
        return [
            {"kind": "calls", "file": f, "rows": int(n), "content_sha256": h}
            for f, n, h in cur.fetchall()
        ]


def report_calls(store: Store) -> pl.DataFrame:
    """Every stored call, with the columns the call-handling figures need."""
    if not table_exists(store, "contact_call"):
        return pl.DataFrame(schema=CALL_COLUMNS)
    sql = "SELECT channel, queued_at, abandoned, wait_seconds, force FROM contact_call"
    with store.connection.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    frame = pl.DataFrame(rows, schema=list(CALL_COLUMNS), orient="row")
    return frame.with_columns(
        pl.col("channel").cast(pl.String),
        pl.col("queued_at").cast(pl.Datetime("us")).dt.replace_time_zone("UTC", non_existent="null")
        if frame["queued_at"].dtype != CALL_COLUMNS["queued_at"]
        else pl.col("queued_at"),
        pl.col("abandoned").cast(pl.Boolean),
        pl.col("wait_seconds").cast(pl.Float64),
        pl.col("force").cast(pl.String),
    )


def table_exists(store: Store, name: str) -> bool:
    """Whether the store has a table of this name (another app's tables may not exist yet)."""
    with store.connection.cursor() as cur:
        return name in store.connection.introspection.table_names(cur)


#: Columns of :func:`case_review_counts` after ``area``, with the headings the report gives them.
CASE_REVIEW_COLUMNS = {
    "received": "Applications received",
    "met": "Threshold met",
    "not_met": "Threshold not met",
    "pending": "Not yet decided",
    "held": "Case Reviews held",
    "recommendations": "Reviews with recommendations",
}


def case_review_counts(store: Store, start: date, end: date) -> pl.DataFrame:
    """ASB Case Review applications received from ``start`` to before ``end``, by area: how
    many, the decision on each (threshold met, not met, not yet decided), and how many reviews
    were held (a meeting date recorded) and made recommendations.

    Returns
    -------
    polars.DataFrame
        ``area`` and the columns of :data:`CASE_REVIEW_COLUMNS`, one row per area, by area.
    """
    sql = (
        "SELECT area, COUNT(*), "
        "SUM(CASE WHEN decision = 'met' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN decision = 'not_met' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN decision NOT IN ('met', 'not_met') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN meeting_on IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN meeting_on IS NOT NULL AND recommendations <> '' THEN 1 ELSE 0 END) "
        "FROM cases_casereview WHERE received_on >= %s AND received_on < %s "
        "GROUP BY area ORDER BY area"
    )
    with store.connection.cursor() as cur:
        cur.execute(sql, [start, end])
        rows = cur.fetchall()
    schema = {"area": pl.String, **dict.fromkeys(CASE_REVIEW_COLUMNS, pl.Int64)}
    return pl.DataFrame(
        [(a, *(int(v) for v in rest)) for a, *rest in rows], orient="row", schema=schema
    )
