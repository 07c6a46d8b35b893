"""The data of the daily briefing (:mod:`asbhub.reports.briefing`), and nothing else.

The SQL lives in :mod:`asbhub.store.briefing_rows` (all raw SQL is under ``asbhub/store``).
Every function takes a :class:`~asbhub.store.db.Store` and exact UTC instants (or dates) and
returns a polars frame; date-times come back as UTC-aware datetimes whatever the database
(SQLite hands back naive UTC, PostgreSQL aware values).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from asbhub.store import briefing_rows as rows_of
from asbhub.store.db import Store

__all__ = [
    "case_review_incidents",
    "incident_rows",
    "person_rows",
    "pmps_for_review",
    "synthetic_forces",
    "threshold_rules",
]

_INCIDENT_SCHEMA: dict[str, Any] = {
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
_PERSON_SCHEMA: dict[str, Any] = {
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
    rows = rows_of.incident_rows(store, start, end, force)
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
    rows = rows_of.person_rows(store, start, end, force)
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
    rows = rows_of.pmp_review_rows(store, day)
    if rows is None:
        return None
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
    rows = rows_of.threshold_rule_rows(store)
    if rows is None:
        return None
    return {
        r[0] or "": {
            "complaints": int(r[1]),
            "window_months": int(r[2]),
            "report_within_days": int(r[3]),
            "count_people": bool(r[4]),
            "hate_incidents": None if r[5] is None else int(r[5]),
        }
        for r in rows
    }


#: Sources whose force name holds this word are synthetic (``asbhub demo`` names its own so).
SYNTHETIC_MARK = "SYNTHETIC"


def synthetic_forces(store: Store) -> list[str]:
    """Force names of the loaded sources that say they are synthetic, so pages can say so."""
    return rows_of.force_names_like(store, SYNTHETIC_MARK)


def case_review_incidents(store: Store) -> dict[int, str] | None:
    """Incidents already in an ASB Case Review: ``incident id -> the review's reference``,
    by the complaint's link to the incident, else by the incident's reference.

    None when the case system's tables are not in the store.
    """
    rows = rows_of.case_review_incident_rows(store)
    if rows is None:
        return None
    return {int(r[0]): r[1] for r in rows if r[0] is not None}
