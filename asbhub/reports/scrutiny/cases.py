"""The scrutiny report's sections from the case system: PMPs by LPU (table 5.34), ASB powers
(table 5.36), ASB Case Reviews (paragraph 5.39), and the case study (appendix A) evaluated
from a stored PMP or from counts supplied.

Tables 5.34 and 5.36 are the case system's own (:func:`asbhub.records.cases.services.table_5_34`,
:func:`~asbhub.records.cases.services.table_5_36`), so the report, the case pages and the
dashboard count the same way. The case study prints what a plan is about and where, never its
analysis triangle's victim or offender text nor anyone linked to it: the report is read by the
public.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import shapely
from django.db import DatabaseError

from asbhub.analysis import InterventionEvaluation, evaluate_intervention, intervention_counts
from asbhub.analysis.tables import month_label
from asbhub.domain.months import (
    month_of,
    month_range_label,
    month_start,
    months_between,
    shift_month,
)
from asbhub.reports import data as q
from asbhub.reports.scrutiny.charts import lsoa_polygons
from asbhub.reports.scrutiny.model import (
    CaseStudy,
    Context,
    ReportTable,
    Section,
)
from asbhub.store import query

__all__ = ["PmpCaseStudy", "case_reviews", "case_study", "case_study_from_pmp", "pmps", "powers"]

ASB = "Anti-social behaviour"
CASES_SOURCE = "store: case system ({what})"


def _days(ctx: Context) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of the report's latest 12 months."""
    first, last = ctx.latest(12)
    end = month_start(shift_month(last, 1)) - dt.timedelta(days=1)
    return month_start(first), end


def _demo_note(store_alias: str, model: Any) -> list[str]:
    if model.objects.using(store_alias).filter(is_demo=True).exists():
        return [
            "This store holds demonstration rows (flagged is_demo, made by `asbhub demo`): "
            "they are counted here like any other."
        ]
    return []


# --------------------------------------------------------------------------------------------
# Tables 5.34, 5.36 and Case Reviews
# --------------------------------------------------------------------------------------------


def pmps(ctx: Context) -> Section:
    """Table 5.34: PMPs opened in the 12 months and open at their end, by LPU."""
    from asbhub.records.cases import services
    from asbhub.records.cases.models import Pmp

    start, end = _days(ctx)
    s = Section(
        "pmps",
        "Problem Management Plans by LPU",
        "table 5.34",
        CASES_SOURCE.format(what="PMPs"),
        f"{start:%d %b %Y} to {end:%d %b %Y}",
        {"area": ctx.where, "opened": "in the period", "open": f"at the end of {end:%d %b %Y}"},
    )
    try:
        rows = services.table_5_34(start, end, lpus=ctx.areas.lpus, using=ctx.store.alias)
        s.notes += _demo_note(ctx.store.alias, Pmp)
    except DatabaseError as exc:
        s.no_data = f"The case system's tables could not be read ({exc}): run asbhub db upgrade."
        return s
    if ctx.lpu:
        rows = [r for r in rows if r.lpu == ctx.lpu]
    if not any(r.opened or r.open for r in rows):
        s.notes = []
        s.no_data = f"No Problem Management Plans were open in {ctx.where} in these 12 months."
        return s
    s.tables.append(
        ReportTable(
            "pmps-by-lpu",
            "Problem Management Plans by LPU",
            ["LPU area", "PMPs opened", "PMPs open at the end of the period"],
            [[r.lpu, r.opened, r.open] for r in rows]
            + [["Total", sum(r.opened for r in rows), sum(r.open for r in rows)]],
        )
    )
    return s


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def powers(ctx: Context) -> Section:
    """Table 5.36: ASB powers used in the 12 months, from the powers register."""
    from asbhub.records.cases import services
    from asbhub.records.cases.models import Power

    start, end = _days(ctx)
    s = Section(
        "powers",
        "ASB powers used",
        "table 5.36",
        CASES_SOURCE.format(what="ASB powers register"),
        f"{start:%d %b %Y} to {end:%d %b %Y}",
        {
            "area": "whole force",
            "counted_on": "the day of the step each row names "
            "(applied for, issued, granted; breach, penalty or order)",
        },
    )
    if ctx.lpu:
        s.no_data = (
            "The powers register is not kept by LPU: see the force's report (without --area)."
        )
        return s
    try:
        sections = services.table_5_36(start, end, using=ctx.store.alias)
        s.notes += _demo_note(ctx.store.alias, Power)
    except DatabaseError as exc:
        s.no_data = f"The case system's tables could not be read ({exc}): run asbhub db upgrade."
        return s
    if not any(n for sec in sections for _, n in sec.rows):
        s.notes = []
        s.no_data = "No use of an ASB power was recorded in the register in these 12 months."
        return s
    for sec in sections:
        s.tables.append(
            ReportTable(
                f"powers-{_slug(sec.heading)}",
                sec.heading,
                [sec.heading, "Number"],
                [[label, n] for label, n in sec.rows],
            )
        )
    return s


def case_reviews(ctx: Context) -> Section:
    """ASB Case Reviews (Community Trigger) received in the 12 months, by area and outcome."""
    from asbhub.records.cases.models import CaseReview

    start, end = _days(ctx)
    s = Section(
        "case-reviews",
        "ASB Case Reviews (Community Trigger)",
        "paragraph 5.39",
        CASES_SOURCE.format(what="ASB Case Reviews"),
        f"applications received {start:%d %b %Y} to {end:%d %b %Y}",
        {
            "area": ctx.where,
            "outcome": "decision on the threshold; review held if a meeting date is recorded",
        },
    )
    try:
        frame = q.case_review_counts(ctx.store, start, end + dt.timedelta(days=1))
        s.notes += _demo_note(ctx.store.alias, CaseReview)
    except DatabaseError as exc:
        s.no_data = f"The case system's tables could not be read ({exc}): run asbhub db upgrade."
        return s
    if ctx.lpu:
        frame = frame.filter(pl.col("area").str.to_lowercase() == ctx.lpu.lower())
    if frame.height == 0:
        s.notes = []
        s.no_data = f"No application for an ASB Case Review was received in {ctx.where}."
        return s
    cols = list(q.CASE_REVIEW_COLUMNS)
    s.tables.append(
        ReportTable(
            "case-reviews",
            "ASB Case Review applications by area and outcome",
            ["Area", *q.CASE_REVIEW_COLUMNS.values()],
            [list(r) for r in frame.select("area", *cols).iter_rows()]
            + [["Total", *[int(frame[c].sum()) for c in cols]]],
        )
    )
    return s


# --------------------------------------------------------------------------------------------
# Case study
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PmpCaseStudy:
    """Which stored PMP the case study evaluates, and how.

    Parameters
    ----------
    pmp : str
        The plan's reference (``PMP-2024-0007``) or its number.
    start : str, optional
        First month (``YYYY-MM``, or a day ``YYYY-MM-DD``, whose month is taken) of the
        response. Required: the case system does not yet record when a plan's Response stage
        began.
    end : str, optional
        Last month of the response; default ``start``'s.
    before_months, after_months : int
        Whole months counted before the first and after the last month of the response
        (``after_months`` default: ``before_months``). The months of the response are counted
        in neither.
    buffer_m : float
        The buffer ring: places within this many metres of the plan's LSOAs, outside them.
    crime_types : tuple of str
        What is counted (default ASB incidents).
    """

    pmp: str
    start: str | None = None
    end: str | None = None
    before_months: int = 3
    after_months: int | None = None
    buffer_m: float = 500.0
    crime_types: tuple[str, ...] = (ASB,)


def _month_of(text: str, option: str) -> str:
    try:
        day = dt.date.fromisoformat(text if len(text) > 7 else f"{text}-01")
    except ValueError:
        raise ValueError(
            f"{option} {text!r} is not a month or a day; expected YYYY-MM or "
            "YYYY-MM-DD, e.g. 2021-04 or 2021-04-05"
        ) from None
    return month_of(day)


def _find_pmp(alias: str, ref: str) -> Any:
    from asbhub.records.cases.models import Pmp

    plans = Pmp.objects.using(alias).select_related("problem_type")
    found = plans.filter(reference=ref.strip()).first()
    if found is None and ref.strip().isdigit():
        found = plans.filter(pk=int(ref)).first()
    if found is None:
        raise ValueError(
            f"no PMP with reference or number {ref!r} in this store; give a "
            "reference such as PMP-2024-0007 (listed on the plans page, /pmps/)"
        )
    return found


def _plan_lsoas(pmp: Any, alias: str) -> list[str]:
    from asbhub.records.incidents.models import Location

    codes = set(
        pmp.locations.using(alias).exclude(lsoa_code=None).values_list("lsoa_code", flat=True)
    )
    codes |= set(
        Location.objects.using(alias)
        .filter(incidents__pmp_links__pmp=pmp)
        .exclude(lsoa_code=None)
        .values_list("lsoa_code", flat=True)
    )
    return sorted(codes)


def case_study_from_pmp(ctx: Context, request: PmpCaseStudy) -> CaseStudy:
    """Count a stored PMP's area before and after its response, for :func:`case_study`.

    The response area is the LSOAs of the plan's places and linked incidents; the buffer is
    the places within ``buffer_m`` metres of those LSOAs (outside them); the control is the
    rest of the LPUs those LSOAs lie in. Records are counted by month, the finest time that
    data.police.uk gives, with :func:`asbhub.analysis.intervention_counts` (each record in one
    area only: response, then buffer, then control).

    Raises
    ------
    ValueError
        No such plan, a plan with no places, no start month, or windows with nothing loaded;
        the message says what to give.
    """
    alias = ctx.store.alias
    pmp = _find_pmp(alias, request.pmp)
    response = _plan_lsoas(pmp, alias)
    if not response:
        raise ValueError(
            f"{pmp.reference} has no places: link its locations or incidents on "
            "the plan's page, so the case study knows its area"
        )
    if request.start is None:
        raise ValueError(
            f"the case system does not record when {pmp.reference}'s Response "
            "stage began: give the first month of the response, e.g. "
            "--case-start 2021-04 (and --case-end for the last)"
        )
    start = _month_of(request.start, "--case-start")
    end = _month_of(request.end, "--case-end") if request.end else start
    if end < start:
        raise ValueError(f"--case-end {end} is before --case-start {start}")
    after_n = request.after_months or request.before_months
    if request.before_months < 1 or after_n < 1:
        raise ValueError("--case-months must be at least 1")
    before = (shift_month(start, -request.before_months), shift_month(start, -1))
    after = (shift_month(end, 1), shift_month(end, after_n))

    lpu_of = dict(ctx.areas.lsoa.select("lsoa_code", "lpu").iter_rows())
    lpus = sorted({lpu_of[c] for c in response if c in lpu_of})
    control = sorted(
        set(ctx.areas.lsoa.filter(pl.col("lpu").is_in(lpus))["lsoa_code"]) - set(response)
    )
    polygons = lsoa_polygons(ctx.areas)
    frame = query.incident_points(
        ctx.store, months=(before[0], after[1]), crime_types=list(request.crime_types)
    )
    x = frame["easting"].fill_null(np.nan).to_numpy()
    y = frame["northing"].fill_null(np.nan).to_numpy()
    t = np.array([f"{m}-01" for m in frame["month"]], dtype="datetime64[D]")
    in_r = frame["lsoa_code"].is_in(response).fill_null(False).to_numpy()
    in_c = frame["lsoa_code"].is_in(control).fill_null(False).to_numpy()
    ring = None
    if all(c in polygons for c in response):
        ring = shapely.union_all([polygons[c] for c in response]).buffer(request.buffer_m)
    day = np.datetime64
    first_day, after_day = day(f"{start}-01"), day(f"{shift_month(end, 1)}-01")
    tally = intervention_counts(
        x,
        y,
        t,
        response=in_r,
        control=in_c,
        buffer=ring,
        start=first_day,
        end=after_day,
        before_days=float((first_day - day(f"{before[0]}-01")).astype(int)),
        after_days=float((day(f"{shift_month(after[1], 1)}-01") - after_day).astype(int)),
    )
    loaded = set(query.store_months(ctx.store))
    if loaded.isdisjoint(months_between(*before)) or loaded.isdisjoint(months_between(*after)):
        raise ValueError(
            f"no records are loaded for {month_range_label(*before, short=True)} (before) or "
            f"{month_range_label(*after, short=True)} (after): load those months, or choose a "
            "--case-start with data on both sides"
        )
    # Each record in one area, in the order intervention_counts uses.
    in_b = (
        np.zeros(len(x), bool)
        if ring is None
        else np.asarray(shapely.intersects_xy(ring, x, y), bool) & np.isfinite(x) & ~in_r
    )
    ok = np.isfinite(x) & np.isfinite(y)
    areas_of = {
        "Response area": in_r & ok,
        "Buffer": in_b & ok,
        "Control area": in_c & ok & ~in_r & ~in_b,
    }
    months = frame["month"].to_numpy()
    monthly = [
        [month_label(m)] + [int((mask & (months == m)).sum()) for mask in areas_of.values()]
        for m in months_between(before[0], after[1])
    ]
    return CaseStudy(
        title=f"{pmp.reference}, {pmp.title}",
        counts=tally.counts,
        description=(
            f"{pmp.problem_type}: {pmp.area or 'the plan area'} in {pmp.lpu} LPU, "
            f"plan opened {pmp.opened_at:%d %B %Y}, now at the {pmp.get_stage_display()} "
            f"stage. Response months: {month_range_label(start, end, short=True)} (not counted)."
        ),
        before_period=month_range_label(*before, short=True),
        after_period=month_range_label(*after, short=True),
        areas=(
            f"response: {len(response)} LSOA{'s' if len(response) != 1 else ''} of the "
            "plan's places; buffer: within "
            f"{request.buffer_m:g} m of them; control: the rest of {', '.join(lpus)} LPU"
        ),
        source="store: incidents; case system (PMP places and dates)",
        pmp_reference=pmp.reference,
        parameters={
            "response_lsoas": response,
            "buffer_m": request.buffer_m if ring is not None else None,
            "control": f"rest of {', '.join(lpus)} ({len(control)} LSOAs)",
            "crime_types": list(request.crime_types),
            "response_months": [start, end],
            "before_months": list(before),
            "after_months": list(after),
            "time_unit": "month",
            "records_without_place": tally.n_excluded,
            "records_during_response": tally.n_during,
        },
        monthly=monthly,
    )


def case_study(case: CaseStudy) -> Section:
    """The case-study section: counts by area and period, the rate ratio with its confidence
    interval, the displacement measures and the net effect."""
    ev = evaluate_intervention(case.counts)
    c = case.counts
    s = Section(
        "case-study",
        f"Case study: {case.title}",
        "appendix A",
        case.source,
        f"before: {case.before_period or 'as supplied'}; after: "
        f"{case.after_period or 'as supplied'}",
        {
            "confidence": ev.confidence,
            "overdispersion": ev.overdispersion,
            "pmp": case.pmp_reference,
            "areas": case.areas or "as supplied",
            **case.parameters,
        },
    )
    if case.description:
        s.paragraphs.append(case.description)
    rows = [["Response area", c.response_before, c.response_after, ev.response_change.percent]]
    if ev.buffer_change is not None and c.buffer is not None:
        rows.append(["Buffer (displacement) area", *c.buffer, ev.buffer_change.percent])
    rows.append(["Control area", c.control_before, c.control_after, ev.control_change.percent])
    s.tables.append(
        ReportTable(
            "case-counts",
            "Counts before and after",
            ["Area", "Before", "After", "% change"],
            rows,
            decimals=1,
            percent_columns=(3,),
        )
    )
    s.tables.append(
        ReportTable(
            "case-evaluation",
            "Evaluation",
            ["Measure", "Value", "Reading"],
            _evaluation_rows(ev),
            decimals=3,
        )
    )
    if c.response_before and c.control_before >= 5 * c.response_before:
        s.notes.append(
            f"The control area had {c.control_before / c.response_before:.0f} times "
            "the response area's records before: the Weighted Displacement "
            "Difference, which assumes areas of like size, is dominated by the "
            "control's trend here; read the rate ratios, which allow for size."
        )
    if case.monthly:
        s.tables.append(
            ReportTable(
                "case-monthly",
                "Records by month and area",
                ["Month", "Response area", "Buffer", "Control area"],
                case.monthly,
            )
        )
    return s


def _evaluation_rows(ev: InterventionEvaluation) -> list[list[Any]]:
    level = f"{ev.confidence:.0%}"
    rr = ev.rate_ratio
    out: list[list[Any]] = []
    if rr.value is None:
        out.append(["Rate ratio (response against control)", None, rr.reason])
    else:
        out.append(
            [
                "Rate ratio (response against control)",
                rr.value,
                f"{level} CI {rr.ci_low:.2f} to {rr.ci_high:.2f}; p = {rr.p_value:.3g}; "
                f"{rr.percent_change:+.1f}% relative to the control "
                "(above 1: the response area did better than the control)",
            ]
        )
    brr = ev.buffer_rate_ratio
    if brr is not None:
        out.append(
            [
                "Rate ratio (buffer against control)",
                brr.value,
                brr.reason
                or f"{level} CI {brr.ci_low:.2f} to {brr.ci_high:.2f} "
                "(above 1: diffusion of benefits; below 1: displacement)",
            ]
        )
    wdq = ev.wdq
    out.append(["Weighted Displacement Quotient", wdq.wdq, wdq.interpretation or wdq.reason])
    ne = ev.net_effect
    out.append(
        [
            "Total net effect (events prevented)",
            ne.total,
            ne.reason or "response area and buffer, net of the control's trend",
        ]
    )
    w = ev.wdd
    out.append(
        [
            "Weighted Displacement Difference",
            w.estimate,
            w.reason
            or f"{level} CI {w.ci_low:.1f} to {w.ci_high:.1f}; p = "
            f"{w.p_value:.3g} (negative: fewer events than the control's trend implies)"
            if w.p_value is not None
            else w.reason,
        ]
    )
    return out
