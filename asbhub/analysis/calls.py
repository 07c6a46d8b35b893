"""Call handling: how quickly 999, 101 and triage calls are answered, and how many are lost.

- :func:`call_kpis`: per month, calendar year or financial year (April to March, as the Chief
  Constable's report to the Commissioner tabulates 999 calls, seed 003 section 4): calls, calls
  over target, abandoned calls and the % abandoned, the mean and 90th-percentile wait, the share
  answered within 10 seconds (the national 999 standard: 90%) and answer-time bands.
- :func:`triage_vs_main`: per month, the average wait of the 101 triage service against the
  main 101 queue (seed 003's "Average Triage Wait time" against "Average CW 101 Wait time"),
  printed as ``hh:mm:ss``.

Definitions
-----------
A call's **wait** is from when it reached the queue (``queued_at``) to when it was answered, or,
for an abandoned call, to when the caller hung up (``ended_at``). Wait statistics (mean,
90th percentile, bands) are of **answered** calls, the speed of answer; abandoned calls are
counted apart (``abandoned``) and their waits summarised in ``mean_abandoned_wait_s``.

- **Answered within 10 s**: answered with a wait of at most 10 seconds (exactly 10.0 s is
  within). The share is of **all** calls, abandoned ones included: an abandoned call was not
  answered within 10 seconds.
- **Over target**: every call not answered within its channel's target, so
  ``over_target = calls - answered within target``; abandoned calls count as over target
  (they were never answered). For 999 the target is the national 10 seconds, so
  ``pct_over_target = 100 - pct_answered_within_10s``.
- **Bands** of answered calls by wait, each closed on the right: ``le_10s`` is up to and
  including 10 s, ``10_to_60s`` over 10 s up to and including 60 s, ``gt_60s`` over 60 s. So
  the first band is exactly "answered within 10 s", and bands plus abandoned add up to calls.
- **90th percentile**: as ``numpy.percentile(waits, 90, method="linear")`` (numpy's default,
  Hyndman and Fan's type 7); ``percentile_method`` takes numpy's other names ``lower``,
  ``higher`` and ``midpoint``.
- **Periods** are UK local time (Europe/London) of ``queued_at``: a call queued at
  23:30 UTC on 31 March 2022 (00:30 BST on 1 April) is in April and in 2022/23. Periods with
  no calls between the first and the last are listed with zero calls and empty (None) rates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import polars as pl

from asbhub.domain.dates import LOCAL_TIME_ZONE
from asbhub.domain.months import month_at, month_index, month_label, month_of, month_start
from asbhub.domain.vocab import CALL_CHANNELS

__all__ = [
    "CHANNELS",
    "DEFAULT_BAND_EDGES",
    "DEFAULT_TARGET_SECONDS",
    "LOCAL_TIME_ZONE",
    "NATIONAL_999_TARGET_SECONDS",
    "NATIONAL_999_TARGET_SHARE",
    "AnswerBand",
    "CallKpis",
    "TriageVsMain",
    "call_kpis",
    "format_hms",
    "triage_vs_main",
]

#: The channels of a call log (see docs/call-logs.md).
CHANNELS: tuple[str, ...] = CALL_CHANNELS
#: The national 999 standard: 90% of calls answered within 10 seconds.
NATIONAL_999_TARGET_SECONDS = 10.0
NATIONAL_999_TARGET_SHARE = 0.90
_NATIONAL_TARGET_PCT = 90
#: Answer target per channel, seconds. 999 is the national standard; 101 and triage use 60 s,
#: the "calls answered in 60 secs" of seed 003 (4.1); pass ``target_seconds`` to change them.
DEFAULT_TARGET_SECONDS: dict[str, float] = {
    "999": 10.0,
    "101": 60.0,
    "triage": 60.0,
    "online": 60.0,
}
#: Answer-time band edges, seconds (DESIGN: report bands under 10 s, 10-60 s, over 60 s).
DEFAULT_BAND_EDGES: tuple[float, ...] = (10.0, 60.0)
PERCENTILE = 90.0
# numpy's methods that polars computes alike; numpy's "nearest" rounds half to even, polars'
# rounds half up, so it is left out rather than differ from the reference.
PERCENTILE_METHODS = ("linear", "lower", "higher", "midpoint")

Period = Literal["month", "year", "financial_year"]


@dataclass(frozen=True)
class AnswerBand:
    """One answer-time band: answered calls with ``lower < wait <= upper`` (seconds).

    The first band has ``lower`` 0 and includes a wait of exactly 0; the last has ``upper``
    infinity.
    """

    name: str
    label: str
    lower: float
    upper: float


@dataclass(frozen=True, eq=False)
class CallKpis:
    """Call-handling figures per period, and the parameters they were computed with.

    Attributes
    ----------
    table : polars.DataFrame
        One row per period, oldest first: ``period`` (``2022-02``, ``2022`` or ``2021/22``),
        ``period_start`` (date), ``calls``, ``answered``, ``abandoned``, ``pct_abandoned``,
        ``answered_within_target``, ``over_target``, ``pct_over_target``,
        ``answered_within_10s``, ``pct_answered_within_10s``, ``national_target_met``
        (``pct_answered_within_10s >= 90``), ``mean_wait_s``, ``p90_wait_s``,
        ``mean_abandoned_wait_s``, then for each band ``band_<name>`` (answered calls in it)
        and ``pct_band_<name>`` (of answered calls). Percentages are 0-100, unrounded;
        rates and waits are None where there is nothing to divide by.
    by : str
        ``month``, ``year`` or ``financial_year``.
    channels : tuple of str
        The channels counted.
    target_seconds : dict
        Answer target per channel counted.
    within_seconds : float
        The "answered within" threshold (10 s, the national 999 standard).
    target_share : float
        The national share to meet (0.9).
    bands : tuple of AnswerBand
        The answer-time bands, in order.
    percentile, percentile_method : float, str
        The wait percentile reported (90) and numpy's method for it.
    time_zone : str
        Periods are this local time of ``queued_at``.
    """

    table: pl.DataFrame
    by: str
    channels: tuple[str, ...]
    target_seconds: dict[str, float]
    within_seconds: float
    target_share: float
    bands: tuple[AnswerBand, ...]
    percentile: float
    percentile_method: str
    time_zone: str = LOCAL_TIME_ZONE

    @property
    def params(self) -> dict[str, Any]:
        """The parameters, as a CLI or a report prints them."""
        return {
            "by": self.by,
            "channels": list(self.channels),
            "target_seconds": dict(self.target_seconds),
            "within_seconds": self.within_seconds,
            "target_share": self.target_share,
            "bands": [f"{b.name}: {b.label}" for b in self.bands],
            "band_edges": [b.upper for b in self.bands[:-1]],
            "percentile": self.percentile,
            "percentile_method": self.percentile_method,
            "waits_of": "answered calls (queued to answered)",
            "time_zone": self.time_zone,
        }

    def row(self, period: str) -> dict[str, Any]:
        """The figures of one period, by its label (e.g. ``"2021/22"``)."""
        found = self.table.filter(pl.col("period") == period)
        if found.height == 0:
            raise KeyError(
                f"no period {period!r}; the periods are {', '.join(self.table['period'].to_list())}"
            )
        return found.row(0, named=True)


@dataclass(frozen=True, eq=False)
class TriageVsMain:
    """Average waits of the 101 triage service and the main 101 queue, month by month.

    Attributes
    ----------
    table : polars.DataFrame
        One row per month, oldest first: ``month`` (``2022-01``), ``month_label``
        (``Jan 2022``), then for ``triage`` and for ``main``: ``<q>_calls``,
        ``<q>_answered``, ``<q>_pct_abandoned``, ``<q>_mean_wait_s`` (answered calls) and
        ``<q>_mean_wait`` (the same as ``hh:mm:ss``, to the nearest second, halves up).
        Empty (None) where the queue had no answered calls that month.
    triage_channel, main_channel : str
        The channels compared.
    triage_started : datetime or None
        When the first triage call was queued (UTC); None when there were none.
    time_zone : str
        Months are this local time of ``queued_at``.
    """

    table: pl.DataFrame
    triage_channel: str
    main_channel: str
    triage_started: datetime | None
    time_zone: str = LOCAL_TIME_ZONE

    @property
    def params(self) -> dict[str, Any]:
        return {
            "triage_channel": self.triage_channel,
            "main_channel": self.main_channel,
            "waits_of": "answered calls (queued to answered)",
            "hh:mm:ss": "nearest second, halves up",
            "time_zone": self.time_zone,
            "triage_started": self.triage_started.isoformat() if self.triage_started else None,
        }


# --------------------------------------------------------------------------------------------
# KPIs
# --------------------------------------------------------------------------------------------


def call_kpis(
    calls: pl.DataFrame,
    by: Period = "month",
    channel: str | Iterable[str] | None = "999",
    target_seconds: float | Mapping[str, float] | None = None,
    band_edges: Iterable[float] = DEFAULT_BAND_EDGES,
    percentile_method: str = "linear",
    start: date | None = None,
    end: date | None = None,
) -> CallKpis:
    """Call-handling figures per period for one channel (999 by default) or several.

    Parameters
    ----------
    calls : polars.DataFrame
        One row per call with ``channel``, ``queued_at`` (datetime; naive means UTC),
        ``abandoned`` (bool) and either ``wait_seconds`` or ``answered_at`` and ``ended_at``:
        the rows of :func:`asbhub.ingest.calls.read_calls`, of the store, or of
        :func:`asbhub.synth.calls.generate_calls`.
    by : {"month", "year", "financial_year"}
        The period: a calendar month, a calendar year, or a financial year from 1 April to
        31 March (labelled ``2021/22``).
    channel : str, iterable of str or None
        The channel(s) to count: ``999``, ``101``, ``triage``, ``online``; None for all.
    target_seconds : float, mapping or None
        The answer target: one number for every channel counted, or ``{channel: seconds}``
        overriding :data:`DEFAULT_TARGET_SECONDS` (999: 10 s; others: 60 s).
    band_edges : iterable of float
        Answer-time band edges in seconds, increasing; default ``(10, 60)`` gives the bands
        ``le_10s``, ``10_to_60s`` and ``gt_60s``, each closed on the right.
    percentile_method : str
        How the 90th-percentile wait is interpolated, as ``numpy.percentile``'s ``method``:
        ``linear`` (default), ``lower``, ``higher`` or ``midpoint``.
    start, end : date, optional
        Only calls in the periods holding these days (inclusive), and every such period
        listed even with no calls. Default: from the first call's period to the last's.

    Returns
    -------
    CallKpis

    Raises
    ------
    ValueError
        A required column is missing, or a parameter is not one of the accepted values.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> calls = pl.DataFrame({
    ...     "channel": ["999", "999", "999"],
    ...     "queued_at": [datetime(2022, 2, 1, 10, tzinfo=UTC)] * 3,
    ...     "abandoned": [False, False, True],
    ...     "wait_seconds": [4.0, 12.0, 3.0],
    ... })
    >>> r = call_kpis(calls).row("2022-02")
    >>> r["calls"], r["over_target"], r["answered_within_10s"], r["band_10_to_60s"]
    (3, 2, 1, 1)
    """
    if by not in ("month", "year", "financial_year"):
        raise ValueError(f"by={by!r}: expected 'month', 'year' or 'financial_year'")
    if percentile_method not in PERCENTILE_METHODS:
        raise ValueError(
            f"percentile_method={percentile_method!r}: expected one of "
            f"{', '.join(PERCENTILE_METHODS)}"
        )
    channels = _channels(channel)
    targets = _targets(channels, target_seconds)
    bands = _bands(band_edges)
    frame = _prepared(calls, "call_kpis")
    frame = frame.filter(pl.col("channel").is_in(list(channels)))
    frame = frame.with_columns(
        _period_index(by).alias("_p"),
        pl.col("channel")
        .replace_strict(targets, default=None, return_dtype=pl.Float64)
        .alias("_target"),
    )
    span = _period_bounds(frame, by, start, end)
    if span is not None:
        frame = frame.filter(pl.col("_p").is_between(*span))

    answered = ~pl.col("abandoned")
    wait = pl.col("_wait")
    answered_wait = wait.filter(answered)
    aggs = [
        pl.len().alias("calls"),
        answered.sum().alias("answered"),
        pl.col("abandoned").sum().alias("abandoned"),
        (answered & (wait <= pl.col("_target"))).sum().alias("answered_within_target"),
        (answered & (wait <= NATIONAL_999_TARGET_SECONDS)).sum().alias("answered_within_10s"),
        answered_wait.mean().alias("mean_wait_s"),
        answered_wait.quantile(PERCENTILE / 100, interpolation=percentile_method).alias(  # type: ignore[arg-type]
            "p90_wait_s"
        ),
        wait.filter(pl.col("abandoned")).mean().alias("mean_abandoned_wait_s"),
    ]
    for b in bands:
        in_band = (wait <= b.upper) if b.lower == 0 else (wait > b.lower) & (wait <= b.upper)
        aggs.append((answered & in_band).sum().alias(f"band_{b.name}"))
    counts = [
        "calls",
        "answered",
        "abandoned",
        "answered_within_target",
        "answered_within_10s",
        *[f"band_{b.name}" for b in bands],
    ]
    grouped = frame.group_by("_p").agg(aggs).with_columns(pl.col(counts).cast(pl.Int64))

    table = _periods(span).join(grouped, on="_p", how="left").sort("_p")
    table = table.with_columns(pl.col(counts).fill_null(0))

    def pct(part: str, whole: str) -> pl.Expr:
        return pl.when(pl.col(whole) > 0).then(100.0 * pl.col(part) / pl.col(whole))

    table = table.with_columns(
        (pl.col("calls") - pl.col("answered_within_target")).alias("over_target"),
    ).with_columns(
        pct("abandoned", "calls").alias("pct_abandoned"),
        pct("over_target", "calls").alias("pct_over_target"),
        pct("answered_within_10s", "calls").alias("pct_answered_within_10s"),
        *[pct(f"band_{b.name}", "answered").alias(f"pct_band_{b.name}") for b in bands],
        # Compared in whole numbers: exactly 90% meets the target, with no float in the way.
        pl.when(pl.col("calls") > 0)
        .then(pl.col("answered_within_10s") * 100 >= _NATIONAL_TARGET_PCT * pl.col("calls"))
        .alias("national_target_met"),
    )
    labels = [_period_label(by, p) for p in table["_p"].to_list()]
    starts = [_period_start(by, p) for p in table["_p"].to_list()]
    table = table.select(
        pl.Series("period", labels, dtype=pl.String),
        pl.Series("period_start", starts, dtype=pl.Date),
        "calls",
        "answered",
        "abandoned",
        "pct_abandoned",
        "answered_within_target",
        "over_target",
        "pct_over_target",
        "answered_within_10s",
        "pct_answered_within_10s",
        "national_target_met",
        "mean_wait_s",
        "p90_wait_s",
        "mean_abandoned_wait_s",
        *[c for b in bands for c in (f"band_{b.name}", f"pct_band_{b.name}")],
    )
    return CallKpis(
        table=table,
        by=by,
        channels=channels,
        target_seconds=targets,
        within_seconds=NATIONAL_999_TARGET_SECONDS,
        target_share=NATIONAL_999_TARGET_SHARE,
        bands=bands,
        percentile=PERCENTILE,
        percentile_method=percentile_method,
    )


# --------------------------------------------------------------------------------------------
# Triage against the main 101 queue
# --------------------------------------------------------------------------------------------


def triage_vs_main(
    calls: pl.DataFrame,
    start: date | None = None,
    end: date | None = None,
    triage_channel: str = "triage",
    main_channel: str = "101",
) -> TriageVsMain:
    """Month by month, the average wait of 101 triage calls against the main 101 queue.

    Parameters
    ----------
    calls : polars.DataFrame
        As for :func:`call_kpis`; other channels are ignored.
    start, end : date, optional
        The months holding these days bound the table (inclusive). Default: from the first
        month with a call on either channel to the last.
    triage_channel, main_channel : str
        The two channels compared (default ``triage`` and ``101``).

    Returns
    -------
    TriageVsMain

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> calls = pl.DataFrame({
    ...     "channel": ["triage", "triage", "101"],
    ...     "queued_at": [datetime(2022, 1, 5, 9, tzinfo=UTC)] * 3,
    ...     "abandoned": [False, False, False],
    ...     "wait_seconds": [30.0, 44.0, 222.0],
    ... })
    >>> r = triage_vs_main(calls).table.row(0, named=True)
    >>> r["month_label"], r["triage_mean_wait"], r["main_mean_wait"]
    ('Jan 2022', '00:00:37', '00:03:42')
    """
    for c in (triage_channel, main_channel):
        _channels(c)
    frame = _prepared(calls, "triage_vs_main")
    frame = frame.filter(pl.col("channel").is_in([triage_channel, main_channel]))
    frame = frame.with_columns(_period_index("month").alias("_p"))
    span = _period_bounds(frame, "month", start, end)
    if span is not None:
        frame = frame.filter(pl.col("_p").is_between(*span))
    triage = frame.filter(pl.col("channel") == triage_channel)
    started = triage["queued_at"].min() if triage.height else None
    table = _periods(span)
    for prefix, ch in (("triage", triage_channel), ("main", main_channel)):
        answered = ~pl.col("abandoned")
        part = (
            frame.filter(pl.col("channel") == ch)
            .group_by("_p")
            .agg(
                pl.len().cast(pl.Int64).alias(f"{prefix}_calls"),
                answered.sum().cast(pl.Int64).alias(f"{prefix}_answered"),
                pl.col("abandoned").sum().cast(pl.Int64).alias("_ab"),
                pl.col("_wait").filter(answered).mean().alias(f"{prefix}_mean_wait_s"),
            )
            .with_columns(
                (100.0 * pl.col("_ab") / pl.col(f"{prefix}_calls")).alias(
                    f"{prefix}_pct_abandoned"
                ),
            )
            .drop("_ab")
        )
        table = table.join(part, on="_p", how="left")
        table = table.with_columns(pl.col(f"{prefix}_calls", f"{prefix}_answered").fill_null(0))
        hms = [format_hms(s) for s in table[f"{prefix}_mean_wait_s"].to_list()]
        table = table.with_columns(pl.Series(f"{prefix}_mean_wait", hms, dtype=pl.String))
    table = table.sort("_p")
    months = table["_p"].to_list()
    table = table.select(
        pl.Series("month", [_period_label("month", p) for p in months], dtype=pl.String),
        pl.Series("month_label", [_month_label(p) for p in months], dtype=pl.String),
        *[
            f"{q}_{c}"
            for q in ("triage", "main")
            for c in ("calls", "answered", "pct_abandoned", "mean_wait_s", "mean_wait")
        ],
    )
    return TriageVsMain(
        table=table,
        triage_channel=triage_channel,
        main_channel=main_channel,
        triage_started=started if isinstance(started, datetime) else None,
    )


def format_hms(seconds: float | None) -> str | None:
    """Seconds as ``hh:mm:ss``, to the nearest second (halves up), as seed 003 prints waits.

    >>> format_hms(221.6), format_hms(36.5), format_hms(None)
    ('00:03:42', '00:00:37', None)
    """
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return None
    s = math.floor(seconds + 0.5)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _channels(channel: str | Iterable[str] | None) -> tuple[str, ...]:
    if channel is None:
        return CHANNELS
    chosen = (channel,) if isinstance(channel, str) else tuple(channel)
    unknown = [c for c in chosen if c not in CHANNELS]
    if unknown or not chosen:
        raise ValueError(
            f"channel {', '.join(map(repr, unknown)) or '(none)'}: expected one "
            f"or more of {', '.join(CHANNELS)}, or None for all"
        )
    return tuple(dict.fromkeys(chosen))


def _targets(
    channels: tuple[str, ...], target_seconds: float | Mapping[str, float] | None
) -> dict[str, float]:
    if target_seconds is None:
        given: Mapping[str, float] = {}
    elif isinstance(target_seconds, Mapping):
        given = target_seconds
    else:
        given = {c: float(target_seconds) for c in channels}
    targets = {c: float(given.get(c, DEFAULT_TARGET_SECONDS[c])) for c in channels}
    bad = {c: t for c, t in targets.items() if not t >= 0}
    if bad:
        raise ValueError(f"target_seconds {bad}: expected a number of seconds, 0 or more")
    return targets


def _bands(edges: Iterable[float]) -> tuple[AnswerBand, ...]:
    e = [float(x) for x in edges]
    if not e or any(x <= 0 or not math.isfinite(x) for x in e) or e != sorted(set(e)):
        raise ValueError(f"band_edges {e}: expected increasing positive seconds, e.g. (10, 60)")

    def s(x: float) -> str:
        return f"{x:g}"

    bands = [AnswerBand(f"le_{s(e[0])}s", f"up to {s(e[0])} s (inclusive)", 0.0, e[0])]
    bands += [
        AnswerBand(f"{s(a)}_to_{s(b)}s", f"over {s(a)} s, up to {s(b)} s", a, b)
        for a, b in zip(e, e[1:], strict=False)
    ]
    bands.append(AnswerBand(f"gt_{s(e[-1])}s", f"over {s(e[-1])} s", e[-1], math.inf))
    return tuple(bands)


def _prepared(calls: pl.DataFrame, what: str) -> pl.DataFrame:
    """channel, queued_at (UTC), abandoned and the wait (``_wait``) of each call."""
    has = set(calls.columns)
    need = {"channel", "queued_at", "abandoned"}
    if "wait_seconds" not in has:
        need |= {"answered_at", "ended_at"}
    missing = sorted(need - has)
    if missing:
        raise ValueError(
            f"{what}: the calls lack column(s) {', '.join(missing)}; expected "
            "channel, queued_at, abandoned and wait_seconds (or answered_at and "
            "ended_at), as asbhub.ingest.calls.read_calls gives them"
        )
    queued = _utc(calls, "queued_at")
    if "wait_seconds" in has:
        wait = pl.col("wait_seconds").cast(pl.Float64)
    else:
        to = pl.coalesce(_utc(calls, "answered_at"), _utc(calls, "ended_at"))
        wait = (to - queued).dt.total_microseconds() / 1_000_000
    return calls.select(
        pl.col("channel").cast(pl.String),
        queued.alias("queued_at"),
        pl.col("abandoned").cast(pl.Boolean),
        wait.alias("_wait"),
    )


def _utc(calls: pl.DataFrame, column: str) -> pl.Expr:
    dtype = calls.schema[column]
    if not isinstance(dtype, pl.Datetime):
        raise ValueError(f"column {column} is {dtype}; expected a datetime")
    c = pl.col(column)
    if dtype.time_zone is None:
        return c.dt.replace_time_zone("UTC")
    return c.dt.convert_time_zone("UTC")


def _period_index(by: str) -> pl.Expr:
    """An integer per period: months since year 0, the year, or the financial year's first year."""
    local = pl.col("queued_at").dt.convert_time_zone(LOCAL_TIME_ZONE)
    year, month = local.dt.year().cast(pl.Int64), local.dt.month().cast(pl.Int64)
    if by == "month":
        return year * 12 + month - 1
    if by == "year":
        return year
    return pl.when(month >= 4).then(year).otherwise(year - 1)


def _index_of(by: str, day: date) -> int:
    if by == "month":
        return month_index(month_of(day))
    if by == "year":
        return day.year
    return day.year if day.month >= 4 else day.year - 1


def _period_bounds(
    frame: pl.DataFrame, by: str, start: date | None, end: date | None
) -> tuple[int, int] | None:
    """First and last period index: of ``start`` and ``end``, else of the calls; None if none."""
    first, last = frame["_p"].min(), frame["_p"].max()
    lo = _index_of(by, start) if start is not None else first
    hi = _index_of(by, end) if end is not None else last
    if not isinstance(lo, int) or not isinstance(hi, int):
        return None
    if lo > hi:
        raise ValueError(f"start {start} is after end {end}")
    return lo, hi


def _periods(span: tuple[int, int] | None) -> pl.DataFrame:
    """Every period index of the span, as the frame the figures are joined onto."""
    return pl.DataFrame(
        {"_p": list(range(span[0], span[1] + 1)) if span else []}, schema={"_p": pl.Int64}
    )


def _period_label(by: str, p: int) -> str:
    if by == "month":
        return month_at(p)
    if by == "year":
        return f"{p:04d}"
    return f"{p:04d}/{(p + 1) % 100:02d}"


def _period_start(by: str, p: int) -> date:
    if by == "month":
        return month_start(month_at(p))
    if by == "year":
        return date(p, 1, 1)
    return date(p, 4, 1)


def _month_label(p: int) -> str:
    return month_label(month_at(p), short=True)
