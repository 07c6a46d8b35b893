"""When things happen: day-of-week by hour profiles and monthly series against a baseline.

- :func:`temporal_profile`: a 7 x 24 table (Monday first, UK local time) from timestamps, with
  the peak day and the peak window found, reported as the Op Dexter case study reports it:
  "Monday 16:00-22:00" (seed 003, appendix A).
- :func:`monthly_exceedance`: each month's count against a seasonal baseline (the same month in
  previous years) or, where history is short, a rolling one, flagging months above the upper
  bound for the daily briefing.

How the peak window is chosen
-----------------------------
With ``window_hours`` given, the peak is the block of that many consecutive hours (running on
past midnight, and from Sunday into Monday) holding the most records. Left as None, the length
is chosen too: the block is the one with the highest Poisson log-likelihood ratio against a flat
week, Kulldorff's scan statistic as SaTScan computes it for a purely temporal scan. A block of
``L`` hours holding ``c`` of ``n`` records, where a flat week expects ``e = n L / 168``, scores
``c ln(c / e) + (n - c) ln((n - c) / (n - e))`` when ``c > e`` and 0 otherwise. An hour joins
the block only if its rate is well above the rest of the week's, so the block neither stops
short of a broad evening peak nor picks up ordinary hours beside a sharp one. Ties go to the
shorter block, then the earliest start in the week. The same rule on the 24-hour profile of all
days gives ``peak_hours``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import polars as pl
from numpy.typing import NDArray

from asbhub.domain.dates import LOCAL_TIME_ZONE
from asbhub.domain.months import month_at, month_index, month_runs_text

from .tables import (
    _check_months,
    _require,
    month_label,
)

__all__ = [
    "DAYS",
    "LOCAL_TIME_ZONE",
    "MonthlyExceedance",
    "PeakWindow",
    "TemporalProfile",
    "monthly_exceedance",
    "temporal_profile",
]

DAYS: tuple[str, ...] = (
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
)  # fmt: skip
_HOURS = tuple(f"{h:02d}" for h in range(24))


# --------------------------------------------------------------------------------------------
# Day of week by hour
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeakWindow:
    """A block of consecutive hours.

    Attributes
    ----------
    day : str or None
        Day the block starts on; None for a block of the 24-hour profile of all days.
    start_hour : int
        First hour (0-23, local time).
    hours : int
        Length of the block; it covers ``start_hour`` up to, not including, ``end_hour``.
    count : int
        Records in the block.
    share : float
        ``count`` as a fraction of all records used.
    expected_share : float
        The fraction a flat week would put in the block (``hours / 168``, or ``hours / 24``).
    llr : float
        Log-likelihood ratio against a flat week (see the module notes).
    label : str
        As a report writes it: ``"Monday 16:00-22:00"``, ``"Friday 20:00-Saturday 02:00"``,
        ``"16:00-22:00"``.
    """

    day: str | None
    start_hour: int
    hours: int
    count: int
    share: float
    expected_share: float
    llr: float
    label: str

    @property
    def end_hour(self) -> int:
        """Hour the block ends at (exclusive), 0-23."""
        return (self.start_hour + self.hours) % 24


@dataclass(frozen=True, eq=False)
class TemporalProfile:
    """Records by day of week and hour of day, in local time.

    Attributes
    ----------
    table : polars.DataFrame
        Seven rows, Monday first: ``day``, ``"00"`` to ``"23"`` (records starting in that
        hour) and ``total``.
    by_day : polars.DataFrame
        ``day``, ``count``, ``share`` (of all records used).
    by_hour : polars.DataFrame
        ``hour`` (0-23), ``count``, ``share``.
    peak_day : str or None
        The day with the most records (the earliest in the week on a tie); None with no data.
    peak_window : PeakWindow or None
        The peak block of the week; None when no block stands out from a flat week.
    peak_hours : PeakWindow or None
        The peak block of the 24-hour profile of all days together.
    window_hours : int or None
        Fixed block length asked for; None when the scan chose it (up to ``max_window_hours``).
    max_window_hours : int
    window_rule : str
        How the peak was chosen, in words.
    time_zone : str
        Local time zone the table is in.
    naive_rule : str
        How timestamps without a time zone were read.
    n_used : int
    n_missing : int
        Null timestamps, left out.
    notes : tuple of str
    """

    table: pl.DataFrame
    by_day: pl.DataFrame
    by_hour: pl.DataFrame
    peak_day: str | None
    peak_window: PeakWindow | None
    peak_hours: PeakWindow | None
    window_hours: int | None
    max_window_hours: int
    window_rule: str
    time_zone: str
    naive_rule: str
    n_used: int
    n_missing: int
    notes: tuple[str, ...]

    @property
    def counts(self) -> NDArray[np.int64]:
        """The 7 x 24 counts as a read-only array, Monday first."""
        a = self.table.select(_HOURS).to_numpy().astype(np.int64)
        a.flags.writeable = False
        return a


def _llr(c: NDArray[np.float64], e: NDArray[np.float64], n: float) -> NDArray[np.float64]:
    """Poisson log-likelihood ratio of blocks holding ``c`` where ``e`` was expected."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = np.where(c > 0, c * np.log(c / e), 0.0)
        rest = n - c
        outside = np.where(rest > 0, rest * np.log(rest / (n - e)), 0.0)
    return np.where(c > e, inside + outside, 0.0)


def _scan(
    counts: NDArray[np.int64], window: int | None, max_window: int
) -> tuple[int, int, int, float] | None:
    """Best block ``(start, hours, count, llr)`` of a circular profile, or None if flat."""
    size, n = counts.size, float(counts.sum())
    if n == 0:
        return None
    doubled = np.concatenate([[0], np.cumsum(np.concatenate([counts, counts]))])
    best: tuple[float, int, int, int, float] | None = None
    for length in [window] if window else range(1, max_window + 1):
        sums = (doubled[length : length + size] - doubled[:size]).astype(np.float64)
        llr = _llr(sums, np.full(size, n * length / size), n)
        score = sums if window else llr
        start = int(np.argmax(score))  # first maximum: the earliest start
        if best is None or score[start] > best[0]:
            best = (float(score[start]), start, length, int(sums[start]), float(llr[start]))
    assert best is not None
    # A block no fuller than a flat week would make it is no peak, whichever way it was found.
    if best[3] <= n * best[2] / size:
        return None
    return best[1], best[2], best[3], best[4]


def _window(found: tuple[int, int, int, float] | None, size: int, n: int) -> PeakWindow | None:
    if found is None:
        return None
    start, hours, count, llr = found
    first, end = start % 24, (start + hours) % 24
    day = None if size == 24 else DAYS[start // 24]
    day_end = (start // 24 + 1) * 24
    if day is None:
        label = f"{first:02d}:00-{end:02d}:00"
    elif start + hours <= day_end:  # ends on the day it starts
        label = f"{day} {first:02d}:00-{'24' if start + hours == day_end else f'{end:02d}'}:00"
    else:
        label = f"{day} {first:02d}:00-{DAYS[((start + hours) // 24) % 7]} {end:02d}:00"
    return PeakWindow(
        day=day,
        start_hour=first,
        hours=hours,
        count=count,
        share=count / n,
        expected_share=hours / size,
        llr=llr,
        label=label,
    )


def _as_local(timestamps: pl.Series, time_zone: str, naive: str) -> tuple[pl.Series, str]:
    dtype = timestamps.dtype
    if not isinstance(dtype, pl.Datetime):
        raise ValueError(
            f"temporal_profile: timestamps are {dtype}; expected date-times (polars Datetime, "
            "e.g. occurred_from from the force export); a Date has no hour"
        )
    if dtype.time_zone is not None:
        rule = f"converted from {dtype.time_zone} to {time_zone}, summer time included"
        return timestamps.dt.convert_time_zone(time_zone), rule
    if naive == "utc":
        rule = f"timestamps without a time zone read as UTC and converted to {time_zone}"
        return timestamps.dt.replace_time_zone("UTC").dt.convert_time_zone(time_zone), rule
    if naive != "local":
        raise ValueError(f"temporal_profile: naive={naive!r}; expected 'local' or 'utc'")
    return timestamps, f"timestamps without a time zone read as {time_zone} clock time"


def temporal_profile(
    timestamps: pl.Series | pl.DataFrame | Iterable[datetime],
    column: str = "occurred_from",
    *,
    window_hours: int | None = None,
    max_window_hours: int = 12,
    time_zone: str = LOCAL_TIME_ZONE,
    naive: Literal["local", "utc"] = "local",
) -> TemporalProfile:
    """Count records by day of week and hour of day, and find the peak window.

    Parameters
    ----------
    timestamps : polars.Series, polars.DataFrame or iterable of datetime
        When each record happened. Time-zone-aware values (the force export's UTC
        ``occurred_from``) are converted to ``time_zone``, so 01:30 UTC on 31 March 2019 counts
        at 02:30 BST. A DataFrame is read at ``column``. Nulls are counted in ``n_missing``.
    column : str
        Column of a DataFrame to read.
    window_hours : int, optional
        Fixed length of the peak block (6 for an Op Dexter style 16:00-22:00 window). Default:
        chosen by the scan statistic, 1 to ``max_window_hours`` hours (see the module notes).
    max_window_hours : int
        Longest block the scan considers.
    time_zone : str
        Local time zone of the table.
    naive : {"local", "utc"}
        How to read timestamps with no time zone: as local clock time (default) or as UTC.

    Returns
    -------
    TemporalProfile

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> utc = timezone.utc
    >>> times = [datetime(2019, 3, 25, h, 30, tzinfo=utc) for h in (16, 17, 17, 18, 9)]
    >>> p = temporal_profile(times, window_hours=3)
    >>> p.peak_day, p.peak_window.label, p.peak_window.count
    ('Monday', 'Monday 16:00-19:00', 4)
    """
    what = "temporal_profile"
    if isinstance(timestamps, pl.DataFrame):
        _require(timestamps, [column], what)
        series = timestamps[column]
    elif isinstance(timestamps, pl.Series):
        series = timestamps
    else:
        series = pl.Series("t", list(timestamps))
        if series.dtype == pl.Null:
            series = series.cast(pl.Datetime("us"))
    if window_hours is not None and not 1 <= window_hours <= 168:
        raise ValueError(f"{what}: window_hours is {window_hours}; expected 1 to 168")
    if not 1 <= max_window_hours <= 168:
        raise ValueError(f"{what}: max_window_hours is {max_window_hours}; expected 1 to 168")
    local, naive_rule = _as_local(series, time_zone, naive)
    n_missing = int(local.null_count())
    local = local.drop_nulls()
    day = local.dt.weekday().cast(pl.Int64).to_numpy() - 1  # polars: Monday 1 ... Sunday 7
    hour = local.dt.hour().cast(pl.Int64).to_numpy()
    counts = np.bincount(day * 24 + hour, minlength=168).astype(np.int64).reshape(7, 24)
    n = int(counts.sum())
    notes = []
    if n_missing:
        notes.append(f"{n_missing:,} record(s) have no timestamp and are left out")
    table = pl.DataFrame(
        {
            "day": list(DAYS),
            **{h: counts[:, i] for i, h in enumerate(_HOURS)},
            "total": counts.sum(axis=1),
        }
    )
    per_day, per_hour = counts.sum(axis=1), counts.sum(axis=0)
    by_day = pl.DataFrame({"day": list(DAYS), "count": per_day, "share": per_day / max(n, 1)})
    by_hour = pl.DataFrame({"hour": range(24), "count": per_hour, "share": per_hour / max(n, 1)})
    if window_hours:
        rule = f"the {window_hours} consecutive hours holding the most records"
    else:
        rule = (
            f"the block of 1 to {max_window_hours} consecutive hours with the highest "
            "Poisson likelihood ratio against a flat week (Kulldorff's scan statistic)"
        )
    peak_window = _window(_scan(counts.ravel(), window_hours, max_window_hours), 168, n)
    day_window = min(window_hours, 24) if window_hours else None
    peak_hours = _window(_scan(counts.sum(axis=0), day_window, min(max_window_hours, 24)), 24, n)
    if n and peak_window is None:
        notes.append("no block of hours stands out from a flat week")
    return TemporalProfile(
        table=table,
        by_day=by_day,
        by_hour=by_hour,
        peak_day=DAYS[int(np.argmax(per_day))] if n else None,
        peak_window=peak_window,
        peak_hours=peak_hours,
        window_hours=window_hours,
        max_window_hours=max_window_hours,
        window_rule=rule,
        time_zone=time_zone,
        naive_rule=naive_rule,
        n_used=n,
        n_missing=n_missing,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------------------------
# Monthly series against a baseline
# --------------------------------------------------------------------------------------------

BaselineRule = Literal["auto", "seasonal", "rolling"]


@dataclass(frozen=True, eq=False)
class MonthlyExceedance:
    """A monthly series against its baseline, with months above the upper bound flagged.

    Attributes
    ----------
    table : polars.DataFrame
        One row per month from the first to the last, oldest first: ``month``, ``count``
        (null where the data does not cover the month), ``rule`` (``seasonal``, ``rolling``
        or null where there was too little history), ``n_baseline`` (months the baseline
        used), ``baseline_mean``, ``baseline_sd`` (sample standard deviation), ``spread``
        (the deviation the bounds use: ``baseline_sd``, or at least the Poisson
        ``sqrt(baseline_mean)`` when ``poisson_floor``), ``lower`` (not below 0), ``upper``,
        ``exceeds`` (``count > upper``) and ``below`` (``count < lower``), null where there is
        no count or no baseline.
    baseline : {"auto", "seasonal", "rolling"}
    years, min_years, window, min_months, k, poisson_floor
        The rule's parameters, as used.
    rule : str
        The rule in words, for a report's footnote.
    exceeding : tuple of str
        Months above the upper bound.
    months_missing : tuple of str
        Months between the first and the last that the data does not cover.
    counted_from : str
        ``"counts"`` if a count column was given, else ``"rows"`` (records counted per month).
    notes : tuple of str
    """

    table: pl.DataFrame
    baseline: BaselineRule
    years: int
    min_years: int
    window: int
    min_months: int
    k: float
    poisson_floor: bool
    rule: str
    exceeding: tuple[str, ...]
    months_missing: tuple[str, ...]
    counted_from: str
    notes: tuple[str, ...]

    @property
    def latest(self) -> dict[str, object]:
        """The last month's row, for the daily briefing."""
        return self.table.row(self.table.height - 1, named=True)

    def briefing_line(self, what: str = "records") -> str:
        """The last month in one sentence.

        ``"Feb 2019: 3,142 records, above the expected range of 2,100 to 2,900 (same month
        in the previous 3 years: mean 2,500, +/-2 sd)"``.
        """
        row = self.latest
        month = month_label(str(row["month"]))
        if row["count"] is None:
            return f"{month}: no data"
        head = f"{month}: {row['count']:,} {what}"
        if row["rule"] is None:
            return f"{head}; too little history for a baseline"
        basis = (
            f"same month in the previous {row['n_baseline']} years"
            if row["rule"] == "seasonal"
            else f"previous {row['n_baseline']} months"
        )
        where = "above" if row["exceeds"] else "below" if row["below"] else "within"
        return (
            f"{head}, {where} the expected range of {row['lower']:,.0f} to {row['upper']:,.0f} ({basis}: "
            f"mean {row['baseline_mean']:,.0f}, +/-{self.k:g} sd)"
        )


def _monthly_counts(
    counts: pl.DataFrame, month_col: str, count_col: str, coverage: Iterable[str] | None
) -> tuple[dict[int, int], str]:
    what = "monthly_exceedance"
    _require(counts, [month_col], what)
    _check_months(counts, what, month_col)
    if count_col in counts.columns:
        dupes = counts.filter(pl.col(month_col).is_duplicated())[month_col].unique().sort()
        if dupes.len():
            raise ValueError(
                f"{what}: month(s) listed more than once: {', '.join(dupes)}; "
                "expected one row per month (or give the records, one per row)"
            )
        values = counts[count_col]
        if (
            values.null_count()
            or not values.dtype.is_numeric()
            or (values < 0).any()
            or (values != values.round()).any()
        ):
            raise ValueError(f"{what}: {count_col} must be a whole number, 0 or more, in every row")
        series = {
            month_index(m): int(c) for m, c in counts.select(month_col, count_col).iter_rows()
        }
        source = "counts"
    else:
        series = {month_index(m): int(c) for m, c in counts.group_by(month_col).len().iter_rows()}
        source = "rows"
    for m in coverage or ():
        series.setdefault(month_index(m), 0)
    return series, source


def _stats(values: Sequence[int], poisson_floor: bool) -> tuple[float, float | None, float]:
    mean = sum(values) / len(values)
    sd = (
        math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        if len(values) > 1
        else None
    )
    spread = sd if sd is not None else 0.0
    if poisson_floor:
        spread = max(spread, math.sqrt(mean))
    return mean, sd, spread


def monthly_exceedance(
    counts: pl.DataFrame,
    baseline: BaselineRule = "auto",
    *,
    month_col: str = "month",
    count_col: str = "count",
    years: int = 3,
    min_years: int = 3,
    window: int = 12,
    min_months: int = 6,
    k: float = 2.0,
    poisson_floor: bool = True,
    coverage: Iterable[str] | None = None,
) -> MonthlyExceedance:
    """Flag months whose count is above the baseline's upper bound.

    The rule, month by month (only months the data covers enter a baseline):

    - ``"seasonal"``: the same calendar month in the previous ``years`` years, if at least
      ``min_years`` of them are covered;
    - ``"rolling"``: the previous ``window`` months, if at least ``min_months`` are covered;
    - ``"auto"`` (default): seasonal where there is enough history, else rolling, else none.

    Bounds are ``mean +/- k * spread``, where spread is the sample standard deviation of the
    baseline months, raised to ``sqrt(mean)`` when ``poisson_floor`` (a count cannot be
    steadier than Poisson noise, so a few flat months do not make every small rise an alarm).
    The lower bound is not below 0. A month exceeds when its count is above the upper bound.

    Parameters
    ----------
    counts : polars.DataFrame
        One row per month with ``month_col`` (``YYYY-MM``) and ``count_col``; or records, one
        per row, with ``month_col`` and no ``count_col``, counted per month (select the records
        first: ASB incidents only, say).
    baseline : {"auto", "seasonal", "rolling"}
    month_col, count_col : str
    years, min_years : int
        Seasonal baseline: years looked back, and how many must be covered.
    window, min_months : int
        Rolling baseline: months looked back, and how many must be covered.
    k : float
        Width of the bounds in spreads.
    poisson_floor : bool
    coverage : iterable of str, optional
        Months the data covers; a covered month absent from ``counts`` counts 0. Default: the
        months in ``counts``; the others between the first and last are missing, not zero.

    Returns
    -------
    MonthlyExceedance

    Examples
    --------
    >>> series = pl.DataFrame({"month": [f"2021-{m:02d}" for m in range(1, 9)],
    ...                        "count": [100, 104, 96, 100, 98, 102, 100, 160]})
    >>> r = monthly_exceedance(series, baseline="rolling")
    >>> r.exceeding, round(r.latest["upper"], 1)
    (('2021-08',), 120.0)
    """
    what = "monthly_exceedance"
    if baseline not in ("auto", "seasonal", "rolling"):
        raise ValueError(f"{what}: baseline={baseline!r}; expected 'auto', 'seasonal' or 'rolling'")
    if min(years, min_years, window, min_months) < 1 or min_years > years or min_months > window:
        raise ValueError(
            f"{what}: expected 1 <= min_years <= years and 1 <= min_months <= "
            f"window; got years={years}, min_years={min_years}, window={window}, "
            f"min_months={min_months}"
        )
    series, source = _monthly_counts(counts, month_col, count_col, coverage)
    rows = []
    if series:
        first, last = min(series), max(series)
        for i in range(first, last + 1):
            seasonal = [series[i - 12 * y] for y in range(1, years + 1) if i - 12 * y in series]
            rolling = [series[i - j] for j in range(1, window + 1) if i - j in series]
            use_seasonal = baseline != "rolling" and len(seasonal) >= min_years
            use_rolling = not use_seasonal and baseline != "seasonal" and len(rolling) >= min_months
            values = seasonal if use_seasonal else rolling if use_rolling else []
            count = series.get(i)
            row: dict[str, object] = {
                "month": month_at(i),
                "count": count,
                "rule": None,
                "n_baseline": len(values) or None,
            }
            if values:
                mean, sd, spread = _stats(values, poisson_floor)
                lower, upper = max(0.0, mean - k * spread), mean + k * spread
                row.update(
                    rule="seasonal" if use_seasonal else "rolling",
                    baseline_mean=mean,
                    baseline_sd=sd,
                    spread=spread,
                    lower=lower,
                    upper=upper,
                    exceeds=None if count is None else count > upper,
                    below=None if count is None else count < lower,
                )
            rows.append(row)
    table = pl.DataFrame(
        rows,
        schema={
            "month": pl.String,
            "count": pl.Int64,
            "rule": pl.String,
            "n_baseline": pl.Int64,
            "baseline_mean": pl.Float64,
            "baseline_sd": pl.Float64,
            "spread": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
            "exceeds": pl.Boolean,
            "below": pl.Boolean,
        },
    )
    missing = tuple(m for m, c in table.select("month", "count").iter_rows() if c is None)
    notes = []
    if missing:
        notes.append(
            f"the data does not cover {month_runs_text(missing)}: no count, and those months "
            "enter no baseline"
        )
    no_base = table.filter(pl.col("rule").is_null() & pl.col("count").is_not_null()).height
    if no_base:
        notes.append(f"{no_base} month(s) have too little history for a baseline")
    parts = []
    if baseline != "rolling":
        parts.append(f"the same month in the previous {years} years (at least {min_years})")
    if baseline != "seasonal":
        parts.append(f"the previous {window} months (at least {min_months})")
    spread_rule = "standard deviation" + (", at least sqrt(mean)" if poisson_floor else "")
    rule = (
        f"baseline: {', else '.join(parts)}; bounds mean +/- {k:g} x {spread_rule}; "
        "a month exceeds when its count is above the upper bound"
    )
    return MonthlyExceedance(
        table=table,
        baseline=baseline,
        years=years,
        min_years=min_years,
        window=window,
        min_months=min_months,
        k=k,
        poisson_floor=poisson_floor,
        rule=rule,
        exceeding=tuple(table.filter(pl.col("exceeds"))["month"].to_list()),
        months_missing=missing,
        counted_from=source,
        notes=tuple(notes),
    )
