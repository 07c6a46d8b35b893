"""Small statistical building blocks used by the analyses: p-values from the normal,
Benjamini-Hochberg false discovery rate, and the Mann-Kendall trend test.

All are vectorised numpy so that a whole lattice (a million cells) is one call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = [
    "MannKendall",
    "fdr_bh",
    "mann_kendall",
    "normal_p_two_sided",
    "p_and_fdr_from_abs_z",
    "p_and_fdr_from_z",
]


def normal_p_two_sided(z: ArrayLike) -> NDArray[np.float64]:
    """Two-sided p-value of standard normal z-scores, ``2 * P(Z > |z|)``.

    Computed from the lower tail (``ndtr(-|z|)``), so large z-scores keep their precision
    instead of rounding ``1 - Phi(z)`` to zero.

    Examples
    --------
    >>> float(np.round(normal_p_two_sided(1.959964), 4))
    0.05
    """
    zz = np.asarray(z, dtype=np.float64)
    p: NDArray[np.float64] = 2.0 * special.ndtr(-np.abs(zz))  # scipy.special is untyped
    return p


def fdr_bh(p: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (q-values), for any array shape.

    The hypotheses whose q-value is at most ``alpha`` are exactly those the Benjamini-Hochberg
    step-up procedure rejects at false discovery rate ``alpha``, so one call serves the 90, 95
    and 99% levels alike. ``q_(k) = min over j >= k of p_(j) * m / j``, capped at 1, where
    ``p_(1) <= ... <= p_(m)`` are the sorted p-values; tied p-values get the same q-value.
    NaN p-values are not tests: they stay NaN and are not counted in ``m``.

    Parameters
    ----------
    p : array_like
        p-values in [0, 1].

    Returns
    -------
    ndarray of float64
        q-values, same shape as ``p``.

    Examples
    --------
    >>> fdr_bh([0.01, 0.04, 0.03, 0.5]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.5]
    """
    pa = np.asarray(p, dtype=np.float64)
    flat = pa.ravel()
    q = np.full(flat.shape, np.nan)
    valid = ~np.isnan(flat)
    if not valid.all():
        idx = np.flatnonzero(valid)
        q[idx] = fdr_bh(flat[idx])
        return q.reshape(pa.shape)
    m = flat.size
    if m == 0:
        return q.reshape(pa.shape)
    if np.any((flat < 0) | (flat > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    # Stable sort: numpy's default quicksort slows badly on many tied p-values.
    order = np.argsort(flat, kind="stable")
    sorted_p = flat[order]
    q_sorted = _bh_sorted(sorted_p)
    q[order] = q_sorted
    return q.reshape(pa.shape)


def _bh_sorted(sorted_p: NDArray[np.float64]) -> NDArray[np.float64]:
    """BH q-values of p-values already in ascending order (ties handled by the running min)."""
    m = sorted_p.size
    q = sorted_p * (m / np.arange(1, m + 1, dtype=np.float64))
    # Step-up: each q is the smallest scaled p at its rank or above.
    q = np.minimum.accumulate(q[::-1])[::-1]
    return np.minimum(q, 1.0, out=q)


def p_and_fdr_from_abs_z(
    abs_z: NDArray[np.float64], multiplicity: NDArray[np.int64] | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two-sided normal p-values and BH q-values of ``|z|`` values, each standing for
    ``multiplicity`` tests (default 1).

    The same numbers as :func:`normal_p_two_sided` and :func:`fdr_bh` on the expanded
    values, with one sort of the distinct entries: p falls as ``|z|`` rises, so sorting
    ``|z|`` orders the p-values, and the normal tail is evaluated once per distinct value.
    A lattice passes the many cells that share one z-score (every empty interior cell) as one
    entry with a multiplicity, so the sort is of the busy cells only.
    """
    a = np.asarray(abs_z, dtype=np.float64).ravel()
    k = a.size
    if k == 0:
        return np.empty(0), np.empty(0)
    # Stable sort: numpy's default quicksort slows badly on the long ties a lattice has.
    order = np.argsort(-a, kind="stable")
    a_sorted = a[order]
    new_run = np.empty(k, dtype=bool)
    new_run[0] = True
    np.not_equal(a_sorted[1:], a_sorted[:-1], out=new_run[1:])
    starts = np.flatnonzero(new_run)
    if multiplicity is None:
        m = float(k)
        last_rank = np.empty(starts.size, dtype=np.float64)
        last_rank[:-1] = starts[1:]
        last_rank[-1] = k
    else:
        mult = np.asarray(multiplicity, dtype=np.int64).ravel()
        cum = np.cumsum(mult[order])
        m = float(cum[-1])
        ends = np.empty(starts.size, dtype=np.intp)
        ends[:-1] = starts[1:] - 1
        ends[-1] = k - 1
        last_rank = cum[ends].astype(np.float64)
    p_runs = 2.0 * special.ndtr(-a_sorted[starts])
    # BH within a run of ties: the smallest scaled p is at the run's last rank.
    q_runs = p_runs * (m / last_rank)
    q_runs = np.minimum.accumulate(q_runs[::-1])[::-1]
    np.minimum(q_runs, 1.0, out=q_runs)
    run_of = np.cumsum(new_run) - 1
    p = np.empty(k)
    q = np.empty(k)
    p[order] = p_runs[run_of]
    q[order] = q_runs[run_of]
    return p, q


def p_and_fdr_from_z(z: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two-sided normal p-values of z-scores and their Benjamini-Hochberg q-values.

    Equal to ``normal_p_two_sided(z)`` and ``fdr_bh(normal_p_two_sided(z))``, with one sort.

    Examples
    --------
    >>> p, q = p_and_fdr_from_z([3.0, -2.5, 0.1])
    >>> q.round(4).tolist()
    [0.0081, 0.0186, 0.9203]
    """
    za = np.asarray(z, dtype=np.float64)
    if np.isnan(za).any():
        raise ValueError("z-scores must not be NaN")
    p, q = p_and_fdr_from_abs_z(np.abs(za))
    return p.reshape(za.shape), q.reshape(za.shape)


@dataclass(frozen=True, eq=False)
class MannKendall:
    """Mann-Kendall trend test results, one value per series.

    Attributes
    ----------
    s : ndarray of int64
        Kendall's S: concordant minus discordant pairs of (time, value).
    var_s : ndarray of float64
        Variance of S under no trend, corrected for ties in the values.
    z : ndarray of float64
        Standardised S (with continuity correction if asked), 0 where ``var_s`` is 0.
    p : ndarray of float64
        Two-sided p-value from the normal approximation (1 where ``var_s`` is 0).
    tau : ndarray of float64
        Kendall's tau-a, ``S / (n (n - 1) / 2)``.
    n : int
        Length of each series.
    """

    s: NDArray[np.int64]
    var_s: NDArray[np.float64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    tau: NDArray[np.float64]
    n: int


def mann_kendall(series: ArrayLike, *, axis: int = -1, continuity: bool = True) -> MannKendall:
    """Mann-Kendall test for a monotonic trend, vectorised over many series.

    ``S = sum over i < j of sign(x_j - x_i)``;
    ``Var(S) = [n (n - 1) (2n + 5) - sum over tie groups of t (t - 1) (2t + 5)] / 18``;
    ``Z = (S - 1) / sqrt(Var)`` for ``S > 0``, ``(S + 1) / sqrt(Var)`` for ``S < 0``, else 0
    (without the continuity correction, ``Z = S / sqrt(Var)``). The p-value is two-sided.

    Parameters
    ----------
    series : array_like
        Values in time order along ``axis``; any other axes are independent series
        (e.g. ``(T, ny, nx)`` with ``axis=0`` for one series per cell). NaN is not allowed.
    axis : int
        The time axis.
    continuity : bool
        Apply the usual continuity correction of 1 to S.

    Returns
    -------
    MannKendall
        Arrays shaped like ``series`` without ``axis``.

    Notes
    -----
    Cost grows with ``n (n - 1) / 2`` pairwise comparisons per series, each vectorised over
    the series: right for the tens of weekly or monthly slices of a hotspot trend, not
    for series of thousands.

    Examples
    --------
    >>> r = mann_kendall([1.0, 2.3, 2.1, 4.0, 5.2, 6.0])
    >>> int(r.s), round(float(r.p), 4)
    (13, 0.0242)
    """
    x = np.moveaxis(np.asarray(series, dtype=np.float64), axis, -1)
    n = x.shape[-1]
    if n < 2:
        raise ValueError(f"a trend needs at least 2 time points, got {n}")
    if np.isnan(x).any():
        raise ValueError("series must not contain NaN")
    # S pair by pair on time-major rows (each a contiguous slice of every series): two
    # comparisons per pair, about 5x faster than differencing strided windows.
    # |S| is at most n (n - 1) / 2: a 16-bit count suffices up to n = 256 and is faster.
    xt = np.ascontiguousarray(np.moveaxis(x, -1, 0))
    acc = np.zeros(x.shape[:-1], dtype=np.int16 if n * (n - 1) // 2 <= 32767 else np.int64)
    for i in range(n - 1):
        xi = xt[i]
        for j in range(i + 1, n):
            acc += xt[j] > xi
            acc -= xt[j] < xi
    s = acc.astype(np.int64)
    var_s = np.full(s.shape, n * (n - 1) * (2 * n + 5), dtype=np.float64)
    # Tie correction: runs of equal values in each sorted series.
    xs = np.sort(x, axis=-1)
    run = np.ones(x.shape[:-1], dtype=np.int64)
    tie_sum = np.zeros(x.shape[:-1], dtype=np.float64)
    for k in range(1, n):
        same = xs[..., k] == xs[..., k - 1]
        ended = ~same
        tie_sum += np.where(ended, run * (run - 1) * (2 * run + 5), 0)
        run = np.where(same, run + 1, 1)
    tie_sum += run * (run - 1) * (2 * run + 5)
    var_s = (var_s - tie_sum) / 18.0
    sf = s.astype(np.float64)
    if continuity:
        sf = sf - np.sign(sf)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var_s > 0, sf / np.sqrt(var_s), 0.0)
    p = np.where(var_s > 0, normal_p_two_sided(z), 1.0)
    tau = s / (n * (n - 1) / 2.0)
    return MannKendall(s=s, var_s=var_s, z=z, p=p, tau=tau, n=n)
