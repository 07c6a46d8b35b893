"""The SQL of the daily briefing (:mod:`asbhub.reports.briefing_data` turns the rows into frames).

Every function takes a :class:`~asbhub.store.db.Store` and exact UTC instants (or dates) and
returns plain rows (tuples); date-times come back as UTC-aware datetimes and dates as dates
whatever the database (SQLite hands back naive UTC text, PostgreSQL aware values). Functions on
the case system's tables return ``None`` when the store does not have them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from asbhub.store import tables as t
from asbhub.store.db import Store
from asbhub.store.sql import as_date, db_date, db_instant, fetch, table_exists, utc

__all__ = [
    "case_review_incident_rows",
    "force_names_like",
    "incident_rows",
    "person_rows",
    "pmp_review_rows",
    "threshold_rule_rows",
]

# When an incident happened: its start, else when it was reported (as its month is defined).
_WHEN = "COALESCE(i.occurred_from, i.reported_at)"
# `asbhub briefing --force NAME` (issue #12 item 5): one force's incidents, as its loaded
# units name it.
_FORCE = f" AND i.source_id IN (SELECT s.id FROM {t.SOURCE} s WHERE s.force = %s)"


def _window(
    store: Store, start: dt.datetime, end: dt.datetime, force: str | None
) -> tuple[str, list[Any]]:
    params = [db_instant(store.vendor, start), db_instant(store.vendor, end)]
    cond = f"{_WHEN} >= %s AND {_WHEN} < %s"
    if force:
        return cond + _FORCE, [*params, force]
    return cond, params


def incident_rows(
    store: Store, start: dt.datetime, end: dt.datetime, force: str | None = None
) -> list[tuple[Any, ...]]:
    """Incidents that happened from ``start`` to before ``end`` (by start, else report time).

    Rows, by id: id, reference, record_type, crime_type, asb_category, occurred_from,
    reported_at, lpu, thrive_risk, thrive_vulnerability, easting, northing, lsoa_code, the
    location's description, snt.
    """
    cond, params = _window(store, start, end, force)
    sql = (
        "SELECT i.id, i.reference, i.record_type, i.crime_type, i.asb_category, "
        "i.occurred_from, i.reported_at, i.lpu, i.thrive_risk, i.thrive_vulnerability, "
        "l.easting, l.northing, l.lsoa_code, l.description, i.snt "
        f"FROM {t.INCIDENT} i LEFT JOIN {t.LOCATION} l ON l.id = i.location_id "
        f"WHERE {cond} ORDER BY i.id"
    )
    return [(*r[:5], utc(r[5]), utc(r[6]), *r[7:]) for r in fetch(store.connection, sql, params)]


def person_rows(
    store: Store, start: dt.datetime, end: dt.datetime, force: str | None = None
) -> list[tuple[Any, ...]]:
    """People of incidents that happened from ``start`` to before ``end``.

    Rows, by person id: id, incident_id, role, name, date_of_birth, postcode, address (both
    None when blank, the store's "not recorded"), record_type, occurred_from, reported_at,
    lpu, reference, asb_category, location_id, the location's description, snt.
    """
    cond, params = _window(store, start, end, force)
    sql = (
        "SELECT p.id, p.incident_id, p.role, p.name, p.date_of_birth, p.postcode, "
        "p.address, i.record_type, i.occurred_from, i.reported_at, i.lpu, i.reference, "
        "i.asb_category, i.location_id, l.description, i.snt "
        f"FROM {t.PERSON} p JOIN {t.INCIDENT} i ON i.id = p.incident_id "
        f"LEFT JOIN {t.LOCATION} l ON l.id = i.location_id "
        f"WHERE {cond} ORDER BY p.id"
    )
    rows = []
    for r in fetch(store.connection, sql, params):
        # Blank (the store's "not recorded") is None, so it never keys an address or a person.
        postcode, address = ((v or "").strip() or None for v in r[5:7])
        rows.append((*r[:4], as_date(r[4]), postcode, address, r[7], utc(r[8]), utc(r[9]), *r[10:]))
    return rows


def pmp_review_rows(store: Store, day: dt.date) -> list[tuple[Any, ...]] | None:
    """Open PMPs whose next supervisor review is due on or before ``day``, soonest first.

    Rows: reference, title, lpu, stage, next_review_due (a date), is_demo (a bool). None when
    the case system's table is not in the store.
    """
    if not table_exists(store.connection, t.PMP):
        return None
    sql = (
        f"SELECT reference, title, lpu, stage, next_review_due, is_demo FROM {t.PMP} "
        "WHERE closed_at IS NULL AND next_review_due IS NOT NULL AND next_review_due <= %s "
        "ORDER BY next_review_due, lpu, reference"
    )
    return [
        (*r[:4], as_date(r[4]), bool(r[5]))
        for r in fetch(store.connection, sql, [db_date(store.vendor, day)])
    ]


def threshold_rule_rows(store: Store) -> list[tuple[Any, ...]] | None:
    """The ASB Case Review threshold rules, by area: area, complaints, window_months,
    report_within_days, count_people, hate_incidents. None without the table."""
    if not table_exists(store.connection, t.THRESHOLD_RULE):
        return None
    sql = (
        "SELECT area, complaints, window_months, report_within_days, count_people, "
        f"hate_incidents FROM {t.THRESHOLD_RULE} ORDER BY area"
    )
    return fetch(store.connection, sql)


def force_names_like(store: Store, word: str) -> list[str]:
    """Force names of the loaded sources that hold ``word`` (any case), sorted."""
    sql = f"SELECT DISTINCT force FROM {t.SOURCE} WHERE UPPER(force) LIKE %s ORDER BY force"
    return [r[0] for r in fetch(store.connection, sql, [f"%{word.upper()}%"])]


def case_review_incident_rows(store: Store) -> list[tuple[Any, ...]] | None:
    """(incident id, the Case Review's reference) of incidents in an ASB Case Review, by the
    complaint's link to the incident, else by the incident's reference; the id is None for a
    complaint that matches no incident. None without the case system's tables."""
    conn = store.connection
    if not (table_exists(conn, t.CASE_REVIEW_COMPLAINT) and table_exists(conn, t.CASE_REVIEW)):
        return None
    sql = (
        "SELECT COALESCE(c.incident_id, i.id), r.reference "
        f"FROM {t.CASE_REVIEW_COMPLAINT} c JOIN {t.CASE_REVIEW} r ON r.id = c.case_review_id "
        f"LEFT JOIN {t.INCIDENT} i ON c.incident_id IS NULL AND c.reference <> '' "
        "AND i.reference = c.reference ORDER BY r.reference"
    )
    return fetch(conn, sql)
