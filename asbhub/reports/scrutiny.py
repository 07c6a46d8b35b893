"""The Performance Scrutiny report (seed 003) built from the store: data -> HTML -> PDF.

:func:`build_scrutiny` assembles a :class:`ScrutinyReport` from the store's queries
(:mod:`asbhub.reports.data`, :mod:`asbhub.store.query`) and the pure analyses
(:mod:`asbhub.analysis`); :func:`render_html` turns it into one self-contained HTML page
(charts inline); :func:`write_pdf` prints that page with WeasyPrint.

Every section states its source, period and parameters. A section whose data were not loaded
says so in words and shows no figures: nothing is ever filled in. The cover carries the data
version (each loaded unit's row count and SHA-256) and every parameter, so that the same store
and the same arguments rebuild the same figures.

Examples
--------
>>> from asbhub.store.db import open_store                          # doctest: +SKIP
>>> report = build_scrutiny(open_store(), period="2019-02")         # doctest: +SKIP
>>> write_pdf(render_html(report), "scrutiny-2019-02.pdf")          # doctest: +SKIP
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from django.db import DatabaseError

from asbhub.analysis import (
    InterventionCounts,
    InterventionEvaluation,
    area_counts,
    call_kpis,
    evaluate_intervention,
    force_share,
    format_hms,
    hotspot_gistar,
    period_compare,
)
from asbhub.analysis.tables import month_label
from asbhub.analysis_inputs import PointFilters, PointSet, area_lsoa_codes, display_url
from asbhub.geo import AreaHierarchy
from asbhub.reports import data as q
from asbhub.store import query
from asbhub.store.db import Store

__all__ = [
    "CaseStudy",
    "Chart",
    "ReportTable",
    "ScrutinyReport",
    "Section",
    "build_scrutiny",
    "render_html",
    "write_pdf",
    "write_scrutiny",
]

POLICE_UK = "data.police.uk street-level files (Open Government Licence v3.0)"
#: Neighbourhood crime types shown in the crime table (seed 003 sections 6 and 7).
NEIGHBOURHOOD_CRIME = ("Burglary", "Robbery", "Theft from the person", "Vehicle crime",
                       "Bicycle theft", "Shoplifting", "Other theft", "Drugs",
                       "Criminal damage and arson")


# --------------------------------------------------------------------------------------------
# The report's shape
# --------------------------------------------------------------------------------------------


@dataclass
class ReportTable:
    """One table: a caption, column headings and rows of raw values.

    Cells hold ints, floats (shown to ``decimals``), strings, or None (shown as "n/a").
    """

    id: str
    caption: str
    columns: list[str]
    rows: list[list[Any]]
    decimals: int = 0
    percent_columns: tuple[int, ...] = ()

    def cell(self, row: str, column: str) -> Any:
        """The value in the row whose first cell is ``row``, under heading ``column``."""
        j = self.columns.index(column)
        for r in self.rows:
            if r[0] == row:
                return r[j]
        raise KeyError(f"no row {row!r} in table {self.id}")


@dataclass
class Chart:
    """A chart as inline SVG or as a PNG ``data:`` URI, with the text a screen reader reads."""

    title: str
    alt: str
    svg: str | None = None
    png_uri: str | None = None


@dataclass
class Section:
    """One section: its title, where its figures come from, and the figures (or why none)."""

    id: str
    title: str
    seed_ref: str
    source: str
    period: str
    parameters: dict[str, Any]
    tables: list[ReportTable] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    no_data: str | None = None

    def table(self, table_id: str) -> ReportTable:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(f"no table {table_id!r} in section {self.id}")


@dataclass(frozen=True)
class CaseStudy:
    """A PMP (or operation) to evaluate in the report's case-study section.

    Parameters
    ----------
    title : str
        E.g. ``"Op Dexter, Bolsover town centre"``.
    counts : InterventionCounts
        Before and after counts in the response, buffer and control areas (from
        :func:`asbhub.analysis.intervention_counts` or written out).
    description : str
        What was done, in a sentence or two.
    before_period, after_period : str
        The periods the counts cover, in words.
    areas : str
        How the response, buffer and control areas were drawn.
    source : str
        Where the counts come from.
    pmp_reference : str, optional
        The PMP's reference in the case system.
    """

    title: str
    counts: InterventionCounts
    description: str = ""
    before_period: str = ""
    after_period: str = ""
    areas: str = ""
    source: str = "counts supplied to the report"
    pmp_reference: str | None = None


@dataclass
class ScrutinyReport:
    """Everything the scrutiny report shows, assembled by :func:`build_scrutiny`.

    Attributes
    ----------
    period : str
        The report's month, ``YYYY-MM``: the last month of every "latest 12 months".
    area : str or None
        The LPU the report is limited to (None: the whole force).
    force : str
        The force the report is about.
    generated_at : str
        ISO 8601, UTC.
    version : str
        asbhub's version.
    parameters : dict
        Every parameter, as given or as chosen.
    data_version : dict
        ``incident_sources`` and ``call_sources`` (rows and SHA-256 of each loaded unit) and
        ``digest``, the SHA-256 of both lists.
    report_id : str
        First 12 hex digits of the SHA-256 of the data version and parameters: two reports
        with the same id were built from the same data with the same settings.
    sections : list of Section
    """

    period: str
    area: str | None
    force: str
    generated_at: str
    version: str
    parameters: dict[str, Any]
    data_version: dict[str, Any]
    report_id: str
    sections: list[Section]

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(f"no section {section_id!r}")

    @property
    def title(self) -> str:
        where = f"{self.area} LPU, {self.force}" if self.area else self.force
        return f"Neighbourhood crime and anti-social behaviour: {where}, {month_label(self.period)}"


# --------------------------------------------------------------------------------------------
# Months
# --------------------------------------------------------------------------------------------


def _shift(month: str, by: int) -> str:
    i = int(month[:4]) * 12 + int(month[5:7]) - 1 + by
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def _span(first: str, last: str) -> list[str]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = _shift(m, 1)
    return out


def _period_words(first: str, last: str) -> str:
    return month_label(first) if first == last else f"{month_label(first)} to {month_label(last)}"


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def build_scrutiny(
    store: Store,
    period: str,
    area: str | None = None,
    *,
    force: str | None = None,
    years: int = 5,
    hotspot_months: int = 3,
    hotspot_cell_size: float | None = None,
    case_study: CaseStudy | None = None,
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
        The force the report is about, as the loaded data name it; default the area
        hierarchy's force if loaded, else the force with the most records.
    years : int
        How many 12-month periods the tables by year go back (those with data are shown).
    hotspot_months : int
        The latest months mapped for hot spots.
    hotspot_cell_size : float, optional
        Metres; default chosen by :func:`asbhub.analysis.hotspot_gistar` (and reported).
    case_study : CaseStudy, optional
        A PMP or operation with its counts: adds the case-study section.
    areas : AreaHierarchy, optional
        Default :meth:`AreaHierarchy.load`.
    generated_at : datetime, optional
        Default now (UTC); fix it to rebuild a report byte for byte.

    Returns
    -------
    ScrutinyReport
    """
    from asbhub import __version__

    if not isinstance(period, str) or len(period) != 7 or period[4] != "-":
        raise ValueError(f"period {period!r} is not a month; expected YYYY-MM, e.g. 2022-02")
    _shift(period, 0)
    areas = areas or AreaHierarchy.load()
    lpu = None
    codes: list[str] | None = None
    if area is not None:
        codes, lpu, _ = area_lsoa_codes(areas, area, None)
    first = _shift(period, -12 * (years + 1) + 1)
    every = q.report_records(store, (first, period))
    forces = every.group_by("force").len().sort("len", descending=True)["force"].to_list()
    if force is None:
        force = areas.force_name if areas.force_name in forces or not forces else forces[0]
    home = every.filter(pl.col("force") == force)
    if codes is not None:
        home = home.filter(pl.col("lsoa_code").is_in(codes))
    covered = sorted(home["month"].unique().to_list())
    sources = q.incident_sources(store)
    calls_src = q.call_sources(store)
    data_version = {"incident_sources": sources, "call_sources": calls_src}
    data_version["digest"] = hashlib.sha256(
        json.dumps(data_version, sort_keys=True, default=str).encode()).hexdigest()
    params: dict[str, Any] = {
        "period": period, "area": lpu, "force": force, "years": years,
        "hotspot_months": hotspot_months, "hotspot_cell_size": hotspot_cell_size,
        "store": display_url(store.url),
        "case_study": case_study.title if case_study else None,
    }
    when = (generated_at or datetime.now(UTC)).astimezone(UTC)
    ctx = _Context(period, lpu, force, covered, areas, when)
    sections = [
        _asb_by_type(home, ctx, years),
        _monthly(home, ctx),
        _excluding_covid(home, ctx, "asb"),
        _excluding_covid(home, ctx, "roc"),
        _force_comparison(every, ctx),
        _asb_by_lpu(home, ctx),
        _hotspots(store, ctx, hotspot_months, hotspot_cell_size, codes),
        _neighbourhood_crime(home, ctx, years),
        _call_handling(q.report_calls(store), ctx),
        _pmps(store, ctx),
    ]
    if case_study is not None:
        sections.append(_case_study(case_study))
    report_id = hashlib.sha256(json.dumps(
        [data_version["digest"], params], sort_keys=True, default=str).encode()).hexdigest()[:12]
    return ScrutinyReport(
        period=period, area=lpu, force=force,
        generated_at=when.isoformat(timespec="seconds").replace("+00:00", "Z"),
        version=__version__, parameters=params, data_version=data_version,
        report_id=report_id, sections=sections,
    )


@dataclass(frozen=True)
class _Context:
    period: str
    lpu: str | None
    force: str
    covered: list[str]
    areas: AreaHierarchy
    generated_at: datetime

    @property
    def where(self) -> str:
        return f"{self.lpu} LPU ({self.force})" if self.lpu else self.force

    def latest(self, months: int = 12) -> tuple[str, str]:
        return _shift(self.period, -months + 1), self.period

    def coverage_note(self, first: str, last: str) -> str | None:
        want = _span(first, last)
        have = [m for m in want if m in self.covered]
        if len(have) == len(want):
            return None
        return (f"{_period_words(first, last)}: data loaded for {len(have)} of {len(want)} "
                f"months ({', '.join(month_label(m) for m in have) or 'none'}); counts cover "
                "only those months")


def _categories(frame: pl.DataFrame) -> tuple[pl.DataFrame, str | None, list[str]]:
    """Drop an empty ASB category column (police.uk data), so the analyses say so."""
    notes = []
    if frame["asb_category"].drop_nulls().len() == 0:
        notes.append("The data have no ASB category (police.uk files do not): totals only.")
        return frame.drop("asb_category"), None, notes
    return frame, "asb_category", notes


def _covid(frame: pl.DataFrame) -> tuple[bool, list[str]]:
    if frame["covid"].drop_nulls().len() == 0:
        return False, ["The data have no Covid flag (police.uk files do not): Covid-related "
                       "reports cannot be left out, so they are included."]
    return True, []


def _windows(frame: pl.DataFrame, ctx: _Context, years: int, *, record_type: str,
             by: str | None, categories: list[str] | None = None,
             total: str = "Total") -> tuple[ReportTable | None, list[str]]:
    """Counts per 12-month period to the report's month, going back ``years`` periods; only
    periods holding loaded data are shown."""
    cols, notes, results = [], [], []
    for k in range(years):
        end = _shift(ctx.period, -12 * k)
        start = _shift(end, -11)
        if not any(start <= m <= end for m in ctx.covered):
            continue
        r = period_compare(frame, end, 12, by, record_type=record_type, categories=categories,
                           total_label=total, coverage=ctx.covered)
        results.append(r)
        cols.append(r.latest_label)
        note = ctx.coverage_note(start, end)
        if note:
            notes.append(note)
    if not results:
        return None, notes
    results.reverse()
    cols.reverse()
    labels: list[str] = []
    for r in results:
        labels += [c for c in r.table["category"].to_list() if c not in labels and c != total]
    labels.append(total)
    counts = [dict(zip(r.table["category"], r.table["latest"], strict=True)) for r in results]
    rows = [[c, *[n.get(c, 0) for n in counts]] for c in labels]
    return ReportTable("", "", ["", *cols], rows), notes


def _asb_by_type(frame: pl.DataFrame, ctx: _Context, years: int) -> Section:
    frame, by, notes = _categories(frame)
    table, more = _windows(frame, ctx, years, record_type="asb", by=by)
    s = Section("asb-by-type", "ASB incidents by type", "table 5.4", POLICE_UK if by is None
                else "force incident export", f"{years} periods of 12 months to "
                f"{month_label(ctx.period)}", {"record_type": "asb", "by": by or "total only",
                                               "area": ctx.where}, notes=notes + more)
    if table is None:
        s.no_data = (f"No ASB incidents were loaded for {ctx.where} in the {years} years to "
                     f"{month_label(ctx.period)}.")
        return s
    table.id, table.caption = "asb-by-type", "ASB incidents by type"
    table.columns[0] = "ASB incidents by type"
    s.tables.append(table)
    return s


def _monthly(frame: pl.DataFrame, ctx: _Context) -> Section:
    first, last = ctx.latest(24)
    s = Section("monthly", "ASB incidents and records of contact by month", "charts 5.10, 5.11",
                "store: incidents", _period_words(first, last),
                {"record_types": ["asb", "roc"], "area": ctx.where})
    rows = frame.filter(pl.col("month").is_between(pl.lit(first), pl.lit(last))
                        & pl.col("record_type").is_in(["asb", "roc"]))
    if rows.height == 0:
        s.no_data = f"No ASB incidents or records of contact were loaded for {ctx.where}."
        return s
    months = [m for m in _span(first, last) if m in ctx.covered]
    series = {}
    for rt, name in (("asb", "ASB incidents"), ("roc", "ASB records of contact")):
        got = dict(rows.filter(pl.col("record_type") == rt).group_by("month").len().iter_rows())
        if got:
            series[name] = [int(got.get(m, 0)) for m in months]
    s.tables.append(ReportTable("monthly", "Records by month", ["Month", *series],
                                [[month_label(m), *[v[i] for v in series.values()]]
                                 for i, m in enumerate(months)]))
    s.charts.append(_monthly_chart(months, series))
    note = ctx.coverage_note(first, last)
    if note:
        s.notes.append(note + "; months without data are not drawn")
    return s


def _excluding_covid(frame: pl.DataFrame, ctx: _Context, record_type: str) -> Section:
    roc = record_type == "roc"
    what = "ASB records of contact" if roc else "ASB incidents"
    frame, by, notes = _categories(frame)
    exclude, more = _covid(frame)
    s = Section("roc-comparison" if roc else "asb-excluding-covid",
                f"{what} excluding Covid: latest 12 months against the 12 before",
                "table 5.15" if roc else "table 5.13", POLICE_UK if by is None
                else "force incident export", f"12 months to {month_label(ctx.period)} against "
                f"12 months to {month_label(_shift(ctx.period, -12))}",
                {"record_type": record_type, "exclude_covid": exclude, "by": by or "total only",
                 "area": ctx.where}, notes=notes + more)
    if frame.filter(pl.col("record_type") == record_type).height == 0:
        s.notes = []
        s.no_data = (f"No {what} were loaded for {ctx.where}."
                     + (" Records of contact come from the force incident export; police.uk "
                        "files hold none." if roc else ""))
        return s
    r = period_compare(frame, ctx.period, 12, by, record_type=record_type,
                       exclude_covid=exclude, coverage=ctx.covered)
    s.notes += [n for n in (ctx.coverage_note(*r.previous_period),
                            ctx.coverage_note(*r.latest_period)) if n]
    prev_loaded = any(r.previous_period[0] <= m <= r.previous_period[1] for m in ctx.covered)
    rows = []
    for c, p, la, ch, pc in r.table.select("category", "previous", "latest", "change",
                                           "pct_change").iter_rows():
        if not prev_loaded:  # an empty year is "no data", never a count of 0
            p, ch, pc = "no data", None, None
        rows.append([c, p, la, ch, pc])
    if not prev_loaded:
        s.notes.append(f"No data were loaded for {r.previous_label}: no change is given.")
    s.tables.append(ReportTable(s.id, f"{what} (excluding Covid)" if exclude else what,
                                [f"{what}{' (excluding Covid)' if exclude else ''}",
                                 r.previous_label, r.latest_label, "Change", "% Change"],
                                rows, percent_columns=(4,)))
    return s


def _force_comparison(every: pl.DataFrame, ctx: _Context) -> Section:
    first, last = ctx.latest(12)
    s = Section("force-comparison", "Comparison with other forces", "tables 5.18, 5.19",
                POLICE_UK, _period_words(first, last), {"forces": "every force loaded"})
    rows = every.filter(pl.col("month").is_between(pl.lit(first), pl.lit(last)))
    if rows.height == 0:
        s.no_data = "No force's data were loaded for these months."
        return s
    frame, by, notes = _categories(rows)
    share = force_share(frame, by="force", category=by, total_label="All forces loaded")
    s.parameters.update({"category": share.category, "record_type": share.record_type})
    s.notes += list(share.notes)
    n_forces = share.shares.height - 1
    if n_forces == 1:
        s.notes.append("Only one force's data were loaded: load other forces' police.uk "
                       "files to compare.")
    cats = list(share.categories)
    what = "ASB incidents by type" if by else "records by crime type"
    forces_ = share.shares["force"].to_list()
    s.tables.append(ReportTable("force-share", f"Percentage of {what}",
                                [f"Percentage of {what}", *forces_],
                                [[c, *share.shares[c].to_list()] for c in cats]
                                + [["Records", *share.shares["count"].to_list()]],
                                decimals=1))
    r = period_compare(every, ctx.period, 12, "force", record_type="asb",
                       total_label="All forces loaded", coverage=every["month"].unique())
    prev_loaded = any(r.previous_period[0] <= m <= r.previous_period[1]
                      for m in every["month"].unique().to_list())
    out = []
    for c, p, la, ch, pc in r.table.select("category", "previous", "latest", "change",
                                           "pct_change").iter_rows():
        out.append([c, p, la, ch, pc] if prev_loaded else [c, "no data", la, None, None])
    s.tables.append(ReportTable("force-change", "ASB incidents by police force area",
                                ["ASB incidents by police force area", r.previous_label,
                                 r.latest_label, "Change", "% Change"], out,
                                percent_columns=(4,)))
    s.notes += [f"Force months missing: {f}: {', '.join(ms)}"
                for f, ms in share.months_missing.items()]
    return s


def _asb_by_lpu(frame: pl.DataFrame, ctx: _Context) -> Section:
    first, last = ctx.latest(12)
    frame, by, notes = _categories(frame)
    s = Section("asb-by-lpu", "ASB incidents by Local Policing Unit", "table 5.34 (by LPU)",
                POLICE_UK if by is None else "force incident export",
                _period_words(first, last),
                {"record_type": "asb", "level": "lpu", "by": by or "total only",
                 "area_mapping": "LSOA to LPU, asbhub area hierarchy"}, notes=notes)
    if frame.filter(pl.col("record_type") == "asb").height == 0:
        s.notes = []
        s.no_data = f"No ASB incidents were loaded for {ctx.where}."
        return s
    r = area_counts(frame, ctx.areas, "lpu", by=by, start_month=first, end_month=last,
                    coverage=ctx.covered)
    note = ctx.coverage_note(first, last)
    if note:
        s.notes.append(note)
    table = r.table
    if ctx.lpu:
        table = table.filter((pl.col("lpu") == ctx.lpu) | (pl.col("count") > 0))
    cats = list(r.categories)
    s.tables.append(ReportTable("asb-by-lpu", "ASB incidents by LPU",
                                ["LPU area", *cats, "ASB incidents"],
                                [[a, *[row[c] for c in cats], row["count"]]
                                 for a, row in zip(table["area"], table.iter_rows(named=True),
                                                   strict=True)]
                                + [["Total", *[int(table[c].sum()) for c in cats], r.total]]))
    return s


def _hotspots(store: Store, ctx: _Context, months: int, cell_size: float | None,
              codes: list[str] | None) -> Section:
    from asbhub.outputs import lpu_outlines_bng, make_stamp, write_png

    first, last = ctx.latest(months)
    s = Section("hotspots", "ASB hot spots", "section 3 (hot spots), appendix A",
                "store: incidents (police.uk map points)", _period_words(first, last),
                {"method": "Getis-Ord Gi*", "crime_types": ["Anti-social behaviour"],
                 "months": months, "restricted_to": f"LSOAs of {ctx.where}"})
    keep = codes if codes is not None else ctx.areas.lsoa["lsoa_code"].to_list()
    frame = query.incident_points(store, months=(first, last),
                                  crime_types=["Anti-social behaviour"])
    frame = frame.filter(pl.col("lsoa_code").is_in(keep))
    if frame.height == 0:
        s.no_data = f"No ASB incidents with a place were loaded for {ctx.where} in these months."
        return s
    filters = PointFilters((first, last), ("Anti-social behaviour",), None, ctx.lpu)
    points = PointSet(frame, filters, {"kind": "store", "url": display_url(store.url),
                                       "loads": query.store_loads(store, _span(first, last))})
    result = hotspot_gistar(points.xy(), cell_size=cell_size)
    stamp = make_stamp(result, data=points.data_stamp(),
                       command=f"asbhub report scrutiny --period {ctx.period}"
                       + (f" --area '{ctx.lpu}'" if ctx.lpu else ""),
                       requested={"restricted_to": s.parameters["restricted_to"]},
                       generated_at=ctx.generated_at)
    buf = io.BytesIO()
    write_png(result, buf, stamp, outlines=lpu_outlines_bng(ctx.areas))  # type: ignore[arg-type]
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    s.parameters.update({"cell_size_m": result.cell_size, "band_m": round(result.band, 1),
                         "fdr": result.fdr, "confidence": list(result.confidence_levels),
                         "run_id": stamp["run_id"]})
    s.charts.append(Chart(f"ASB hot spots, {_period_words(first, last)}",
                          f"Map of Getis-Ord Gi* hot and cold spots of ASB in {ctx.where}: "
                          f"{result.n_hot(2)} cells hot at 95% confidence or more.",
                          png_uri=uri))
    s.tables.append(ReportTable("hotspot-summary", "Hot spot cells", ["Measure", "Value"], [
        ["ASB incidents mapped", result.n_points_used],
        ["Left out (no place, or far from the rest)", result.n_points_excluded],
        ["Hot spot cells at 99% confidence", result.n_hot(3)],
        ["Hot spot cells at 95% confidence or more", result.n_hot(2)],
        ["Hot spot cells at 90% confidence or more", result.n_hot(1)],
    ]))
    return s


def _neighbourhood_crime(frame: pl.DataFrame, ctx: _Context, years: int) -> Section:
    s = Section("neighbourhood-crime", "Neighbourhood crime, drugs and theft by year",
                "tables 6.1, charts 7.1", POLICE_UK, f"{years} periods of 12 months to "
                f"{month_label(ctx.period)}", {"record_type": "crime",
                                              "crime_types": list(NEIGHBOURHOOD_CRIME),
                                              "area": ctx.where})
    rows = frame.filter(pl.col("crime_type").is_in(NEIGHBOURHOOD_CRIME))
    table, notes = _windows(rows, ctx, years, record_type="crime", by="crime_type",
                            categories=list(NEIGHBOURHOOD_CRIME), total="Total of these")
    s.notes = notes
    if table is None or rows.height == 0:
        s.notes = []
        s.no_data = f"No crimes of these types were loaded for {ctx.where}."
        return s
    table.id, table.caption, table.columns[0] = "neighbourhood-crime", "Crimes by type", "Crime type"
    s.notes.append("police.uk files do not split drug possession from trafficking: "
                   "'Drugs' counts both.")
    s.tables.append(table)
    return s


def _call_handling(calls: pl.DataFrame, ctx: _Context) -> Section:
    s = Section("call-handling", "999 and 101 call handling", "section 4 (tables 4.1, 4.3)",
                "store: call logs", f"financial years to {month_label(ctx.period)}; "
                f"{month_label(ctx.period)[:3]} of each year",
                {"answer_target_999_s": 10, "target_share": 0.9, "area": "whole force"})
    if calls.height == 0:
        s.no_data = "No call logs were loaded: load 999 and 101 call logs to report call handling."
        return s
    if ctx.lpu:
        s.notes.append("Call logs are not placed in LPUs: these figures are the whole force's.")
    end = datetime(int(ctx.period[:4]), int(ctx.period[5:]), 1).date()
    for channel in ("999", "101"):
        mine = calls.filter(pl.col("channel") == channel)
        if mine.height == 0:
            s.notes.append(f"No {channel} calls were loaded.")
            continue
        fy = call_kpis(mine, by="financial_year", channel=channel, end=end)
        s.parameters[f"kpis_{channel}"] = fy.params["target_seconds"]
        s.tables.append(ReportTable(
            f"calls-{channel}-year", f"{channel} calls by financial year",
            ["Period (April to March)", "Calls", "Longer than target", "Abandoned",
             "% abandoned", "Average wait"],
            [[r["period"], r["calls"], r["over_target"], r["abandoned"], r["pct_abandoned"],
              format_hms(r["mean_wait_s"])] for r in fy.table.iter_rows(named=True)],
            decimals=2, percent_columns=(4,)))
        monthly = call_kpis(mine, by="month", channel=channel, end=end).table
        same = monthly.filter(pl.col("period").str.slice(5, 2) == ctx.period[5:])
        s.tables.append(ReportTable(
            f"calls-{channel}-month", f"{channel} calls in {month_label(ctx.period)[:3]} "
            "of each year", ["Month", "Calls", "% abandoned", "Average wait"],
            [[month_label(r["period"]), r["calls"], r["pct_abandoned"],
              format_hms(r["mean_wait_s"])] for r in same.iter_rows(named=True)],
            decimals=2, percent_columns=(2,)))
    return s


def _pmps(store: Store, ctx: _Context) -> Section:
    first, last = ctx.latest(12)
    start, end = f"{first}-01", f"{_shift(last, 1)}-01"
    s = Section("pmps", "Problem Management Plans and ASB powers", "tables 5.34, 5.36",
                "store: cases (PMPs, powers register)",
                f"PMPs to the end of {month_label(last)}; powers {_period_words(first, last)}",
                {"area": ctx.where, "demo_rows": "left out"})
    try:
        pmps, powers = q.pmp_counts(store, end), q.power_counts(store, start, end)
    except DatabaseError as exc:  # the cases app is young: say so rather than fail the report
        s.no_data = f"The case system's tables could not be read by this report ({exc})."
        return s
    if pmps is not None and ctx.lpu:
        pmps = pmps.filter(pl.col("lpu") == ctx.lpu)
    if pmps is not None and pmps.height:
        s.tables.append(ReportTable(
            "pmps-by-lpu", "Problem Management Plans by LPU",
            ["LPU area", "PMPs opened", "PMPs open at the end of the period"],
            [list(r) for r in pmps.iter_rows()]
            + [["Total", int(pmps["opened"].sum()), int(pmps["open"].sum())]]))
    if powers is not None and powers.height and not ctx.lpu:
        labels = {"over_18": "18 or over", "under_18": "under 18", "": ""}
        s.tables.append(ReportTable(
            "powers", "ASB powers used", ["Power", "Uses", "Granted by a court"],
            [[k.replace("_", " ") + (f" ({labels.get(a, a)})" if a else ""), n, g]
             for k, a, n, g in powers.iter_rows()]))
    elif powers is not None and ctx.lpu:
        s.notes.append("The powers register is not placed in LPUs: see the force's report.")
    if not s.tables:
        s.no_data = ("No Problem Management Plans or uses of ASB powers were loaded"
                     + ("" if pmps is not None else " (the case system's tables are not in "
                        "this store)") + ".")
    return s


def _case_study(case: CaseStudy) -> Section:
    ev = evaluate_intervention(case.counts)
    c = case.counts
    s = Section("case-study", f"Case study: {case.title}", "appendix A", case.source,
                f"before: {case.before_period or 'as supplied'}; after: "
                f"{case.after_period or 'as supplied'}",
                {"confidence": ev.confidence, "overdispersion": ev.overdispersion,
                 "pmp": case.pmp_reference, "areas": case.areas or "as supplied"})
    if case.description:
        s.paragraphs.append(case.description)
    rows = [["Response area", c.response_before, c.response_after, ev.response_change.percent]]
    if ev.buffer_change is not None and c.buffer is not None:
        rows.append(["Buffer (displacement) area", *c.buffer, ev.buffer_change.percent])
    rows.append(["Control area", c.control_before, c.control_after, ev.control_change.percent])
    s.tables.append(ReportTable("case-counts", "Counts before and after",
                                ["Area", "Before", "After", "% change"], rows, decimals=1,
                                percent_columns=(3,)))
    s.tables.append(ReportTable("case-evaluation", "Evaluation", ["Measure", "Value", "Reading"],
                                _evaluation_rows(ev), decimals=3))
    return s


def _evaluation_rows(ev: InterventionEvaluation) -> list[list[Any]]:
    level = f"{ev.confidence:.0%}"
    rr = ev.rate_ratio
    out: list[list[Any]] = []
    if rr.value is None:
        out.append(["Rate ratio (response against control)", None, rr.reason])
    else:
        out.append(["Rate ratio (response against control)", rr.value,
                    f"{level} CI {rr.ci_low:.2f} to {rr.ci_high:.2f}; p = {rr.p_value:.3g}; "
                    f"{rr.percent_change:+.1f}% relative to the control "
                    "(above 1: the response area did better than the control)"])
    brr = ev.buffer_rate_ratio
    if brr is not None:
        out.append(["Rate ratio (buffer against control)", brr.value,
                    brr.reason or f"{level} CI {brr.ci_low:.2f} to {brr.ci_high:.2f} "
                    "(above 1: diffusion of benefits; below 1: displacement)"])
    wdq = ev.wdq
    out.append(["Weighted Displacement Quotient", wdq.wdq, wdq.interpretation or wdq.reason])
    ne = ev.net_effect
    out.append(["Total net effect (events prevented)", ne.total,
                ne.reason or "response area and buffer, net of the control's trend"])
    w = ev.wdd
    out.append(["Weighted Displacement Difference", w.estimate,
                w.reason or f"{level} CI {w.ci_low:.1f} to {w.ci_high:.1f}; p = "
                f"{w.p_value:.3g} (negative: fewer events than the control's trend implies)"
                if w.p_value is not None else w.reason])
    return out


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _monthly_chart(months: list[str], series: dict[str, list[int]]) -> Chart:
    """A line chart of counts by month, as inline SVG (matplotlib, Agg; text kept as text)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 2.8))
    FigureCanvasSVG(fig)
    ax = fig.add_subplot()
    x = list(range(len(months)))
    for (name, values), colour in zip(series.items(), ("#1d70b8", "#d4351c"), strict=False):
        ax.plot(x, values, marker="o", markersize=3, linewidth=1.6, color=colour, label=name)
    step = max(1, len(months) // 12)
    ax.set_xticks(x[::step], [month_label(m) for m in months[::step]], fontsize=7,
                  rotation=45, ha="right")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    fig.tight_layout()
    buf = io.StringIO()
    # A fixed salt gives the SVG's element ids the same names each run: a rebuilt report is
    # byte for byte the same.
    with matplotlib.rc_context({"svg.hashsalt": "asbhub"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype: it sits inside HTML
    alt = "; ".join(f"{name}: " + ", ".join(f"{month_label(m)} {v:,}"
                                             for m, v in zip(months, vals, strict=True))
                    for name, vals in series.items())
    return Chart("Records by month", alt, svg=svg)



def _fmt(value: Any, decimals: int = 0, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" + ("%" if percent else "")
    if isinstance(value, float):
        d = 0 if percent and decimals == 0 else decimals
        return f"{value:,.{d}f}" + ("%" if percent else "")
    return str(value)


def render_html(report: ScrutinyReport) -> str:
    """The report as one self-contained HTML page (CSS and charts inline), ready to print.

    Parameters
    ----------
    report : ScrutinyReport

    Returns
    -------
    str
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("asbhub.reports", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    env.filters["month_label"] = month_label
    env.filters["as_json"] = lambda v: json.dumps(v, default=str)
    return env.get_template("scrutiny/report.html").render(r=report)


def write_pdf(html: str, path: Path | str) -> Path:
    """Print the HTML to a PDF with WeasyPrint (A4, page numbers, running header).

    Raises
    ------
    ImportError
        When WeasyPrint is not installed, naming the extra that brings it.
    """
    try:
        from weasyprint import HTML
    except ImportError as exc:  # the PDF is optional: keep the HTML path free of it
        raise ImportError("PDF reports need WeasyPrint: pip install 'asbhub[pdf]' "
                          f"(the 'pdf' extra) ({exc})") from exc
    path = Path(path)
    HTML(string=html).write_pdf(path)
    return path


def write_scrutiny(store: Store, period: str, out_dir: Path | str, area: str | None = None,
                   *, pdf: bool = True, **kwargs: Any) -> dict[str, Path]:
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
