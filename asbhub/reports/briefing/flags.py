"""What the briefing flags as new or rising: repeat victims, perpetrators, locations and
victims' addresses named for the page, incidents by LPU, and emerging hot spots (the Case
Review threshold flags are :func:`asbhub.domain.cases.case_review_flags`)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from asbhub.analysis.repeats import (
    DEFAULT_ROLES,
    RepeatAddresses,
    RepeatVictims,
    address_keys,
    repeat_addresses,
)
from asbhub.domain.months import (
    month_label,
    month_of,
    month_start,
    months_between,
    next_month,
    shift_month,
)
from asbhub.reports import briefing_data as q
from asbhub.reports.briefing.model import (
    HOTSPOT_CATEGORIES,
    RECORD_TYPES,
    local_date,
    local_midnight,
)
from asbhub.store.db import Store

# --------------------------------------------------------------------------------------------
# ASB Case Review threshold flags
# --------------------------------------------------------------------------------------------

# The flags themselves are asbhub.domain.cases.case_review_flags, beside check_threshold.


# --------------------------------------------------------------------------------------------
# Repeat people and victims' addresses, named for the page
# --------------------------------------------------------------------------------------------


def named_rows(
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


def victim_addresses(
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


def incidents_by_lpu(incidents: pl.DataFrame) -> pl.DataFrame:
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


def emerging_hotspots(
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
    every = q.incident_rows(store, local_midnight(first), local_midnight(end), force).with_columns(
        pl.coalesce("occurred_from", "reported_at").alias("_when")
    )
    every = every.with_columns(local_date().alias("_day"))
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
        missing = ", ".join(f"{month_label(month_of(m))}" for m in window if m not in with_data)
        return (
            None,
            (
                f"Not enough data to look for emerging hot spots: the trend needs at "
                f"least {min_months} consecutive months with dated incidents up to "
                f"{month_label(month_of(last))}, and the store has {len(run)} (no dated incidents, or "
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
                f"Too few incidents with a point ({inc.height}) from {month_label(month_of(first))} to "
                f"{month_label(month_of(last))} to look for hot spots."
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
    for name in HOTSPOT_CATEGORIES:
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

    codes = [TREND_CATEGORIES.index(n) for n in HOTSPOT_CATEGORIES]
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
