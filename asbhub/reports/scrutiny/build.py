"""The Performance Scrutiny report (seed 003) built from the store: data -> HTML -> PDF.

:func:`build_scrutiny` reads the store once for the records of the report's years
(:mod:`asbhub.reports.data`), builds every section in seed 003's order
(:mod:`asbhub.reports.scrutiny.sections` for incidents and calls,
:mod:`asbhub.reports.scrutiny.cases` for plans, powers, Case Reviews and the case study) and
returns a :class:`ScrutinyReport`; :func:`render_html` turns it into one self-contained page
and :func:`write_pdf` prints that page (:mod:`asbhub.reports.scrutiny.render`).

Every section states its source, period and parameters. A section whose data were not loaded
says so in words and shows no figures: nothing is ever filled in. The cover carries the data
version (each loaded unit's row count and SHA-256), every parameter and the command that
rebuilds the report, so that the same store and the same arguments give the same figures.

Examples
--------
>>> from asbhub.store.db import open_store                          # doctest: +SKIP
>>> report = build_scrutiny(open_store(), period="2019-02")         # doctest: +SKIP
>>> write_pdf(render_html(report), "scrutiny-2019-02.pdf")          # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from asbhub.analysis_inputs import area_lsoa_codes, display_url
from asbhub.domain.months import require_month, shift_month
from asbhub.geo import AreaHierarchy, area_hierarchy
from asbhub.reports import data as q
from asbhub.reports.scrutiny import cases, sections
from asbhub.reports.scrutiny.cases import PmpCaseStudy
from asbhub.reports.scrutiny.model import (
    CaseStudy,
    Chart,
    Context,
    ReportTable,
    ScrutinyReport,
    Section,
)
from asbhub.reports.scrutiny.render import render_html, write_pdf
from asbhub.store.db import Store
from asbhub.store.scope import SYNTHETIC_PREFIX, Scope, default_scope

__all__ = [
    "CaseStudy",
    "Chart",
    "PmpCaseStudy",
    "ReportTable",
    "ScrutinyReport",
    "Section",
    "build_scrutiny",
    "render_html",
    "write_pdf",
    "write_scrutiny",
]


def _command(period: str, lpu: str | None, case: CaseStudy | PmpCaseStudy | None) -> str:
    """The command line that rebuilds the report (the store given with ``--db``)."""
    words = ["asbhub", "report", "scrutiny", "--period", period]
    if lpu:
        words += ["--area", lpu]
    if isinstance(case, PmpCaseStudy):
        words += ["--case-study", case.pmp]
        words += ["--case-start", case.start] if case.start else []
        words += ["--case-end", case.end] if case.end else []
        words += ["--case-months", str(case.before_months)]
        words += ["--case-buffer", f"{case.buffer_m:g}"]
    return " ".join(shlex.quote(w) for w in words) + " --out DIR"


def build_scrutiny(
    store: Store,
    period: str,
    area: str | None = None,
    *,
    force: str | None = None,
    years: int = 5,
    hotspot_months: int = 3,
    hotspot_cell_size: float | None = None,
    case_study: CaseStudy | PmpCaseStudy | None = None,
    areas: AreaHierarchy | None = None,
    generated_at: datetime | None = None,
) -> ScrutinyReport:
    """Assemble the scrutiny report for the 12 months to ``period`` from the store.

    Parameters
    ----------
    store : Store
        From :func:`asbhub.store.db.open_store`.
    period : str
        The report's month, ``YYYY-MM``.
    area : str, optional
        An LPU name (any case): every table but the force comparison is limited to it.
    force : str, optional
        The force the report is about, as the loaded data name it; default the deployment's
        force (:func:`asbhub.store.scope.default_scope`: ``ASBHUB_FORCE``, else the force with
        the most published police.uk records), whatever the period holds: a report never
        switches force on its own. Only recorded police data (published police.uk, force
        exports) are counted; synthetic data only when the force is synthetic.
    years : int
        How many 12-month periods the tables by year go back (those with data are shown).
    hotspot_months : int
        The latest months mapped for hot spots.
    hotspot_cell_size : float, optional
        Metres; default chosen by :func:`asbhub.analysis.hotspot_gistar` (and reported).
    case_study : PmpCaseStudy or CaseStudy, optional
        A stored PMP to evaluate (:class:`PmpCaseStudy`: its area is counted from the store),
        or an operation with counts made elsewhere (:class:`CaseStudy`): adds the case study.
    areas : AreaHierarchy, optional
        Default :meth:`AreaHierarchy.load`.
    generated_at : datetime, optional
        Default now (UTC); fix it to rebuild a report byte for byte.

    Returns
    -------
    ScrutinyReport

    Raises
    ------
    ValueError
        A period that is not a month, an unknown area, or a case study that cannot be
        counted (the message says what to give).
    """
    from asbhub import __version__

    require_month(period, "period")
    areas = areas or area_hierarchy()
    lpu = None
    codes: list[str] | None = None
    if area is not None:
        codes, lpu, _ = area_lsoa_codes(areas, area, None)
    first = shift_month(period, -12 * (years + 1) + 1)
    every = q.report_records(store, (first, period))
    scope = default_scope(store, force)
    force = scope.force or areas.force_name
    # Issue #12: recorded police data only (no residents' reports), and synthetic data never
    # beside real forces: the force comparison compares real forces.
    every = every.filter(pl.col("kind").is_in(sorted(scope.kinds)))
    if not scope.synthetic:
        every = every.filter(~pl.col("force").str.to_uppercase().str.starts_with(SYNTHETIC_PREFIX))
    home = every.filter(pl.col("force") == force)
    if codes is not None:
        home = home.filter(pl.col("lsoa_code").is_in(codes))
    covered = sorted(home["month"].unique().to_list())
    data_version: dict[str, Any] = {
        "incident_sources": q.incident_sources(store),
        "call_sources": q.call_sources(store),
    }
    data_version["digest"] = hashlib.sha256(
        json.dumps(data_version, sort_keys=True, default=str).encode()
    ).hexdigest()
    command = _command(period, lpu, case_study)
    case_params: Any = None
    if isinstance(case_study, PmpCaseStudy):
        case_params = asdict(case_study)
    elif case_study is not None:
        case_params = {"title": case_study.title, "counts": asdict(case_study.counts)}
    params: dict[str, Any] = {
        "period": period,
        "area": lpu,
        "force": force,
        "scope": scope.as_dict(),
        "years": years,
        "hotspot_months": hotspot_months,
        "hotspot_cell_size": hotspot_cell_size,
        "store": display_url(store.url),
        "case_study": case_params,
    }
    when = (generated_at or datetime.now(UTC)).astimezone(UTC)
    ctx = Context(store, period, lpu, force, covered, areas, when, command)
    calls, calls_scope = _calls_in_scope(q.report_calls(store), scope)
    case = (
        cases.case_study_from_pmp(ctx, case_study)
        if isinstance(case_study, PmpCaseStudy)
        else case_study
    )
    built = [
        sections.hotspots(ctx, hotspot_months, hotspot_cell_size, codes),
        sections.call_handling(calls, ctx),
        sections.asb_by_type(home, ctx, years),
        sections.monthly(home, ctx),
        sections.excluding_covid(home, ctx, "asb"),
        sections.excluding_covid(home, ctx, "roc"),
        sections.force_comparison(every, ctx),
        sections.asb_by_lpu(home, ctx),
        cases.pmps(ctx),
        cases.powers(ctx),
        cases.case_reviews(ctx),
        sections.neighbourhood_crime(home, ctx, years),
    ]
    if case is not None:
        built.append(cases.case_study(case))
    _name_scope(built, Scope(force, scope.kinds, scope.synthetic), lpu)
    if calls_scope:
        next(s for s in built if s.id == "call-handling").scope = calls_scope
    report_id = hashlib.sha256(
        json.dumps([data_version["digest"], params], sort_keys=True, default=str).encode()
    ).hexdigest()[:12]
    return ScrutinyReport(
        period=period,
        area=lpu,
        force=force,
        generated_at=when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        version=__version__,
        parameters=params,
        data_version=data_version,
        report_id=report_id,
        sections=built,
        command=command,
        audit_head=audit_head(store, when),
    )


#: Sections whose figures are not the report force's incidents: their own source says whose.
_OTHER_SCOPE = {"call-handling", "pmps", "powers", "case-reviews", "case-study"}


def _calls_in_scope(calls: pl.DataFrame, scope: Scope) -> tuple[pl.DataFrame, str]:
    """The call logs the report counts, and its scope line when not the force's own.

    Synthetic calls never mix with real ones; a store whose only call logs are synthetic (the
    demonstration) shows them, and the section says they are synthetic.
    """
    synthetic = calls["force"].fill_null("").str.to_uppercase().str.starts_with(SYNTHETIC_PREFIX)
    real = calls.filter(~synthetic)
    if real.height or scope.synthetic or calls.height == 0:
        return real if not scope.synthetic else calls, ""
    names = ", ".join(sorted(set(calls["force"].to_list())))
    return calls, f"{names}: SYNTHETIC call logs (fictional calls), no real call log loaded"


def _name_scope(built: list[Section], scope: Scope, lpu: str | None) -> None:
    """Name the force and the kinds of data in every section (issue #12)."""
    where = f"{lpu} LPU, {scope.force}" if lpu else scope.force
    for s in built:
        if s.id == "force-comparison":
            s.scope = f"every force loaded: {scope.kinds_text()}" + (
                "" if scope.synthetic else "; synthetic data left out"
            )
        elif s.id in _OTHER_SCOPE:
            s.scope = where or ""
        else:
            s.scope = f"{where}: {scope.kinds_text()}" + (
                "" if scope.synthetic else "; synthetic data left out"
            )


def audit_head(store: Store, when: datetime) -> dict[str, Any] | None:
    """The audit log's head for the report's annex: entries, last hash and last entry's time.

    Printed in the published report, it is an anchor kept off-system: a later rewrite of the
    log up to that entry no longer matches it (``asbhub audit verify``, docs/sharing.md).
    None when the audit tables cannot be read (a store not upgraded).
    """
    from django.db import DatabaseError

    from asbhub.records.partners.anchor import current_head

    try:
        head = current_head(store.alias)
    except DatabaseError:
        return None
    return {
        "entries": head["seq"],
        "hash": head["hash"],
        "last_at": head["entry_at"],
        "read_at": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def write_scrutiny(
    store: Store,
    period: str,
    out_dir: Path | str,
    area: str | None = None,
    *,
    pdf: bool = True,
    **kwargs: Any,
) -> dict[str, Path]:
    """``asbhub report scrutiny``: write ``scrutiny-YYYY-MM.html`` (and ``.pdf``) to a folder.

    Returns
    -------
    dict
        ``{"html": path, "pdf": path}`` (no ``pdf`` when ``pdf=False``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = render_html(build_scrutiny(store, period, area, **kwargs))
    written = {"html": out / f"scrutiny-{period}.html"}
    written["html"].write_text(html, encoding="utf-8")
    if pdf:
        written["pdf"] = write_pdf(html, out / f"scrutiny-{period}.pdf")
    return written
