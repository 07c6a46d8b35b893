"""How hotspots change over time: Gi* per time slice and a Mann-Kendall trend per cell.

The approach is that of "emerging hot spot analysis": every weekly or monthly slice of the
points is put on one common lattice, each slice gets its own Gi* z-scores and hot spots (as
:func:`~asbhub.analysis.gistar.hotspot_gistar`), and each cell's series of z-scores is tested
for a monotonic trend with Mann-Kendall. The history of hot slices and the trend put each cell
in one category, defined in :func:`hotspot_classify`.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .gistar import _gistar, _lattice_p_q
from .grid import DEFAULT_MAX_CELLS, Extent, Grid, _readonly, as_points, grid_points
from .hotspot import HotspotResult, _base_fields
from .stats import mann_kendall

__all__ = [
    "TREND_CATEGORIES",
    "HotspotTrend",
    "hotspot_classify",
]

TREND_CATEGORIES: tuple[str, ...] = (
    "no pattern",
    "new",
    "emerging",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "former",
)
"""Category names; a category's code in :attr:`HotspotTrend.categories` is its index here."""

_NO_PATTERN, _NEW, _EMERGING, _INTENSIFYING, _PERSISTENT, _DIMINISHING, _SPORADIC, _FORMER = range(
    8
)

Period = Literal["month", "week"]
DateLike = str | datetime.date | np.datetime64


@dataclass(frozen=True, eq=False)
class HotspotTrend(HotspotResult):
    """Hotspot categories over time slices.

    Attributes
    ----------
    period : {"month", "week"}
    periods : ndarray of datetime64[D], shape ``(T,)``
        First day of each slice (weeks start on Monday). Slices with no points are kept.
    counts : ndarray of float64, shape ``(T, ny, nx)``
    z : ndarray of float64, shape ``(T, ny, nx)``
        Gi* z-scores of each slice, standardised within the slice.
    hot : ndarray of bool, shape ``(T, ny, nx)``
        Whether the cell is a significant hot spot in the slice (cold spot if
        ``kind == "cold"``) at ``confidence``.
    trend_s, trend_z, trend_p : ndarray, shape ``(ny, nx)``
        Mann-Kendall S, z and two-sided p of each cell's Gi* z series.
    categories : ndarray of int8, shape ``(ny, nx)``
        Index into :data:`TREND_CATEGORIES`.
    kind : {"hot", "cold"}
    band, fdr, confidence, trend_alpha, persistent_share, former_share
        The parameters used.
    """

    period: Period
    periods: NDArray[np.datetime64]
    counts: NDArray[np.float64]
    z: NDArray[np.float64]
    hot: NDArray[np.bool_]
    trend_s: NDArray[np.int64]
    trend_z: NDArray[np.float64]
    trend_p: NDArray[np.float64]
    categories: NDArray[np.int8]
    kind: Literal["hot", "cold"]
    band: float
    fdr: bool
    confidence: float
    trend_alpha: float
    persistent_share: float
    former_share: float

    @property
    def n_periods(self) -> int:
        return int(self.periods.size)

    def category_counts(self) -> dict[str, int]:
        """Number of cells in each category, in the order of :data:`TREND_CATEGORIES`."""
        counts = np.bincount(self.categories.ravel(), minlength=len(TREND_CATEGORIES))
        return {name: int(counts[i]) for i, name in enumerate(TREND_CATEGORIES)}

    def mask(self, category: str) -> NDArray[np.bool_]:
        """Cells in ``category`` (one of :data:`TREND_CATEGORIES`)."""
        if category not in TREND_CATEGORIES:
            raise ValueError(f"unknown category {category!r}; have {', '.join(TREND_CATEGORIES)}")
        cells: NDArray[np.bool_] = self.categories == TREND_CATEGORIES.index(category)
        return cells


def _slice_times(
    times: ArrayLike, n: int, period: Period, start: DateLike | None, end: DateLike | None
) -> tuple[NDArray[np.intp], NDArray[np.bool_], NDArray[np.datetime64]]:
    """Slice index of each point, which points have a usable time, and the slice starts."""
    t = np.asarray(times)
    if t.shape != (n,):
        raise ValueError(f"times must have one value per point: shape ({n},), got {t.shape}")
    try:
        days = t.astype("datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "times must be dates: numpy datetime64, or ISO strings such as '2019-01' or "
            f"'2019-01-31' (police.uk Month); could not read them: {exc}"
        ) from exc
    ok = ~np.isnat(days)
    if period == "month":
        unit = days.astype("datetime64[M]")
        key = unit.astype(np.int64)
    elif period == "week":
        # Day 0 (1970-01-01) was a Thursday: shifting by 3 makes weeks run Monday to Sunday.
        key = (days.astype(np.int64) + 3) // 7
    else:
        raise ValueError(f"period must be 'month' or 'week', got {period!r}")

    def to_key(value: DateLike) -> int:
        d = np.asarray(value).astype("datetime64[D]")
        if period == "month":
            return int(d.astype("datetime64[M]").astype(np.int64))
        return int((d.astype(np.int64) + 3) // 7)

    if start is None or end is None:
        if not ok.any():
            raise ValueError("no point has a time, and no start= and end= were given")
    lo = to_key(start) if start is not None else int(key[ok].min())
    hi = to_key(end) if end is not None else int(key[ok].max())
    if hi < lo:
        raise ValueError(f"end ({end}) is before start ({start})")
    ok &= (key >= lo) & (key <= hi)
    index = np.where(ok, key - lo, 0).astype(np.intp)
    keys = np.arange(lo, hi + 1)
    if period == "month":
        starts = keys.astype("datetime64[M]").astype("datetime64[D]")
    else:
        starts = (keys * 7 - 3).astype("datetime64[D]")
    return index, ok, starts


def hotspot_classify(
    points: ArrayLike,
    times: ArrayLike,
    *,
    period: Period = "month",
    start: DateLike | None = None,
    end: DateLike | None = None,
    cell_size: float | None = None,
    band: float | None = None,
    fdr: bool = True,
    confidence: float = 0.95,
    trend_alpha: float = 0.05,
    persistent_share: float = 0.9,
    former_share: float = 0.5,
    kind: Literal["hot", "cold"] = "hot",
    extent: Extent | tuple[float, float, float, float] | None = None,
    grid: Grid | None = None,
    weights: ArrayLike | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> HotspotTrend:
    """Classify each cell by how its hot spot status changed over weeks or months.

    This is *not* ArcGIS Pro's Emerging Hot Spot Analysis; that is
    :func:`~asbhub.analysis.emerging.hotspot_emerging`. The differences: here each slice gets
    its own Gi* (neighbours in space only, standardised within the slice, FDR within the
    slice) where ArcGIS uses space-time neighbours and one mean and deviation for the whole
    cube; every cell of the lattice is tested (no mask for empty countryside); only hot (or
    only cold) spots are followed; and the categories are this function's own (``emerging``
    and ``former`` in place of ArcGIS's consecutive, oscillating and historical, no
    oscillation between hot and cold). It stays for the trend maps already published with it.

    All points go on one lattice (chosen from all of them, as :func:`~asbhub.analysis.hotspot.hotspot_count` does).
    Each slice gets Gi* z-scores standardised within that slice and, with ``fdr``, its own
    Benjamini-Hochberg correction; a cell is *hot* in a slice when its z is positive and its
    q-value (p-value without ``fdr``) is at most ``1 - confidence``. Each cell's z series
    over the slices gets a Mann-Kendall test: the trend is *up* (or *down*) when its
    two-sided p is at most ``trend_alpha`` and S is positive (negative). With ``share`` the
    fraction of slices in which the cell is hot and *last* whether it is hot in the final
    slice, the categories are, first match wins:

    ``no pattern``
        Never hot.
    ``new``
        Hot in the final slice and in no earlier one.
    ``intensifying``
        Hot in at least ``persistent_share`` of the slices, including the final one, with an
        up trend.
    ``diminishing``
        Hot in at least ``persistent_share`` of the slices, including the final one, with a
        down trend.
    ``persistent``
        Hot in at least ``persistent_share`` of the slices, including the final one, with no
        significant trend.
    ``emerging``
        Hot in the final slice and some earlier one, but in fewer than ``persistent_share``
        of the slices, and either with an up trend or hot in an unbroken run of slices up to
        the final one and never before the run: a hot spot building up or newly settled.
    ``former``
        Not hot in the final slice, but hot in at least ``former_share`` of the slices.
    ``sporadic``
        Anything else that has been hot: on and off without a rising trend, or hot now and
        then in the past.

    With ``kind="cold"`` the same is done for cold spots, with the z-scores negated (so
    "intensifying" means getting colder).

    Parameters
    ----------
    points : (n, 2) array_like
        Eastings and northings in metres (EPSG:27700).
    times : (n,) array_like of dates
        numpy ``datetime64`` or ISO strings (police.uk's ``Month`` such as ``"2019-01"``
        works). Points without a time are excluded and reported.
    period : {"month", "week"}
        Slice length; weeks run Monday to Sunday. Every slice from the first to the last is
        kept, including slices with no points.
    start, end : date-like, optional
        First and last slice (any date within them); points outside are excluded. Default:
        the slices of the earliest and latest points. Set ``end`` to a reporting date so a
        quiet final month still counts as the final slice.
    cell_size, band, fdr, extent, grid, weights, max_cells
        As for :func:`~asbhub.analysis.gistar.hotspot_gistar`.
    confidence : float
        Confidence at which a cell counts as hot in a slice.
    trend_alpha : float
        Significance level of the Mann-Kendall trend.
    persistent_share, former_share : float
        Thresholds of the categories above, as fractions of the slices.
    kind : {"hot", "cold"}

    Returns
    -------
    HotspotTrend

    Notes
    -----
    Mann-Kendall cannot reach ``p <= 0.05`` with fewer than five slices, so with fewer there
    are no trends and no intensifying, diminishing or emerging cells. Ten or more slices
    (weeks, or months of a year) give the categories their meaning.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> base = rng.uniform(0, 2000, size=(1200, 2)) + [430000, 330000]
    >>> months = np.repeat(np.arange("2019-01", "2020-01", dtype="datetime64[M]"), 100)
    >>> hot = rng.normal([430500, 331500], 30, size=(240, 2))  # busy from May onwards
    >>> hot_months = np.repeat(np.arange("2019-05", "2020-01", dtype="datetime64[M]"), 30)
    >>> r = hotspot_classify(np.vstack([base, hot]), np.concatenate([months, hot_months]),
    ...                      cell_size=100, extent=(430000, 330000, 432000, 332000))
    >>> r.n_periods, TREND_CATEGORIES[r.categories[15, 5]]
    (12, 'emerging')
    """
    if kind not in ("hot", "cold"):
        raise ValueError(f"kind must be 'hot' or 'cold', got {kind!r}")
    for name, value in (
        ("confidence", confidence),
        ("trend_alpha", trend_alpha),
        ("persistent_share", persistent_share),
        ("former_share", former_share),
    ):
        if not (math.isfinite(value) and 0.0 < value <= 1.0):
            raise ValueError(f"{name} must be in (0, 1], got {value}")
    pts = as_points(points)
    n = pts.shape[0]
    slice_of, has_time, starts = _slice_times(times, n, period, start, end)
    n_slices = starts.size
    if n_slices < 2:
        raise ValueError(
            f"a trend needs at least 2 {period}s, the points span {n_slices}; "
            "pass start= and end= or use a shorter period"
        )
    # Points without a usable time are excluded before gridding, so the lattice is theirs.
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

    z, c, parts, band_m = _gistar(counts, g.cell_size, band)
    signed = z if kind == "hot" else -z
    hot = np.empty(z.shape, dtype=bool)
    alpha = (1.0 - confidence) * (1.0 + 1e-12)
    for t in range(n_slices):
        # Each slice is its own family of tests for the false discovery rate.
        p, q = _lattice_p_q(z[t], c, parts.empty_band[t], parts.z_of_empty[t])
        hot[t] = (signed[t] > 0) & ((q if fdr else p) <= alpha)

    mk = mann_kendall(signed, axis=0)
    up = (mk.p <= trend_alpha) & (mk.s > 0)
    down = (mk.p <= trend_alpha) & (mk.s < 0)
    share = hot.mean(axis=0)
    last = hot[-1]
    ever = hot.any(axis=0)
    earlier = hot[:-1].any(axis=0)
    # Length of the unbroken run of hot slices that ends with the final slice.
    run_to_end = np.cumprod(hot[::-1], axis=0).sum(axis=0)
    only_the_run = run_to_end == hot.sum(axis=0)
    # A small relative slack so that 9 of 10 slices meets a 0.9 share despite rounding.
    persistent = share >= persistent_share * (1 - 1e-12)
    cat = np.select(
        [
            ~ever,
            last & ~earlier,
            persistent & last & up,
            persistent & last & down,
            persistent & last,
            last & (up | ((run_to_end >= 2) & only_the_run)),
            ~last & (share >= former_share * (1 - 1e-12)),
        ],
        [_NO_PATTERN, _NEW, _INTENSIFYING, _DIMINISHING, _PERSISTENT, _EMERGING, _FORMER],
        default=_SPORADIC,
    ).astype(np.int8)

    return HotspotTrend(
        **_base_fields(gp),
        period=period,
        periods=_readonly(starts),
        counts=_readonly(counts),
        z=_readonly(z),
        hot=_readonly(hot),
        trend_s=_readonly(np.asarray(mk.s)),
        trend_z=_readonly(np.asarray(mk.z)),
        trend_p=_readonly(np.asarray(mk.p)),
        categories=_readonly(cat),
        kind=kind,
        band=band_m,
        fdr=fdr,
        confidence=float(confidence),
        trend_alpha=float(trend_alpha),
        persistent_share=float(persistent_share),
        former_share=float(former_share),
    )
