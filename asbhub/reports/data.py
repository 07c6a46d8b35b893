"""The scrutiny report's data: every row the report reads from the store, and nothing else.

The SQL lives in :mod:`asbhub.store.scrutiny_rows` (all raw SQL is under ``asbhub/store``);
this module turns its rows into polars frames ready for :mod:`asbhub.analysis`. Tables 5.34
and 5.36 are counted by the case system's own services (:mod:`asbhub.records.cases.services`);
the Case Review counts, which it has no function for, are here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from asbhub.analysis_inputs import area_lsoa_codes
from asbhub.geo import AreaHierarchy
from asbhub.store import scrutiny_rows as rows_of
from asbhub.store import sql
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
RECORD_COLUMNS: dict[str, Any] = {
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
CALL_COLUMNS: dict[str, Any] = {
    "channel": pl.String,
    "queued_at": pl.Datetime("us", "UTC"),
    "abandoned": pl.Boolean,
    "wait_seconds": pl.Float64,
    "force": pl.String,
}


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
    codes: list[str] | None = None
    if lpu is not None:
        codes, _, _ = area_lsoa_codes(areas or AreaHierarchy.load(), lpu, None)
        if not codes:
            return pl.DataFrame(schema=RECORD_COLUMNS)
    rows = rows_of.record_rows(store, months, codes, forces)
    # Every row decides the types (a police.uk month first has no ASB category for hundreds of
    # rows; a force export's later rows do).
    frame = pl.DataFrame(rows, schema=list(RECORD_COLUMNS), orient="row", infer_schema_length=None)
    # SQLite hands back booleans as 0/1: cast column by column to the one schema.
    return frame.with_columns(pl.col(c).cast(t) for c, t in RECORD_COLUMNS.items())


def incident_sources(store: Store) -> list[dict[str, Any]]:
    """Every loaded unit of incidents: kind, force, month, rows and SHA-256 of its content."""
    return [
        {
            "kind": k,
            "force": f,
            "month": m or None,
            "rows": int(n),
            "content_sha256": h,
            "file": file,
        }
        for k, f, m, n, h, file in rows_of.incident_source_rows(store)
    ]


def call_sources(store: Store) -> list[dict[str, Any]]:
    """Every loaded call log: file, calls it holds now and SHA-256 of its valid calls."""
    return [
        {"kind": "calls", "file": f, "rows": int(n), "content_sha256": h}
        for f, n, h in rows_of.call_source_rows(store) or []
    ]


def report_calls(store: Store) -> pl.DataFrame:
    """Every stored call, with the columns the call-handling figures need."""
    rows = rows_of.call_rows(store)
    if rows is None:
        return pl.DataFrame(schema=CALL_COLUMNS)
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
    return sql.table_exists(store.connection, name)


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
    rows = rows_of.case_review_count_rows(store, start, end)
    schema = {"area": pl.String, **dict.fromkeys(CASE_REVIEW_COLUMNS, pl.Int64)}
    return pl.DataFrame(
        [(a, *(int(v) for v in rest)) for a, *rest in rows], orient="row", schema=schema
    )
