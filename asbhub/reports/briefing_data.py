"""The SQL of the daily briefing (:mod:`asbhub.reports.briefing`), and nothing else.

Every function takes a :class:`~asbhub.store.db.Store` and exact UTC instants (or dates) and
returns a polars frame; date-times come back as UTC-aware datetimes whatever the database
(SQLite hands back naive UTC, PostgreSQL aware values).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from asbhub.reports.data import table_exists
from asbhub.store.db import Store

__all__ = [
    "case_review_incidents",
    "incident_rows",
    "person_rows",
    "pmps_for_review",
    "synthetic_forces",
    "threshold_rules",
]

_INCIDENT_SCHEMA = {
    "incident_id": pl.Int64,
    "reference": pl.String,
    "record_type": pl.String,
    "crime_type": pl.String,
    "asb_category": pl.String,
    "occurred_from": pl.Datetime("us", "UTC"),
    "reported_at": pl.Datetime("us", "UTC"),
    "lpu": pl.String,
    "thrive_risk": pl.String,
    "thrive_vulnerability": pl.String,
    "easting": pl.Float64,
    "northing": pl.Float64,
    "lsoa_code": pl.String,
    "location_text": pl.String,
    "snt": pl.String,
}
_PERSON_SCHEMA = {
    "person_row_id": pl.Int64,
    "incident_id": pl.Int64,
    "role": pl.String,
    "name": pl.String,
    "date_of_birth": pl.Date,
    "postcode": pl.String,
    "address": pl.String,
    "record_type": pl.String,
    "occurred_from": pl.Datetime("us", "UTC"),
    "reported_at": pl.Datetime("us", "UTC"),
    "lpu": pl.String,
    "reference": pl.String,
    "asb_category": pl.String,
    "location_id": pl.Int64,
    "location_text": pl.String,
    "snt": pl.String,
}
# When an incident happened: its start, else when it was reported (as its month is defined).
_WHEN = "COALESCE(i.occurred_from, i.reported_at)"


def _param(store: Store, instant: dt.datetime) -> Any:
    """An instant as the database compares it: naive UTC text for SQLite, aware otherwise."""
    utc = instant.astimezone(dt.UTC)
    if store.vendor == "sqlite":
        return utc.replace(tzinfo=None).isoformat(sep=" ")
    return utc


def _utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# `asbhub briefing --force NAME` (issue #12 item 5): one force's incidents, as its loaded
# units name it.
_FORCE = " AND i.source_id IN (SELECT s.id FROM incidents_source s WHERE s.force = %s)"


def _fetch(store: Store, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with store.connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def incident_rows(
    store: Store, start: dt.datetime, end: dt.datetime, force: str | None = None
) -> pl.DataFrame:
    """Incidents that happened from ``start`` to before ``end`` (by start, else report time).

    Returns
    -------
    polars.DataFrame
        ``incident_id``, ``reference``, ``record_type``, ``crime_type``, ``asb_category``,
        ``occurred_from``, ``reported_at``, ``lpu``, ``thrive_risk``, ``thrive_vulnerability``,
        ``easting``, ``northing``, ``lsoa_code``, ``location_text``, ``snt``.
    """
    sql = (
        "SELECT i.id, i.reference, i.record_type, i.crime_type, i.asb_category, "
        "i.occurred_from, i.reported_at, i.lpu, i.thrive_risk, i.thrive_vulnerability, "
        "l.easting, l.northing, l.lsoa_code, l.description, i.snt "
        "FROM incidents_incident i LEFT JOIN incidents_location l ON l.id = i.location_id "
        f"WHERE {_WHEN} >= %s AND {_WHEN} < %s{_FORCE if force else ''} ORDER BY i.id"
    )
    params = [_param(store, start), _param(store, end), *([force] if force else [])]
    rows = [(*r[:5], _utc(r[5]), _utc(r[6]), *r[7:]) for r in _fetch(store, sql, params)]
    return pl.DataFrame(rows, schema=_INCIDENT_SCHEMA, orient="row")


def person_rows(
    store: Store, start: dt.datetime, end: dt.datetime, force: str | None = None
) -> pl.DataFrame:
    """People of incidents that happened from ``start`` to before ``end``.

    Returns
    -------
    polars.DataFrame
        ``person_row_id`` (``incidents_person.id``, the row a linkage cluster refers to),
        ``incident_id``, ``role``, ``name``, ``date_of_birth``, ``postcode``, ``address``
        (both null when not recorded), ``record_type``,
        ``occurred_from``, ``reported_at``, ``lpu``, ``reference``, ``asb_category``,
        ``location_id``, ``location_text``, ``snt``.
    """
    sql = (
        "SELECT p.id, p.incident_id, p.role, p.name, p.date_of_birth, p.postcode, "
        "p.address, i.record_type, i.occurred_from, i.reported_at, i.lpu, i.reference, "
        "i.asb_category, i.location_id, l.description, i.snt "
        "FROM incidents_person p JOIN incidents_incident i ON i.id = p.incident_id "
        "LEFT JOIN incidents_location l ON l.id = i.location_id "
        f"WHERE {_WHEN} >= %s AND {_WHEN} < %s{_FORCE if force else ''} ORDER BY p.id"
    )
    rows = []
    params = [_param(store, start), _param(store, end), *([force] if force else [])]
    for r in _fetch(store, sql, params):
        dob = r[4]
        if isinstance(dob, str):
            dob = dt.date.fromisoformat(dob)
        # Blank (the store's "not recorded") is null, so it never keys an address or a person.
        postcode, address = ((v or "").strip() or None for v in r[5:7])
        rows.append((*r[:4], dob, postcode, address, r[7], _utc(r[8]), _utc(r[9]), *r[10:]))
    return pl.DataFrame(rows, schema=_PERSON_SCHEMA, orient="row")


def pmps_for_review(store: Store, day: dt.date) -> pl.DataFrame | None:
    """Open Problem Management Plans whose next supervisor review is due on or before ``day``.

    None when the case system's table is not in the store. Demonstration plans are included
    and flagged (``is_demo``), so a demonstration briefing shows them.

    Returns
    -------
    polars.DataFrame or None
        ``reference``, ``title``, ``lpu``, ``stage``, ``next_review_due``, ``is_demo``,
        soonest due first.
    """
    schema = {
        "reference": pl.String,
        "title": pl.String,
        "lpu": pl.String,
        "stage": pl.String,
        "next_review_due": pl.Date,
        "is_demo": pl.Boolean,
    }
    if not table_exists(store, "cases_pmp"):
        return None
    sql = (
        "SELECT reference, title, lpu, stage, next_review_due, is_demo FROM cases_pmp "
        "WHERE closed_at IS NULL AND next_review_due IS NOT NULL AND next_review_due <= %s "
        "ORDER BY next_review_due, lpu, reference"
    )
    rows = []
    for r in _fetch(store, sql, [day.isoformat() if store.vendor == "sqlite" else day]):
        due = dt.date.fromisoformat(r[4]) if isinstance(r[4], str) else r[4]
        rows.append((*r[:4], due, bool(r[5])))
    return pl.DataFrame(rows, schema=schema, orient="row")


def threshold_rules(store: Store) -> dict[str, dict[str, Any]] | None:
    """The ASB Case Review threshold rules the areas have set, by area (``""``: the default).

    None when the case system's table is not in the store.

    Returns
    -------
    dict or None
        Area -> ``complaints``, ``window_months``, ``report_within_days``, ``count_people``,
        ``hate_incidents`` (the fields of :class:`asbhub.domain.cases.ThresholdRule`).
    """
    if not table_exists(store, "cases_thresholdrule"):
        return None
    sql = (
        "SELECT area, complaints, window_months, report_within_days, count_people, "
        "hate_incidents FROM cases_thresholdrule ORDER BY area"
    )
    return {
        r[0] or "": {
            "complaints": int(r[1]),
            "window_months": int(r[2]),
            "report_within_days": int(r[3]),
            "count_people": bool(r[4]),
            "hate_incidents": None if r[5] is None else int(r[5]),
        }
        for r in _fetch(store, sql, [])
    }


#: Sources whose force name holds this word are synthetic (``asbhub demo`` names its own so).
SYNTHETIC_MARK = "SYNTHETIC"


def synthetic_forces(store: Store) -> list[str]:
    """Force names of the loaded sources that say they are synthetic, so pages can say so."""
    sql = "SELECT DISTINCT force FROM incidents_source WHERE UPPER(force) LIKE %s ORDER BY force"
    return [r[0] for r in _fetch(store, sql, [f"%{SYNTHETIC_MARK}%"])]


def case_review_incidents(store: Store) -> dict[int, str] | None:
    """Incidents already in an ASB Case Review: ``incident id -> the review's reference``,
    by the complaint's link to the incident, else by the incident's reference.

    None when the case system's tables are not in the store.
    """
    if not (
        table_exists(store, "cases_casereviewcomplaint") and table_exists(store, "cases_casereview")
    ):
        return None
    sql = (
        "SELECT COALESCE(c.incident_id, i.id), r.reference "
        "FROM cases_casereviewcomplaint c JOIN cases_casereview r ON r.id = c.case_review_id "
        "LEFT JOIN incidents_incident i ON c.incident_id IS NULL AND c.reference <> '' "
        "AND i.reference = c.reference ORDER BY r.reference"
    )
    return {int(r[0]): r[1] for r in _fetch(store, sql, []) if r[0] is not None}
