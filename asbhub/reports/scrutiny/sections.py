"""The scrutiny report's sections built from incidents and calls: ASB by type, by month, by
LPU, excluding Covid, against other forces, hot spots, neighbourhood crime, call handling.

Each function takes the records the report read once (:func:`asbhub.reports.data.
report_records`) and the build's :class:`~asbhub.reports.scrutiny.model.Context`, and returns
one :class:`~asbhub.reports.scrutiny.model.Section` stamped with its source, period and
parameters, or saying in words why it has no figures.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from asbhub.analysis import (
    area_counts,
    call_kpis,
    force_share,
    format_hms,
    hotspot_gistar,
    period_compare,
)
from asbhub.analysis.tables import month_label
from asbhub.analysis_inputs import PointFilters, PointSet, display_url
from asbhub.domain.months import month_range_label, months_between, shift_month
from asbhub.reports.scrutiny.charts import hotspot_map, line_chart, lpu_outlines
from asbhub.reports.scrutiny.model import (
    NEIGHBOURHOOD_CRIME,
    POLICE_UK,
    Context,
    ReportTable,
    Section,
)
from asbhub.store import query
from asbhub.store.scope import DEFAULT_KINDS, is_synthetic_force

ASB = "Anti-social behaviour"


def _categories(frame: pl.DataFrame) -> tuple[pl.DataFrame, str | None, list[str]]:
    """Drop an empty ASB category column (police.uk data), so the analyses say so."""
    notes = []
    if frame["asb_category"].drop_nulls().len() == 0:
        notes.append("The data have no ASB category (police.uk files do not): totals only.")
        return frame.drop("asb_category"), None, notes
    return frame, "asb_category", notes


def _covid(frame: pl.DataFrame) -> tuple[bool, list[str]]:
    if frame["covid"].drop_nulls().len() == 0:
        return False, [
            "The data have no Covid flag (police.uk files do not): Covid-related "
            "reports cannot be left out, so they are included."
        ]
    return True, []


def _windows(
    frame: pl.DataFrame,
    ctx: Context,
    years: int,
    *,
    record_type: str,
    by: str | None,
    categories: list[str] | None = None,
    total: str = "Total",
) -> tuple[ReportTable | None, list[str]]:
    """Counts per 12-month period to the report's month, going back ``years`` periods; only
    periods holding loaded data are shown."""
    cols, notes, results = [], [], []
    for k in range(years):
        end = shift_month(ctx.period, -12 * k)
        start = shift_month(end, -11)
        if not any(start <= m <= end for m in ctx.covered):
            continue
        r = period_compare(
            frame,
            end,
            12,
            by,
            record_type=record_type,
            categories=categories,
            total_label=total,
            coverage=ctx.covered,
        )
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


def asb_by_type(frame: pl.DataFrame, ctx: Context, years: int) -> Section:
    frame, by, notes = _categories(frame)
    table, more = _windows(frame, ctx, years, record_type="asb", by=by)
    s = Section(
        "asb-by-type",
        "ASB incidents by type",
        "table 5.4",
        POLICE_UK if by is None else "force incident export",
        f"{years} periods of 12 months to {month_label(ctx.period)}",
        {"record_type": "asb", "by": by or "total only", "area": ctx.where},
        notes=notes + more,
    )
    if table is None:
        s.no_data = (
            f"No ASB incidents were loaded for {ctx.where} in the {years} years to "
            f"{month_label(ctx.period)}."
        )
        return s
    table.id, table.caption = "asb-by-type", "ASB incidents by type"
    table.columns[0] = "ASB incidents by type"
    s.tables.append(table)
    return s


def monthly(frame: pl.DataFrame, ctx: Context) -> Section:
    first, last = ctx.latest(24)
    s = Section(
        "monthly",
        "ASB incidents and records of contact by month",
        "charts 5.10, 5.11",
        "store: incidents",
        month_range_label(first, last, short=True),
        {"record_types": ["asb", "roc"], "area": ctx.where},
    )
    rows = frame.filter(
        pl.col("month").is_between(pl.lit(first), pl.lit(last))
        & pl.col("record_type").is_in(["asb", "roc"])
    )
    if rows.height == 0:
        s.no_data = f"No ASB incidents or records of contact were loaded for {ctx.where}."
        return s
    months = [m for m in months_between(first, last) if m in ctx.covered]
    series = {}
    for rt, name in (("asb", "ASB incidents"), ("roc", "ASB records of contact")):
        got = dict(rows.filter(pl.col("record_type") == rt).group_by("month").len().iter_rows())
        if got:
            series[name] = [int(got.get(m, 0)) for m in months]
    s.tables.append(
        ReportTable(
            "monthly",
            "Records by month",
            ["Month", *series],
            [[month_label(m), *[v[i] for v in series.values()]] for i, m in enumerate(months)],
        )
    )
    s.charts.append(line_chart(months, series))
    note = ctx.coverage_note(first, last)
    if note:
        s.notes.append(note + "; months without data are not drawn")
    return s


def excluding_covid(frame: pl.DataFrame, ctx: Context, record_type: str) -> Section:
    roc = record_type == "roc"
    what = "ASB records of contact" if roc else "ASB incidents"
    frame, by, notes = _categories(frame)
    exclude, more = _covid(frame)
    s = Section(
        "roc-comparison" if roc else "asb-excluding-covid",
        f"{what} excluding Covid: latest 12 months against the 12 before",
        "table 5.15" if roc else "table 5.13",
        POLICE_UK if by is None else "force incident export",
        f"12 months to {month_label(ctx.period)} against "
        f"12 months to {month_label(shift_month(ctx.period, -12))}",
        {
            "record_type": record_type,
            "exclude_covid": exclude,
            "by": by or "total only",
            "area": ctx.where,
        },
        notes=notes + more,
    )
    if frame.filter(pl.col("record_type") == record_type).height == 0:
        s.notes = []
        s.no_data = f"No {what} were loaded for {ctx.where}." + (
            " Records of contact come from the force incident export; police.uk files hold none."
            if roc
            else ""
        )
        return s
    r = period_compare(
        frame,
        ctx.period,
        12,
        by,
        record_type=record_type,
        exclude_covid=exclude,
        coverage=ctx.covered,
    )
    s.notes += [
        n for n in (ctx.coverage_note(*r.previous_period), ctx.coverage_note(*r.latest_period)) if n
    ]
    prev_loaded = any(r.previous_period[0] <= m <= r.previous_period[1] for m in ctx.covered)
    rows = []
    for c, p, la, ch, pc in r.table.select(
        "category", "previous", "latest", "change", "pct_change"
    ).iter_rows():
        if not prev_loaded:  # an empty year is "no data", never a count of 0
            p, ch, pc = "no data", None, None
        rows.append([c, p, la, ch, pc])
    if not prev_loaded:
        s.notes.append(f"No data were loaded for {r.previous_label}: no change is given.")
    s.tables.append(
        ReportTable(
            s.id,
            f"{what} (excluding Covid)" if exclude else what,
            [
                f"{what}{' (excluding Covid)' if exclude else ''}",
                r.previous_label,
                r.latest_label,
                "Change",
                "% Change",
            ],
            rows,
            percent_columns=(4,),
        )
    )
    return s


def force_comparison(every: pl.DataFrame, ctx: Context) -> Section:
    first, last = ctx.latest(12)
    s = Section(
        "force-comparison",
        "Comparison with other forces",
        "tables 5.18, 5.19",
        POLICE_UK,
        month_range_label(first, last, short=True),
        {"forces": "every force loaded"},
    )
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
        s.notes.append(
            "Only one force's data were loaded: load other forces' police.uk files to compare."
        )
    cats = list(share.categories)
    what = "ASB incidents by type" if by else "records by crime type"
    forces_ = share.shares["force"].to_list()
    s.tables.append(
        ReportTable(
            "force-share",
            f"Percentage of {what}",
            [f"Percentage of {what}", *forces_],
            [[c, *share.shares[c].to_list()] for c in cats]
            + [["Records", *share.shares["count"].to_list()]],
            decimals=1,
        )
    )
    r = period_compare(
        every,
        ctx.period,
        12,
        "force",
        record_type="asb",
        total_label="All forces loaded",
        coverage=every["month"].unique(),
    )
    prev_loaded = any(
        r.previous_period[0] <= m <= r.previous_period[1] for m in every["month"].unique().to_list()
    )
    out = []
    for c, p, la, ch, pc in r.table.select(
        "category", "previous", "latest", "change", "pct_change"
    ).iter_rows():
        out.append([c, p, la, ch, pc] if prev_loaded else [c, "no data", la, None, None])
    s.tables.append(
        ReportTable(
            "force-change",
            "ASB incidents by police force area",
            [
                "ASB incidents by police force area",
                r.previous_label,
                r.latest_label,
                "Change",
                "% Change",
            ],
            out,
            percent_columns=(4,),
        )
    )
    s.notes += [
        f"Force months missing: {f}: {', '.join(ms)}" for f, ms in share.months_missing.items()
    ]
    return s


def asb_by_lpu(frame: pl.DataFrame, ctx: Context) -> Section:
    first, last = ctx.latest(12)
    frame, by, notes = _categories(frame)
    s = Section(
        "asb-by-lpu",
        "ASB incidents by Local Policing Unit",
        "table 5.34 (by LPU)",
        POLICE_UK if by is None else "force incident export",
        month_range_label(first, last, short=True),
        {
            "record_type": "asb",
            "level": "lpu",
            "by": by or "total only",
            "area_mapping": "LSOA to LPU, asbhub area hierarchy",
        },
        notes=notes,
    )
    if frame.filter(pl.col("record_type") == "asb").height == 0:
        s.notes = []
        s.no_data = f"No ASB incidents were loaded for {ctx.where}."
        return s
    r = area_counts(
        frame, ctx.areas, "lpu", by=by, start_month=first, end_month=last, coverage=ctx.covered
    )
    note = ctx.coverage_note(first, last)
    if note:
        s.notes.append(note)
    table = r.table
    if ctx.lpu:
        table = table.filter((pl.col("lpu") == ctx.lpu) | (pl.col("count") > 0))
    cats = list(r.categories)
    s.tables.append(
        ReportTable(
            "asb-by-lpu",
            "ASB incidents by LPU",
            ["LPU area", *cats, "ASB incidents"],
            [
                [a, *[row[c] for c in cats], row["count"]]
                for a, row in zip(table["area"], table.iter_rows(named=True), strict=True)
            ]
            + [["Total", *[int(table[c].sum()) for c in cats], r.total]],
        )
    )
    return s


def hotspots(
    ctx: Context, months: int, cell_size: float | None, codes: list[str] | None
) -> Section:
    from asbhub.outputs import legend_for, make_stamp

    first, last = ctx.latest(months)
    s = Section(
        "hotspots",
        "ASB hot spots",
        "section 3 (hot spots), appendix A",
        "store: incidents (police.uk map points)",
        month_range_label(first, last, short=True),
        {
            "method": "Getis-Ord Gi*",
            "crime_types": [ASB],
            "months": months,
            "restricted_to": f"LSOAs of {ctx.where}",
        },
    )
    keep = codes if codes is not None else ctx.areas.lsoa["lsoa_code"].to_list()
    # The report's force and recorded data only, as every other section (issue #12).
    frame = query.incident_points(
        ctx.store,
        months=(first, last),
        crime_types=[ASB],
        lpu=ctx.lpu,
        areas=ctx.areas,
        force=ctx.force,
        kinds=sorted(DEFAULT_KINDS),
        real_only=not is_synthetic_force(ctx.force),
    )
    everywhere = frame.height
    frame = frame.filter(pl.col("lsoa_code").is_in(keep))
    # Counted, not silently dropped: mapped + left out + outside = the ASB of the same months
    # and scope in the other sections (issue #12).
    outside = everywhere - frame.height
    if frame.height == 0:
        s.no_data = f"No ASB incidents with a place were loaded for {ctx.where} in these months."
        return s
    filters = PointFilters((first, last), (ASB,), None, ctx.lpu, None, ctx.force)
    points = PointSet(
        frame,
        filters,
        {
            "kind": "store",
            "url": display_url(ctx.store.url),
            "loads": query.store_loads(ctx.store, months_between(first, last)),
        },
    )
    result = hotspot_gistar(points.xy(), cell_size=cell_size)
    stamp = make_stamp(
        result,
        data=points.data_stamp(),
        command=ctx.command,
        requested={"restricted_to": s.parameters["restricted_to"]},
        generated_at=ctx.generated_at,
    )
    s.parameters.update(
        {
            "cell_size_m": result.cell_size,
            "band_m": round(result.band, 1),
            "fdr": result.fdr,
            "confidence": list(result.confidence_levels),
            "run_id": stamp["run_id"],
        }
    )
    classes = np.asarray(result.classes)
    ext = result.grid.extent
    s.charts.append(
        hotspot_map(
            classes,
            (np.asarray(result.counts) > 0) | (classes != 0),
            (ext.xmin, ext.ymin, ext.xmax, ext.ymax),
            [(e["class"], e["colour"], e["label"]) for e in legend_for(result)["entries"]],
            lpu_outlines(ctx.areas),
            title=f"ASB hot spots, {month_range_label(first, last, short=True)} "
            f"({result.cell_size:g} m cells, {legend_for(result)['title']})",
            alt=f"Map of Getis-Ord Gi* hot and cold spots of ASB in {ctx.where}, "
            f"{month_range_label(first, last, short=True)}: {result.n_hot(2)} cells hot at 95% confidence or "
            "more; the key and the table below give every count.",
        )
    )
    s.tables.append(
        ReportTable(
            "hotspot-summary",
            "Hot spot cells",
            ["Measure", "Value"],
            [
                ["ASB incidents mapped", result.n_points_used],
                ["Left out (no place, or far from the rest)", result.n_points_excluded],
                ["Outside the LSOAs mapped (not mapped)", outside],
                ["Hot spot cells at 99% confidence", result.n_hot(3)],
                ["Hot spot cells at 95% confidence or more", result.n_hot(2)],
                ["Hot spot cells at 90% confidence or more", result.n_hot(1)],
            ],
        )
    )
    return s


def neighbourhood_crime(frame: pl.DataFrame, ctx: Context, years: int) -> Section:
    s = Section(
        "neighbourhood-crime",
        "Neighbourhood crime, drugs and theft by year",
        "tables 6.1, charts 7.1",
        POLICE_UK,
        f"{years} periods of 12 months to {month_label(ctx.period)}",
        {"record_type": "crime", "crime_types": list(NEIGHBOURHOOD_CRIME), "area": ctx.where},
    )
    rows = frame.filter(pl.col("crime_type").is_in(NEIGHBOURHOOD_CRIME))
    table, notes = _windows(
        rows,
        ctx,
        years,
        record_type="crime",
        by="crime_type",
        categories=list(NEIGHBOURHOOD_CRIME),
        total="Total of these",
    )
    s.notes = notes
    if table is None or rows.height == 0:
        s.notes = []
        s.no_data = f"No crimes of these types were loaded for {ctx.where}."
        return s
    table.id, table.caption, table.columns[0] = (
        "neighbourhood-crime",
        "Crimes by type",
        "Crime type",
    )
    s.notes.append(
        "police.uk files do not split drug possession from trafficking: 'Drugs' counts both."
    )
    s.tables.append(table)
    # Harm beside the counts (issue #16 item 3), when the deployment names a weights file.
    from asbhub.reports.scrutiny.harm_tables import harm_table

    if (harm := harm_table(table, "neighbourhood-harm", "Total of these")) is not None:
        s.tables.append(harm)
    return s


def call_handling(calls: pl.DataFrame, ctx: Context) -> Section:
    s = Section(
        "call-handling",
        "999 and 101 call handling",
        "section 4 (tables 4.1, 4.3)",
        "store: call logs",
        f"financial years to {month_label(ctx.period)}; {month_label(ctx.period)[:3]} of each year",
        {"answer_target_999_s": 10, "target_share": 0.9, "area": "whole force"},
    )
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
        s.tables.append(
            ReportTable(
                f"calls-{channel}-year",
                f"{channel} calls by financial year",
                [
                    "Period (April to March)",
                    "Calls",
                    "Longer than target",
                    "Abandoned",
                    "% abandoned",
                    "Average wait",
                ],
                [
                    [
                        r["period"],
                        r["calls"],
                        r["over_target"],
                        r["abandoned"],
                        r["pct_abandoned"],
                        format_hms(r["mean_wait_s"]),
                    ]
                    for r in fy.table.iter_rows(named=True)
                ],
                decimals=2,
                percent_columns=(4,),
            )
        )
        monthly = call_kpis(mine, by="month", channel=channel, end=end).table
        same = monthly.filter(pl.col("period").str.slice(5, 2) == ctx.period[5:])
        s.tables.append(
            ReportTable(
                f"calls-{channel}-month",
                f"{channel} calls in {month_label(ctx.period)[:3]} of each year",
                ["Month", "Calls", "% abandoned", "Average wait"],
                [
                    [
                        month_label(r["period"]),
                        r["calls"],
                        r["pct_abandoned"],
                        format_hms(r["mean_wait_s"]),
                    ]
                    for r in same.iter_rows(named=True)
                ],
                decimals=2,
                percent_columns=(2,),
            )
        )
    return s
