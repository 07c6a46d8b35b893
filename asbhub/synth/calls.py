"""Synthetic call logs (999, 101 main queue, 101 triage, online), calibrated on seed 003.

:func:`generate_calls` draws calls day by day with a seasonal, weekly and hourly profile, and
gives each a wait, an outcome (answered or abandoned) and a handling time, so that the figures
:func:`asbhub.analysis.calls.call_kpis` and :func:`~asbhub.analysis.calls.triage_vs_main`
compute from it reproduce what the Chief Constable reported to the Commissioner on 17 May 2022
(seed 003, section 4). :func:`write_calls_csv` writes them in the call log format
(docs/call-logs.md), for ``asbhub ingest`` and the demo.

Calibration targets (seed 003 section 4, unless marked otherwise)
-----------------------------------------------------------------
999 calls, per financial year (April to March), from the table "999 Call Data over last 5
years" (expected values; a draw is within Poisson noise of them):

==========  ========  ===================  ==========  =============================
year        calls     longer than target   abandoned   February: % abandoned, wait
==========  ========  ===================  ==========  =============================
2016/17     150,000*  12%*                 1.44%*      1.44%, 7 s (February 2017)
2017/18     131,113   14,917 (11.4%)       2,196       1.06%, 7 s (February 2018)
2018/19     138,406   15,420 (11.1%)       1,003       0.38%, 6 s
2019/20     152,944   30,762 (20.1%)       1,392       0.47%, 8 s
2020/21     138,575   20,189 (14.6%)       966         0.54%, 6 s
2021/22     153,912   12%* (no data)       949         0.53%, 7 s
2022/23     150,000*  12%*                 0.55%*      0.55%*, 7 s (as 2021/22)
2023/24 on  150,000*  12%*                 0.55%*      0.55%*, 6 s (seed 001, 2024)
==========  ========  ===================  ==========  =============================

(* not in the seed: the default, ``CallSynthConfig``; a year with no average wait of its
own keeps the latest earlier year's, and seed 001 of March 2024 says "the average time to
answer a 999 call now six seconds".) "Longer than target" is a call not answered within 10
seconds, abandoned calls included (the definition of
:func:`~asbhub.analysis.calls.call_kpis`). February's abandonment rate is the seed's monthly
figure and the other eleven months share the rest of the year's abandoned calls; the seed's
February average wait is taken as the whole year's mean wait of answered calls.

101 calls:

- Before late 2019, the main 101 queue answers in 4 minutes on average with 15% abandoned;
  from October 2019 (THRIVE and crime recording at first contact "resulting in longer
  processing times", 4.3) in 10 minutes with 30% abandoned (seed 001: the average 101 wait
  later fell "by seven minutes to under three minutes"). These levels are assumptions: seed
  003 prints its 101 history only as a graph.
- From 20 December 2021 ("late December 2021") every 101 call goes first to the triage
  service, which resolves two thirds of those it answers ("has managed two thirds of the 101
  calls", 4.3) and transfers the rest (new incident and crime reports) to the control room's
  main 101 queue ("CW 101"): the triage call has ``transferred_to`` ``control room`` and a
  second call, on channel ``101``, is queued when it ends.
- Average waits of answered calls, triage against CW 101 (4.3): January 2022 00:00:37 against
  00:03:42, February 00:00:34 against 00:03:32, March 00:00:37 against 00:04:52; other months
  after the start 36 s against 3:50 (assumed). Triage abandons 5% and CW 101 12% (assumed;
  the seed says only that abandonment fell "significantly").
- 350,000 calls a year reach 101 (assumed), 10% more once triage starts ("the number of 101
  calls have increased significantly", 4.3), more in the warmer months (4.3).

Online contact (live chat): 25,000 a year, answered in 90 s on average, 8% abandoned
(assumed; the seed lists the channel only, 11.1).

Shapes (assumed, typical of an English force's control room): 999 demand peaks in summer and
at weekends, and from 16:00 to 23:00; 101 demand is a daytime, weekday load. Waits of answered
999 calls are a mixture: within 10 s, a scaled beta distribution from 1 s; over 10 s, 10 s plus
a log-normal excess (mean 14 s), so a few calls wait over a minute. Busy hours have more calls
over target, in proportion to their share of the day's calls. 101, triage and online waits are
gamma distributed (shape 1.3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray

from asbhub.domain.dates import LOCAL_TIME_ZONE
from asbhub.ingest.calls import CHANNELS, COLUMNS

__all__ = [
    "SEED_999_BY_YEAR",
    "SEED_TRIAGE_MAIN_WAITS",
    "CallSynthConfig",
    "Fy999",
    "generate_calls",
    "write_calls_csv",
]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Fy999:
    """999 figures for one financial year (None: use the configuration's default).

    Attributes
    ----------
    calls : int or None
        Calls in the year.
    over_target : int or None
        Calls not answered within 10 s, abandoned included.
    abandoned : int or None
        Abandoned calls in the year.
    feb_pct_abandoned : float or None
        % of February's calls abandoned.
    mean_wait_s : float or None
        Mean wait of answered calls.
    """

    calls: int | None = None
    over_target: int | None = None
    abandoned: int | None = None
    feb_pct_abandoned: float | None = None
    mean_wait_s: float | None = None


#: Seed 003's 999 tables, by the first year of the financial year (2017 is 2017/18).
SEED_999_BY_YEAR: dict[int, Fy999] = {
    2016: Fy999(feb_pct_abandoned=1.44, mean_wait_s=7.0),
    2017: Fy999(131_113, 14_917, 2_196, 1.06, 7.0),
    2018: Fy999(138_406, 15_420, 1_003, 0.38, 6.0),
    2019: Fy999(152_944, 30_762, 1_392, 0.47, 8.0),
    2020: Fy999(138_575, 20_189, 966, 0.54, 6.0),
    2021: Fy999(153_912, None, 949, 0.53, 7.0),
    # Seed 001 (March 2024): "the average time to answer a 999 call now six seconds".
    2023: Fy999(mean_wait_s=6.0),
}

#: Seed 003's average triage and CW 101 waits of answered calls, seconds, by month.
SEED_TRIAGE_MAIN_WAITS: dict[str, tuple[float, float]] = {
    "2022-01": (37.0, 3 * 60 + 42.0),
    "2022-02": (34.0, 3 * 60 + 32.0),
    "2022-03": (37.0, 4 * 60 + 52.0),
}

# Relative daily demand by month (January first), weekday (Monday first) and share by local
# hour. Assumed shapes, see the module notes.
_MONTH_999 = (0.93, 0.88, 0.95, 0.97, 1.03, 1.06, 1.10, 1.07, 1.01, 1.00, 0.97, 1.01)
_MONTH_101 = (0.92, 0.90, 0.96, 0.98, 1.05, 1.09, 1.12, 1.09, 1.02, 0.99, 0.95, 0.93)
_WEEKDAY_999 = (0.96, 0.94, 0.95, 0.97, 1.04, 1.10, 1.04)
_WEEKDAY_101 = (1.08, 1.04, 1.02, 1.01, 1.00, 0.92, 0.93)
_HOUR_999 = (
    4.6,
    3.9,
    3.2,
    2.6,
    2.1,
    1.8,
    1.9,
    2.6,
    3.4,
    4.0,
    4.3,
    4.5,
    4.6,
    4.6,
    4.7,
    4.9,
    5.2,
    5.5,
    5.6,
    5.6,
    5.5,
    5.4,
    5.2,
    4.9,
)
_HOUR_101 = (
    1.0,
    0.6,
    0.4,
    0.3,
    0.3,
    0.4,
    1.0,
    2.5,
    5.0,
    6.5,
    6.8,
    6.7,
    6.4,
    6.3,
    6.2,
    6.2,
    6.3,
    6.4,
    6.2,
    5.8,
    5.0,
    4.0,
    3.0,
    2.0,
)

_PREFIX = {"999": "999", "101": "101", "triage": "TRI", "online": "WEB"}


@dataclass(frozen=True)
class CallSynthConfig:
    """Volumes, waits and rates of the synthetic calls; see the module notes for sources.

    Defaults apply where ``fy_999`` gives no figure for a financial year.
    """

    fy_999: Mapping[int, Fy999] = field(default_factory=lambda: dict(SEED_999_BY_YEAR))
    calls_999_per_year: float = 150_000
    over_target_999: float = 0.12
    abandoned_999: float = 0.0055
    mean_wait_999_s: float = 7.0
    #: Mean excess over 10 s of a 999 call answered late (log-normal, sigma below).
    late_excess_999_s: float = 14.0
    late_excess_sigma: float = 1.0
    #: Shortest 999 wait: the line rings before anyone can answer.
    min_wait_999_s: float = 1.0
    mean_abandoned_wait_999_s: float = 8.0
    mean_handling_999_s: float = 200.0

    calls_101_per_year: float = 350_000
    slow_101_from: date = date(2019, 10, 1)
    mean_wait_101_s: float = 240.0
    abandoned_101: float = 0.15
    mean_wait_101_slow_s: float = 600.0
    abandoned_101_slow: float = 0.30
    triage_start: date = date(2021, 12, 20)
    triage_uplift: float = 1.10
    triage_resolved_share: float = 2 / 3
    triage_main_waits: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: dict(SEED_TRIAGE_MAIN_WAITS)
    )
    mean_wait_triage_s: float = 36.0
    mean_wait_main_after_triage_s: float = 230.0
    abandoned_triage: float = 0.05
    abandoned_main_after_triage: float = 0.12
    mean_handling_101_s: float = 360.0
    mean_handling_triage_s: float = 240.0

    calls_online_per_year: float = 25_000
    mean_wait_online_s: float = 90.0
    abandoned_online: float = 0.08
    mean_handling_online_s: float = 600.0

    wait_shape: float = 1.3
    force: str = "Derbyshire Constabulary"


def generate_calls(
    start: date,
    end: date,
    seed: int = 0,
    channels: Sequence[str] = CHANNELS,
    config: CallSynthConfig | None = None,
    scale: float = 1.0,
) -> pl.DataFrame:
    """Synthetic calls queued from ``start`` to ``end`` (inclusive, UK local days).

    A triage call transferred near the end of the last day may have no second leg: it would
    be queued after ``end``.

    Parameters
    ----------
    start, end : date
        The first and last day. ``end`` may not be after today: the call log reader rejects
        times in the future.
    seed : int
        Seed of the random generator: the same arguments give the same calls.
    channels : sequence of str
        Which of ``999``, ``101``, ``triage`` and ``online`` to generate. ``101`` and
        ``triage`` go together from the triage start: asking for one of them generates both
        flows and keeps the calls of the channels asked for.
    config : CallSynthConfig, optional
        Volumes, waits and rates; default the seed-calibrated values.
    scale : float
        Multiplies every volume (e.g. 0.1 for a small demo); rates and waits are unchanged.

    Returns
    -------
    polars.DataFrame
        One row per call, ordered by ``queued_at``, with the columns of
        :func:`asbhub.ingest.calls.read_calls`'s rows less ``line`` and ``row_hash``:
        ``call_id``, ``channel``, ``queued_at``, ``answered_at`` (None when abandoned),
        ``ended_at`` (UTC datetimes, whole milliseconds), ``abandoned``, ``transferred_to``,
        ``force`` and ``wait_seconds``.

    Examples
    --------
    >>> from datetime import date
    >>> calls = generate_calls(date(2022, 2, 1), date(2022, 2, 7), seed=1, channels=["999"])
    >>> 2500 < calls.height < 3300, calls["channel"].unique().to_list()
    (True, ['999'])
    """
    cfg = config or CallSynthConfig()
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ValueError(f"channels {unknown}: expected some of {', '.join(CHANNELS)}")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if end > date.today():
        raise ValueError(f"end {end} is in the future; the call log reader rejects future times")
    if not scale > 0:
        raise ValueError(f"scale {scale}: expected a positive number")
    rng = np.random.default_rng(seed)
    days = _Days(start, end)
    parts: list[pl.DataFrame] = []
    # Each flow draws from the generator only when asked for, in a fixed order, so a
    # channel's calls depend on the seed and on which flows come before it.
    if "999" in channels:
        parts.append(_calls_999(rng, days, cfg, scale))
    if "101" in channels or "triage" in channels:
        parts += [
            p.filter(pl.col("channel").is_in(list(channels)))
            for p in _calls_101(rng, days, cfg, scale)
        ]
    if "online" in channels:
        parts.append(_calls_online(rng, days, cfg, scale))
    return _finish(parts, cfg)


def write_calls_csv(calls: pl.DataFrame, path: str | Path) -> Path:
    """Write calls in the call log CSV format (docs/call-logs.md).

    Times are written as UK local time with their UTC offset and milliseconds, e.g.
    ``2022-06-01T10:00:00.123+01:00``, so a reader needs no time zone rules to place them.

    Parameters
    ----------
    calls : polars.DataFrame
        From :func:`generate_calls` (or any frame with the call log columns; ``force`` and
        ``transferred_to`` may be missing).
    path : str or Path
        The file to write.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)

    def stamp(c: str) -> pl.Expr:
        return (
            pl.col(c)
            .dt.convert_time_zone(LOCAL_TIME_ZONE)
            .dt.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .fill_null("")
            .alias(c)
        )

    def text(c: str) -> pl.Expr:
        if c in calls.columns:
            return pl.col(c).cast(pl.String).fill_null("").alias(c)
        return pl.lit("").alias(c)

    out = calls.select(
        text("call_id"),
        text("channel"),
        stamp("queued_at"),
        stamp("answered_at"),
        stamp("ended_at"),
        pl.when(pl.col("abandoned"))
        .then(pl.lit("true"))
        .otherwise(pl.lit("false"))
        .alias("abandoned"),
        text("transferred_to"),
        text("force"),
    ).select(COLUMNS)
    out.write_csv(path, line_terminator="\n")
    return path


# -- calendars and profiles ------------------------------------------------------------------


class _Days:
    """The local days of the period, with their UTC midnights and calendar parts."""

    def __init__(self, start: date, end: date) -> None:
        n = (end - start).days + 1
        self.dates = [start + timedelta(days=i) for i in range(n)]
        self.month = np.array([d.month for d in self.dates])
        self.weekday = np.array([d.weekday() for d in self.dates])
        self.fy = np.array([d.year if d.month >= 4 else d.year - 1 for d in self.dates])
        self.month_key = np.array([f"{d.year:04d}-{d.month:02d}" for d in self.dates])
        # Local midnights in UTC, one more than the days: the last ends the period.
        midnights = pl.Series([*self.dates, end + timedelta(days=1)], dtype=pl.Date).cast(
            pl.Datetime("us")
        )
        utc = midnights.dt.replace_time_zone(
            LOCAL_TIME_ZONE, ambiguous="earliest", non_existent="null"
        ).dt.convert_time_zone("UTC")
        us = utc.dt.epoch("us").to_numpy().astype(np.int64)
        self.midnight_us, self.end_us = us[:-1], int(us[-1])

    def __len__(self) -> int:
        return len(self.dates)


def _fy_days(fy: int) -> tuple[date, date]:
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def _daily_weight(dates: Sequence[date], month: Sequence[float], weekday: Sequence[float]) -> F64:
    return np.array([month[d.month - 1] * weekday[d.weekday()] for d in dates])


def _expected_per_day(
    days: _Days, per_year: F64, month: Sequence[float], weekday: Sequence[float]
) -> F64:
    """Expected calls each day: each financial year's total shared by the daily weights.

    ``per_year`` is the annual volume in force on each day; normalising within the whole
    financial year (not just the days asked for) keeps a part-year draw on the same scale.
    """
    weight = _daily_weight(days.dates, month, weekday)
    totals = {}
    for fy in np.unique(days.fy):
        first, last = _fy_days(int(fy))
        year = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        totals[int(fy)] = float(_daily_weight(year, month, weekday).sum())
    return per_year * weight / np.array([totals[int(fy)] for fy in days.fy])


def _queued_us(
    rng: np.random.Generator, days: _Days, counts: NDArray[np.int64], hours: Sequence[float]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Day index, local hour and queued time (UTC microseconds, whole ms) of each call."""
    day = np.repeat(np.arange(len(days)), counts)
    p = np.asarray(hours, dtype=float)
    hour = rng.choice(24, size=day.size, p=p / p.sum())
    ms = rng.integers(0, 3_600_000, size=day.size)
    # Hours count from local midnight, so on the two days a year the clocks change, times
    # after 01:00 fall an hour off the profile: too small to matter to any figure.
    queued = days.midnight_us[day] + hour * 3_600_000_000 + ms * 1000
    return day, hour, queued


def _ms(seconds: F64) -> NDArray[np.int64]:
    """Seconds to whole milliseconds, at least 1 ms."""
    return np.maximum(np.rint(seconds * 1000).astype(np.int64), 1)


def _gamma(rng: np.random.Generator, mean: F64, shape: float) -> F64:
    return rng.gamma(shape, mean / shape)


def _frame(
    channel: str,
    queued: NDArray[np.int64],
    wait_ms: NDArray[np.int64],
    abandoned: NDArray[np.bool_],
    handling_ms: NDArray[np.int64],
    transferred: list[str | None] | None = None,
) -> pl.DataFrame:
    """Calls of one channel; an abandoned call ends when the caller hangs up."""
    answered = queued + wait_ms * 1000
    ended = np.where(abandoned, answered, answered + handling_ms * 1000)
    n = queued.size
    return pl.DataFrame(
        {
            "channel": pl.Series([channel] * n, dtype=pl.String),
            "queued_at": pl.Series(queued, dtype=pl.Int64),
            "answered_at": pl.Series(np.where(abandoned, -1, answered), dtype=pl.Int64),
            "ended_at": pl.Series(ended, dtype=pl.Int64),
            "abandoned": pl.Series(abandoned, dtype=pl.Boolean),
            # A list, not a numpy object array: polars cannot cast one that starts with None.
            "transferred_to": pl.Series(
                transferred if transferred is not None else [None] * n, dtype=pl.String
            ),
        }
    )


# -- 999 -------------------------------------------------------------------------------------


def _fy_999_params(cfg: CallSynthConfig, fy: int, feb_share: float) -> dict[str, float]:
    """Volume, over-target share of answered calls, abandonment (Feb, other) and mean wait."""
    f = cfg.fy_999.get(fy, Fy999())
    n = float(f.calls if f.calls is not None else cfg.calls_999_per_year)
    ab = (
        (f.abandoned / n)
        if f.abandoned is not None
        else (f.feb_pct_abandoned / 100 if f.feb_pct_abandoned is not None else cfg.abandoned_999)
    )
    over = f.over_target / n if f.over_target is not None else cfg.over_target_999
    feb = f.feb_pct_abandoned / 100 if f.feb_pct_abandoned is not None else ab
    other = (ab - feb * feb_share) / (1 - feb_share)
    # A year with no mean wait of its own keeps the latest earlier year's: waits change with
    # staffing and systems, which persist, so 2024/25 answers as 2023/24 did.
    earlier = [y for y, g in cfg.fy_999.items() if y <= fy and g.mean_wait_s is not None]
    mean = cfg.fy_999[max(earlier)].mean_wait_s if earlier else None
    mean = mean if mean is not None else cfg.mean_wait_999_s
    late = (over - ab) / (1 - ab)
    if not (0 <= other < 1 and 0 <= late < 1):
        raise ValueError(
            f"999 figures for {fy}/{(fy + 1) % 100:02d} are inconsistent: "
            f"abandoned {ab:.4f}, over target {over:.4f}, February abandoned {feb}"
        )
    return {"calls": n, "late": late, "ab_feb": feb, "ab_other": other, "mean": mean}


def _calls_999(
    rng: np.random.Generator, days: _Days, cfg: CallSynthConfig, scale: float
) -> pl.DataFrame:
    params = {}
    for fy in np.unique(days.fy):
        first, last = _fy_days(int(fy))
        year = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        w = _daily_weight(year, _MONTH_999, _WEEKDAY_999)
        feb = float(w[[d.month == 2 for d in year]].sum() / w.sum())
        params[int(fy)] = _fy_999_params(cfg, int(fy), feb)
    p = [params[int(fy)] for fy in days.fy]
    per_year = np.array([x["calls"] for x in p]) * scale
    expected = _expected_per_day(days, per_year, _MONTH_999, _WEEKDAY_999)
    counts = rng.poisson(expected)
    day, hour, queued = _queued_us(rng, days, counts, _HOUR_999)
    n = day.size

    def per_call(key: str) -> F64:
        return np.array([x[key] for x in p])[day]

    ab_rate = np.where(days.month[day] == 2, per_call("ab_feb"), per_call("ab_other"))
    abandoned = rng.random(n) < ab_rate
    # Busy hours answer late more often, in proportion to their share of the day's calls; the
    # weights average 1 over calls, so the year's share of late answers is unchanged.
    share = np.asarray(_HOUR_999, dtype=float) / sum(_HOUR_999)
    busy = share / (share**2).sum()
    late_rate = np.minimum(per_call("late") * busy[hour], 0.95)
    late = rng.random(n) < late_rate
    # Mean within-target wait that gives the year's mean wait (linear in the late share).
    tail_mean = 10.0 + cfg.late_excess_999_s
    m_in = (per_call("mean") - per_call("late") * tail_mean) / (1 - per_call("late"))
    lo = cfg.min_wait_999_s
    if np.any((m_in <= lo) | (m_in >= 10.0)):
        raise ValueError(
            "the 999 mean wait cannot be met with that share over target: the "
            "mean wait within 10 s would fall outside 1-10 s"
        )
    frac = (m_in - lo) / (10.0 - lo)
    b = 3.0
    prompt = lo + (10.0 - lo) * rng.beta(frac * b / (1 - frac), b)
    sigma = cfg.late_excess_sigma
    excess = rng.lognormal(math.log(cfg.late_excess_999_s) - sigma**2 / 2, sigma, n)
    wait = np.where(late, 10.0 + np.maximum(excess, 0.001), np.minimum(prompt, 10.0))
    wait = np.where(abandoned, _gamma(rng, np.full(n, cfg.mean_abandoned_wait_999_s), 2.0), wait)
    handling = rng.lognormal(math.log(cfg.mean_handling_999_s) - 0.5 * 0.6**2, 0.6, n)
    # A late answer must stay over 10 s after rounding to the millisecond: round down to
    # 10.001 s at least, never to 10.000.
    wait_ms = np.where(late & ~abandoned, np.maximum(_ms(wait), 10_001), _ms(wait))
    return _frame("999", queued, wait_ms, abandoned, _ms(handling))


# -- 101 and triage --------------------------------------------------------------------------


def _calls_101(
    rng: np.random.Generator, days: _Days, cfg: CallSynthConfig, scale: float
) -> list[pl.DataFrame]:
    triage_on = np.array([d >= cfg.triage_start for d in days.dates])
    slow = np.array([d >= cfg.slow_101_from for d in days.dates])
    per_year = (
        np.where(triage_on, cfg.calls_101_per_year * cfg.triage_uplift, cfg.calls_101_per_year)
        * scale
    )
    expected = _expected_per_day(days, per_year, _MONTH_101, _WEEKDAY_101)
    counts = rng.poisson(expected)
    day, _, queued = _queued_us(rng, days, counts, _HOUR_101)
    via_triage = triage_on[day]
    month_waits = [cfg.triage_main_waits.get(str(k)) for k in days.month_key]
    triage_mean = np.array([w[0] if w else cfg.mean_wait_triage_s for w in month_waits])[day]
    main_after = np.array([w[1] if w else cfg.mean_wait_main_after_triage_s for w in month_waits])[
        day
    ]

    # Calls straight to the main queue (before triage).
    main_mean = np.where(slow[day], cfg.mean_wait_101_slow_s, cfg.mean_wait_101_s)
    main_ab = np.where(slow[day], cfg.abandoned_101_slow, cfg.abandoned_101)
    direct = ~via_triage
    parts = []
    if direct.any():
        parts.append(
            _queue(
                rng,
                "101",
                queued[direct],
                main_mean[direct],
                main_ab[direct],
                cfg.mean_handling_101_s,
                cfg,
            )
        )
    if via_triage.any():
        t_queued = queued[via_triage]
        t_ab = rng.random(t_queued.size) < cfg.abandoned_triage
        t_wait = _gamma(rng, triage_mean[via_triage], cfg.wait_shape)
        t_wait = np.where(t_ab, _gamma(rng, 0.8 * triage_mean[via_triage], 1.5), t_wait)
        transfer = ~t_ab & (rng.random(t_queued.size) >= cfg.triage_resolved_share)
        t_handling = _gamma(rng, np.full(t_queued.size, cfg.mean_handling_triage_s), 2.0)
        labels = ["control room" if t else None for t in transfer.tolist()]
        triage = _frame("triage", t_queued, _ms(t_wait), t_ab, _ms(t_handling), labels)
        parts.append(triage)
        # The transferred calls join the main queue as the triage call ends; one that ends
        # after the last day belongs to the next period's log.
        leg_queued = triage.filter(pl.col("transferred_to").is_not_null())["ended_at"].to_numpy()
        leg_mean = main_after[via_triage][transfer]
        inside = leg_queued < days.end_us
        leg_queued, leg_mean = leg_queued[inside], leg_mean[inside]
        ab = np.full(leg_queued.size, cfg.abandoned_main_after_triage)
        parts.append(_queue(rng, "101", leg_queued, leg_mean, ab, cfg.mean_handling_101_s, cfg))
    return parts


def _queue(
    rng: np.random.Generator,
    channel: str,
    queued: NDArray[np.int64],
    mean_wait: F64,
    abandon_rate: F64,
    mean_handling: float,
    cfg: CallSynthConfig,
) -> pl.DataFrame:
    """Calls of a queue with gamma waits; abandoned callers give up after 0.8 of the mean."""
    n = queued.size
    abandoned = rng.random(n) < abandon_rate
    wait = _gamma(rng, mean_wait, cfg.wait_shape)
    wait = np.where(abandoned, _gamma(rng, 0.8 * mean_wait, 1.5), wait)
    handling = _gamma(rng, np.full(n, mean_handling), 2.0)
    return _frame(channel, queued, _ms(wait), abandoned, _ms(handling))


# -- online ----------------------------------------------------------------------------------


def _calls_online(
    rng: np.random.Generator, days: _Days, cfg: CallSynthConfig, scale: float
) -> pl.DataFrame:
    per_year = np.full(len(days), cfg.calls_online_per_year * scale)
    expected = _expected_per_day(days, per_year, _MONTH_101, _WEEKDAY_101)
    counts = rng.poisson(expected)
    _, _, queued = _queued_us(rng, days, counts, _HOUR_101)
    n = queued.size
    return _queue(
        rng,
        "online",
        queued,
        np.full(n, cfg.mean_wait_online_s),
        np.full(n, cfg.abandoned_online),
        cfg.mean_handling_online_s,
        cfg,
    )


# -- assembly --------------------------------------------------------------------------------


def _finish(parts: list[pl.DataFrame], cfg: CallSynthConfig) -> pl.DataFrame:
    schema = {
        "channel": pl.String,
        "queued_at": pl.Int64,
        "answered_at": pl.Int64,
        "ended_at": pl.Int64,
        "abandoned": pl.Boolean,
        "transferred_to": pl.String,
    }
    df = pl.concat(parts) if parts else pl.DataFrame(schema=schema)

    def utc(c: str) -> pl.Expr:
        return pl.col(c).cast(pl.Datetime("us", "UTC"))

    df = df.with_columns(
        utc("queued_at"),
        pl.when(pl.col("answered_at") >= 0).then(utc("answered_at")).alias("answered_at"),
        utc("ended_at"),
    ).sort("queued_at", "channel", maintain_order=True)
    local_day = pl.col("queued_at").dt.convert_time_zone(LOCAL_TIME_ZONE).dt.strftime("%Y%m%d")
    seq = (pl.int_range(1, pl.len() + 1).over("channel", local_day)).cast(pl.String)
    prefix = pl.col("channel").replace_strict(_PREFIX, return_dtype=pl.String)
    waited_to = pl.coalesce("answered_at", "ended_at")
    return df.with_columns(
        pl.concat_str([prefix, local_day, seq.str.pad_start(6, "0")], separator="-").alias(
            "call_id"
        ),
        pl.lit(cfg.force, dtype=pl.String).alias("force"),
        ((waited_to - pl.col("queued_at")).dt.total_microseconds() / 1_000_000).alias(
            "wait_seconds"
        ),
    ).select(
        "call_id",
        "channel",
        "queued_at",
        "answered_at",
        "ended_at",
        "abandoned",
        "transferred_to",
        "force",
        "wait_seconds",
    )
