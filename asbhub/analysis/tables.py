"""Area tables and period comparisons, shaped like the tables of a scrutiny report.

Every function takes a polars DataFrame of records with a ``month`` column (``YYYY-MM``), as
both readers give (:func:`asbhub.ingest.police_uk.read_police_uk` and the force export), and
returns a frozen result holding polars tables and every parameter used, including those the
function chose for itself (the end month, which records were counted).

- :func:`area_counts`: counts, and rates per 1,000 residents, by force, LPU, SNT, LSOA or IMD
  decile, with records outside the force or without an LSOA in rows of their own.
- :func:`period_compare`: the latest months against the months before (or a year before), per
  category, with change and % change (seed 003, tables 5.13, 5.15 and 5.19).
- :func:`year_on_year`: each month against the same month a year earlier.
- :func:`force_share`: the percentage of records by category per force, and for all forces
  together (seed 003, table 5.18).
- :func:`with_areas`: LPU, SNT and IMD decile columns from the LSOA code, so that
  :func:`period_compare` can compare areas.

Which records count: ``record_type="asb"`` (ASB incidents) unless told otherwise; ROCs are
``"roc"`` (table 5.15) and None counts every row. ``exclude_covid=True`` leaves out records
the force export flags as Covid related.

Months are never silently short. The months the data covers are those holding a record of any
kind, unless ``coverage`` lists them; a month in a period that the data does not cover is listed
in ``months_missing``, and a single month's count there is null, not zero. A % change over a
zero baseline is None, with a note, never infinity. Percentages are rounded half away from
zero, as a spreadsheet (and so the report) rounds them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from typing import Literal

import polars as pl

from asbhub.domain import months as month_fns
from asbhub.domain.months import MONTH_PATTERN, month_at, month_index, month_runs_text
from asbhub.domain.vocab import AsbCategory
from asbhub.geo.areas import AreaHierarchy, area_hierarchy

__all__ = [
    "NOT_RECORDED",
    "NO_IMD",
    "NO_LSOA",
    "NO_SNT",
    "OUTSIDE_FORCE",
    "TOTAL",
    "AreaCounts",
    "AreaLevel",
    "ForceShare",
    "PeriodComparison",
    "TableResult",
    "YearOnYear",
    "area_counts",
    "force_share",
    "month_label",
    "period_compare",
    "with_areas",
    "year_on_year",
]

AreaLevel = Literal["force", "lpu", "snt", "lsoa", "imd_decile"]
RecordTypes = str | Sequence[str] | None

TOTAL = "Total"
#: Label of records whose category column is empty.
NOT_RECORDED = "Not recorded"
#: Label of records whose LSOA is not one of the force's (police.uk snaps some near a border).
OUTSIDE_FORCE = "Outside the force area"
#: Label of records with no LSOA code.
NO_LSOA = "No LSOA"
#: Label of the force's LSOAs that are not mapped to one SNT.
NO_SNT = "No SNT"
#: Label of the force's LSOAs that have no (English) IMD 2019 decile.
NO_IMD = "No IMD decile"
_SPECIAL = (NOT_RECORDED, OUTSIDE_FORCE, NO_LSOA, NO_SNT, NO_IMD)

_CATEGORY_LABELS = {c.value: c.label for c in AsbCategory}
# Per level: the hierarchy's columns kept in the table.
_LEVEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "force": ("force_code",),
    "lpu": ("lpu",),
    "snt": ("lpu", "snt_code", "snt_name"),
    "lsoa": ("lsoa_code", "lsoa_name", "lpu", "snt_code", "imd_decile"),
    "imd_decile": ("imd_decile",),
}


# --------------------------------------------------------------------------------------------
# Months, percentages and input checks (shared with asbhub.analysis.temporal)
# --------------------------------------------------------------------------------------------


def _month_span(first: int, last: int) -> list[str]:
    return [month_at(i) for i in range(first, last + 1)]


def month_label(month: str) -> str:
    """A month as the report writes it (:func:`asbhub.domain.months.month_label`, short).

    >>> month_label("2022-02")
    'Feb 2022'
    """
    return month_fns.month_label(month, short=True)


def _period_label(first: int, last: int) -> str:
    end = month_label(month_at(last))
    return end if first == last else f"{last - first + 1} months to {end}"


def _round_half_away(value: Fraction, decimals: int) -> float:
    """Round as a spreadsheet does (12.5 -> 13, -20.5 -> -21), exactly, from a fraction."""
    scale = 10**decimals
    n = math.floor(abs(value) * scale + Fraction(1, 2))
    return float(Fraction(n if value >= 0 else -n, scale)) + 0.0  # + 0.0: never "-0.0"


def _pct(part: int, whole: int, decimals: int) -> tuple[float | None, float | None]:
    """(rounded, exact) ``100 * part / whole``; ``(None, None)`` when ``whole`` is zero."""
    if whole == 0:
        return None, None
    frac = Fraction(100 * part, whole)
    return _round_half_away(frac, decimals), float(frac)


def _share_of_row(column: str, row: dict[str, int], decimals: int) -> float | None:
    """Rounded percentage of ``row["count"]`` that ``row[column]`` is (None for no records)."""
    return _pct(row[column], row["count"], decimals)[0]


def _require(frame: pl.DataFrame, columns: Iterable[str], what: str, fix: str = "") -> None:
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"{what}: expected a polars DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what}: the data has no column(s) {', '.join(missing)} (it has "
            f"{', '.join(frame.columns) or 'none'}){'; ' + fix if fix else ''}"
        )


def _check_months(frame: pl.DataFrame, what: str, column: str = "month") -> None:
    _require(frame, [column], what)
    if frame[column].dtype != pl.String:
        raise ValueError(f"{what}: column {column} is {frame[column].dtype}; expected YYYY-MM text")
    bad = frame.with_row_index("_row").filter(
        pl.col(column).is_null() | ~pl.col(column).str.contains(MONTH_PATTERN)
    )
    if bad.height:
        raise ValueError(
            f"{what}: row {bad['_row'][0]} has {column} {bad[column][0]!r}; expected YYYY-MM, "
            f"e.g. 2022-02 ({bad.height} such row(s))"
        )


def _coverage(incidents: pl.DataFrame, coverage: Iterable[str] | None) -> frozenset[str]:
    """Months the data covers: as given, else every month holding a record of any kind."""
    if coverage is None:
        return frozenset(incidents["month"].unique().to_list())
    months = frozenset(coverage)
    for m in months:
        month_index(m)
    return months


def _select(
    incidents: pl.DataFrame, record_type: RecordTypes, exclude_covid: bool, what: str
) -> tuple[pl.DataFrame, tuple[str, ...] | None, int, list[str]]:
    """The records to count: (rows, record types used, Covid-flagged rows left out, notes)."""
    _check_months(incidents, what)
    types = (record_type,) if isinstance(record_type, str) else record_type
    types = None if types is None else tuple(types)
    notes: list[str] = []
    rows = incidents
    if types is not None:
        fix = "pass record_type=None to count every row, or load the data with an asbhub reader"
        _require(rows, ["record_type"], what, fix)
        rows = rows.filter(pl.col("record_type").is_in(list(types)))
    n_covid = 0
    if exclude_covid:
        fix = "only the force export has a Covid flag; police.uk files do not (exclude_covid=False)"
        _require(rows, ["covid"], what, fix)
        flag = rows["covid"].cast(pl.Boolean)
        n_covid, unflagged = int(flag.sum() or 0), flag.null_count()
        rows = rows.filter(~flag.fill_null(False))
        if unflagged:
            notes.append(
                f"{unflagged:,} record(s) have no Covid flag: counted as not Covid related"
            )
    return rows, types, n_covid, notes


def _category(by: str) -> pl.Expr:
    """The category of each row as the report names it (P -> Personal); empty -> Not recorded."""
    col = pl.col(by).cast(pl.String)
    if by == "asb_category":
        col = col.replace(_CATEGORY_LABELS)
    return col.fill_null(NOT_RECORDED).alias("category")


def _ordered(labels: Iterable[str], first: Sequence[str] | None = None) -> list[str]:
    """Given labels first (in the order given), then the rest alphabetically, specials last."""
    head = [_CATEGORY_LABELS.get(c, c) for c in (first or ())]
    return head + sorted(set(labels) - set(head), key=lambda s: (s in _SPECIAL, s))


def _fmt_int(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


def _fmt_pct(value: float | None, decimals: int) -> str:
    return "n/a" if value is None else f"{value:,.{decimals}f}%"


@dataclass(frozen=True, eq=False)
class TableResult:
    """What every table records about the records it counted.

    Attributes
    ----------
    record_type : tuple of str or None
        The record types counted (None: every row).
    exclude_covid : bool
        Whether Covid-flagged records were left out.
    n_covid_excluded : int
        Covid-flagged records of those types left out (any month).
    notes : tuple of str
        Anything a reader of the table should know: months missing, zero baselines, records
        without a Covid flag, police.uk data lacking ASB categories.
    """

    record_type: tuple[str, ...] | None
    exclude_covid: bool
    n_covid_excluded: int
    notes: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Areas
# --------------------------------------------------------------------------------------------


def with_areas(incidents: pl.DataFrame, areas: AreaHierarchy | None = None) -> pl.DataFrame:
    """Add the force's areas to each record, from its ``lsoa_code``.

    Parameters
    ----------
    incidents : polars.DataFrame
        Records with an ``lsoa_code`` column (null or ``""`` where there is none).
    areas : AreaHierarchy, optional
        Default: :meth:`AreaHierarchy.load` (the bundled Derbyshire files or ``$ASBHUB_AREAS``).

    Returns
    -------
    polars.DataFrame
        ``incidents`` with ``area_status`` (``in_force``, ``outside_force`` or ``no_lsoa``),
        ``lpu``, ``snt_code``, ``snt_name`` and ``imd_decile`` (1 = the most deprived 10% of
        England's LSOAs). For a record outside the force or with no LSOA, ``lpu`` and
        ``snt_name`` hold :data:`OUTSIDE_FORCE` or :data:`NO_LSOA`; for a force LSOA mapped to
        no single SNT, ``snt_name`` is :data:`NO_SNT`. Columns of these names already in
        ``incidents`` (the force export has its own ``lpu``) are replaced, so that every
        table is built from the one mapping.

    Examples
    --------
    >>> rows = pl.DataFrame({"lsoa_code": ["E01013453", "E01025631", None]})
    >>> with_areas(rows)["lpu"].to_list()
    ['Derby West', 'Outside the force area', 'No LSOA']
    """
    _require(incidents, ["lsoa_code"], "with_areas")
    areas = area_hierarchy() if areas is None else areas
    lookup = areas.lsoa.select(
        pl.col("lsoa_code").alias("_lsoa"),
        pl.col("lpu").alias("_lpu"),
        "snt_code",
        pl.col("snt_name").alias("_snt_name"),
        pl.col("imd_decile").cast(pl.Int64),
        pl.lit("in_force").alias("area_status"),
    )
    code = pl.col("lsoa_code").cast(pl.String).str.strip_chars()
    added = ("area_status", "lpu", "snt_code", "snt_name", "imd_decile")
    joined = (
        incidents.drop([c for c in added if c in incidents.columns])
        .with_columns(pl.when(code != "").then(code).alias("_lsoa"))
        .join(lookup, on="_lsoa", how="left", maintain_order="left")
    )
    no_lsoa = pl.col("_lsoa").is_null()
    special = pl.when(no_lsoa).then(pl.lit(NO_LSOA)).otherwise(pl.lit(OUTSIDE_FORCE))
    in_force = pl.col("area_status").is_not_null()
    return joined.with_columns(
        pl.col("area_status").fill_null(
            pl.when(no_lsoa).then(pl.lit("no_lsoa")).otherwise(pl.lit("outside_force"))
        ),
        pl.when(in_force).then(pl.col("_lpu")).otherwise(special).alias("lpu"),
        pl.when(in_force).then(pl.col("_snt_name").fill_null(NO_SNT)).otherwise(special)
        .alias("snt_name"),
    ).drop("_lsoa", "_lpu", "_snt_name")  # fmt: skip


def _area_key(level: str, force_code: str) -> pl.Expr:
    """Each record's row in an area table (on a frame from :func:`with_areas`)."""
    key = {
        "force": pl.lit(force_code),
        "lpu": pl.col("lpu"),
        "snt": pl.col("snt_code").fill_null(NO_SNT),
        "lsoa": pl.col("lsoa_code"),
        "imd_decile": pl.col("imd_decile").cast(pl.String).fill_null(NO_IMD),
    }[level]
    # Outside the force, or with no LSOA, ``lpu`` holds the special row's name.
    return pl.when(pl.col("area_status") == "in_force").then(key).otherwise("lpu").alias("key")


def _area_rows(
    areas: AreaHierarchy, level: str, population: pl.DataFrame | None, notes: list[str]
) -> pl.DataFrame:
    """Every area of ``level`` (with its population), then the two rows outside the force."""
    lsoas = with_areas(areas.lsoa.select("lsoa_code", "lsoa_name", "force_code"), areas)
    lsoas = lsoas.with_columns(_area_key(level, areas.force_code))
    pop_aggs = []
    if population is not None:
        lsoas = lsoas.join(_check_population(population), on="lsoa_code", how="left")
        unknown = lsoas.filter(pl.col("population").is_null())
        if unknown.height:
            notes.append(
                f"{unknown.height} of the force's {lsoas.height} LSOAs have no population "
                f"(e.g. {unknown['lsoa_code'][0]}): the areas holding them have no rate"
            )
        whole = pl.col("population").null_count() == 0
        pop_aggs = [pl.when(whole).then(pl.col("population").sum()).alias("population")]
    label = {
        "force": pl.lit(areas.force_name),
        "lpu": pl.col("lpu"),
        "snt": pl.col("snt_name").fill_null(pl.col("snt_code")),
        "lsoa": pl.col("lsoa_name").fill_null(pl.col("lsoa_code")),
        "imd_decile": pl.format("IMD decile {}", "imd_decile"),
    }[level]
    codes = _LEVEL_COLUMNS[level]
    row_type = pl.col("key").replace_strict(
        {NO_SNT: "no_snt", NO_IMD: "no_imd"}, default="area", return_dtype=pl.String
    )
    rows = (
        lsoas.group_by("key")
        .agg(label.first().alias("area"), *[pl.col(c).first() for c in codes], *pop_aggs)
        .with_columns(row_type.alias("row_type"))
        .with_columns(pl.when(pl.col("row_type") == "area").then(pl.col(c)).alias(c) for c in codes)
        .sort(pl.col("row_type") != "area", *codes, "key", nulls_last=True)
    )
    rows = rows.with_columns(pl.col("area").fill_null(pl.col("key")))
    specials = pl.DataFrame(
        {"key": [OUTSIDE_FORCE, NO_LSOA], "row_type": ["outside_force", "no_lsoa"]}
    ).with_columns(area=pl.col("key"))
    return pl.concat([rows, specials], how="diagonal_relaxed").select(
        "key", "area", "row_type", *codes, *(["population"] if pop_aggs else [])
    )


def _check_population(population: pl.DataFrame) -> pl.DataFrame:
    what = "area_counts population"
    fix = "expected one row per LSOA: lsoa_code, population (e.g. ONS mid-year estimates)"
    _require(population, ["lsoa_code", "population"], what, fix)
    pop = population.select(
        pl.col("lsoa_code").cast(pl.String),
        pl.col("population").cast(pl.Float64, strict=False).alias("_pop"),
        pl.col("population").cast(pl.String).alias("_given"),
    )
    dupes = pop.filter(pl.col("lsoa_code").is_duplicated())["lsoa_code"].unique().sort()
    if dupes.len():
        raise ValueError(f"{what}: LSOA(s) listed more than once: {', '.join(dupes.head(5))}")
    bad = pop.filter(pl.col("_pop").is_null() | (pl.col("_pop") < 0) | pl.col("_pop").is_nan())
    if bad.height:
        raise ValueError(
            f"{what}: LSOA {bad['lsoa_code'][0]} has population {bad['_given'][0]!r}; "
            "expected a number of residents, 0 or more"
        )
    return pop.select("lsoa_code", pl.col("_pop").alias("population"))


@dataclass(frozen=True, eq=False)
class AreaCounts(TableResult):
    """Records per area, with rates where a population was given.

    Attributes
    ----------
    table : polars.DataFrame
        One row per area of the force's hierarchy (areas with no records too, with 0), then
        :data:`OUTSIDE_FORCE` and :data:`NO_LSOA` (always present, so the rows sum to
        ``total``). Columns: ``area`` (the name to show), ``row_type`` (``area``, ``no_snt``,
        ``no_imd``, ``outside_force`` or ``no_lsoa``), the level's codes (LPU: ``lpu``; SNT:
        ``lpu, snt_code, snt_name``; LSOA: ``lsoa_code, lsoa_name, lpu, snt_code,
        imd_decile``; IMD: ``imd_decile``; force: ``force_code``), one count column per category
        when ``by`` was given, ``count``, and with a population ``population`` and
        ``rate_per_1000`` (null where any of the area's LSOAs has no population).
    level, by : str
    categories : tuple of str
        Names of the per-category columns.
    start_month, end_month : str or None
        The months counted (inclusive); None where not limited.
    months_missing : tuple of str
        Months from ``start_month`` to ``end_month`` (else the data's first to last month)
        that the data does not cover.
    total : int
        Every record counted; ``table["count"].sum()``.
    force_name : str
    """

    table: pl.DataFrame
    level: AreaLevel
    by: str | None
    categories: tuple[str, ...]
    start_month: str | None
    end_month: str | None
    months_missing: tuple[str, ...]
    total: int
    force_name: str


def area_counts(
    incidents: pl.DataFrame,
    areas: AreaHierarchy | None = None,
    level: AreaLevel = "lpu",
    population: pl.DataFrame | None = None,
    by: str | None = None,
    *,
    record_type: RecordTypes = "asb",
    exclude_covid: bool = False,
    start_month: str | None = None,
    end_month: str | None = None,
    coverage: Iterable[str] | None = None,
) -> AreaCounts:
    """Count records by area: force, LPU, SNT, LSOA or IMD 2019 decile.

    Parameters
    ----------
    incidents : polars.DataFrame
        Records with ``month`` and ``lsoa_code`` (and ``record_type``, the ``by`` column and
        ``covid`` where the options below use them).
    areas : AreaHierarchy, optional
        The force's areas; default :meth:`AreaHierarchy.load`.
    level : {"lpu", "snt", "lsoa", "force", "imd_decile"}
        The rows of the table.
    population : polars.DataFrame, optional
        ``lsoa_code`` and ``population`` (residents; ONS mid-year LSOA estimates are the usual
        source): gives ``population`` and ``rate_per_1000`` per area.
    by : str, optional
        A column to split the counts by, one column per value (``"asb_category"`` gives
        Environmental, Nuisance and Personal; ``"crime_type"`` the police.uk crime types).
    record_type : str, sequence of str or None
        ``"asb"`` (ASB incidents, default), ``"roc"``, ``"crime"``, several, or None (all).
    exclude_covid : bool
        Leave out records flagged Covid related (force export only).
    start_month, end_month : str, optional
        Count only these months (inclusive, ``YYYY-MM``).
    coverage : iterable of str, optional
        Months the data covers; default every month in which ``incidents`` has a record.

    Returns
    -------
    AreaCounts

    Examples
    --------
    >>> rows = pl.DataFrame({"month": ["2019-01"] * 3, "record_type": "asb",
    ...                      "lsoa_code": ["E01013453", "E01013454", None]})
    >>> t = area_counts(rows, level="lpu").table
    >>> t.filter(pl.col("count") > 0).select("area", "count").rows()
    [('Derby West', 2), ('No LSOA', 1)]
    """
    what = "area_counts"
    _require(incidents, ["month", "lsoa_code"], what)
    if level not in _LEVEL_COLUMNS:
        raise ValueError(f"level {level!r} is not an area level; expected one of "
                         f"{', '.join(_LEVEL_COLUMNS)}")  # fmt: skip
    areas = area_hierarchy() if areas is None else areas
    rows, types, n_covid, notes = _select(incidents, record_type, exclude_covid, what)
    covered = _coverage(incidents, coverage)
    indices = [month_index(m) for m in covered]
    first = month_index(start_month) if start_month else min(indices, default=0)
    last = month_index(end_month) if end_month else max(indices, default=-1)
    if start_month and end_month and first > last:
        raise ValueError(f"{what}: start_month {start_month} is after end_month {end_month}")
    rows = rows.filter(pl.col("month").is_between(pl.lit(month_at(first)), pl.lit(month_at(last))))
    missing = tuple(m for m in _month_span(first, last) if m not in covered)
    if missing:
        notes.append(f"the data does not cover {month_runs_text(missing)}: counts are short")

    table = _area_rows(areas, level, population, notes)
    keyed = with_areas(rows, areas).with_columns(_area_key(level, areas.force_code))
    unplaced = set(keyed["key"].unique().to_list()) - set(table["key"].to_list())
    if unplaced:  # every record has a row by construction; never drop one quietly
        raise AssertionError(f"{what}: records with area keys {sorted(unplaced)} have no row")
    categories: list[str] = []
    if by is not None:
        _require(keyed, [by], what)
        keyed = keyed.with_columns(_category(by))
        categories = _ordered(keyed["category"].unique().to_list())
        clash = set(categories) & {*table.columns, "count", "rate_per_1000"}
        if clash:
            raise ValueError(f"{what}: category value(s) {sorted(clash)} clash with a column")
        if categories:
            wide = keyed.group_by("key", "category").len().pivot("category", index="key")
            table = table.join(wide, on="key", how="left", maintain_order="left")
    totals = keyed.group_by("key").len("count")
    table = table.join(totals, on="key", how="left", maintain_order="left").with_columns(
        pl.col(c).fill_null(0).cast(pl.Int64) for c in [*categories, "count"]
    )
    if population is not None:
        rate = pl.when(pl.col("population") > 0).then(pl.col("count") * 1000 / pl.col("population"))
        table = table.with_columns(rate.alias("rate_per_1000"))
    extra = ["population", "rate_per_1000"] if population is not None else []
    codes = [c for c in table.columns if c in _LEVEL_COLUMNS[level]]
    return AreaCounts(
        table=table.select("area", "row_type", *codes, *categories, "count", *extra),
        level=level,
        by=by,
        categories=tuple(categories),
        start_month=start_month,
        end_month=end_month,
        months_missing=missing,
        total=rows.height,
        force_name=areas.force_name,
        record_type=types,
        exclude_covid=exclude_covid,
        n_covid_excluded=n_covid,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# Period comparisons
# --------------------------------------------------------------------------------------------

_CHANGE_SCHEMA = {
    "category": pl.String,
    "previous": pl.Int64,
    "latest": pl.Int64,
    "change": pl.Int64,
    "pct_change": pl.Float64,
    "pct_change_exact": pl.Float64,
}


@dataclass(frozen=True, eq=False)
class PeriodComparison(TableResult):
    """The latest months against earlier months, as seed 003's table 5.13.

    Attributes
    ----------
    table : polars.DataFrame
        One row per category (as ``categories`` asked, else alphabetical as the report;
        :data:`NOT_RECORDED` last), then ``total_label``. Columns ``category``, ``previous``
        and ``latest`` (counts), ``change``, ``pct_change`` (rounded to ``decimals``, half
        away from zero, as the report prints it; null over a zero baseline) and
        ``pct_change_exact``.
    by : str or None
        The column the rows come from (None: the total alone).
    end_month : str
        The last month of the latest period (the data's last month unless given).
    months, lag : int
        Months in each period, and how many months before the latest the previous period
        ends (``lag == months``: the months just before).
    previous_period, latest_period : tuple of (str, str)
        First and last month of each period.
    previous_label, latest_label : str
        Column headings as the report writes them: ``"12 months to Feb 2022"``.
    months_missing : tuple of str
        Months of either period that the data does not cover: those counts are short.
    decimals : int
    """

    table: pl.DataFrame
    by: str | None
    end_month: str
    months: int
    lag: int
    previous_period: tuple[str, str]
    latest_period: tuple[str, str]
    previous_label: str
    latest_label: str
    months_missing: tuple[str, ...]
    decimals: int

    @property
    def complete(self) -> bool:
        """True when the data covers every month of both periods."""
        return not self.months_missing

    def to_report(self, title: str = "") -> pl.DataFrame:
        """The table as text with the report's headings: ``17,914``, ``-21%``, ``n/a``."""
        rows = self.table.select("category", "previous", "latest", "change", "pct_change")
        return pl.DataFrame(
            [
                (c, _fmt_int(p), _fmt_int(la), _fmt_int(ch), _fmt_pct(pc, self.decimals))
                for c, p, la, ch, pc in rows.iter_rows()
            ],
            schema=[title, self.previous_label, self.latest_label, "Change", "% Change"],
            orient="row",
        )


def period_compare(
    incidents: pl.DataFrame,
    end_month: str | None = None,
    months: int = 12,
    by: str | None = "asb_category",
    *,
    lag: int | None = None,
    exclude_covid: bool = False,
    record_type: RecordTypes = "asb",
    categories: Sequence[str] | None = None,
    total_label: str = TOTAL,
    decimals: int = 0,
    coverage: Iterable[str] | None = None,
) -> PeriodComparison:
    """Compare the ``months`` to ``end_month`` with the ``months`` before, per category.

    Parameters
    ----------
    incidents : polars.DataFrame
        Records with ``month`` (``YYYY-MM``), ``record_type`` (unless ``record_type=None``),
        the ``by`` column, and ``covid`` when ``exclude_covid``.
    end_month : str, optional
        Last month of the latest period; default the last month in the data.
    months : int
        Length of each period (12: "12 months to Feb 2022" against "12 months to Feb 2021").
    by : str or None
        Rows: ``"asb_category"`` (default; named Environmental, Nuisance, Personal),
        ``"crime_type"``, ``"falls_within"`` (forces, as table 5.19), ``"lpu"`` (after
        :func:`with_areas`), any column, or None for the total alone. Left at its default on
        data with no ``asb_category`` (police.uk files), the total alone, with a note.
    lag : int, optional
        Months from the previous period to the latest; default ``months`` (the months just
        before). ``months=3, lag=12``: a quarter against the same quarter a year before.
    exclude_covid : bool
        Leave out records flagged Covid related (table 5.13 does).
    record_type : str, sequence of str or None
        ``"asb"`` (ASB incidents, default), ``"roc"`` (records of contact, table 5.15),
        ``"crime"``, several, or None for every row.
    categories : sequence of str, optional
        Rows to show first, in this order, even with no records (ASB letters P, N, E are
        accepted); other values follow alphabetically.
    total_label : str
        Name of the last row ("East Midlands" for a regional table).
    decimals : int
        Decimals of ``pct_change`` (the report uses 0).
    coverage : iterable of str, optional
        Months the data covers; default every month in which ``incidents`` has a record.

    Returns
    -------
    PeriodComparison

    Examples
    --------
    >>> rows = pl.DataFrame({"month": ["2021-02", "2022-01", "2022-02"],
    ...                      "record_type": "asb", "asb_category": ["N", "N", "P"]})
    >>> r = period_compare(rows, end_month="2022-02")
    >>> r.latest_label, r.table.rows()[-1][:5]
    ('12 months to Feb 2022', ('Total', 1, 2, 1, 100.0))
    >>> r.months_missing[:2]
    ('2020-03', '2020-04')
    """
    what = "period_compare"
    lag = months if lag is None else lag
    if months < 1 or lag < months:
        raise ValueError(
            f"{what}: months is {months} and lag {lag}; expected months >= 1 and lag >= months "
            "(the periods must not overlap)"
        )
    rows, types, n_covid, notes = _select(incidents, record_type, exclude_covid, what)
    if by == "asb_category" and "asb_category" not in incidents.columns:
        notes.insert(0, "the data has no ASB category (police.uk files do not): total only")
        by = None
    if by is not None:
        _require(rows, [by], what, "for lpu, snt_code, snt_name or imd_decile use with_areas first")
    covered = _coverage(incidents, coverage)
    if end_month is None and not covered:
        raise ValueError(f"{what}: the data has no months; give end_month='YYYY-MM'")
    last = month_index(end_month) if end_month else max(map(month_index, covered))
    latest = (last - months + 1, last)
    previous = (latest[0] - lag, last - lag)
    in_period = {month_at(i): "latest" for i in range(latest[0], last + 1)}
    in_period |= {month_at(i): "previous" for i in range(previous[0], previous[1] + 1)}
    rows = rows.filter(pl.col("month").is_in(list(in_period)))
    rows = rows.with_columns(
        _category(by) if by else pl.lit(total_label).alias("category"),
        pl.col("month").replace_strict(in_period).alias("_period"),
    )
    counts = {(c, p): n for c, p, n in rows.group_by("category", "_period").len().iter_rows()}
    prev = {c: n for (c, p), n in counts.items() if p == "previous"}
    now = {c: n for (c, p), n in counts.items() if p == "latest"}
    labels = _ordered({c for c, _ in counts}, categories) if by else []
    base = [(c, prev.get(c, 0), now.get(c, 0)) for c in labels]
    base.append((total_label, sum(prev.values()), sum(now.values())))
    out = [(c, p, la, la - p, *_pct(la - p, p, decimals)) for c, p, la in base]
    zero = [r[0] for r in out if r[1] == 0]
    if zero:
        notes.append(f"no records in the previous period for {', '.join(zero)}: % change not given")
    missing = tuple(sorted(m for m in in_period if m not in covered))
    if missing:
        notes.append(f"the data does not cover {month_runs_text(missing)}: those counts are short")
    return PeriodComparison(
        table=pl.DataFrame(out, schema=_CHANGE_SCHEMA, orient="row"),
        by=by,
        end_month=month_at(last),
        months=months,
        lag=lag,
        previous_period=(month_at(previous[0]), month_at(previous[1])),
        latest_period=(month_at(latest[0]), month_at(last)),
        previous_label=_period_label(*previous),
        latest_label=_period_label(*latest),
        months_missing=missing,
        decimals=decimals,
        record_type=types,
        exclude_covid=exclude_covid,
        n_covid_excluded=n_covid,
        notes=tuple(notes),
    )


@dataclass(frozen=True, eq=False)
class YearOnYear(TableResult):
    """Each month against the same month a year earlier.

    Attributes
    ----------
    table : polars.DataFrame
        For each month, oldest first, a row per category and a ``total_label`` row (only the
        total when ``by`` is None): ``month``, ``month_label`` (``Feb 2022``),
        ``previous_month``, ``category``, ``previous``, ``latest``, ``change``,
        ``pct_change`` (rounded to ``decimals``), ``pct_change_exact`` and ``complete``.
        Where the data does not cover a month its count and the change are null, not zero,
        and ``complete`` is false.
    by, end_month, months, decimals
        As for :class:`PeriodComparison`; ``months`` is the number of months listed.
    months_missing : tuple of str
        Months (of either year) that the data does not cover.
    """

    table: pl.DataFrame
    by: str | None
    end_month: str
    months: int
    months_missing: tuple[str, ...]
    decimals: int


def year_on_year(
    incidents: pl.DataFrame,
    end_month: str | None = None,
    months: int = 12,
    by: str | None = None,
    *,
    exclude_covid: bool = False,
    record_type: RecordTypes = "asb",
    total_label: str = TOTAL,
    decimals: int = 0,
    coverage: Iterable[str] | None = None,
) -> YearOnYear:
    """Each of the ``months`` to ``end_month`` against the same month a year before.

    Parameters are those of :func:`period_compare`; ``by`` defaults to None (totals only).

    Examples
    --------
    >>> rows = pl.DataFrame({"month": ["2021-02", "2022-02", "2022-02"], "record_type": "asb"})
    >>> r = year_on_year(rows, end_month="2022-02", months=1)
    >>> r.table.select("month_label", "previous", "latest", "pct_change").rows()
    [('Feb 2022', 1, 2, 100.0)]
    """
    what = "year_on_year"
    if months < 1:
        raise ValueError(f"{what}: months is {months}; expected 1 or more")
    rows, types, n_covid, notes = _select(incidents, record_type, exclude_covid, what)
    covered = _coverage(incidents, coverage)
    if end_month is None and not covered:
        raise ValueError(f"{what}: the data has no months; give end_month='YYYY-MM'")
    last = month_index(end_month) if end_month else max(map(month_index, covered))
    first = last - months + 1
    rows = rows.filter(
        pl.col("month").is_between(pl.lit(month_at(first - 12)), pl.lit(month_at(last)))
    )
    cats = None
    if by is not None:  # the same rows every month, in the same order
        _require(rows, [by], what)
        cats = _ordered(rows.select(_category(by))["category"].unique().to_list())
    parts, zero = [], []
    for i in range(first, last + 1):
        month, before = month_at(i), month_at(i - 12)
        one = period_compare(
            rows,
            month,
            1,
            by,
            lag=12,
            record_type=None,
            categories=cats,
            total_label=total_label,
            decimals=decimals,
            coverage=covered,
        )
        ok = one.complete
        if ok:
            pairs = one.table.select("category", "previous").iter_rows()
            zero += [f"{month_label(month)} {c}" for c, p in pairs if p == 0]
        null_i, null_f = pl.lit(None, pl.Int64), pl.lit(None, pl.Float64)
        fixes = {} if ok else {"change": null_i, "pct_change": null_f, "pct_change_exact": null_f}
        if before not in covered:
            fixes["previous"] = null_i
        if month not in covered:
            fixes["latest"] = null_i
        parts.append(
            one.table.with_columns(
                **fixes,
                month=pl.lit(month),
                month_label=pl.lit(month_label(month)),
                previous_month=pl.lit(before),
                complete=pl.lit(ok),
            )
        )
    if zero:
        notes.append(f"no records a year before for {', '.join(zero)}: % change not given")
    needed = {month_at(j) for i in range(first, last + 1) for j in (i - 12, i)}
    missing = tuple(sorted(needed - covered))
    if missing:
        notes.append(
            f"the data does not cover {month_runs_text(missing)}: those rows have no count"
        )
    columns = ["month", "month_label", "previous_month", *_CHANGE_SCHEMA, "complete"]
    return YearOnYear(
        table=pl.concat(parts).select(columns),
        by=by,
        end_month=month_at(last),
        months=months,
        months_missing=missing,
        decimals=decimals,
        record_type=types,
        exclude_covid=exclude_covid,
        n_covid_excluded=n_covid,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# Shares by force
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ForceShare(TableResult):
    """The percentage of records in each category, per force (seed 003, table 5.18).

    Attributes
    ----------
    shares : polars.DataFrame
        A row per force (per force and month when ``per_month``), forces alphabetically, then
        the ``total_label`` row(s) pooling every force. Columns ``force``, ``month`` (only
        when ``per_month``), one column per category with its percentage of the row's records
        (rounded to ``decimals``, half away from zero, so a row may not add to exactly 100, as
        in the report), and ``count`` (the row's records).
    counts : polars.DataFrame
        The same shape, with counts in place of percentages.
    category : str
        The column the shares are of: ``asb_category`` (NSIR types, from the force export) or
        ``crime_type`` (police.uk files have no ASB category: the shares are then of crime
        types, ASB among them, and ``notes`` says so).
    by : str
        The column naming the force (``falls_within`` in police.uk files, else ``force``).
    categories : tuple of str
        The category columns, in order.
    per_month, decimals, total_label
        As passed.
    months : tuple of str
        Every month among the records counted.
    months_missing : dict of str to tuple of str
        Per force, months in which another force has records and this one has none.
    """

    shares: pl.DataFrame
    counts: pl.DataFrame
    category: str
    by: str
    categories: tuple[str, ...]
    per_month: bool
    decimals: int
    total_label: str
    months: tuple[str, ...]
    months_missing: Mapping[str, tuple[str, ...]]


def force_share(
    incidents: pl.DataFrame,
    by: str | None = None,
    category: str | None = None,
    *,
    per_month: bool = False,
    record_type: RecordTypes | Literal["auto"] = "auto",
    exclude_covid: bool = False,
    total_label: str = "All forces",
    decimals: int = 1,
) -> ForceShare:
    """Percentage of records by category per force, and for all forces together.

    Parameters
    ----------
    incidents : polars.DataFrame
        Records of one or more forces with ``month``, the ``by`` and ``category`` columns
        and (unless ``record_type=None``) ``record_type``.
    by : str, optional
        Column naming the force; default ``falls_within`` if present, else ``force``.
    category : str, optional
        Column of the categories; default ``asb_category`` where the data has values in one,
        else ``crime_type`` (police.uk files; the result notes it).
    per_month : bool
        A row per force and month (and per month for all forces).
    record_type : "auto", str, sequence of str or None
        ``"auto"``: ASB incidents (``"asb"``) for ``asb_category``, every record otherwise.
    exclude_covid : bool
        Leave out records flagged Covid related (force export only).
    total_label : str
        Name of the pooled row(s) ("East Midlands" for the region).
    decimals : int
        Decimals of the percentages (the report uses 1).

    Returns
    -------
    ForceShare

    Examples
    --------
    >>> rows = pl.DataFrame({"month": "2019-01", "falls_within": ["A", "A", "A", "B"],
    ...                      "record_type": "asb", "asb_category": ["N", "N", "P", "E"]})
    >>> force_share(rows).shares.rows()
    [('A', 0.0, 66.7, 33.3, 3), ('B', 100.0, 0.0, 0.0, 1), ('All forces', 25.0, 50.0, 25.0, 4)]
    """
    what = "force_share"
    _check_months(incidents, what)
    by = by or ("falls_within" if "falls_within" in incidents.columns else "force")
    notes: list[str] = []
    if category is None:
        cats_given = "asb_category" in incidents.columns and incidents["asb_category"].count()
        category = "asb_category" if cats_given else "crime_type"
        if not cats_given:
            notes.append(
                "the data has no ASB category (police.uk files do not): shares are of crime "
                "types, with Anti-social behaviour one of them"
            )
    _require(incidents, [by, category], what)
    if record_type == "auto":
        record_type = "asb" if category == "asb_category" else None
    rows, types, n_covid, more = _select(incidents, record_type, exclude_covid, what)
    rows = rows.with_columns(
        _category(category), pl.col(by).cast(pl.String).fill_null(NOT_RECORDED).alias("force")
    )
    cats = _ordered(rows["category"].unique().to_list())
    keys = ["force", "month"] if per_month else ["force"]
    pooled = rows.with_columns(force=pl.lit(total_label))
    long = pl.concat([rows, pooled]).group_by(*keys, "category").len()
    counts = pl.concat(
        [pl.DataFrame(schema={**dict.fromkeys(keys, pl.String), **dict.fromkeys(cats, pl.UInt32)}),
         long.pivot("category", index=keys)],
        how="diagonal_relaxed",
    )  # fmt: skip
    counts = (
        counts.with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in cats)
        .with_columns(pl.sum_horizontal(pl.lit(0, pl.Int64), *cats).alias("count"))
        .sort(pl.col("force") == total_label, *keys)
        .select(*keys, *cats, "count")
    )
    shares = counts.with_columns(
        pl.struct(c, "count")
        .map_elements(partial(_share_of_row, c, decimals=decimals), return_dtype=pl.Float64)
        .alias(c)
        for c in cats
    )
    all_months = set(incidents["month"].unique().to_list())
    seen = incidents.group_by(pl.col(by).cast(pl.String)).agg(pl.col("month").unique())
    missing = {f: tuple(sorted(all_months - set(ms))) for f, ms in seen.iter_rows() if f}
    missing = {f: ms for f, ms in sorted(missing.items()) if ms}
    if missing:
        notes.append(
            "some forces lack months that others have: "
            + "; ".join(f"{f}: {month_runs_text(ms)}" for f, ms in missing.items())
        )
    return ForceShare(
        shares=shares,
        counts=counts,
        category=category,
        by=by,
        categories=tuple(cats),
        per_month=per_month,
        decimals=decimals,
        total_label=total_label,
        months=tuple(sorted(rows["month"].unique().to_list())),
        months_missing=missing,
        record_type=types,
        exclude_covid=exclude_covid,
        n_covid_excluded=n_covid,
        notes=tuple(notes + more),
    )
