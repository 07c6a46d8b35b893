"""The SQL of the scrutiny report (:mod:`asbhub.reports.data` turns the rows into frames).

Each function runs one statement and returns plain rows (tuples) in the column order its
docstring names; filters run in the database. Tables the case system or the call logs add
may not exist in a store that only holds incidents: those functions say so with ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from asbhub.store import tables as t
from asbhub.store.db import Store
from asbhub.store.sql import fetch, in_list, table_exists

__all__ = [
    "call_rows",
    "call_source_rows",
    "case_review_count_rows",
    "incident_source_rows",
    "record_rows",
]


def record_rows(
    store: Store,
    months: tuple[str, str],
    lsoa_codes: Sequence[str] | None = None,
    forces: Sequence[str] | None = None,
) -> list[tuple[Any, ...]]:
    """Incidents, crimes and ROCs of the months given (first and last, inclusive).

    ``lsoa_codes``: only records located in these LSOAs; ``forces``: only records of loaded
    units of these forces. Rows: month, crime_type, record_type, asb_category, covid,
    lsoa_code, the unit's force and kind.
    """
    where = ["i.month >= %s", "i.month <= %s"]
    params: list[Any] = list(months)
    for column, values in (("l.lsoa_code", lsoa_codes), ("s.force", forces)):
        if values is not None:
            cond, more = in_list(column, values)
            where.append(cond)
            params.extend(more)
    sql = (
        "SELECT i.month, i.crime_type, i.record_type, i.asb_category, i.covid, l.lsoa_code, "
        f"s.force, s.kind FROM {t.INCIDENT} i "
        f"JOIN {t.SOURCE} s ON s.id = i.source_id "
        f"LEFT JOIN {t.LOCATION} l ON l.id = i.location_id "
        "WHERE " + " AND ".join(where)
    )
    return fetch(store.connection, sql, params)


def incident_source_rows(store: Store) -> list[tuple[Any, ...]]:
    """Every loaded unit of incidents: kind, force, month, rows, content_hash, file."""
    return fetch(
        store.connection,
        f"SELECT kind, force, month, rows, content_hash, file FROM {t.SOURCE} "
        "ORDER BY kind, force, month, id",
    )


def call_source_rows(store: Store) -> list[tuple[Any, ...]] | None:
    """Every loaded call log: file, rows, content_hash; None without the call tables."""
    if not table_exists(store.connection, t.CALL_SOURCE):
        return None
    return fetch(
        store.connection, f"SELECT file, rows, content_hash FROM {t.CALL_SOURCE} ORDER BY file, id"
    )


def call_rows(store: Store) -> list[tuple[Any, ...]] | None:
    """Every stored call: channel, queued_at, abandoned, wait_seconds, force; None without
    the call tables."""
    if not table_exists(store.connection, t.CALL):
        return None
    return fetch(
        store.connection,
        f"SELECT channel, queued_at, abandoned, wait_seconds, force FROM {t.CALL}",
    )


def case_review_count_rows(store: Store, start: dt.date, end: dt.date) -> list[tuple[Any, ...]]:
    """ASB Case Review applications received from ``start`` to before ``end``, by area.

    Rows, by area: area, received, threshold met, not met, not yet decided, reviews held
    (a meeting date recorded), held reviews with recommendations.
    """
    sql = (
        "SELECT area, COUNT(*), "
        "SUM(CASE WHEN decision = 'met' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN decision = 'not_met' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN decision NOT IN ('met', 'not_met') THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN meeting_on IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN meeting_on IS NOT NULL AND recommendations <> '' THEN 1 ELSE 0 END) "
        f"FROM {t.CASE_REVIEW} WHERE received_on >= %s AND received_on < %s "
        "GROUP BY area ORDER BY area"
    )
    return fetch(store.connection, sql, [start, end])
