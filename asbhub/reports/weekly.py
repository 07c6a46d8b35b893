"""The weekly ASB data pack for a Local Policing Unit inspector (seed 003, 3.2: "receives weekly
ASB data"): tables and a map, as HTML and CSV.

:func:`build_weekly` counts the LPU's ASB for the seven days ending on ``week_ending`` by day,
by NSIR category and by Safer Neighbourhood Team, each against the average of the four weeks
before (for a day: the same weekday in each of those weeks). :func:`weekly_map_png` draws the
week's incidents over the LPU's outline; :func:`render_weekly_html` and
:func:`weekly_csv_rows` write the pack; :func:`write_weekly` does all of it into a folder.

Dates
-----
An incident's day is the UK local date of its start, else of its report, as in the daily
briefing. data.police.uk records carry only a month, so they cannot be put in a week: the pack
uses dated records (the force export) and says so when there are none.

Which LPU and SNT
-----------------
The record's own ``lpu`` and ``snt``; where the record has none but has an LSOA, the LSOA's
LPU and SNT in the area hierarchy, the SNT by the full rule of
:meth:`asbhub.geo.AreaHierarchy.neighbourhood_for` (the ward mapping, else the neighbourhood of
the LSOAs it touches in its LPU), so "No single SNT" is left for records with no usable place.
SNTs are shown by name from ``neighbourhoods.csv`` when the
record gives a code the hierarchy knows, and as given otherwise.

No personal data: counts and points only.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from asbhub.domain.dates import LOCAL_TIME_ZONE, LOCAL_ZONE
from asbhub.outputs.csvsafe import safe_writer
from asbhub.reports import briefing_data as q
from asbhub.reports.rendering import render_template
from asbhub.store.db import Store

__all__ = [
    "WeeklyPack",
    "build_weekly",
    "render_weekly_html",
    "weekly_csv_rows",
    "weekly_map_png",
    "write_weekly",
]

LOCAL = LOCAL_ZONE
CATEGORY_NAMES = {"P": "Personal", "N": "Nuisance", "E": "Environmental"}
NOT_RECORDED = "Not recorded"
#: The SNT row of records whose LSOA the hierarchy does not give one SNT (and that name none).
NO_SNT = (
    "No single SNT (no LSOA, or an LSOA outside the force's neighbourhoods: see docs/geography.md)"
)
WEEKS_BEFORE = 4
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TABLE_SCHEMA = {"key": pl.String, "this_week": pl.Int64, "previous_average": pl.Float64}


@dataclass(frozen=True)
class WeeklyPack:
    """One LPU's weekly ASB data.

    Attributes
    ----------
    lpu : str
    week_start, week_ending : datetime.date
        The seven days the pack covers, both included.
    by_day, by_category, by_snt : polars.DataFrame
        ``key`` (the day as ``Monday 1 March 2021``, the category, the SNT), ``this_week``
        and ``previous_average`` (the mean over the :data:`WEEKS_BEFORE` weeks before).
    points : numpy.ndarray
        (n, 2) eastings and northings of the week's records with a point.
    previous_points : numpy.ndarray
        The same for the four weeks before.
    n_without_point : int
        Records of the week with no point (counted in the tables, not on the map).
    record_types : tuple of str
    synthetic : tuple of str
        Names of synthetic sources in the store, for a banner.
    note : str
        Why the pack is empty (no dated records), else ``""``.
    """

    lpu: str
    week_start: dt.date
    week_ending: dt.date
    by_day: pl.DataFrame
    by_category: pl.DataFrame
    by_snt: pl.DataFrame
    points: np.ndarray
    previous_points: np.ndarray
    n_without_point: int
    record_types: tuple[str, ...]
    synthetic: tuple[str, ...] = ()
    note: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return int(self.by_day["this_week"].sum())

    @property
    def previous_total(self) -> float:
        return float(self.by_day["previous_average"].sum())


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL)


def _table(keys: list[str], this_week: dict[str, int], before: dict[str, int]) -> pl.DataFrame:
    rows = [(k, this_week.get(k, 0), before.get(k, 0) / WEEKS_BEFORE) for k in keys]
    return pl.DataFrame(rows, schema=_TABLE_SCHEMA, orient="row")


def _count(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def build_weekly(
    store: Store,
    lpu: str,
    week_ending: dt.date,
    *,
    record_types: tuple[str, ...] = ("asb",),
    areas: Any = None,
    force: str | None = None,
) -> WeeklyPack:
    """The weekly ASB data pack of ``lpu`` for the seven days ending on ``week_ending``.

    Parameters
    ----------
    store : Store
    lpu : str
        An LPU of the area hierarchy (``AreaHierarchy.lpus``).
    week_ending : datetime.date
        The last day of the week (included).
    record_types : tuple of str
        Which records count: ASB incidents by default; add ``"roc"`` for records of contact.
    areas : AreaHierarchy, optional
        Default: the bundled Derbyshire areas (or ``$ASBHUB_AREAS``).
    force : str, optional
        Only this force's records, as its loaded units name it (default every force).

    Returns
    -------
    WeeklyPack

    Raises
    ------
    ValueError
        When ``lpu`` is not one of the hierarchy's LPUs (the message lists them).
    """
    from asbhub.geo import area_hierarchy

    areas = areas or area_hierarchy()
    if lpu not in areas.lpus:
        raise ValueError(f"unknown LPU {lpu!r}: expected one of {', '.join(areas.lpus)}")
    week_start = week_ending - dt.timedelta(days=6)
    first = week_start - dt.timedelta(days=7 * WEEKS_BEFORE)
    rows = q.incident_rows(
        store, _midnight(first), _midnight(week_ending + dt.timedelta(days=1)), force
    )
    rows = rows.filter(pl.col("record_type").is_in(list(record_types)))
    codes = rows["lsoa_code"].to_list()
    hood_names = dict(areas.neighbourhoods.select("snt_code", "snt_name").iter_rows())
    rows = rows.with_columns(
        pl.coalesce("lpu", pl.Series(areas.lpu_for(codes), dtype=pl.String)).alias("lpu"),
        pl.coalesce("snt", pl.Series(areas.neighbourhood_for(codes), dtype=pl.String)).alias("snt"),
        pl.coalesce("occurred_from", "reported_at")
        .dt.convert_time_zone(LOCAL_TIME_ZONE)
        .dt.date()
        .alias("day"),
    ).filter(pl.col("lpu") == lpu)
    rows = rows.with_columns(
        pl.col("snt")
        .replace_strict(hood_names, default=pl.col("snt"))
        .fill_null(NO_SNT)
        .alias("snt_label"),
        pl.col("asb_category")
        .replace_strict(CATEGORY_NAMES, default=None)
        .fill_null(NOT_RECORDED)
        .alias("category"),
    )
    week = rows.filter(pl.col("day") >= week_start)
    before = rows.filter(pl.col("day") < week_start)

    days = [week_start + dt.timedelta(days=k) for k in range(7)]
    labels = {d.weekday(): f"{_WEEKDAYS[d.weekday()]} {d.day} {d:%B %Y}" for d in days}
    by_day = _table(
        [labels[d.weekday()] for d in days],
        _count([labels[d.weekday()] for d in week["day"].to_list()]),
        _count([labels[d.weekday()] for d in before["day"].to_list()]),
    )
    cats = list(CATEGORY_NAMES.values())
    if NOT_RECORDED in set(rows["category"].to_list()):
        cats.append(NOT_RECORDED)
    by_category = _table(
        cats, _count(week["category"].to_list()), _count(before["category"].to_list())
    )
    lpu_hoods = areas.neighbourhoods.filter(pl.col("lpu") == lpu).sort("snt_code")
    snts = [hood_names[c] for c in lpu_hoods["snt_code"].to_list()]
    snts += sorted(set(rows["snt_label"].to_list()) - set(snts))
    by_snt = _table(
        snts, _count(week["snt_label"].to_list()), _count(before["snt_label"].to_list())
    )

    def xy(frame: pl.DataFrame) -> np.ndarray:
        return (
            frame.filter(pl.col("easting").is_not_null())
            .select("easting", "northing")
            .to_numpy()
            .reshape(-1, 2)
        )

    note = ""
    if rows.is_empty():
        note = (
            f"No dated {' or '.join(t.upper() for t in record_types)} records for {lpu} "
            f"LPU from {first:%-d %B %Y} to {week_ending:%-d %B %Y}. data.police.uk data "
            f"carries months only, so a weekly pack needs the force export (dated "
            f"incidents): load it with `asbhub ingest`."
        )
    return WeeklyPack(
        lpu=lpu,
        week_start=week_start,
        week_ending=week_ending,
        by_day=by_day,
        by_category=by_category,
        by_snt=by_snt,
        points=xy(week),
        previous_points=xy(before),
        n_without_point=int(week["easting"].null_count()),
        record_types=tuple(record_types),
        synthetic=tuple(q.synthetic_forces(store)),
        note=note,
        parameters={
            "lpu": lpu,
            "week": f"{week_start.isoformat()} to {week_ending.isoformat()}",
            "previous_weeks": f"{first.isoformat()} to "
            f"{(week_start - dt.timedelta(days=1)).isoformat()}",
            "record_types": list(record_types),
            "store": store.url.split("@")[-1],
        },
    )


def weekly_map_png(pack: WeeklyPack, areas: Any = None) -> bytes:
    """A map of the week's records (dark dots) and the four weeks before (pale dots) over the
    LPU's outline, as PNG bytes (matplotlib, Agg)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from asbhub.geo import area_hierarchy
    from asbhub.outputs import lpu_outlines_bng

    areas = areas or area_hierarchy()
    outline = lpu_outlines_bng(areas).get(pack.lpu)
    fig = Figure(figsize=(7.5, 8.0), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.03, 0.1, 0.94, 0.8))
    ax.set_aspect("equal", adjustable="datalim")
    if outline is not None:
        for poly in getattr(outline, "geoms", [outline]):
            x, y = poly.exterior.xy
            ax.fill(x, y, color="#f3f2f1", zorder=1)
            ax.plot(x, y, color="#0b0c0c", linewidth=1.0, zorder=2)
    if pack.previous_points.size:
        ax.scatter(
            pack.previous_points[:, 0],
            pack.previous_points[:, 1],
            s=6,
            color="#b1b4b6",
            marker="o",
            zorder=3,
            label=f"Previous {WEEKS_BEFORE} weeks ({len(pack.previous_points)})",
        )
    if pack.points.size:
        ax.scatter(
            pack.points[:, 0],
            pack.points[:, 1],
            s=22,
            color="#d4351c",
            marker="^",
            edgecolors="#0b0c0c",
            linewidths=0.5,
            zorder=4,
            label=f"This week ({len(pack.points)})",
        )
    ax.set_xticks([])
    ax.set_yticks([])
    if pack.points.size or pack.previous_points.size:
        ax.legend(loc="upper right", fontsize=8, frameon=True)
    fig.text(
        0.03,
        0.97,
        f"{pack.lpu} LPU: ASB, week ending {pack.week_ending:%-d %B %Y}",
        fontsize=12,
        fontweight="bold",
        va="top",
    )
    fig.text(
        0.03,
        0.06,
        "British National Grid. Area boundaries: ONS, Open Government Licence "
        "v3.0; contains OS data \u00a9 Crown copyright and database right.",
        fontsize=7,
        va="top",
    )
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def weekly_csv_rows(pack: WeeklyPack) -> list[list[Any]]:
    """The pack's tables as CSV rows: ``table, key, this_week, previous_4_week_average``."""
    rows: list[list[Any]] = [["table", "key", "this_week", "previous_4_week_average"]]
    for name, frame in (("day", pack.by_day), ("category", pack.by_category), ("snt", pack.by_snt)):
        rows += [[name, k, n, f"{avg:.2f}"] for k, n, avg in frame.iter_rows()]
    rows.append(["total", pack.lpu, pack.total, f"{pack.previous_total:.2f}"])
    return rows


def render_weekly_html(pack: WeeklyPack, map_png: bytes | None = None) -> str:
    """The pack as one self-contained HTML page (the map embedded)."""
    src = ("data:image/png;base64," + base64.b64encode(map_png).decode()) if map_png else ""
    return render_template(
        "weekly/weekly.html", p=pack, map_src=src, body=render_weekly_body(pack, src)
    )


def render_weekly_body(pack: WeeklyPack, map_src: str = "") -> str:
    """The pack's tables and map as an HTML fragment (for the web app's page)."""
    return render_template(
        "weekly/_body.html",
        p=pack,
        map_src=map_src,
        tables=[
            ("By day", "day", pack.by_day),
            ("By ASB category", "category", pack.by_category),
            ("By Safer Neighbourhood Team", "snt", pack.by_snt),
        ],
    )


def write_weekly(
    store: Store, lpu: str, week_ending: dt.date, out_dir: Path | str, **kwargs: Any
) -> dict[str, Path]:
    """``asbhub report weekly``: write ``weekly-LPU-YYYY-MM-DD`` ``.html``, ``.csv`` and
    ``.png`` (the map) into ``out_dir``; returns the paths by kind."""
    pack = build_weekly(store, lpu, week_ending, **kwargs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"weekly-{lpu.lower().replace(' ', '-')}-{week_ending.isoformat()}"
    png = weekly_map_png(pack)
    paths = {"html": out / f"{stem}.html", "csv": out / f"{stem}.csv", "png": out / f"{stem}.png"}
    paths["png"].write_bytes(png)
    paths["html"].write_text(render_weekly_html(pack, png), encoding="utf-8")
    with paths["csv"].open("w", newline="", encoding="utf-8") as fh:
        safe_writer(fh).writerows(weekly_csv_rows(pack))
    return paths
