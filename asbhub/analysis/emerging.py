"""Emerging hot spots: space-time Gi* on a cube of cells x time steps, Mann-Kendall per cell.

This is the analysis ArcGIS Pro calls *Emerging Hot Spot Analysis* (Esri, "How Emerging Hot Spot
Analysis works", Space Time Pattern Mining toolbox), written from its published definitions:

1. The points are counted into a **space-time cube**: one lattice of cells (as every
   ``hotspot_*`` function builds it) repeated for each month or week.
2. Each bin (cell, time step) gets a **space-time Gi*** z-score: its neighbours are the bins
   whose cell centre lies within the *neighbourhood distance* (``band``) in the same time step
   and in each of the ``time_steps`` preceding time steps (the *neighbourhood time step*), the bin
   itself included, with binary weights; the mean and deviation are those of every analysed bin
   of the cube. p-values are two-sided from the normal, with the Benjamini-Hochberg false
   discovery rate correction over every analysed bin (ArcGIS also applies an FDR correction).
3. A **mask** says which cells are analysed: by default those with at least one point in at
   least one time step (as ArcGIS does without a polygon analysis mask), so empty countryside
   is neither tested nor counted in the mean; cells outside it are no one's neighbours.
4. Each analysed cell's series of z-scores gets a **Mann-Kendall** trend test, and the history of
   significant hot and cold bins and the trend put the cell in one category
   (:data:`EMERGING_CATEGORIES`, defined in :func:`hotspot_emerging`).

:func:`~asbhub.analysis.hotspot_trend.hotspot_classify` is the older, simpler relative: Gi* of
each time slice on its own (no time-step neighbours, each slice standardised by itself), every
cell tested, hot spots only, and its own categories (emerging, former) instead of ArcGIS's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .gistar import _band_half_widths, _band_sum
from .grid import DEFAULT_MAX_CELLS, Extent, Grid, _readonly, as_points, grid_points
from .hotspot import HotspotResult, _base_fields
from .hotspot_trend import DateLike, Period, _slice_times
from .stats import mann_kendall, p_and_fdr_from_abs_z, p_and_fdr_from_z

__all__ = [
    "EMERGING_CATEGORIES",
    "EmergingCube",
    "HotspotEmerging",
    "emerging_cube",
    "hotspot_emerging",
    "spacetime_gistar_z",
]

_PATTERNS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)

EMERGING_CATEGORIES: tuple[str, ...] = (
    "no pattern",
    *(f"{p} hot spot" for p in _PATTERNS),
    *(f"{p} cold spot" for p in _PATTERNS),
)
"""Category names; a category's code in :attr:`EmergingCube.categories` is its index here:
0 no pattern, 1-8 the hot patterns, 9-16 the cold ones, in the order of ArcGIS's table."""

_NO_PATTERN = 0
_NEW, _CONSECUTIVE, _INTENSIFYING, _PERSISTENT, _DIMINISHING, _SPORADIC, _OSCILLATING = range(1, 8)
_HISTORICAL = 8
_N_HOT = len(_PATTERNS)
NOT_ANALYSED = -1
"""Code in :attr:`EmergingCube.categories` of a cell outside the mask (not tested)."""

# Relative slack so that 9 of 10 time steps meets the 90% rule despite rounding.
_SHARE_SLACK = 1e-12


@dataclass(frozen=True, eq=False)
class EmergingCube:
    """Space-time Gi* and emerging hot spot categories of a cube of counts.

    Attributes
    ----------
    counts : ndarray of float64, shape ``(T, ny, nx)``
    mask : ndarray of bool, shape ``(ny, nx)``
        Cells analysed.
    z, p, q : ndarray of float64, shape ``(T, ny, nx)``
        Space-time Gi* z-score, two-sided p and Benjamini-Hochberg q of each bin (0, 1 and 1
        outside the mask).
    bins : ndarray of int8, shape ``(T, ny, nx)``
        ``+k`` hot / ``-k`` cold at 90, 95, 99% confidence (k = 1, 2, 3), 0 not significant,
        judged on ``q`` with ``fdr`` else on ``p`` (ArcGIS's ``Gi_Bin``).
    n_neighbours : ndarray of int32, shape ``(T, ny, nx)``
        Analysed bins in each bin's space-time neighbourhood, itself included.
    trend_s, trend_z, trend_p : ndarray, shape ``(ny, nx)``
        Mann-Kendall S, z and two-sided p of each cell's z series (0, 0, 1 outside the mask).
    categories : ndarray of int8, shape ``(ny, nx)``
        Index into :data:`EMERGING_CATEGORIES`, or :data:`NOT_ANALYSED` outside the mask.
    band : float
        Neighbourhood distance in metres.
    time_steps : int
        Neighbourhood time step: how many preceding time steps are neighbours.
    fdr : bool
    confidence : float
        Confidence at which a bin counts as a significant hot or cold spot.
    trend_alpha : float
        Significance level of the Mann-Kendall trend.
    share : float
        The "90 percent of the time-step intervals" threshold.
    """

    counts: NDArray[np.float64]
    mask: NDArray[np.bool_]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    q: NDArray[np.float64]
    bins: NDArray[np.int8]
    n_neighbours: NDArray[np.int32]
    trend_s: NDArray[np.int64]
    trend_z: NDArray[np.float64]
    trend_p: NDArray[np.float64]
    categories: NDArray[np.int8]
    band: float
    time_steps: int
    fdr: bool
    confidence: float
    trend_alpha: float
    share: float

    @property
    def n_steps(self) -> int:
        return int(self.counts.shape[0])

    def category_counts(self) -> dict[str, int]:
        """Analysed cells in each category, in the order of :data:`EMERGING_CATEGORIES`."""
        codes = self.categories[self.mask]
        counts = np.bincount(codes.astype(np.intp), minlength=len(EMERGING_CATEGORIES))
        return {name: int(counts[i]) for i, name in enumerate(EMERGING_CATEGORIES)}

    def cells_in(self, category: str) -> NDArray[np.bool_]:
        """Cells in ``category`` (one of :data:`EMERGING_CATEGORIES`)."""
        if category not in EMERGING_CATEGORIES:
            raise ValueError(
                f"unknown category {category!r}; have {', '.join(EMERGING_CATEGORIES)}"
            )
        cells: NDArray[np.bool_] = self.categories == EMERGING_CATEGORIES.index(category)
        return cells


@dataclass(frozen=True, eq=False)
class HotspotEmerging(HotspotResult):
    """Emerging hot spots of points over months or weeks: the lattice, the time steps and the
    cube (see :class:`EmergingCube` for its fields, reachable as ``result.cube``).

    Attributes
    ----------
    period : {"month", "week"}
    periods : ndarray of datetime64[D], shape ``(T,)``
        First day of each time step; steps with no points are kept.
    cube : EmergingCube
    mask_rule : str
        How the analysed cells were chosen.
    """

    period: Period
    periods: NDArray[np.datetime64]
    cube: EmergingCube
    mask_rule: str

    # The fields every writer of hot-spot files reads, passed through from the cube.
    @property
    def counts(self) -> NDArray[np.float64]:
        return self.cube.counts

    @property
    def categories(self) -> NDArray[np.int8]:
        return self.cube.categories

    @property
    def band(self) -> float:
        return self.cube.band

    @property
    def fdr(self) -> bool:
        return self.cube.fdr

    @property
    def n_periods(self) -> int:
        return int(self.periods.size)

    def category_counts(self) -> dict[str, int]:
        return self.cube.category_counts()

    def parameters(self) -> dict[str, Any]:
        """The analysis parameters, JSON-ready, for the stamp of an output file."""
        c = self.cube
        return {
            "band": c.band,
            "time_steps": c.time_steps,
            "fdr": c.fdr,
            "confidence": c.confidence,
            "trend_alpha": c.trend_alpha,
            "share": c.share,
            "mask_rule": self.mask_rule,
            "cells_analysed": int(c.mask.sum()),
            "period": self.period,
            "periods": [str(p) for p in self.periods],
        }


# --------------------------------------------------------------------------------------------
# Space-time Gi*
# --------------------------------------------------------------------------------------------


def _time_window_sum(a: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """``out[t] = a[t] + a[t-1] + ... + a[max(t-k, 0)]`` along axis 0 (sums of shifted
    copies, not a cumulative sum, so whole-number counts stay exact)."""
    out = a.copy()
    for d in range(1, min(k, a.shape[0] - 1) + 1):
        out[d:] += a[:-d]
    return out


def _check_cube(
    counts: ArrayLike, cell_size: float, band: float | None, time_steps: int
) -> tuple[NDArray[np.float64], float]:
    y = np.asarray(counts, dtype=np.float64)
    if y.ndim != 3:
        raise ValueError(
            f"a space-time cube has shape (time steps, ny, nx), got shape {y.shape}; "
            "stack one lattice per month or week"
        )
    if not np.isfinite(y).all():
        raise ValueError("cube values must be finite")
    if not (math.isfinite(cell_size) and cell_size > 0):
        raise ValueError(f"cell_size must be a positive number of metres, got {cell_size}")
    if band is None:
        band = cell_size * math.sqrt(2.0)
    if not (math.isfinite(band) and band > 0):
        raise ValueError(f"band must be a positive number of metres, got {band}")
    if isinstance(time_steps, bool) or int(time_steps) != time_steps or time_steps < 0:
        raise ValueError(
            f"time_steps must be a whole number of preceding time steps, 0 or more, got "
            f"{time_steps!r}"
        )
    return y, float(band)


def _default_mask(y: NDArray[np.float64]) -> NDArray[np.bool_]:
    m: NDArray[np.bool_] = (y != 0).any(axis=0)
    return m


def _as_mask(mask: ArrayLike | None, y: NDArray[np.float64]) -> NDArray[np.bool_]:
    if mask is None:
        return _default_mask(y)
    m = np.asarray(mask)
    if m.shape != y.shape[1:]:
        raise ValueError(
            f"mask must have one value per cell, shape {y.shape[1:]}, got shape {m.shape}"
        )
    out: NDArray[np.bool_] = m.astype(bool)
    return out


def spacetime_gistar_z(
    counts: ArrayLike,
    cell_size: float,
    band: float | None = None,
    time_steps: int = 1,
    mask: ArrayLike | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """Space-time Gi* z-scores of a cube, with binary space-time neighbours.

    For bin ``i`` (a cell in a time step) with neighbourhood ``N_i`` (analysed bins whose cell
    centre is within ``band`` of its own, in its time step or one of the ``time_steps``
    preceding ones, itself included) of ``w_i`` bins::

        z_i = (sum of y over N_i - ybar w_i) / (S sqrt((n w_i - w_i^2) / (n - 1)))

    where ``n`` is the number of analysed bins (analysed cells x time steps), and ``ybar`` and
    ``S`` the mean and the population standard deviation (divisor ``n``) of ``y`` over them:
    Getis and Ord's Gi* with binary weights, the neighbourhood extended in time. z is 0
    outside the mask and where it is undefined (every bin equal, or a neighbourhood of every
    bin).

    Parameters
    ----------
    counts : array_like, shape ``(T, ny, nx)``
        Counts (or weights) per bin.
    cell_size : float
        Cell side in metres.
    band : float, optional
        Neighbourhood distance in metres; default ``cell_size * sqrt(2)`` (the cell and its
        eight neighbours).
    time_steps : int
        Preceding time steps in the neighbourhood (ArcGIS's *neighbourhood time step*; 0 for
        per-slice neighbourhoods that still share one mean and deviation).
    mask : array_like of bool, shape ``(ny, nx)``, optional
        Cells analysed; default the cells with a non-zero value in some time step.

    Returns
    -------
    z : ndarray of float64, shape ``(T, ny, nx)``
    n_neighbours : ndarray of int32, shape ``(T, ny, nx)``
        ``w_i`` (0 outside the mask).

    Examples
    --------
    >>> y = np.zeros((2, 3, 3)); y[1, 1, 1] = 4.0; y[0, 0, 0] = 1.0
    >>> z, w = spacetime_gistar_z(y, cell_size=100, mask=np.ones((3, 3), bool))
    >>> int(w[0, 1, 1]), int(w[1, 1, 1]), int(w[1, 0, 0])
    (9, 18, 8)
    """
    y, band_m = _check_cube(counts, cell_size, band, time_steps)
    m = _as_mask(mask, y)
    z, w, _ = _spacetime_gistar(y, m, cell_size, band_m, int(time_steps))
    return z, w


# Group keys of (neighbourhood sum, neighbourhood size) are used for the p-values only when
# they fit a table of at most this many entries.
_MAX_GROUP_KEYS = 50_000_000


def _spacetime_gistar(
    y: NDArray[np.float64], m: NDArray[np.bool_], cell_size: float, band: float, k: int
) -> tuple[NDArray[np.float64], NDArray[np.int32], NDArray[np.int64] | None]:
    """z, neighbourhood sizes, and for whole-number counts a key per bin of (neighbourhood
    sum, size): bins with equal keys have equal z, so the p-values need one entry per key."""
    n_t, ny, nx = y.shape
    n = n_t * int(m.sum())
    z = np.zeros(y.shape)
    w_out = np.zeros(y.shape, dtype=np.int32)
    if n == 0:
        return z, w_out, None
    mf = m.astype(np.float64)
    ym = y * mf
    widths = _band_half_widths(band / cell_size, ny, nx)
    # Analysed cells within the band of each cell (whole numbers, exact in float64).
    spatial_w = np.rint(_band_sum(mf, widths)).astype(np.int64)
    wy = _time_window_sum(_band_sum(ym, widths), k)
    ybar = float(ym.sum()) / n
    var = 0.0
    for t in range(n_t):
        dev = (ym[t] - ybar) * mf
        var += float(np.einsum("ij,ij->", dev, dev))
    var /= n
    # 1 / (S sqrt(w (n - w) / (n - 1))) per neighbourhood size w: a small table, looked up
    # per bin; 0 where undefined (no deviation, or a neighbourhood of every bin).
    ws = np.arange(int(spatial_w.max()) * (k + 1) + 1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = ws * (n - ws) / (n - 1) if n > 1 else np.zeros_like(ws)
        denom = np.sqrt(var * spread)
        table = np.where(denom > 0, 1.0 / denom, 0.0)
    w_max = int(ws.size - 1)
    keys: NDArray[np.int64] | None = None
    wy_max = float(wy.max())
    if (
        (wy_max + 1) * (w_max + 1) <= _MAX_GROUP_KEYS
        and float(wy.min()) >= 0
        and bool(np.all(wy == np.rint(wy)))
    ):
        keys = np.rint(wy).astype(np.int64) * (w_max + 1)
    z = wy
    for t in range(n_t):
        w_t = spatial_w * (min(t, k) + 1)
        z[t] -= ybar * w_t
        z[t] *= table[w_t]
        z[t] *= mf
        w_out[t] = np.where(m, w_t, 0)
        if keys is not None:
            keys[t] += w_t
    return z, w_out, keys


def _cube_p_q(
    zm: NDArray[np.float64], keys: NDArray[np.int64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two-sided p and BH q of the analysed bins' z, the same as ``p_and_fdr_from_z(zm)``;
    with group keys, one sorted entry per key (a cube of counts has few distinct z)."""
    if keys is None:
        return p_and_fdr_from_z(zm)
    flat = keys.ravel()
    n_per = np.bincount(flat)
    present = np.flatnonzero(n_per)
    first = np.empty(n_per.size, dtype=np.intp)
    # The last write wins: writing in reverse order leaves each key's first bin.
    first[flat[::-1]] = np.arange(flat.size - 1, -1, -1)
    p_e, q_e = p_and_fdr_from_abs_z(np.abs(zm.ravel()[first[present]]), n_per[present])
    p_tab = np.ones(n_per.size)
    q_tab = np.ones(n_per.size)
    p_tab[present] = p_e
    q_tab[present] = q_e
    return p_tab[flat].reshape(zm.shape), q_tab[flat].reshape(zm.shape)


# --------------------------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------------------------


def _classify(
    hot: NDArray[np.bool_],
    cold: NDArray[np.bool_],
    up: NDArray[np.bool_],
    down: NDArray[np.bool_],
    share: float,
) -> NDArray[np.int8]:
    """ArcGIS's categories from the significant hot and cold bins ``(T, ...)`` and the trend
    (``up``/``down``: z rising/falling significantly). See :func:`hotspot_emerging`."""
    n_t = hot.shape[0]
    threshold = share * n_t * (1 - _SHARE_SLACK)

    def side(
        on: NDArray[np.bool_],
        other: NDArray[np.bool_],
        stronger: NDArray[np.bool_],
        weaker: NDArray[np.bool_],
    ) -> NDArray[np.int8]:
        n_on = on.sum(axis=0)
        last = on[-1]
        mostly = n_on >= threshold
        # The unbroken run of significant bins that ends with the final time step.
        off_from_end = ~on[::-1]
        run_to_end = np.where(off_from_end.any(axis=0), np.argmax(off_from_end, axis=0), n_t)
        other_before = other[:-1].any(axis=0)
        cat = np.select(
            [
                last & ~mostly & other_before,
                last & (n_on == 1),
                last & (run_to_end >= 2) & (run_to_end == n_on) & ~mostly,
                last & mostly & stronger,
                last & mostly & ~stronger & ~weaker,
                last & mostly & weaker,
                last & ~mostly,
                ~last & mostly,
            ],
            [
                _OSCILLATING,
                _NEW,
                _CONSECUTIVE,
                _INTENSIFYING,
                _PERSISTENT,
                _DIMINISHING,
                _SPORADIC,
                _HISTORICAL,
            ],
            default=_NO_PATTERN,
        )
        return cat.astype(np.int8)

    hot_cat = side(hot, cold, up, down)
    cold_cat = side(cold, hot, down, up)
    cold_cat = np.where(cold_cat > 0, cold_cat + _N_HOT, 0).astype(np.int8)
    # A cell hot in the final step is judged as a hot spot, cold in it as a cold spot; in
    # neither, it can only be historical, and cannot be both (90% of the steps each).
    return np.where(hot_cat > 0, hot_cat, cold_cat).astype(np.int8)


def _confidence_bins(z: NDArray[np.float64], significance: NDArray[np.float64]) -> NDArray[np.int8]:
    level = np.zeros(z.shape, dtype=np.int8)
    for conf in (0.90, 0.95, 0.99):
        level += significance <= (1.0 - conf) * (1.0 + 1e-12)
    return np.where(z > 0, level, -level).astype(np.int8)


def emerging_cube(
    counts: ArrayLike,
    *,
    cell_size: float,
    band: float | None = None,
    time_steps: int = 1,
    mask: ArrayLike | None = None,
    fdr: bool = True,
    confidence: float = 0.90,
    trend_alpha: float = 0.05,
    share: float = 0.90,
) -> EmergingCube:
    """Emerging hot spot analysis of a cube of counts ``(T, ny, nx)``.

    The same analysis as :func:`hotspot_emerging` (see it for the categories) on counts
    already put on a lattice per time step, e.g. by a caller with its own gridding.

    Examples
    --------
    >>> cube = np.full((10, 7, 7), 5.0); cube[:, 2:5, 2:5] = 25.0
    >>> r = emerging_cube(cube, cell_size=100)
    >>> EMERGING_CATEGORIES[r.categories[3, 3]], r.category_counts()["persistent hot spot"]
    ('persistent hot spot', 9)
    """
    y, band_m = _check_cube(counts, cell_size, band, time_steps)
    for name, value in (("confidence", confidence), ("trend_alpha", trend_alpha)):
        if not (math.isfinite(value) and 0.0 < value < 1.0):
            raise ValueError(f"{name} must lie strictly between 0 and 1, got {value}")
    if not (math.isfinite(share) and 0.0 < share <= 1.0):
        raise ValueError(f"share must be in (0, 1], e.g. 0.9 for ArcGIS's 90% rule; got {share}")
    if y.shape[0] < 2:
        raise ValueError(
            f"emerging hot spots need at least 2 time steps, the cube has {y.shape[0]}; "
            "give a longer period (ten or more give the trend categories their meaning)"
        )
    m = _as_mask(mask, y)
    z, w, keys = _spacetime_gistar(y, m, cell_size, band_m, int(time_steps))
    # Everything below runs on the analysed cells only, shape (T, cells), then is put back.
    zm = z[:, m]
    if zm.size:
        pm, qm = _cube_p_q(zm, None if keys is None else keys[:, m])
    else:
        pm, qm = np.ones(zm.shape), np.ones(zm.shape)
    sigm = qm if fdr else pm
    alpha = (1.0 - confidence) * (1.0 + 1e-12)
    significant = sigm <= alpha
    hot = significant & (zm > 0)
    cold = significant & (zm < 0)
    trend_s = np.zeros(m.shape, dtype=np.int64)
    trend_z = np.zeros(m.shape)
    trend_p = np.ones(m.shape)
    cat = np.full(m.shape, NOT_ANALYSED, dtype=np.int8)
    p = np.ones(y.shape)
    q = np.ones(y.shape)
    bins = np.zeros(y.shape, dtype=np.int8)
    if zm.size:
        mk = mann_kendall(zm, axis=0)
        trend_s[m] = mk.s
        trend_z[m] = mk.z
        trend_p[m] = mk.p
        up = (mk.p <= trend_alpha) & (mk.s > 0)
        down = (mk.p <= trend_alpha) & (mk.s < 0)
        cat[m] = _classify(hot, cold, up, down, share)
        p[:, m] = pm
        q[:, m] = qm
        bins[:, m] = _confidence_bins(zm, sigm)
    return EmergingCube(
        counts=_readonly(y if y is not counts else y.copy()),
        mask=_readonly(m.copy()),
        z=_readonly(z),
        p=_readonly(p),
        q=_readonly(q),
        bins=_readonly(bins),
        n_neighbours=_readonly(w),
        trend_s=_readonly(trend_s),
        trend_z=_readonly(trend_z),
        trend_p=_readonly(trend_p),
        categories=_readonly(cat),
        band=band_m,
        time_steps=int(time_steps),
        fdr=bool(fdr),
        confidence=float(confidence),
        trend_alpha=float(trend_alpha),
        share=float(share),
    )


def hotspot_emerging(
    points: ArrayLike,
    times: ArrayLike,
    *,
    period: Period = "month",
    start: DateLike | None = None,
    end: DateLike | None = None,
    cell_size: float | None = None,
    band: float | None = None,
    time_steps: int = 1,
    mask: ArrayLike | None = None,
    fdr: bool = True,
    confidence: float = 0.90,
    trend_alpha: float = 0.05,
    share: float = 0.90,
    extent: Extent | tuple[float, float, float, float] | None = None,
    grid: Grid | None = None,
    weights: ArrayLike | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> HotspotEmerging:
    """Emerging hot and cold spots of points over months or weeks (ArcGIS Pro's definitions).

    The points go on one lattice (as :func:`~asbhub.analysis.hotspot.hotspot_count` builds
    it), one layer per time step: the space-time cube. Each bin gets a space-time Gi* z-score
    (:func:`spacetime_gistar_z`: neighbours within ``band`` in the same and the ``time_steps``
    preceding time steps), a p-value and, with ``fdr``, a Benjamini-Hochberg q-value over every
    analysed bin. A bin is a *significant hot (cold) spot* when its z is positive (negative)
    and its q (p without ``fdr``) is at most ``1 - confidence``. Each analysed cell's z series
    gets a Mann-Kendall test: the clustering *increases* (decreases) when its two-sided p is at
    most ``trend_alpha`` and S is positive (negative); for cold spots "intensifying" means z
    falling (colder). "90 percent" below is ``share``; "the final time step" is the last
    period (set ``end`` so a quiet final month still counts).

    The categories, from Esri's ArcGIS Pro documentation, "How Emerging Hot Spot Analysis
    works" (hot spots; cold spots the same with hot and cold swapped):

    ``new hot spot``
        Significant hot spot in the final time step and never a significant hot spot before.
    ``consecutive hot spot``
        A single uninterrupted run of at least two significant hot spot bins in the final time
        steps, never a significant hot spot before that run, and less than 90 percent of all
        bins significant hot spots.
    ``intensifying hot spot``
        Significant hot spot in 90 percent of the time steps, including the final one, and the
        intensity of clustering of high counts increasing overall, significantly.
    ``persistent hot spot``
        Significant hot spot in 90 percent of the time steps with no significant trend in the
        intensity of clustering.
    ``diminishing hot spot``
        Significant hot spot in 90 percent of the time steps, including the final one, and the
        intensity of clustering decreasing overall, significantly.
    ``sporadic hot spot``
        Significant hot spot in the final time step with a history of being on and off a hot
        spot: less than 90 percent of the time steps hot, and never a significant cold spot.
    ``oscillating hot spot``
        Significant hot spot in the final time step that was a significant cold spot in some
        earlier time step; less than 90 percent of the time steps hot.
    ``historical hot spot``
        Not hot in the final time step, but a significant hot spot in at least 90 percent of
        the time steps.
    ``no pattern``
        None of the above, hot or cold.

    Where Esri's words let two categories fit, the rules here make them exclusive: first
    *oscillating* (a cell cold earlier and hot only in the final step is "new" by the words,
    but oscillating says more; R's sfdep port reads "new" and "consecutive" the same way, as
    no significant bin of either kind before), then *new*, *consecutive*, *intensifying*,
    *persistent*, *diminishing*, *sporadic*; *persistent* is taken to include the final time
    step, since a cell hot in 90 percent of the steps but not the final one is *historical*.
    A cell hot in the final step is classed among the hot patterns, cold in it among the cold
    ones, in neither only as historical.

    Parameters
    ----------
    points : (n, 2) array_like
        Eastings and northings in metres (EPSG:27700).
    times : (n,) array_like of dates
        numpy ``datetime64`` or ISO strings (police.uk ``Month`` such as ``"2019-01"``).
    period : {"month", "week"}
        Time step length; every step from the first to the last is kept, even if empty.
    start, end : date-like, optional
        First and last time step; default those of the earliest and latest points.
    cell_size, extent, grid, weights, max_cells
        As for :func:`~asbhub.analysis.hotspot.hotspot_count`.
    band : float, optional
        Neighbourhood distance in metres; default ``cell_size * sqrt(2)`` (the cell and its
        eight neighbours), reported.
    time_steps : int
        Neighbourhood time step: how many preceding time steps are neighbours (default 1,
        ArcGIS's default).
    mask : array_like of bool, shape ``grid.shape``, optional
        Cells to analyse (e.g. inside the force boundary); default the cells with at least
        one point in some time step, as ArcGIS without a polygon analysis mask.
    fdr : bool
        Benjamini-Hochberg correction over every analysed bin (default).
    confidence : float
        A bin is significant at this confidence or more (default 0.90, ArcGIS's lowest
        ``Gi_Bin`` class).
    trend_alpha : float
        Significance level of the Mann-Kendall trend (default 0.05).
    share : float
        The 90 percent rule (default 0.90).

    Returns
    -------
    HotspotEmerging

    Notes
    -----
    Mann-Kendall cannot reach ``p <= 0.05`` with fewer than five time steps, so shorter series
    have no intensifying or diminishing cells.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> base = rng.uniform(0, 2000, size=(2400, 2)) + [430000, 330000]
    >>> months = np.repeat(np.arange("2019-01", "2020-01", dtype="datetime64[M]"), 200)
    >>> hot = rng.normal([430550, 331550], 20, size=(300, 2))  # busy from October
    >>> hot_months = np.repeat(np.arange("2019-10", "2020-01", dtype="datetime64[M]"), 100)
    >>> r = hotspot_emerging(np.vstack([base, hot]), np.concatenate([months, hot_months]),
    ...                      cell_size=100, extent=(430000, 330000, 432000, 332000))
    >>> r.n_periods, EMERGING_CATEGORIES[r.categories[15, 5]]
    (12, 'consecutive hot spot')
    """
    pts = as_points(points)
    n = pts.shape[0]
    slice_of, has_time, starts = _slice_times(times, n, period, start, end)
    n_slices = starts.size
    masked = np.where(has_time[:, None], pts, np.nan)
    gp = grid_points(
        masked, cell_size=cell_size, extent=extent, grid=grid, weights=weights, max_cells=max_cells
    )
    g = gp.grid
    flat = slice_of[gp.used_indices] * g.n_cells + gp.rows * g.nx + gp.cols
    counts = (
        np.bincount(flat, weights=gp.weights, minlength=n_slices * g.n_cells)
        .astype(np.float64, copy=False)
        .reshape(n_slices, g.ny, g.nx)
    )
    cube = emerging_cube(
        counts,
        cell_size=g.cell_size,
        band=band,
        time_steps=time_steps,
        mask=mask,
        fdr=fdr,
        confidence=confidence,
        trend_alpha=trend_alpha,
        share=share,
    )
    rule = (
        "given"
        if mask is not None
        else "cells with at least one record in some time step (as ArcGIS without a mask)"
    )
    return HotspotEmerging(
        **_base_fields(gp), period=period, periods=_readonly(starts), cube=cube, mask_rule=rule
    )
