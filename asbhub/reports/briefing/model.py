"""The daily briefing's data: :class:`Briefing` (what :func:`~asbhub.reports.briefing.build.build_briefing`
makes), its redaction for a reader, and the briefing's local dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from asbhub.analysis.repeats import (
    RepeatAddresses,
    RepeatLocations,
    RepeatPerpetrators,
    RepeatVictims,
)
from asbhub.domain.cases import (
    CaseReviewFlags,
)
from asbhub.domain.dates import LOCAL_TIME_ZONE, LOCAL_ZONE

LOCAL = LOCAL_ZONE
RECORD_TYPES = ("crime", "asb", "roc")
HOTSPOT_CATEGORIES = ("new", "emerging", "intensifying")
DEFAULT_LIMIT = 10
"""Rows per section of the briefing before "and N more" (issue #12: a 30-minute meeting)."""


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL)


def local_date(col: str = "_when") -> pl.Expr:
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
    #: The hot cells joined into areas (:func:`asbhub.reports.briefing.flags._areas_of`), busiest first; None with
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
