"""The daily briefing for the LPU inspector and the tasking meeting: data -> HTML.

:func:`build_briefing` assembles, for the morning of a date, what happened since the last
briefing (by default the previous day): incidents by Local Policing Unit, repeat victims who
are new or rising, repeat locations, emerging hot spots, and Problem Management Plans due or
overdue for review. :func:`render_briefing_html` turns it into one self-contained HTML page.

Dates
-----
An incident's date is the UK local date of its start (``occurred_from``), else of its report
(``reported_at``): the rule the store's ``month`` follows. A briefing for date *D* with
``since`` *S* covers incidents dated *S* to *D - 1* inclusive; the repeat windows end on
*D - 1* and are compared with the windows ending on *S - 1* (the previous briefing's view).

Who is who
----------
Until person linkage lands, a person is known by the **interim person key**
(:func:`interim_person_key`): the normalised surname with the date of birth, or else with the
postcode. It splits a person whose surname is misspelt and joins two namesakes born the same
day; the briefing says it is interim. Linkage plugs in through ``person_key``: a mapping from
``incidents_person.id`` to a cluster id (any hashable), as a linkage run produces.

Personal data: the repeat victim table names people. The page is marked OFFICIAL-SENSITIVE and
is for those entitled to see the people in the store.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from asbhub.analysis.repeats import RepeatLocations, RepeatVictims, repeat_locations, repeat_victims
from asbhub.domain.cases import review_status
from asbhub.reports import briefing_data as q
from asbhub.store.db import Store

__all__ = [
    "INTERIM_PERSON_KEY",
    "Briefing",
    "build_briefing",
    "interim_person_key",
    "render_briefing_html",
    "write_briefing",
]

LOCAL = ZoneInfo("Europe/London")
RECORD_TYPES = ("crime", "asb", "roc")
INTERIM_PERSON_KEY = "interim: surname + date of birth, else surname + postcode"
"""The name the briefing gives the person key it uses until linkage lands."""
_HOTSPOT_CATEGORIES = ("new", "emerging", "intensifying")


def _norm(text: str | None) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", text.lower())


def interim_person_key(name: str | None, date_of_birth: dt.date | str | None,
                       postcode: str | None) -> str | None:
    """The interim person key: ``surname|YYYY-MM-DD``, else ``surname|POSTCODE``, else None.

    The surname is the last word of the name, lower case, letters only (``O'Brien`` and
    ``OBRIEN`` agree); the postcode is upper case without spaces.

    Examples
    --------
    >>> interim_person_key("Alice  O'Brien", dt.date(1971, 5, 14), None)
    'obrien|1971-05-14'
    >>> interim_person_key("ALICE OBRIEN", None, "de22 9zz")
    'obrien|DE229ZZ'
    >>> interim_person_key("Alice", None, None) is None
    True
    """
    words = (name or "").split()
    surname = _norm(words[-1]) if words else ""
    if not surname:
        return None
    if date_of_birth:
        dob = date_of_birth if isinstance(date_of_birth, str) else date_of_birth.isoformat()
        return f"{surname}|{dob}"
    pc = re.sub(r"\s+", "", (postcode or "").upper())
    return f"{surname}|{pc}" if pc else None


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL)


def _local_date(col: str = "_when") -> pl.Expr:
    return pl.col(col).dt.convert_time_zone("Europe/London").dt.date()


@dataclass(frozen=True)
class Briefing:
    """The daily briefing's data.

    Attributes
    ----------
    date, since : datetime.date
        The morning of the briefing, and the first day it covers (it covers ``since`` to
        ``date - 1``).
    incidents_by_lpu : polars.DataFrame
        ``lpu`` (``Unknown`` when the record names none), ``crime``, ``asb``, ``roc``,
        ``total``, sorted by LPU, for incidents in the period.
    high_risk : polars.DataFrame
        Incidents in the period graded high for THRIVE risk or vulnerability at first contact.
    repeat_victims : RepeatVictims
    repeat_victim_rows : polars.DataFrame
        The new or rising repeat victims with a name, LPU and latest date for the page.
    repeat_locations : RepeatLocations
    hotspots : polars.DataFrame or None
        Cells in the categories new, emerging or intensifying (centre easting and northing,
        category, count in the last month); None with ``hotspot_note`` saying why.
    hotspot_parameters : dict
    pmps : polars.DataFrame or None
        PMPs due (today) or overdue for review, with ``status``; None when the case system's
        tables are not in the store.
    person_key_name : str
        :data:`INTERIM_PERSON_KEY`, or ``linkage clusters`` when ``person_key`` was given.
    parameters : dict
        Every parameter, for the page's footer.
    """

    date: dt.date
    since: dt.date
    incidents_by_lpu: pl.DataFrame
    high_risk: pl.DataFrame
    repeat_victims: RepeatVictims
    repeat_victim_rows: pl.DataFrame
    repeat_locations: RepeatLocations
    hotspots: pl.DataFrame | None
    hotspot_note: str
    hotspot_parameters: dict[str, Any]
    pmps: pl.DataFrame | None
    person_key_name: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def n_incidents(self) -> int:
        return int(self.incidents_by_lpu["total"].sum()) if self.incidents_by_lpu.height else 0


def _by_lpu(incidents: pl.DataFrame) -> pl.DataFrame:
    counts = (incidents.with_columns(pl.col("lpu").fill_null("Unknown"))
              .group_by("lpu", "record_type").len())
    wide = {lpu: dict.fromkeys(RECORD_TYPES, 0) for lpu in counts["lpu"].unique().to_list()}
    for lpu, rtype, n in counts.iter_rows():
        wide[lpu][rtype] = wide[lpu].get(rtype, 0) + int(n)
    rows = [(lpu, *(v[t] for t in RECORD_TYPES), sum(v.values()))
            for lpu, v in sorted(wide.items())]
    return pl.DataFrame(rows, orient="row", schema={"lpu": pl.String, "crime": pl.Int64,
                                                    "asb": pl.Int64, "roc": pl.Int64,
                                                    "total": pl.Int64})


def _hotspots(store: Store, day: dt.date, months: int, cell_size: float,
              record_types: tuple[str, ...]) -> tuple[pl.DataFrame | None, str, dict[str, Any]]:
    from asbhub.analysis import TREND_CATEGORIES, hotspot_classify

    last = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # last full month
    first = last
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    params = {"months": f"{first:%Y-%m} to {last:%Y-%m}", "cell_size_m": cell_size,
              "record_types": list(record_types), "period": "month"}
    end = (last + dt.timedelta(days=32)).replace(day=1)
    inc = q.incident_rows(store, _local_midnight(first), _local_midnight(end))
    inc = inc.filter(pl.col("record_type").is_in(list(record_types))
                     & pl.col("easting").is_not_null())
    if inc.height < 10:
        return None, (f"Too few incidents with a point ({inc.height}) from {first:%B %Y} to "
                      f"{last:%B %Y} to look for hot spots."), params
    when = inc.select(pl.coalesce("occurred_from", "reported_at").alias("_when"))
    days = when.select(_local_date()).to_series().to_numpy().astype("datetime64[D]")
    pts = inc.select("easting", "northing").to_numpy()
    try:
        trend = hotspot_classify(pts, days, period="month", start=first, end=last,
                                 cell_size=cell_size)
    except ValueError as exc:
        return None, f"No hot spot analysis: {exc}", params
    centres = trend.grid.centres()
    cats = trend.categories.ravel()
    last_counts = trend.counts[-1].ravel()
    rows = []
    for name in _HOTSPOT_CATEGORIES:
        code = TREND_CATEGORIES.index(name)
        for k in np.flatnonzero(cats == code):
            rows.append((name, float(centres[k, 0]), float(centres[k, 1]),
                         int(last_counts[k])))
    frame = pl.DataFrame(rows, orient="row", schema={"category": pl.String,
                                                     "easting": pl.Float64,
                                                     "northing": pl.Float64,
                                                     "last_month_count": pl.Int64})
    params.update({"band_m": trend.band, "confidence": trend.confidence, "fdr": trend.fdr,
                   "trend_alpha": trend.trend_alpha, "cell_size_m": trend.cell_size})
    # A cell with nothing in the last month is not a place to send anyone tomorrow.
    frame = frame.filter(pl.col("last_month_count") > 0)
    note = "" if frame.height else "No new, emerging or intensifying hot spots."
    return frame.sort("last_month_count", descending=True), note, params


def build_briefing(
    store: Store,
    date: dt.date,
    since: dt.date | None = None,
    *,
    person_key: Mapping[int, Hashable] | None = None,
    window_days: int = 365,
    min_count: int = 2,
    location_min_count: int = 3,
    location_distance_m: float = 0.0,
    hotspot_months: int = 6,
    hotspot_cell_size: float = 250.0,
    hotspot_record_types: tuple[str, ...] = ("asb",),
) -> Briefing:
    """Assemble the briefing for the morning of ``date``.

    Parameters
    ----------
    store : Store
    date : datetime.date
        The day of the briefing; it covers ``since`` to the day before.
    since : datetime.date, optional
        First day covered: the day after the last briefing's period. Default the day before.
    person_key : mapping of int to hashable, optional
        The hook for person linkage: ``incidents_person.id`` -> cluster id. People not in
        the mapping count as themselves alone. Default: the interim key
        (:func:`interim_person_key`).
    window_days, min_count : int
        Repeat victim definition (DESIGN.md: more than one in 12 months).
    location_min_count : int
        Incidents at a place in the window that make it a repeat location.
    location_distance_m : float
        0 for the same point; more to join nearby points.
    hotspot_months : int
        Full months before ``date``'s month in which to classify hot spots.
    hotspot_cell_size : float
        Metres.
    hotspot_record_types : tuple of str
        Which records the hot spot analysis uses (default ASB incidents).

    Returns
    -------
    Briefing
    """
    since = since or date - dt.timedelta(days=1)
    if since >= date:
        raise ValueError(f"since ({since}) must be before the briefing date ({date})")
    as_of = date - dt.timedelta(days=1)
    before = since - dt.timedelta(days=1)

    incidents = q.incident_rows(store, _local_midnight(since), _local_midnight(date))
    high = incidents.filter((pl.col("thrive_risk") == "high")
                            | (pl.col("thrive_vulnerability") == "high")).select(
        "reference", "record_type", "lpu", "occurred_from", "location_text", "thrive_risk",
        "thrive_vulnerability")

    # The window back to the previous briefing's window start.
    start = _local_midnight(before - dt.timedelta(days=window_days))
    people = q.person_rows(store, start, _local_midnight(date)).with_columns(
        pl.coalesce("occurred_from", "reported_at").alias("_when"))
    people = people.with_columns(_local_date().alias("date"))
    if person_key is None:
        keys = [interim_person_key(n, d, p) for n, d, p in
                people.select("name", "date_of_birth", "postcode").iter_rows()]
        key_name = INTERIM_PERSON_KEY
    else:
        keys = [str(person_key.get(i, f"row-{i}")) for i in people["person_row_id"].to_list()]
        key_name = "linkage clusters"
    people = people.with_columns(pl.Series("person_key", keys, dtype=pl.String))
    victims = repeat_victims(people, "person_key", window_days, min_count, as_of, before,
                             date_column="date")
    shown = victims.new_or_rising()
    latest = (people.filter(pl.col("person_key").is_not_null())
              .sort("date", "person_row_id")
              .group_by("person_key").agg(pl.col("name").last(), pl.col("lpu").last()))
    victim_rows = shown.join(latest, on="person_key", how="left").select(
        "name", "lpu", "n_incidents", "n_before", "first_date", "last_date", "new", "rising",
        "person_key").sort(["new", "n_incidents"], descending=[True, True])

    places_window = q.incident_rows(store, start, _local_midnight(date)).with_columns(
        pl.coalesce("occurred_from", "reported_at").alias("_when"))
    places_window = places_window.with_columns(_local_date().alias("date"))
    locations = repeat_locations(places_window, location_distance_m, window_days,
                                 location_min_count, as_of, before, date_column="date")

    hotspots, note, hot_params = _hotspots(store, date, hotspot_months, hotspot_cell_size,
                                           hotspot_record_types)
    pmps = q.pmps_for_review(store, date)
    if pmps is not None:
        pmps = pmps.with_columns(pl.Series(
            "status", [review_status(d, date) for d in pmps["next_review_due"].to_list()],
            dtype=pl.String))
    return Briefing(
        date=date, since=since, incidents_by_lpu=_by_lpu(incidents), high_risk=high,
        repeat_victims=victims, repeat_victim_rows=victim_rows, repeat_locations=locations,
        hotspots=hotspots, hotspot_note=note, hotspot_parameters=hot_params, pmps=pmps,
        person_key_name=key_name,
        parameters={"date": date.isoformat(), "since": since.isoformat(),
                    "period": f"{since.isoformat()} to {as_of.isoformat()}",
                    "person_key": key_name, "repeat_victims": victims.parameters,
                    "repeat_locations": locations.parameters, "hotspots": hot_params,
                    "store": store.url.split("@")[-1]},
    )


def render_briefing_html(data: Briefing) -> str:
    """The briefing as one self-contained HTML page.

    Parameters
    ----------
    data : Briefing

    Returns
    -------
    str
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("asbhub.reports", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    return env.get_template("briefing/briefing.html").render(b=data, rows=_rows)


def _rows(frame: pl.DataFrame | None) -> list[dict[str, Any]]:
    return [] if frame is None else list(frame.iter_rows(named=True))


def write_briefing(store: Store, date: dt.date, path: str, since: dt.date | None = None
                   ) -> Briefing:
    """Build the briefing and write its HTML to ``path``; returns the data."""
    data = build_briefing(store, date, since)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(render_briefing_html(data))
    return data
