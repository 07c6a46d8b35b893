"""Building the daily briefing for a date: :func:`build_briefing` (the queries are
:mod:`asbhub.reports.briefing_data`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from typing import Any

import polars as pl

from asbhub.analysis.repeats import (
    PERPETRATOR_MIN_COUNT,
    PERPETRATOR_ROLES,
    repeat_locations,
    repeat_perpetrators,
    repeat_victims,
)
from asbhub.domain.cases import (
    COMPLAINANT_ROLES,
    ThresholdRule,
    case_review_flags,
    is_working_day,
    review_status,
)
from asbhub.domain.people import INTERIM_PERSON_KEY, interim_person_key
from asbhub.reports import briefing_data as q
from asbhub.reports.briefing.flags import (
    emerging_hotspots,
    incidents_by_lpu,
    named_rows,
    victim_addresses,
)
from asbhub.reports.briefing.model import DEFAULT_LIMIT, Briefing, local_date, local_midnight
from asbhub.store.db import Store


def previous_working_day(day: dt.date) -> dt.date:
    """The working day before ``day`` (England and Wales): the last briefing's day, so a
    Monday briefing covers Friday to Sunday."""
    prev = day - dt.timedelta(days=1)
    while not is_working_day(prev):
        prev -= dt.timedelta(days=1)
    return prev


def domain_rules(raw: Mapping[str, Mapping[str, Any]] | None) -> dict[str, ThresholdRule]:
    """Rules as :func:`asbhub.reports.briefing_data.threshold_rules` reads them -> domain
    :class:`~asbhub.domain.cases.ThresholdRule` objects, by area."""
    return {area: ThresholdRule(**values) for area, values in (raw or {}).items()}


def build_briefing(
    store: Store,
    date: dt.date,
    since: dt.date | None = None,
    *,
    person_key: Mapping[int, Hashable] | None = None,
    window_days: int = 365,
    min_count: int = 2,
    location_min_count: int = 3,
    perpetrator_min_count: int = PERPETRATOR_MIN_COUNT,
    address_min_count: int = 3,
    location_distance_m: float = 0.0,
    hotspot_months: int = 6,
    hotspot_min_months: int = 4,
    hotspot_cell_size: float = 250.0,
    hotspot_record_types: tuple[str, ...] = ("asb",),
    case_review_rules: Mapping[str, ThresholdRule] | None = None,
    force: str | None = None,
    limit: int | None = DEFAULT_LIMIT,
    case_reviews: Mapping[int, str] | None = None,
) -> Briefing:
    """Assemble the briefing for the morning of ``date``.

    Parameters
    ----------
    store : Store
    date : datetime.date
        The day of the briefing; it covers ``since`` to the day before.
    since : datetime.date, optional
        First day covered: the day of the last briefing. Default the previous working day
        (:func:`previous_working_day`): Friday for a Monday.
    person_key : mapping of int to hashable, optional
        The hook for person linkage: ``incidents_person.id`` -> cluster id. People not in
        the mapping count as themselves alone. Default: the interim key
        (:func:`asbhub.domain.people.interim_person_key`).
    window_days, min_count : int
        Repeat victim definition (DESIGN.md: more than one in 12 months). ``window_days`` is
        the window of repeat perpetrators and addresses too.
    perpetrator_min_count : int
        Incidents as suspect (or perpetrator) in the window that make a repeat perpetrator
        (default 3: see :func:`asbhub.analysis.repeat_perpetrators` for why not 2).
    address_min_count : int
        Incidents at a victim's address in the window that make it a repeat address.
    location_min_count : int
        Incidents at a place in the window that make it a repeat location.
    location_distance_m : float
        0 for the same point; more to join nearby points.
    hotspot_months : int
        Full months before ``date``'s month in which to classify hot spots.
    hotspot_min_months : int
        Consecutive months with dated incidents, ending with the last full month, that the
        hot spot trend needs; with fewer the section says there is not enough data.
    hotspot_cell_size : float
        Metres.
    hotspot_record_types : tuple of str
        Which records the hot spot analysis uses (default ASB incidents).
    case_review_rules : mapping of str to ThresholdRule, optional
        ASB Case Review thresholds by area (LPU name; ``""`` the default). Default: the rules
        set in the case system (``cases_thresholdrule``), else the built-in default.
    force : str, optional
        Only this force's incidents, as its loaded units name it (default every force).
    limit : int or None
        Rows each section shows, ranked, before "and N more" (default
        :data:`DEFAULT_LIMIT`); None for the full, uncut briefing (the data are the same:
        only the rendering cuts).
    case_reviews : mapping of int to str, optional
        Incidents already in an ASB Case Review (incident id -> its reference); a flag met
        before the last briefing with one of them collapses to a count. Default: the case
        system's (:func:`asbhub.reports.briefing_data.case_review_incidents`).

    Returns
    -------
    Briefing
    """
    since = since or previous_working_day(date)
    if since >= date:
        raise ValueError(
            f"since ({since}) must be before the briefing date ({date}); leave "
            f"it out for the previous working day"
        )
    as_of = date - dt.timedelta(days=1)
    before = since - dt.timedelta(days=1)

    incidents = q.incident_rows(store, local_midnight(since), local_midnight(date), force)
    high = incidents.filter(
        (pl.col("thrive_risk") == "high") | (pl.col("thrive_vulnerability") == "high")
    ).select(
        "incident_id",
        "reference",
        "record_type",
        "lpu",
        "occurred_from",
        "location_text",
        "thrive_risk",
        "thrive_vulnerability",
    )

    # The window back to the previous briefing's window start.
    start = local_midnight(before - dt.timedelta(days=window_days))
    people = q.person_rows(store, start, local_midnight(date), force).with_columns(
        pl.coalesce("occurred_from", "reported_at").alias("_when")
    )
    people = people.with_columns(local_date().alias("date"))
    if person_key is None:
        keys = [
            interim_person_key(n, d, p)
            for n, d, p in people.select("name", "date_of_birth", "postcode").iter_rows()
        ]
        key_name = INTERIM_PERSON_KEY
    else:
        keys = [str(person_key.get(i, f"row-{i}")) for i in people["person_row_id"].to_list()]
        key_name = "linkage clusters"
    people = people.with_columns(pl.Series("person_key", keys, dtype=pl.String))
    victims = repeat_victims(
        people, "person_key", window_days, min_count, as_of, before, date_column="date"
    )
    victim_rows = named_rows(victims, people, COMPLAINANT_ROLES, as_of)
    perpetrators = repeat_perpetrators(
        people, "person_key", window_days, perpetrator_min_count, as_of, before, date_column="date"
    )
    perpetrator_rows = named_rows(
        perpetrators, people, tuple(r for r, _ in PERPETRATOR_ROLES), as_of
    )
    addresses, address_rows = victim_addresses(
        people, window_days, address_min_count, as_of, before
    )

    if case_review_rules is None:
        case_review_rules = domain_rules(q.threshold_rules(store))
    review = case_review_flags(people, as_of, before, case_review_rules)
    if case_reviews is None:
        case_reviews = q.case_review_incidents(store)
    review = review.with_reviews(case_reviews or {})

    places_window = q.incident_rows(store, start, local_midnight(date), force).with_columns(
        pl.coalesce("occurred_from", "reported_at").alias("_when")
    )
    places_window = places_window.with_columns(local_date().alias("date"))
    locations = repeat_locations(
        places_window,
        location_distance_m,
        window_days,
        location_min_count,
        as_of,
        before,
        date_column="date",
    )

    hotspots, note, hot_params, areas = emerging_hotspots(
        store,
        date,
        hotspot_months,
        hotspot_cell_size,
        hotspot_record_types,
        hotspot_min_months,
        force=force,
    )
    pmps = q.pmps_for_review(store, date)
    if pmps is not None:
        pmps = pmps.with_columns(
            pl.Series(
                "status",
                [review_status(d, date) for d in pmps["next_review_due"].to_list()],
                dtype=pl.String,
            )
        )
    return Briefing(
        date=date,
        since=since,
        incidents_by_lpu=incidents_by_lpu(incidents),
        high_risk=high,
        repeat_victims=victims,
        repeat_victim_rows=victim_rows,
        repeat_locations=locations,
        repeat_perpetrators=perpetrators,
        repeat_perpetrator_rows=perpetrator_rows,
        repeat_addresses=addresses,
        repeat_address_rows=address_rows,
        hotspots=hotspots,
        hotspot_note=note,
        hotspot_parameters=hot_params,
        pmps=pmps,
        hot_areas=areas,
        limit=limit,
        person_key_name=key_name,
        case_review=review,
        synthetic=tuple(q.synthetic_forces(store)),
        parameters={
            "date": date.isoformat(),
            "since": since.isoformat(),
            "period": f"{since.isoformat()} to {as_of.isoformat()}",
            "person_key": key_name,
            "repeat_victims": victims.parameters,
            "repeat_perpetrators": perpetrators.parameters,
            "repeat_addresses": addresses.parameters,
            "repeat_locations": locations.parameters,
            "hotspots": hot_params,
            "case_review_rules": review.rules,
            "store": store.url.split("@")[-1],
        },
    )
