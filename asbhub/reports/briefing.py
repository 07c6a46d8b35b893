"""The daily briefing for the LPU inspector and the tasking meeting: data -> HTML -> PDF.

:func:`build_briefing` assembles, for the morning of a date, what happened since the last
briefing (by default the previous working day, so Monday's covers Friday to Sunday): incidents
by Local Policing Unit, high risk at first contact, people who meet their area's ASB Case
Review threshold (flagged before they apply), repeat victims who are new or rising, repeat
locations, repeat perpetrators and victims' repeat addresses that are new or rising, emerging
hot spots, and Problem Management Plans due or overdue for review.
:func:`render_briefing_html` turns it into one self-contained HTML page marked
OFFICIAL-SENSITIVE, which :func:`briefing_pdf_bytes` prints with the marking on every page;
:func:`render_briefing_body` gives the sections alone, for the web app's page.

Dates
-----
An incident's date is the UK local date of its start (``occurred_from``), else of its report
(``reported_at``): the rule the store's ``month`` follows. A briefing for date *D* with
``since`` *S* covers incidents dated *S* to *D - 1* inclusive; the repeat windows and the Case
Review check end on *D - 1* and are compared with those ending on *S - 1* (the previous
briefing's view), which is what makes a row *new*.

Who is who
----------
Until person linkage lands, a person is known by the **interim person key**
(:func:`asbhub.domain.people.interim_person_key`): the normalised surname with the date of birth, or else with the
postcode. It splits a person whose surname is misspelt and joins two namesakes born the same
day; the briefing says it is interim. Linkage plugs in through ``person_key``: a mapping from
``incidents_person.id`` to a cluster id (any hashable), as a linkage run produces. Repeat
victims, repeat perpetrators and Case Review flags all use it.

Personal data: the repeat victim, repeat perpetrator and Case Review tables name people, and
the repeat address table gives victims' home addresses. The page is marked
OFFICIAL-SENSITIVE; :meth:`Briefing.redact` removes what a reader is not entitled to, given
the access policy's answers (the web app passes ``asbhub.records.partners.access``'s).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from asbhub.analysis.repeats import (
    DEFAULT_ROLES,
    PERPETRATOR_MIN_COUNT,
    PERPETRATOR_ROLES,
    RepeatAddresses,
    RepeatLocations,
    RepeatPerpetrators,
    RepeatVictims,
    address_keys,
    repeat_addresses,
    repeat_locations,
    repeat_perpetrators,
    repeat_victims,
)
from asbhub.domain.cases import (
    COMPLAINANT_ROLES,
    CaseReviewFlags,
    ThresholdRule,
    case_review_flags,
    is_working_day,
    review_status,
)
from asbhub.domain.dates import LOCAL_TIME_ZONE, LOCAL_ZONE
from asbhub.domain.months import month_of, month_start, months_between, next_month, shift_month
from asbhub.domain.people import INTERIM_PERSON_KEY, interim_person_key
from asbhub.reports import briefing_data as q
from asbhub.reports.rendering import html_to_pdf, render_template
from asbhub.store.db import Store

__all__ = [
    "INTERIM_PERSON_KEY",
    "Briefing",
    "CaseReviewFlags",
    "briefing_pdf_bytes",
    "DEFAULT_LIMIT",
    "SECTIONS",
    "briefing_sections",
    "briefing_summary",
    "build_briefing",
    "case_review_flags",
    "interim_person_key",
    "previous_working_day",
    "render_briefing_body",
    "render_briefing_html",
    "write_briefing",
]

LOCAL = LOCAL_ZONE
RECORD_TYPES = ("crime", "asb", "roc")
_HOTSPOT_CATEGORIES = ("new", "emerging", "intensifying")
DEFAULT_LIMIT = 10
"""Rows per section of the briefing before "and N more" (issue #12: a 30-minute meeting)."""


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL)


def _local_date(col: str = "_when") -> pl.Expr:
    return pl.col(col).dt.convert_time_zone(LOCAL_TIME_ZONE).dt.date()


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
    repeat_perpetrators : RepeatPerpetrators
    repeat_perpetrator_rows : polars.DataFrame
        The new or rising repeat perpetrators, as ``repeat_victim_rows``.
    repeat_addresses : RepeatAddresses
        Addresses of victims (and of callers about ASB, as for repeat victims) with repeated
        crime or ASB.
    repeat_address_rows : polars.DataFrame
        The new or rising ones: ``address``, ``postcode``, ``lpu``, counts, dates and flags,
        ``address_key``, ``person_row_ids`` (the person records giving the address) and
        ``withheld``.
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
    case_review: CaseReviewFlags | None = None
    synthetic: tuple[str, ...] = ()
    high_risk_withheld: tuple[str, ...] = ()
    repeat_perpetrators: RepeatPerpetrators | None = None
    repeat_perpetrator_rows: pl.DataFrame | None = None
    repeat_addresses: RepeatAddresses | None = None
    repeat_address_rows: pl.DataFrame | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    #: Why every incident-level part is withheld from this reader ("" when shown): see
    #: :meth:`without_incidents`.
    incidents_withheld: str = ""
    #: The hot cells joined into areas (:func:`_areas_of`), busiest first; None with
    #: ``hotspot_note`` when there is no hot spot analysis.
    hot_areas: pl.DataFrame | None = None
    #: Rows each section shows before "and N more" (None: every row, the full briefing).
    limit: int | None = DEFAULT_LIMIT

    @property
    def n_incidents(self) -> int:
        return int(self.incidents_by_lpu["total"].sum()) if self.incidents_by_lpu.height else 0

    def person_row_ids(self) -> list[int]:
        """Every ``incidents_person`` row behind a name the briefing shows (for the audit)."""
        ids: set[int] = set()
        for frame in (
            self.repeat_victim_rows,
            self.repeat_perpetrator_rows,
            self.repeat_address_rows,
            self.case_review.rows if self.case_review else None,
        ):
            if frame is not None and frame.height:
                for group in frame["person_row_ids"].to_list():
                    ids.update(group or [])
        return sorted(ids)

    def redact(
        self,
        person_reason: Callable[[list[int]], str | None],
        incident_reason: Callable[[int], str | None] | None = None,
    ) -> Briefing:
        """The briefing as one reader may see it.

        Parameters
        ----------
        person_reason : callable
            Given the ``incidents_person`` ids behind a row, None when the reader may see
            them all, else the reason they may not (a sentence shown in place of the name).
        incident_reason : callable, optional
            Given an incident id, None when the reader may see its risk grading, else why not;
            rows withheld leave the high risk table and their reasons go to
            ``high_risk_withheld``.

        Returns
        -------
        Briefing
            A copy: names, dates of birth and complaint references of withheld rows removed.
        """

        def people(frame: Any, blank: tuple[str, ...]) -> Any:
            if frame is None or not frame.height:
                return frame
            ids = frame["person_row_ids"].to_list()
            reasons = [person_reason(list(group or [])) for group in ids]
            hide = pl.Series([r is not None for r in reasons])
            out = frame.with_columns(pl.Series("withheld", reasons, dtype=pl.String))
            return out.with_columns(
                [pl.when(hide).then(None).otherwise(pl.col(c)).alias(c) for c in blank]
            )

        victims = people(self.repeat_victim_rows, ("name", "person_key"))
        perpetrators = people(self.repeat_perpetrator_rows, ("name", "person_key"))
        addresses = people(self.repeat_address_rows, ("address", "postcode", "address_key"))
        review = self.case_review
        if review is not None:
            review = replace(
                review, rows=people(review.rows, ("name", "person_key", "references", "complaints"))
            )
        high, withheld = self.high_risk, list(self.high_risk_withheld)
        if incident_reason is not None and high.height:
            why = [incident_reason(i) for i in high["incident_id"].to_list()]
            high = high.filter(pl.Series([w is None for w in why]))
            withheld += [w for w in why if w is not None]
        return replace(
            self,
            repeat_victim_rows=victims,
            repeat_perpetrator_rows=perpetrators,
            repeat_address_rows=addresses,
            case_review=review,
            high_risk=high,
            high_risk_withheld=tuple(withheld),
        )

    def without_incidents(self, reason: str) -> Briefing:
        """The briefing for a reader who may not see the incident summaries behind it (the
        ``incident_summary`` category, as the API's incident list): every incident-level part
        emptied (counts by LPU, high-risk incidents, repeat people, places and addresses with
        their LPUs, counts and dates, Case Review flags, hot-spot cells) and ``reason`` said
        instead. Plans due for review stay: the caller filters them by plan."""

        def cleared(result: Any) -> Any:
            return None if result is None else replace(result, table=result.table.clear())

        def empty(frame: pl.DataFrame | None) -> pl.DataFrame | None:
            return None if frame is None else frame.clear()

        return replace(
            self,
            incidents_by_lpu=self.incidents_by_lpu.clear(),
            high_risk=self.high_risk.clear(),
            high_risk_withheld=(),
            repeat_victims=cleared(self.repeat_victims),
            repeat_victim_rows=self.repeat_victim_rows.clear(),
            repeat_locations=cleared(self.repeat_locations),
            repeat_perpetrators=cleared(self.repeat_perpetrators),
            repeat_perpetrator_rows=empty(self.repeat_perpetrator_rows),
            repeat_addresses=cleared(self.repeat_addresses),
            repeat_address_rows=empty(self.repeat_address_rows),
            case_review=None
            if self.case_review is None
            else replace(self.case_review, rows=self.case_review.rows.clear()),
            hotspots=None,
            hot_areas=None,
            hotspot_note=reason,
            incidents_withheld=reason,
        )


# --------------------------------------------------------------------------------------------
# ASB Case Review threshold flags
# --------------------------------------------------------------------------------------------

# The flags themselves are asbhub.domain.cases.case_review_flags, beside check_threshold.


# --------------------------------------------------------------------------------------------
# Repeat people and victims' addresses, named for the page
# --------------------------------------------------------------------------------------------


def _named_rows(
    result: RepeatVictims, people: pl.DataFrame, roles: tuple[str, ...], as_of: dt.date
) -> pl.DataFrame:
    """The new or rising repeat people of ``result``, with the name and LPU of their latest
    record in one of ``roles`` and the ``incidents_person`` rows behind them.

    The names and rows come from the records in those roles only (victim or caller for a
    repeat victim, suspect for a repeat perpetrator), so a partner's access is judged on
    exactly the records that made the person a repeat, under the category of that role.
    """
    latest = (
        people.filter(
            pl.col("person_key").is_not_null()
            & pl.col("role").is_in(roles)
            & (pl.col("date") <= as_of)
        )
        .sort("date", "person_row_id")
        .group_by("person_key")
        .agg(
            pl.col("name").last(),
            pl.col("lpu").last(),
            pl.col("person_row_id").alias("person_row_ids"),
        )
    )
    rows = (
        result.new_or_rising()
        .join(latest, on="person_key", how="left")
        .select(
            "name",
            "lpu",
            "n_incidents",
            "n_before",
            "first_date",
            "last_date",
            "new",
            "rising",
            "person_key",
            "person_row_ids",
        )
        .with_columns(pl.lit(None, pl.String).alias("withheld"))
    )
    return rows.sort(["new", "n_incidents"], descending=[True, True])


def _victim_addresses(
    people: pl.DataFrame, window_days: int, min_count: int, as_of: dt.date, before: dt.date
) -> tuple[RepeatAddresses, pl.DataFrame]:
    """Repeat addresses of victims (victim, or caller about ASB: the roles of repeat victims)
    on their recorded home address and postcode, with the person rows that give each one.

    A row's ``person_row_ids`` are the victims' records with that address (the same
    :func:`~asbhub.analysis.repeats.address_keys` key) on the incidents counted for it: the records
    whose address the row shows.
    """
    role_ok = pl.lit(False)
    for role, rtype in DEFAULT_ROLES:
        role_ok |= (pl.col("role") == role) & (
            pl.lit(True) if rtype is None else pl.col("record_type") == rtype
        )
    victims = people.filter(role_ok)
    result = repeat_addresses(
        victims,
        window_days,
        min_count,
        as_of,
        before,
        address_column="address",
        postcode_column="postcode",
        date_column="date",
    )
    # The same frame gives the same keys as repeat_addresses computed inside.
    keyed = victims.with_columns(
        address_keys(victims["address"], victims["postcode"])["address_key"]
    ).filter(pl.col("date") <= as_of)
    shown = result.new_or_rising()
    behind = (
        shown.select("address_key", pl.col("incident_ids").alias("incident_id"))
        .explode("incident_id")
        .join(
            keyed.select("address_key", "incident_id", "person_row_id", "lpu", "date"),
            on=["address_key", "incident_id"],
        )
        .sort("date", "person_row_id")
        .group_by("address_key")
        .agg(pl.col("lpu").last(), pl.col("person_row_id").alias("person_row_ids"))
    )
    rows = (
        shown.join(behind, on="address_key", how="left")
        .select(
            "address",
            "postcode",
            "lpu",
            "n_incidents",
            "n_before",
            "first_date",
            "last_date",
            "new",
            "rising",
            "address_key",
            "person_row_ids",
        )
        .with_columns(pl.lit(None, pl.String).alias("withheld"))
    )
    return result, rows.sort(["new", "n_incidents"], descending=[True, True])


def _by_lpu(incidents: pl.DataFrame) -> pl.DataFrame:
    counts = (
        incidents.with_columns(pl.col("lpu").fill_null("Unknown"))
        .group_by("lpu", "record_type")
        .len()
    )
    wide = {lpu: dict.fromkeys(RECORD_TYPES, 0) for lpu in counts["lpu"].unique().to_list()}
    for lpu, rtype, n in counts.iter_rows():
        wide[lpu][rtype] = wide[lpu].get(rtype, 0) + int(n)
    rows = [
        (lpu, *(v[t] for t in RECORD_TYPES), sum(v.values())) for lpu, v in sorted(wide.items())
    ]
    return pl.DataFrame(
        rows,
        orient="row",
        schema={
            "lpu": pl.String,
            "crime": pl.Int64,
            "asb": pl.Int64,
            "roc": pl.Int64,
            "total": pl.Int64,
        },
    )


def _hotspots(
    store: Store,
    day: dt.date,
    months: int,
    cell_size: float,
    record_types: tuple[str, ...],
    min_months: int,
    min_day_share: float = 0.5,
    force: str | None = None,
) -> tuple[pl.DataFrame | None, str, dict[str, Any], pl.DataFrame | None]:
    """Emerging hot spots over the full months before ``day``, on months that have data.

    A month for which the store holds no dated incidents is a month without data, not a month
    without crime: counted as zero it would make every busy cell look as if it had just
    appeared (*new* or *emerging*); a month whose data start on the 25th does the same on a
    smaller scale. So a month *has data* when the store holds dated incidents (of any type,
    anywhere) on at least ``min_day_share`` of its days; the trend runs only on the unbroken
    run of such months that ends with the last full month, and not at all when that run is
    shorter than ``min_months``.
    """
    from asbhub.analysis import TREND_CATEGORIES, hotspot_classify

    last = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)  # last full month
    first = month_start(shift_month(month_of(last), -(months - 1)))
    end = month_start(next_month(month_of(last)))
    every = q.incident_rows(
        store, _local_midnight(first), _local_midnight(end), force
    ).with_columns(pl.coalesce("occurred_from", "reported_at").alias("_when"))
    every = every.with_columns(_local_date().alias("_day"))
    window = [month_start(m) for m in months_between(month_of(first), month_of(last))]
    days_with_data: dict[dt.date, int] = {}
    for d in set(every["_day"].to_list()):
        days_with_data[d.replace(day=1)] = days_with_data.get(d.replace(day=1), 0) + 1
    with_data = {
        m
        for m, n in days_with_data.items()
        if n >= min_day_share * calendar.monthrange(m.year, m.month)[1]
    }
    run: list[dt.date] = []
    for m in reversed(window):
        if m not in with_data:
            break
        run.insert(0, m)
    params: dict[str, Any] = {
        "window": f"{first:%Y-%m} to {last:%Y-%m}",
        "cell_size_m": cell_size,
        "record_types": list(record_types),
        "period": "month",
        "min_months_with_data": min_months,
        "min_day_share": min_day_share,
        "months_without_data": [f"{m:%Y-%m}" for m in window if m not in with_data],
        "months": f"{run[0]:%Y-%m} to {run[-1]:%Y-%m}" if run else "none",
    }
    if len(run) < min_months:
        missing = ", ".join(f"{m:%B %Y}" for m in window if m not in with_data)
        return (
            None,
            (
                f"Not enough data to look for emerging hot spots: the trend needs at "
                f"least {min_months} consecutive months with dated incidents up to "
                f"{last:%B %Y}, and the store has {len(run)} (no dated incidents, or "
                f"on fewer than {min_day_share:.0%} of the days, in {missing}). Load "
                f"the force export for those months."
            ),
            params,
            None,
        )
    first = run[0]
    inc = every.filter(
        pl.col("record_type").is_in(list(record_types)) & pl.col("easting").is_not_null()
    )
    inc = inc.filter(pl.col("_day") >= first)
    if inc.height < 10:
        return (
            None,
            (
                f"Too few incidents with a point ({inc.height}) from {first:%B %Y} to "
                f"{last:%B %Y} to look for hot spots."
            ),
            params,
            None,
        )
    days = inc["_day"].to_numpy().astype("datetime64[D]")
    pts = inc.select("easting", "northing").to_numpy()
    try:
        trend = hotspot_classify(
            pts, days, period="month", start=first, end=last, cell_size=cell_size
        )
    except ValueError as exc:
        return None, f"No hot spot analysis: {exc}", params, None
    centres = trend.grid.centres()
    cats = trend.categories.ravel()
    last_counts = trend.counts[-1].ravel()
    rows = []
    for name in _HOTSPOT_CATEGORIES:
        code = TREND_CATEGORIES.index(name)
        for k in np.flatnonzero(cats == code):
            rows.append((name, float(centres[k, 0]), float(centres[k, 1]), int(last_counts[k])))
    frame = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "category": pl.String,
            "easting": pl.Float64,
            "northing": pl.Float64,
            "last_month_count": pl.Int64,
        },
    )
    params.update(
        {
            "band_m": trend.band,
            "confidence": trend.confidence,
            "fdr": trend.fdr,
            "trend_alpha": trend.trend_alpha,
            "cell_size_m": trend.cell_size,
        }
    )
    # A cell with nothing in the last month is not a place to send anyone tomorrow.
    frame = frame.filter(pl.col("last_month_count") > 0)
    note = "" if frame.height else "No new, emerging or intensifying hot spots."
    params["n_cells"] = frame.height
    return (
        frame.sort("last_month_count", descending=True),
        note,
        params,
        _areas_of(trend, inc.filter(pl.col("_day") >= last)),
    )


#: The categories of a hot area, strongest first: the area is labelled with the first present.
_AREA_CATEGORY_ORDER = ("new", "intensifying", "emerging")


def _areas_of(trend: Any, last_month: pl.DataFrame) -> pl.DataFrame:
    """The new, emerging and intensifying cells with incidents last month, touching cells
    (8-connectivity) joined into areas, each named from the incidents in it last month: its
    neighbourhood (SNT), commonest LSOA's name and commonest street description, with its
    count last month, the month before and the cells' bounds (for the small map)."""
    from asbhub.analysis import TREND_CATEGORIES
    from asbhub.analysis.hot_areas import hot_areas
    from asbhub.geo import area_hierarchy

    codes = [TREND_CATEGORIES.index(n) for n in _HOTSPOT_CATEGORIES]
    last_counts = trend.counts[-1]
    prev_counts = trend.counts[-2] if trend.counts.shape[0] > 1 else np.zeros_like(last_counts)
    mask = np.isin(trend.categories, codes) & (last_counts > 0)
    areas = hot_areas(mask)
    pts = last_month.select("easting", "northing").to_numpy()
    rows_, cols_, inside = trend.grid.locate(pts)
    label = np.where(inside, areas.labels[rows_, cols_], 0)
    located = last_month.with_columns(pl.Series("_area", label))
    try:
        hierarchy: Any = area_hierarchy()
        lsoa_names = dict(hierarchy.lsoa.select("lsoa_code", "lsoa_name").iter_rows())
        snt_of = dict(hierarchy.lsoa.select("lsoa_code", "snt_name").iter_rows())
    except (OSError, ValueError):
        lsoa_names, snt_of = {}, {}

    def commonest(values: list[Any]) -> Any:
        values = [v for v in values if v]
        return max(sorted(set(values)), key=values.count) if values else None

    g = trend.grid
    out = []
    for k, cells in enumerate(areas.cells, start=1):
        cats = {TREND_CATEGORIES[int(trend.categories[r, c])] for r, c in cells}
        here = located.filter(pl.col("_area") == k)
        lsoa = commonest(here["lsoa_code"].to_list())
        hood = commonest(here["snt"].to_list()) if "snt" in here.columns else None
        r0, c0 = cells.min(axis=0)
        r1, c1 = cells.max(axis=0)
        out.append(
            {
                "category": next(c for c in _AREA_CATEGORY_ORDER if c in cats),
                "n_cells": len(cells),
                "last_month": int(sum(last_counts[r, c] for r, c in cells)),
                "month_before": int(sum(prev_counts[r, c] for r, c in cells)),
                "street": commonest(here["location_text"].to_list()),
                "lsoa_code": lsoa,
                "lsoa_name": lsoa_names.get(lsoa),
                "neighbourhood": snt_of.get(lsoa) or hood,
                "easting": float(np.mean([g.x0 + (c + 0.5) * g.cell_size for _, c in cells])),
                "northing": float(np.mean([g.y0 + (r + 0.5) * g.cell_size for r, _ in cells])),
                "cells": [[int(r - r0), int(c - c0)] for r, c in cells],
                "shape": [int(r1 - r0 + 1), int(c1 - c0 + 1)],
            }
        )
    frame = pl.DataFrame(
        out,
        schema={
            "category": pl.String,
            "n_cells": pl.Int64,
            "last_month": pl.Int64,
            "month_before": pl.Int64,
            "street": pl.String,
            "lsoa_code": pl.String,
            "lsoa_name": pl.String,
            "neighbourhood": pl.String,
            "easting": pl.Float64,
            "northing": pl.Float64,
            "cells": pl.List(pl.List(pl.Int64)),
            "shape": pl.List(pl.Int64),
        },
    )
    frame = frame.with_columns((pl.col("last_month") - pl.col("month_before")).alias("change"))
    return frame.sort(["last_month", "change"], descending=[True, True])


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

    incidents = q.incident_rows(store, _local_midnight(since), _local_midnight(date), force)
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
    start = _local_midnight(before - dt.timedelta(days=window_days))
    people = q.person_rows(store, start, _local_midnight(date), force).with_columns(
        pl.coalesce("occurred_from", "reported_at").alias("_when")
    )
    people = people.with_columns(_local_date().alias("date"))
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
    victim_rows = _named_rows(victims, people, COMPLAINANT_ROLES, as_of)
    perpetrators = repeat_perpetrators(
        people, "person_key", window_days, perpetrator_min_count, as_of, before, date_column="date"
    )
    perpetrator_rows = _named_rows(
        perpetrators, people, tuple(r for r, _ in PERPETRATOR_ROLES), as_of
    )
    addresses, address_rows = _victim_addresses(
        people, window_days, address_min_count, as_of, before
    )

    if case_review_rules is None:
        case_review_rules = domain_rules(q.threshold_rules(store))
    review = case_review_flags(people, as_of, before, case_review_rules)
    if case_reviews is None:
        case_reviews = q.case_review_incidents(store)
    review = review.with_reviews(case_reviews or {})

    places_window = q.incident_rows(store, start, _local_midnight(date), force).with_columns(
        pl.coalesce("occurred_from", "reported_at").alias("_when")
    )
    places_window = places_window.with_columns(_local_date().alias("date"))
    locations = repeat_locations(
        places_window,
        location_distance_m,
        window_days,
        location_min_count,
        as_of,
        before,
        date_column="date",
    )

    hotspots, note, hot_params, areas = _hotspots(
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
        incidents_by_lpu=_by_lpu(incidents),
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


# --------------------------------------------------------------------------------------------
# Cutting each section for a 30-minute meeting (issue #12)
# --------------------------------------------------------------------------------------------

#: The sections that can be opened in full on their own page, by id.
SECTIONS = {
    "high-risk": "High risk or vulnerability at first contact",
    "case-review": "ASB Case Review threshold met: new or not yet reviewed",
    "case-review-all": "ASB Case Review threshold met (everyone)",
    "repeat-victims": "Repeat victims, new or rising",
    "repeat-perpetrators": "Repeat perpetrators, new or rising",
    "repeat-locations": "Repeat locations, new or rising",
    "repeat-addresses": "Victims' repeat addresses, new or rising",
    "hotspots": "Emerging hot spots",
    "pmps": "Problem Management Plans due or overdue for review",
}


@dataclass(frozen=True)
class Cut:
    """One section as the page shows it: the ranked rows the reader may see, cut to the
    limit, how many more there are, and what is withheld, said once per reason."""

    rows: list[dict[str, Any]]
    n_more: int
    n_total: int
    withheld: list[tuple[int, str]]

    @property
    def n_withheld(self) -> int:
        return sum(n for n, _ in self.withheld)


def _reasons(reasons: list[str | None]) -> list[tuple[int, str]]:
    counts: dict[str, int] = {}
    for r in reasons:
        if r:
            text = r.removeprefix("Withheld: ").strip()
            counts[text] = counts.get(text, 0) + 1
    return sorted(((n, r) for r, n in counts.items()), key=lambda x: (-x[0], x[1]))


def cut(frame: pl.DataFrame | None, limit: int | None, extra_withheld: tuple[str, ...] = ()) -> Cut:
    """``frame``'s rows (already ranked) without the withheld ones, the first ``limit`` of
    them (all when None), and the withheld rows' reasons counted."""
    if frame is None or not frame.height:
        return Cut([], 0, 0, _reasons(list(extra_withheld)))
    reasons: list[str | None] = list(extra_withheld)
    if "withheld" in frame.columns:
        reasons += frame["withheld"].to_list()
        frame = frame.filter(pl.col("withheld").is_null())
    shown = frame if limit is None else frame.head(limit)
    return Cut(
        list(shown.iter_rows(named=True)),
        frame.height - shown.height,
        frame.height,
        _reasons(reasons),
    )


def briefing_sections(b: Briefing, limit: int | None = DEFAULT_LIMIT) -> dict[str, Cut]:
    """Every cut section of ``b``, ranked by risk: high risk and vulnerability both high
    first; Case Review flags by qualifying complaints (new ones only; ``case-review-all``
    everyone); repeat people, places and addresses new first, then by incidents; hot areas by
    incidents last month, then by the rise; plans overdue first."""
    high = b.high_risk.with_columns(
        (
            (pl.col("thrive_risk") == "high").cast(pl.Int8).fill_null(0)
            + (pl.col("thrive_vulnerability") == "high").cast(pl.Int8).fill_null(0)
        ).alias("_score")
    ).sort(["_score", "occurred_from"], descending=[True, True], nulls_last=True)
    review = b.case_review.rows if b.case_review is not None else None
    new_review = None if b.case_review is None else b.case_review.to_act_on()
    locations = b.repeat_locations.new_or_rising().sort(
        ["new", "n_incidents"], descending=[True, True]
    )
    pmps = b.pmps
    if pmps is not None and pmps.height:
        pmps = pmps.sort([pl.col("status") != "overdue", "next_review_due"])
    return {
        "high-risk": cut(high, limit, b.high_risk_withheld),
        "case-review": cut(new_review, limit),
        "case-review-all": cut(review, None),
        "repeat-victims": cut(b.repeat_victim_rows, limit),
        "repeat-perpetrators": cut(b.repeat_perpetrator_rows, limit),
        "repeat-locations": cut(locations, limit),
        "repeat-addresses": cut(b.repeat_address_rows, limit),
        "hotspots": cut(b.hot_areas, limit),
        "pmps": cut(pmps, limit),
    }


def area_name(row: Mapping[str, Any]) -> str:
    """A hot area in words: neighbourhood, LSOA name, commonest street description."""
    parts = [
        row.get("neighbourhood"),
        row.get("lsoa_name") or row.get("lsoa_code"),
        row.get("street"),
    ]
    return ", ".join(p for p in parts if p) or "Unnamed area"


def area_svg(row: Mapping[str, Any]) -> str:
    """The area's hot cells as a small inline SVG map (north up, one square per cell, a
    margin of one cell), with presentation attributes only (no ``style``: the CSP)."""
    ny, nx = row["shape"]
    w, h = nx + 2, ny + 2
    scale = max(6, min(14, 70 // max(w, h)))
    rects = "".join(
        f'<rect x="{c + 1}" y="{ny - r}" width="1" height="1" fill="#d4351c" '
        f'stroke="#ffffff" stroke-width="0.05"/>'
        for r, c in row["cells"]
    )
    label = f"{len(row['cells'])} hot cells of the area, north up"
    return (
        f'<svg class="briefing-area-map" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {w} {h}" width="{w * scale}" height="{h * scale}" role="img" '
        f'aria-label="{label}"><rect x="0" y="0" width="{w}" height="{h}" '
        f'fill="#f3f2f1"/>{rects}</svg>'
    )


def briefing_summary(b: Briefing, sections: Mapping[str, Cut]) -> dict[str, Any]:
    """The first page: what changed since the last briefing, and the top items needing a
    decision (at most five: new Case Review flags, overdue plans, the busiest new hot area,
    high-risk incidents)."""
    decisions: list[str] = []
    for r in [r for r in sections["case-review"].rows if r["new"]][:3]:
        who = (
            f"Place: {r['location'] or 'unknown'}"
            if r["kind"] == "place"
            else r["name"] or "(no name)"
        )
        decisions.append(
            f"{who} ({r['lpu'] or 'Unknown'}) newly meets the ASB Case Review "
            f"threshold ({r['n_qualifying']} qualifying complaints): agree who "
            f"contacts them before they have to apply."
        )
    overdue = [r for r in sections["pmps"].rows if r["status"] == "overdue"]
    if overdue:
        decisions.append(
            f"{len(overdue)} Problem Management Plan"
            f"{'s' if len(overdue) != 1 else ''} overdue for review "
            f"({', '.join(r['reference'] for r in overdue[:3])}"
            f"{', ...' if len(overdue) > 3 else ''}): agree a reviewer."
        )
    if sections["hotspots"].rows:
        top = sections["hotspots"].rows[0]
        decisions.append(
            f"Hot spot {area_name(top)}: {top['last_month']} ASB incidents last "
            f"month ({top['change']:+d}): decide on patrols or a plan."
        )
    both = [
        r
        for r in sections["high-risk"].rows
        if r["thrive_risk"] == "high" and r["thrive_vulnerability"] == "high"
    ]
    if both:
        decisions.append(
            f"{len(both)} incident{'s' if len(both) != 1 else ''} graded high for "
            f"both risk and vulnerability: confirm each has an owner."
        )
    review = b.case_review
    changed = {
        "incidents": b.n_incidents,
        "high_risk": sections["high-risk"].n_total,
        "case_review_new": review.n_new if review else 0,
        "case_review_all": review.rows.height if review else 0,
        "case_review_in_review": review.n_in_review if review else 0,
        "repeat_victims": b.repeat_victim_rows.height,
        "repeat_perpetrators": (
            b.repeat_perpetrator_rows.height if b.repeat_perpetrator_rows is not None else 0
        ),
        "repeat_locations": sections["repeat-locations"].n_total,
        "repeat_addresses": (
            b.repeat_address_rows.height if b.repeat_address_rows is not None else 0
        ),
        "hot_areas": b.hot_areas.height if b.hot_areas is not None else 0,
        "hot_areas_new": (
            b.hot_areas.filter(pl.col("category") == "new").height if b.hot_areas is not None else 0
        ),
        "pmps_overdue": len([r for r in _rows(b.pmps) if r["status"] == "overdue"]),
        "pmps_due": len([r for r in _rows(b.pmps) if r["status"] != "overdue"]),
    }
    return {"changed": changed, "decisions": decisions[:5]}


def render_briefing_body(
    data: Briefing, *, only: str | None = None, more_href: Callable[[str], str] | None = None
) -> str:
    """The briefing's sections as an HTML fragment (GOV.UK Frontend class names), for a page
    that supplies its own header: the web app's briefing page.

    Each section shows ``data.limit`` rows and "and N more"; ``more_href(section_id)`` gives
    the link to that section's full list (the web page's ``section=``), else the text says
    how to get it. ``only`` (a key of :data:`SECTIONS`) renders that one section in full.
    """
    if only is not None and only not in SECTIONS:
        raise ValueError(
            f"unknown briefing section {only!r}: expected one of {', '.join(SECTIONS)}"
        )
    limit = None if only is not None else data.limit
    sections = briefing_sections(data, limit)
    return render_template(
        "briefing/_body.html",
        b=data,
        rows=_rows,
        s=sections,
        only=only,
        limit=limit,
        show=lambda sid: only is None or only == sid,
        more_href=more_href,
        summary=None if only else briefing_summary(data, sections),
        area_name=area_name,
        area_svg=area_svg,
        titles=SECTIONS,
    )


def render_briefing_html(data: Briefing) -> str:
    """The briefing as one self-contained HTML page, marked OFFICIAL-SENSITIVE, that also
    prints to PDF (:func:`write_briefing_pdf`) with the marking on every page.

    Parameters
    ----------
    data : Briefing

    Returns
    -------
    str
    """
    return render_template("briefing/briefing.html", b=data, body=render_briefing_body(data))


def briefing_pdf_bytes(html: str) -> bytes:
    """The briefing page as PDF bytes (WeasyPrint, the ``pdf`` extra: :func:`html_to_pdf`)."""
    return html_to_pdf(html, what="PDF briefings")


def _rows(frame: pl.DataFrame | None) -> list[dict[str, Any]]:
    return [] if frame is None else list(frame.iter_rows(named=True))


def write_briefing(
    store: Store,
    date: dt.date,
    path: str,
    since: dt.date | None = None,
    *,
    fmt: str = "html",
    **kwargs: Any,
) -> Briefing:
    """Build the briefing and write it to ``path`` as ``fmt`` (``html`` or ``pdf``).

    ``kwargs`` go to :func:`build_briefing`. Returns the data.
    """
    if fmt not in ("html", "pdf"):
        raise ValueError(f"unknown briefing format {fmt!r}: expected html or pdf")
    data = build_briefing(store, date, since, **kwargs)
    html = render_briefing_html(data)
    if fmt == "pdf":
        with open(path, "wb") as fh:
            fh.write(briefing_pdf_bytes(html))
    else:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(html)
    return data
