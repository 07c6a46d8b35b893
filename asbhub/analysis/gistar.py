"""Getis-Ord Gi* hot and cold spots on a British National Grid lattice.

Gi* with binary distance-band weights that include the cell itself is, on a lattice, a
convolution of the counts with a disc, so it is computed with array shifts rather than a
weights matrix: the z-scores are PySAL esda's ``G_Local(transform="B", star=True)`` to
rounding, in tens of milliseconds for a million cells. p-values are two-sided from the normal,
with Benjamini-Hochberg false discovery rate control over the lattice (which esda lacks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .grid import DEFAULT_MAX_CELLS, Extent, Grid, _readonly, grid_points
from .hotspot import HotspotResult, _base_fields
from .stats import p_and_fdr_from_abs_z

__all__ = [
    "CONFIDENCE_LEVELS",
    "GISTAR_CLASS_LABELS",
    "HotspotGiStar",
    "GISTAR_MIN_CELLS",
    "GISTAR_MIN_RECORDS",
    "gistar_too_few",
    "gistar_z",
    "hotspot_gistar",
]

GISTAR_MIN_RECORDS = 30
"""Fewer records than this over the period and area: no Gi* classes (issue #12 item 3)."""
GISTAR_MIN_CELLS = 10
"""Fewer cells holding a record than this: no Gi* classes either."""


def gistar_too_few(counts: ArrayLike) -> str | None:
    """Why a lattice of counts is too thin for Gi* classes, or None when it can be tested.

    With a handful of records every occupied cell stands out against a sea of zeros, and a
    Gi* run over them marks dozens of "99%" hot spots that mean nothing (53 records over six
    days gave 68). The rule: at least :data:`GISTAR_MIN_RECORDS` records in at least
    :data:`GISTAR_MIN_CELLS` cells.

    >>> gistar_too_few([[0, 3], [1, 0]])
    'only 4 records in 2 cells: Gi* needs at least 30 records in at least 10 cells'
    >>> gistar_too_few(np.ones((6, 6))) is None
    True
    """
    grid = np.asarray(counts, dtype=np.float64)
    records = int(round(float(grid.sum())))
    cells = int(np.count_nonzero(grid))
    if records >= GISTAR_MIN_RECORDS and cells >= GISTAR_MIN_CELLS:
        return None
    return (
        f"only {records:,} record{'s' if records != 1 else ''} in {cells:,} "
        f"cell{'s' if cells != 1 else ''}: Gi* needs at least {GISTAR_MIN_RECORDS} records "
        f"in at least {GISTAR_MIN_CELLS} cells"
    )


CONFIDENCE_LEVELS: tuple[float, ...] = (0.90, 0.95, 0.99)
"""Confidence levels of the Gi* hot and cold classes."""

GISTAR_CLASS_LABELS: dict[int, str] = {
    3: "hot spot, 99% confidence",
    2: "hot spot, 95% confidence",
    1: "hot spot, 90% confidence",
    0: "not significant",
    -1: "cold spot, 90% confidence",
    -2: "cold spot, 95% confidence",
    -3: "cold spot, 99% confidence",
}
"""Labels of the codes in :attr:`HotspotGiStar.classes` for the default confidence levels."""

# Relative slack when testing "within the band", so that the default band of exactly
# cell x sqrt(2) takes in the diagonal neighbours whichever way the rounding falls.
_BAND_TOLERANCE = 1e-9
# A Gaussian kernel is cut off at this many bandwidths (beyond it lies exp(-12.5), under


@dataclass(frozen=True, eq=False)
class HotspotGiStar(HotspotResult):
    """Getis-Ord Gi* hot and cold spots on the lattice.

    Attributes
    ----------
    counts : ndarray of float64
        The lattice values tested (points or total weight per cell).
    z : ndarray of float64
        Gi* z-scores (0 where undefined: a lattice with every cell equal, or a cell whose
        band covers the whole lattice).
    p : ndarray of float64
        Two-sided p-values from the normal.
    q : ndarray of float64
        Benjamini-Hochberg adjusted p-values over all cells of the lattice.
    classes : ndarray of int8
        ``+k`` hot / ``-k`` cold at the k-th confidence level met (1, 2, 3 for 90, 95, 99%),
        0 not significant; judged on ``q`` if ``fdr`` else on ``p``. See
        :data:`GISTAR_CLASS_LABELS`.
    n_neighbours : ndarray of int32
        Cells in each cell's band, itself included (fewer at the lattice edges).
    band : float
        Distance band in metres: cells whose centres are within it are neighbours.
    fdr : bool
        Whether the classes use the FDR-adjusted q-values.
    confidence_levels : tuple of float
    """

    counts: NDArray[np.float64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    q: NDArray[np.float64]
    classes: NDArray[np.int8]
    n_neighbours: NDArray[np.int32]
    band: float
    fdr: bool
    confidence_levels: tuple[float, ...]

    @property
    def significance(self) -> NDArray[np.float64]:
        """The p-values the classes were judged on: ``q`` with FDR correction, else ``p``."""
        return self.q if self.fdr else self.p

    def n_hot(self, level: int = 1) -> int:
        """Cells hot at the ``level``-th confidence level or above (1 = 90% by default)."""
        return int(np.count_nonzero(self.classes >= level))

    def n_cold(self, level: int = 1) -> int:
        """Cells cold at the ``level``-th confidence level or above."""
        return int(np.count_nonzero(self.classes <= -level))


# --------------------------------------------------------------------------------------------
# Getis-Ord Gi*
# --------------------------------------------------------------------------------------------


def _band_half_widths(band_cells: float, ny: int, nx: int) -> list[int]:
    """For row offsets 0, 1, ..., r: how many columns either side lie within the band.

    Offset ``(a, b)`` (in cells) is in the band when ``a^2 + b^2 <= (band / cell)^2``, with a
    relative slack of 1e-9 so that a band of exactly ``cell x sqrt(2)`` is the 3 x 3 block.
    Offsets beyond the lattice (``a >= ny``, ``b >= nx``) are left out: they reach no cell.
    """
    limit = band_cells * band_cells * (1.0 + _BAND_TOLERANCE)
    widths: list[int] = []
    a = 0
    while a * a <= limit and a < ny:
        rest = limit - a * a
        b = math.isqrt(int(rest))
        # isqrt of the integer part is exact; nudge for the fractional remainder.
        while (b + 1) * (b + 1) <= rest:
            b += 1
        widths.append(min(b, nx - 1))
        a += 1
    return widths


def _band_sum(y: NDArray[np.float64], half_widths: list[int]) -> NDArray[np.float64]:
    """Sum of ``y`` over each cell's band, cells beyond the lattice counting as absent.

    The band is a union of horizontal runs, one per row offset, so it is built from a running
    horizontal box sum (widened one column at a time, widest for the nearest rows) added at
    each row offset: about ``2 r`` array additions for a band of ``r`` cells, exact for
    whole-number counts, and the same answer as a sparse weights matrix times ``y``.
    """
    out = np.zeros_like(y)
    box = y.copy()
    width = 0
    for a in range(len(half_widths) - 1, -1, -1):
        while width < half_widths[a]:
            width += 1
            box[..., width:] += y[..., :-width]
            box[..., :-width] += y[..., width:]
        if a == 0:
            out += box
        else:
            out[..., a:, :] += box[..., :-a, :]
            out[..., :-a, :] += box[..., a:, :]
    return out


def _band_cardinality(shape: tuple[int, int], half_widths: list[int]) -> NDArray[np.int32]:
    """Number of lattice cells in each cell's band (itself included)."""
    ny, nx = shape
    cols = np.arange(nx)
    out = np.zeros(shape, dtype=np.int32)
    for a, w in enumerate(half_widths):
        per_col = (np.minimum(cols + w, nx - 1) - np.maximum(cols - w, 0) + 1).astype(np.int32)
        if a == 0:
            out += per_col
        elif a < ny:
            out[a:, :] += per_col
            out[:-a, :] += per_col
    return out


def gistar_z(
    values: ArrayLike, cell_size: float, band: float | None = None
) -> tuple[NDArray[np.float64], NDArray[np.int32]]:
    """Gi* z-scores of a lattice with binary distance-band weights that include the cell.

    The same numbers as PySAL esda's ``G_Local(y, w, transform="B", star=True).Zs`` with
    ``w`` the binary distance band on the cell centres: for cell ``i`` with ``c_i`` cells in
    its band (fewer at the edges), ``z_i = (sum of y over the band - c_i ybar) /
    (S sqrt(c_i (n - c_i) / (n - 1)))``, where ``ybar`` and ``S`` are the mean and the
    population standard deviation (divisor ``n``) over all ``n`` cells of the lattice.
    Where that is undefined (every cell equal, or a band covering the whole lattice) z is 0.

    Parameters
    ----------
    values : array_like, shape ``(ny, nx)`` or ``(..., ny, nx)``
        Counts or weights per cell; leading axes are separate lattices (e.g. time slices),
        each standardised by its own mean and deviation.
    cell_size : float
        Cell side in metres.
    band : float, optional
        Distance band in metres; default ``cell_size * sqrt(2)`` (the cell and its eight
        neighbours).

    Returns
    -------
    z : ndarray of float64, shape of ``values``
    n_neighbours : ndarray of int32, shape ``(ny, nx)``

    Examples
    --------
    >>> y = np.zeros((5, 5)); y[2, 2] = 9.0
    >>> z, c = gistar_z(y, cell_size=100)
    >>> round(float(z[2, 2]), 3), int(c[2, 2]), int(c[0, 0])
    (1.333, 9, 4)
    """
    y = np.asarray(values, dtype=np.float64)
    z, c, _, _ = _gistar(y, cell_size, band)
    return z, c


@dataclass(frozen=True)
class _GiStarParts:
    """What the p-values need besides z: which cells have nothing in their band, and the
    z-score such a cell has for each cardinality (one value per slice)."""

    empty_band: NDArray[np.bool_]
    z_of_empty: NDArray[np.float64]


def _gistar(
    y: NDArray[np.float64], cell_size: float, band: float | None
) -> tuple[NDArray[np.float64], NDArray[np.int32], _GiStarParts, float]:
    if y.ndim < 2:
        raise ValueError(f"values must be a lattice of shape (ny, nx), got shape {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError("lattice values must be finite")
    if not (math.isfinite(cell_size) and cell_size > 0):
        raise ValueError(f"cell_size must be a positive number of metres, got {cell_size}")
    if band is None:
        band = cell_size * math.sqrt(2.0)
    if not (math.isfinite(band) and band > 0):
        raise ValueError(f"band must be a positive number of metres, got {band}")
    ny, nx = y.shape[-2:]
    n = ny * nx
    widths = _band_half_widths(band / cell_size, ny, nx)
    c = _band_cardinality((ny, nx), widths)
    wy = _band_sum(y, widths)
    # Cells whose band sums to exactly 0 (most of a big lattice) get the same z for the same
    # cardinality; the p-values use that to sort far fewer values.
    empty = wy == 0.0
    mean = y.mean(axis=(-2, -1), keepdims=True)
    dev = y - mean
    var = np.einsum("...ij,...ij->...", dev, dev)[..., None, None] / n
    del dev
    # Per-cardinality factor 1 / (S sqrt(c (n - c) / (n - 1))): a small table per lattice,
    # looked up per cell. A constant lattice has no deviation to standardise by, and a band
    # covering the whole lattice has no variance: z is 0 there, not a division by zero.
    cs = np.arange(int(c.max()) + 1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = cs * (n - cs) / (n - 1) if n > 1 else np.zeros_like(cs)
        denom = np.sqrt(var * spread)
        table = np.where(denom > 0, 1.0 / denom, 0.0)
    # table has shape (..., 1, cmax + 1): one row per lattice.
    z = wy
    z -= c * mean
    z *= np.take(table, c, axis=-1).reshape(z.shape) if y.ndim > 2 else table.ravel()[c]
    # The same arithmetic as above for a cell whose band sum is 0, per cardinality.
    z_of_empty = (0.0 - cs * mean[..., 0]) * table[..., 0, :]
    return z, c, _GiStarParts(empty, z_of_empty), band


def _lattice_p_q(
    z: NDArray[np.float64],
    c: NDArray[np.int32],
    empty: NDArray[np.bool_],
    z_of_empty: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """p- and q-values of one Gi* lattice, the same as ``p_and_fdr_from_z(z)`` but sorting
    only the cells with something in their band: the empty-band cells (most of a big lattice)
    share one z-score per cardinality and enter the sort as one entry each."""
    zf = z.ravel()
    cf = c.ravel()
    busy = np.flatnonzero(~empty.ravel())
    n_c = z_of_empty.size
    n_empty = np.bincount(cf, minlength=n_c) - np.bincount(cf[busy], minlength=n_c)
    groups = np.flatnonzero(n_empty)
    entries = np.concatenate([np.abs(zf[busy]), np.abs(z_of_empty[groups])])
    mult = np.concatenate([np.ones(busy.size, dtype=np.int64), n_empty[groups]])
    p_e, q_e = p_and_fdr_from_abs_z(entries, mult)
    p_tab = np.ones(n_c)
    q_tab = np.ones(n_c)
    p_tab[groups] = p_e[busy.size :]
    q_tab[groups] = q_e[busy.size :]
    p = p_tab[cf]
    q = q_tab[cf]
    p[busy] = p_e[: busy.size]
    q[busy] = q_e[: busy.size]
    return p.reshape(z.shape), q.reshape(z.shape)


def _confidence_classes(
    z: NDArray[np.float64], significance: NDArray[np.float64], levels: Sequence[float]
) -> NDArray[np.int8]:
    level = np.zeros(z.shape, dtype=np.int8)
    for conf in sorted(levels):
        level += significance <= (1.0 - conf) * (1.0 + 1e-12)
    return np.where(z > 0, level, -level).astype(np.int8)


def _check_levels(confidence: Sequence[float]) -> tuple[float, ...]:
    levels = tuple(sorted(float(c) for c in confidence))
    if not levels or any(not 0.0 < c < 1.0 for c in levels):
        raise ValueError(f"confidence levels must lie strictly between 0 and 1, got {confidence}")
    return levels


def hotspot_gistar(
    points: ArrayLike,
    *,
    cell_size: float | None = None,
    band: float | None = None,
    fdr: bool = True,
    confidence: Sequence[float] = CONFIDENCE_LEVELS,
    extent: Extent | tuple[float, float, float, float] | None = None,
    grid: Grid | None = None,
    weights: ArrayLike | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> HotspotGiStar:
    """Getis-Ord Gi* hot and cold spots of point counts on a lattice.

    Counts points per cell (as :func:`~asbhub.analysis.hotspot.hotspot_count`), computes analytic Gi* z-scores with
    binary distance-band weights that include the cell itself (:func:`gistar_z`, equal to
    PySAL esda's ``G_Local(..., transform="B", star=True)``), two-sided p-values from the
    normal, and Benjamini-Hochberg q-values over all cells of the lattice, and classes each
    cell hot or cold at 90, 95 and 99% confidence.

    Parameters
    ----------
    points : (n, 2) array_like
        Eastings and northings in metres (EPSG:27700).
    cell_size : float, optional
        As for :func:`~asbhub.analysis.hotspot.hotspot_count`.
    band : float, optional
        Distance band in metres; default ``cell_size * sqrt(2)``: the cell and its eight
        neighbours.
    fdr : bool
        Class on Benjamini-Hochberg q-values (default), controlling the share of false hot
        spots among those found; ``False`` classes on raw p-values, as esda and most GIS
        tools do, and finds many chance hot spots on a large lattice.
    confidence : sequence of float
        Confidence levels of the classes, default 90, 95 and 99%.
    extent, grid, weights, max_cells
        As for :func:`~asbhub.analysis.hotspot.hotspot_count`.

    Returns
    -------
    HotspotGiStar

    Notes
    -----
    Every cell of the lattice is a test and counts in the mean, the deviation and the FDR, so
    a lattice padded with empty countryside makes busy cells stand out more; pass ``extent``
    to keep the lattice to the area in question.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pts = rng.uniform(0, 2000, size=(400, 2)) + [430000, 330000]
    >>> pts = np.vstack([pts, rng.normal([430500, 331500], 40, size=(60, 2))])
    >>> r = hotspot_gistar(pts, cell_size=100, extent=(430000, 330000, 432000, 332000))
    >>> r.grid.shape, r.band, int(r.classes[15, 5])
    ((20, 20), 141.4213562373095, 3)
    """
    levels = _check_levels(confidence)
    gp = grid_points(
        points, cell_size=cell_size, extent=extent, grid=grid, weights=weights, max_cells=max_cells
    )
    g = gp.grid
    counts = gp.counts()
    z, c, parts, band_m = _gistar(counts, g.cell_size, band)
    p, q = _lattice_p_q(z, c, parts.empty_band, parts.z_of_empty)
    classes = _confidence_classes(z, q if fdr else p, levels)
    return HotspotGiStar(
        **_base_fields(gp),
        counts=_readonly(counts),
        z=_readonly(z),
        p=_readonly(p),
        q=_readonly(q),
        classes=_readonly(classes),
        n_neighbours=_readonly(c),
        band=band_m,
        fdr=fdr,
        confidence_levels=levels,
    )
