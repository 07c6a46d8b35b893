"""A square lattice on the British National Grid, and putting points on it.

Every ``hotspot_*`` result carries the same :class:`Grid`, so counts, density, Gi* and the
trend classes of one run line up cell for cell. Arrays on a grid have shape ``(ny, nx)``: row
``0`` is the southernmost row and column ``0`` the westernmost column (draw them with
``origin="lower"``).

Points are (easting, northing) pairs in metres (EPSG:27700). Where the grid is chosen
automatically, stray points (a mistyped coordinate, an incident recorded against a head
office 300 km away) are left out and reported rather than stretching the lattice to cover
them, which is how other tools end up with a lattice hundreds of kilometres wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BNG_EPSG",
    "DEFAULT_MAX_CELLS",
    "Extent",
    "Grid",
    "GriddedPoints",
    "as_points",
    "auto_cell_size",
    "grid_points",
    "robust_extent",
]

BNG_EPSG = 27700
"""EPSG code of the British National Grid, the only coordinate system the lattice uses."""

DEFAULT_MAX_CELLS = 25_000_000
"""Refuse to build a lattice larger than this (200 MB per float64 layer) unless asked to."""

# The automatic cell size: the shorter side over this many cells ...
_CELLS_ON_SHORT_SIDE = 50
# ... but never so fine that the longer side needs more than this many cells ...
_MAX_CELLS_ON_LONG_SIDE = 1000
# ... never finer than a metre (BNG coordinates from police.uk are snapped far coarser) ...
_MIN_AUTO_CELL = 1.0
# ... and this when every point sits on one spot, so the extent has no size at all.
_DEGENERATE_CELL = 100.0

# Stray points: cut off from the rest by an empty gap wider than k IQRs (k = 3, Tukey's "far
# out"), with the IQR floored so that tightly clustered data (every point in one street) keep
# their near neighbours, and only if few: a big group beyond a gap is a real cluster.
_STRAY_FENCE = 3.0
_MIN_SPREAD = 1000.0
_MAX_STRAY_SHARE = 0.01


def _readonly(a: NDArray[Any]) -> NDArray[Any]:
    """Freeze an array held by a frozen result, so the result really cannot change."""
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class Extent:
    """An axis-aligned rectangle in BNG metres.

    Examples
    --------
    >>> Extent(430000, 330000, 440000, 335000).width
    10000.0
    """

    xmin: float
    ymin: float
    xmax: float
    ymax: float

    def __post_init__(self) -> None:
        values = (self.xmin, self.ymin, self.xmax, self.ymax)
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"extent must be four finite numbers, got {values}")
        if self.xmax < self.xmin or self.ymax < self.ymin:
            raise ValueError(
                f"extent must be (xmin, ymin, xmax, ymax) with xmin <= xmax and ymin <= ymax, "
                f"got {values}"
            )
        for name in ("xmin", "ymin", "xmax", "ymax"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @classmethod
    def of(cls, extent: Extent | tuple[float, float, float, float]) -> Extent:
        """Accept an :class:`Extent` or an ``(xmin, ymin, xmax, ymax)`` tuple."""
        if isinstance(extent, Extent):
            return extent
        values = tuple(extent)
        if len(values) != 4:
            raise ValueError(f"extent must be (xmin, ymin, xmax, ymax), got {extent!r}")
        return cls(*values)

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def height(self) -> float:
        return self.ymax - self.ymin

    def contains(self, points: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Which of the ``(n, 2)`` points lie inside or on the edge of the rectangle."""
        x, y = points[:, 0], points[:, 1]
        return (x >= self.xmin) & (x <= self.xmax) & (y >= self.ymin) & (y <= self.ymax)


@dataclass(frozen=True)
class Grid:
    """A square lattice on the British National Grid.

    Parameters
    ----------
    x0, y0 : float
        Easting and northing of the south-west corner of cell ``[0, 0]``, in metres.
    cell_size : float
        Side of each square cell, in metres.
    nx, ny : int
        Number of columns (west to east) and rows (south to north).
    epsg : int
        Always 27700; recorded so that files written from a result say what they are.

    Notes
    -----
    Cell ``[row, col]`` covers ``x0 + col * cell_size <= x < x0 + (col + 1) * cell_size`` and
    likewise in y: a point on an edge between two cells belongs to the cell to its east
    (or north). Points on the outer east or north edge of the lattice belong to the last cell.

    Examples
    --------
    >>> g = Grid(430000.0, 330000.0, 500.0, nx=4, ny=3)
    >>> g.shape, g.extent.xmax
    ((3, 4), 432000.0)
    >>> g.x_centres
    array([430250., 430750., 431250., 431750.])
    """

    x0: float
    y0: float
    cell_size: float
    nx: int
    ny: int
    epsg: int = BNG_EPSG

    def __post_init__(self) -> None:
        if not (math.isfinite(self.x0) and math.isfinite(self.y0)):
            raise ValueError(f"grid origin must be finite, got ({self.x0}, {self.y0})")
        if not (math.isfinite(self.cell_size) and self.cell_size > 0):
            raise ValueError(f"cell_size must be a positive number of metres, got {self.cell_size}")
        if int(self.nx) < 1 or int(self.ny) < 1:
            raise ValueError(
                f"a grid needs at least one cell each way, got nx={self.nx}, ny={self.ny}"
            )
        if self.epsg != BNG_EPSG:
            raise ValueError(
                f"grids are on the British National Grid (EPSG:27700), got {self.epsg}"
            )
        object.__setattr__(self, "x0", float(self.x0))
        object.__setattr__(self, "y0", float(self.y0))
        object.__setattr__(self, "cell_size", float(self.cell_size))
        object.__setattr__(self, "nx", int(self.nx))
        object.__setattr__(self, "ny", int(self.ny))

    @classmethod
    def covering(cls, extent: Extent | tuple[float, float, float, float], cell_size: float) -> Grid:
        """The lattice of ``cell_size`` cells, aligned to multiples of the cell size, that holds
        every point of ``extent`` strictly inside it.

        Aligning to multiples of the cell size means two runs over different data (two months,
        two areas) put cell edges on the same BNG lines.

        Examples
        --------
        >>> Grid.covering((430120, 330010, 431000, 330400), 250)
        Grid(x0=430000.0, y0=330000.0, cell_size=250.0, nx=5, ny=2, epsg=27700)
        """
        e = Extent.of(extent)
        if not (math.isfinite(cell_size) and cell_size > 0):
            raise ValueError(f"cell_size must be a positive number of metres, got {cell_size}")
        x0 = math.floor(e.xmin / cell_size) * cell_size
        y0 = math.floor(e.ymin / cell_size) * cell_size
        nx = math.floor((e.xmax - x0) / cell_size) + 1
        ny = math.floor((e.ymax - y0) / cell_size) + 1
        return cls(x0, y0, cell_size, nx, ny)

    @classmethod
    def fitting(cls, extent: Extent | tuple[float, float, float, float], cell_size: float) -> Grid:
        """The lattice that starts exactly at the south-west corner of ``extent``, with as many
        cells as needed to reach its north-east corner (the last row and column may overhang).

        Use this when the caller's extent is the study area itself.

        Examples
        --------
        >>> Grid.fitting((0, 0, 1000, 500), 250).shape
        (2, 4)
        """
        e = Extent.of(extent)
        if not (math.isfinite(cell_size) and cell_size > 0):
            raise ValueError(f"cell_size must be a positive number of metres, got {cell_size}")
        # A relative tolerance so that 1000 / 250 stays 4 cells despite rounding.
        nx = max(1, math.ceil(e.width / cell_size * (1 - 1e-12)))
        ny = max(1, math.ceil(e.height / cell_size * (1 - 1e-12)))
        return cls(e.xmin, e.ymin, cell_size, nx, ny)

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)``: the shape of every array on this grid."""
        return (self.ny, self.nx)

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    @property
    def extent(self) -> Extent:
        return Extent(
            self.x0, self.y0, self.x0 + self.nx * self.cell_size, self.y0 + self.ny * self.cell_size
        )

    @property
    def x_centres(self) -> NDArray[np.float64]:
        """Eastings of the column centres, west to east."""
        return np.asarray(self.x0 + (np.arange(self.nx) + 0.5) * self.cell_size, dtype=np.float64)

    @property
    def y_centres(self) -> NDArray[np.float64]:
        """Northings of the row centres, south to north."""
        return np.asarray(self.y0 + (np.arange(self.ny) + 0.5) * self.cell_size, dtype=np.float64)

    def centres(self) -> NDArray[np.float64]:
        """``(ny * nx, 2)`` cell centres in the order of ``array.ravel()`` (row by row)."""
        xx, yy = np.meshgrid(self.x_centres, self.y_centres)
        return np.column_stack([xx.ravel(), yy.ravel()])

    def locate(
        self, points: NDArray[np.float64]
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.bool_]]:
        """Row and column of each point, and whether it falls on the lattice at all.

        Rows and columns of points off the lattice are meaningless; filter with the mask.
        """
        fx = (points[:, 0] - self.x0) / self.cell_size
        fy = (points[:, 1] - self.y0) / self.cell_size
        # NaN compares False, so points without coordinates fall off the lattice here.
        inside = (fx >= 0) & (fx <= self.nx) & (fy >= 0) & (fy <= self.ny)
        with np.errstate(invalid="ignore"):
            cols = np.where(inside, fx, 0).astype(np.intp)
            rows = np.where(inside, fy, 0).astype(np.intp)
        # The outer east and north edges belong to the last column and row.
        np.minimum(cols, self.nx - 1, out=cols)
        np.minimum(rows, self.ny - 1, out=rows)
        return rows, cols, inside


@dataclass(frozen=True, eq=False)
class GriddedPoints:
    """Points assigned to cells of a grid, with the record of what was left out.

    Attributes
    ----------
    grid : Grid
    rows, cols : ndarray of intp
        Cell of each used point.
    used_indices : ndarray of intp
        Positions, in the caller's input array, of the points on the lattice.
    excluded_indices : ndarray of intp
        Positions of the points left out: no coordinates, stray, or outside the given extent.
    weights : ndarray of float64 or None
        Weights of the used points, in the order of ``used_indices``.
    cell_size_rule : str
        How the cell size was chosen, in words, for reports.
    extent_rule : str
        How the extent was chosen, in words, for reports.
    """

    grid: Grid
    rows: NDArray[np.intp]
    cols: NDArray[np.intp]
    used_indices: NDArray[np.intp]
    excluded_indices: NDArray[np.intp]
    weights: NDArray[np.float64] | None
    cell_size_rule: str
    extent_rule: str
    points: NDArray[np.float64] = field(repr=False)

    @property
    def n_points_used(self) -> int:
        return int(self.used_indices.size)

    @property
    def n_points_excluded(self) -> int:
        return int(self.excluded_indices.size)

    def counts(self) -> NDArray[np.float64]:
        """Count (or total weight) of points in each cell, shape ``grid.shape``."""
        flat = self.rows * self.grid.nx + self.cols
        out = np.bincount(flat, weights=self.weights, minlength=self.grid.n_cells)
        return out.astype(np.float64, copy=False).reshape(self.grid.shape)


def as_points(points: ArrayLike, name: str = "points") -> NDArray[np.float64]:
    """Check and convert ``(n, 2)`` eastings and northings to a float64 array."""
    a = np.asarray(points, dtype=np.float64)
    if a.ndim == 1 and a.size == 0:
        a = a.reshape(0, 2)
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(
            f"{name} must be an (n, 2) array of eastings and northings in metres "
            f"(EPSG:27700), got shape {a.shape}"
        )
    return a


def _nice(value: float) -> float:
    """The nearest (by ratio) of 1, 2, 2.5, 5 x 10**k to ``value``: cell sizes a reader can
    say, and the same for extents that differ by a few metres."""
    exponent = math.floor(math.log10(value))
    candidates = [m * 10.0**e for e in (exponent, exponent + 1) for m in (1.0, 2.0, 2.5, 5.0)]
    return float(min(candidates, key=lambda c: abs(math.log(c / value))))


def auto_cell_size(extent: Extent | tuple[float, float, float, float]) -> tuple[float, str]:
    """Choose a cell size for an extent, and say how.

    The rule: the shorter side over 50, but no finer than the longer side over 1,000 (so a
    long thin area does not get millions of cells), rounded to the nearest of 1, 2, 2.5 or 5
    times a power of ten, and never under 1 m. When the extent has no size (one point, or all points
    on one spot) the cell is 100 m. The result is never zero.

    Returns
    -------
    cell_size : float
        In metres.
    rule : str
        The rule as applied, for reports.

    Examples
    --------
    >>> auto_cell_size((400000, 300000, 460000, 410000))
    (1000.0, 'shorter side 60000 m / 50 = 1200 m, rounded to 1000 m')
    >>> auto_cell_size((0, 0, 30, 20))[0]
    1.0
    >>> auto_cell_size((5, 5, 5, 5))[0]
    100.0
    """
    e = Extent.of(extent)
    short, long = sorted((e.width, e.height))
    if long <= 0:
        return _DEGENERATE_CELL, f"all points on one spot: default {_DEGENERATE_CELL:g} m"
    if short > 0:
        raw = short / _CELLS_ON_SHORT_SIDE
        rule = f"shorter side {short:.0f} m / {_CELLS_ON_SHORT_SIDE} = {raw:.4g} m"
    else:
        raw = 0.0
        rule = "no width on one side"
    floor_long = long / _MAX_CELLS_ON_LONG_SIDE
    if floor_long > raw:
        raw = floor_long
        rule += f"; raised to longer side {long:.0f} m / {_MAX_CELLS_ON_LONG_SIDE} = {raw:.4g} m"
    if raw < _MIN_AUTO_CELL:
        return _MIN_AUTO_CELL, rule + f", raised to the {_MIN_AUTO_CELL:g} m minimum"
    cell = _nice(raw)
    return cell, rule + f", rounded to {cell:g} m"


def _stray_cuts(v: NDArray[np.float64], threshold: float, allowed: int) -> tuple[float, float]:
    """Lowest and highest kept value on one axis (see :func:`robust_extent`)."""
    s = np.sort(v)
    n = s.size
    big = np.flatnonzero(np.diff(s) > threshold)
    mid = n // 2
    lo, hi = s[0], s[-1]
    # Above the median: the innermost wide gap with few enough points beyond it.
    upper = big[(big >= mid) & (n - (big + 1) <= allowed)]
    if upper.size:
        hi = s[upper[0]]
    lower = big[(big < mid) & (big + 1 <= allowed)]
    if lower.size:
        lo = s[lower[-1] + 1]
    return float(lo), float(hi)


def robust_extent(
    points: NDArray[np.float64],
    *,
    fence: float = _STRAY_FENCE,
    min_spread: float = _MIN_SPREAD,
    max_stray_share: float = _MAX_STRAY_SHARE,
) -> tuple[Extent, NDArray[np.bool_], str]:
    """The extent of the points once strays far outside the bulk are set aside.

    A stray is a point cut off from the rest by an empty gap. On each axis the coordinates
    are sorted; a gap between neighbouring values wider than ``fence`` times the
    interquartile range of that axis (the IQR taken as at least ``min_spread`` metres, so
    that points all in one street keep their near neighbours) splits off the points beyond
    it, on the side away from the median, as strays, provided they are at most
    ``max_stray_share`` of the points (at least one point may always go). A town at the edge
    of a force area is joined to the rest by the points in between and stays; a record
    geocoded 300 km away does not. With fewer than three points strays cannot be told from
    the rest, and none is dropped.

    Parameters
    ----------
    points : (n, 2) ndarray
        Finite eastings and northings.
    fence : float
        Gap, in IQRs, that cuts off strays.
    min_spread : float
        Floor on the IQR, in metres.
    max_stray_share : float
        Largest share of the points that may be set aside; a bigger group beyond a gap is a
        real cluster, not a stray.

    Returns
    -------
    extent : Extent
        Bounding box of the kept points.
    keep : ndarray of bool
        Which points are kept.
    rule : str
        The rule and cut-offs as applied, for reports.

    Examples
    --------
    >>> pts = np.array([[430000.0, 330000.0], [430500, 330200], [431000, 330900],
    ...                 [430200, 330400], [430800, 330100], [730000, 330000]])
    >>> extent, keep, _ = robust_extent(pts)
    >>> keep.tolist(), extent.xmax
    ([True, True, True, True, True, False], 431000.0)
    """
    n = points.shape[0]
    if n == 0:
        raise ValueError("no points with coordinates to take an extent from")
    if n < 3:
        keep = np.ones(n, dtype=bool)
        rule = "bounding box of all points (fewer than 3, so no stray test)"
    else:
        q1, q3 = np.quantile(points, [0.25, 0.75], axis=0)
        threshold = fence * np.maximum(q3 - q1, min_spread)
        allowed = max(1, int(max_stray_share * n))
        cuts = [_stray_cuts(points[:, k], float(threshold[k]), allowed) for k in (0, 1)]
        keep = (
            (points[:, 0] >= cuts[0][0])
            & (points[:, 0] <= cuts[0][1])
            & (points[:, 1] >= cuts[1][0])
            & (points[:, 1] <= cuts[1][1])
        )
        rule = (
            f"bounding box of points less strays (beyond a gap wider than {fence:g} x IQR, "
            f"IQR at least {min_spread:g} m: {threshold[0]:.0f} m easting, "
            f"{threshold[1]:.0f} m northing; at most {allowed} points)"
        )
    kept = points[keep]
    lo_k = kept.min(axis=0)
    hi_k = kept.max(axis=0)
    return Extent(lo_k[0], lo_k[1], hi_k[0], hi_k[1]), keep, rule


def grid_points(
    points: ArrayLike,
    *,
    cell_size: float | None = None,
    extent: Extent | tuple[float, float, float, float] | None = None,
    grid: Grid | None = None,
    weights: ArrayLike | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> GriddedPoints:
    """Put points on a lattice, choosing the lattice if not given.

    Which lattice:

    - ``grid`` given: that grid; points off it are excluded.
    - ``extent`` given: a grid starting at its south-west corner (:meth:`Grid.fitting`);
      points outside the extent are excluded.
    - neither: the extent of the points less strays (:func:`robust_extent`), on a grid
      aligned to multiples of the cell size (:meth:`Grid.covering`).

    The cell size is ``cell_size`` if given, else :func:`auto_cell_size` of the extent.
    Points without finite coordinates are always excluded. Nothing is dropped silently:
    every excluded point's position in the input is in ``excluded_indices``.

    Parameters
    ----------
    points : (n, 2) array_like
        Eastings and northings in metres (EPSG:27700).
    cell_size : float, optional
        Cell side in metres.
    extent : Extent or (xmin, ymin, xmax, ymax), optional
        Study area bounding box.
    grid : Grid, optional
        A lattice to reuse, e.g. from an earlier result, so cells line up.
    weights : (n,) array_like, optional
        Non-negative weight per point (harm weighting); default 1 each.
    max_cells : int
        Refuse (with a message) to build a larger lattice.

    Returns
    -------
    GriddedPoints

    Examples
    --------
    >>> gp = grid_points([[430010.0, 330020.0], [430260, 330020]], cell_size=250)
    >>> gp.grid.shape, gp.counts().tolist()
    ((1, 2), [[1.0, 1.0]])
    """
    pts = as_points(points)
    n = pts.shape[0]
    w: NDArray[np.float64] | None = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (n,):
            raise ValueError(f"weights must have one value per point: shape ({n},), got {w.shape}")
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"weights must be finite and non-negative; point {i} has weight {float(w[i])!r} "
                f"({int(bad.sum())} bad weights in all)"
            )
    if grid is not None and (cell_size is not None or extent is not None):
        raise ValueError("pass either grid= or cell_size=/extent=, not both")

    finite = np.isfinite(pts[:, 0]) & np.isfinite(pts[:, 1])
    keep = finite.copy()
    extent_rule: str
    cell_rule: str
    if grid is not None:
        extent_rule = "given grid"
        cell_rule = "given grid"
        g = grid
    else:
        if extent is not None:
            e = Extent.of(extent)
            keep &= e.contains(np.where(finite[:, None], pts, np.inf))
            extent_rule = f"given extent {e.xmin:.0f}, {e.ymin:.0f}, {e.xmax:.0f}, {e.ymax:.0f}"
        else:
            if not finite.any():
                raise ValueError(
                    "no points with coordinates, so no extent to grid: pass extent= or grid= "
                    "to get an empty lattice for the area"
                )
            idx = np.flatnonzero(finite)
            e, kept, extent_rule = robust_extent(pts[idx])
            keep[idx[~kept]] = False
        if cell_size is None:
            cs, cell_rule = auto_cell_size(e)
        else:
            cs = float(cell_size)
            cell_rule = "given"
        if not (math.isfinite(cs) and cs > 0):
            raise ValueError(f"cell_size must be a positive number of metres, got {cell_size}")
        # Check the size before building anything, so a tiny cell on a big area fails fast.
        est_nx = math.floor(e.width / cs) + 1
        est_ny = math.floor(e.height / cs) + 1
        if est_nx * est_ny > max_cells:
            raise ValueError(
                f"a {cs:g} m cell over {e.width:.0f} x {e.height:.0f} m needs about "
                f"{est_nx} x {est_ny} = {est_nx * est_ny:,} cells, over max_cells={max_cells:,}; "
                f"use a larger cell_size (at least "
                f"{math.sqrt(e.width * e.height / max_cells):.3g} m) or raise max_cells"
            )
        g = Grid.fitting(e, cs) if extent is not None else Grid.covering(e, cs)
    if g.n_cells > max_cells:
        raise ValueError(
            f"the grid has {g.n_cells:,} cells, over max_cells={max_cells:,}; "
            f"use a larger cell_size or raise max_cells"
        )

    rows, cols, inside = g.locate(pts)
    keep &= inside
    used = np.flatnonzero(keep)
    excluded = np.flatnonzero(~keep)
    return GriddedPoints(
        grid=g,
        rows=_readonly(rows[used]),
        cols=_readonly(cols[used]),
        used_indices=_readonly(used),
        excluded_indices=_readonly(excluded),
        weights=None if w is None else _readonly(w[used]),
        cell_size_rule=cell_rule,
        extent_rule=extent_rule,
        points=_readonly(pts[used]),
    )
