"""Hotspots on a British National Grid lattice: counts, kernel density, harm weights, and the
result fields every hotspot function shares.

Each function takes ``(n, 2)`` eastings and northings in metres (EPSG:27700), optionally a
weight per point (harm weighting, see :func:`harm_weights`), and returns a frozen result that
carries the lattice and every parameter the function chose for itself, so a report can say
exactly what was computed. Arrays in results are read-only and shaped ``grid.shape``
(``(ny, nx)``, row 0 in the south).

Getis-Ord Gi* (``hotspot_gistar``) is in :mod:`asbhub.analysis.gistar`, change over time
(``hotspot_classify``) in :mod:`asbhub.analysis.hotspot_trend`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import signal

from .grid import DEFAULT_MAX_CELLS, Extent, Grid, GriddedPoints, _readonly, grid_points

__all__ = [
    "HotspotCount",
    "HotspotKDE",
    "HotspotResult",
    "KernelName",
    "harm_weights",
    "hotspot_count",
    "hotspot_kde",
]

KernelName = Literal["quartic", "gaussian"]

# 4 millionths of the peak).
_GAUSSIAN_TRUNCATE = 5.0


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HotspotResult:
    """What every hotspot result shares: the lattice and the record of the points used.

    Attributes
    ----------
    grid : Grid
    cell_size_rule : str
        How the cell size was chosen (``"given"`` if passed in).
    extent_rule : str
        How the extent was chosen, including the stray-point fences if any.
    n_points_used : int
    excluded_indices : ndarray of intp
        Positions in the input of points left out (no coordinates, stray, outside the extent
        or grid).
    weighted : bool
        Whether per-point weights (e.g. harm) were applied.
    """

    grid: Grid
    cell_size_rule: str
    extent_rule: str
    n_points_used: int
    excluded_indices: NDArray[np.intp]
    weighted: bool

    @property
    def cell_size(self) -> float:
        return self.grid.cell_size

    @property
    def n_points_excluded(self) -> int:
        return int(self.excluded_indices.size)


class _BaseFields(TypedDict):
    grid: Grid
    cell_size_rule: str
    extent_rule: str
    n_points_used: int
    excluded_indices: NDArray[np.intp]
    weighted: bool


def _base_fields(gp: GriddedPoints) -> _BaseFields:
    return {
        "grid": gp.grid,
        "cell_size_rule": gp.cell_size_rule,
        "extent_rule": gp.extent_rule,
        "n_points_used": gp.n_points_used,
        "excluded_indices": gp.excluded_indices,
        "weighted": gp.weights is not None,
    }


@dataclass(frozen=True, eq=False)
class HotspotCount(HotspotResult):
    """Points (or total weight) per cell.

    Attributes
    ----------
    counts : ndarray of float64, shape ``grid.shape``
    """

    counts: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class HotspotKDE(HotspotResult):
    """Kernel density on the lattice.

    Attributes
    ----------
    density : ndarray of float64, shape ``grid.shape``
        Expected points (or weight) per square kilometre at each cell centre: the sum over
        points of the kernel, which integrates to one over the plane, times 1e6 m2 per km2.
    kernel : {"quartic", "gaussian"}
    bandwidth : float
        Quartic: radius of the kernel in metres. Gaussian: its standard deviation in metres.
    bandwidth_rule : str
        How the bandwidth was chosen (``"given"`` if passed in).
    units : str
    """

    density: NDArray[np.float64]
    kernel: KernelName
    bandwidth: float
    bandwidth_rule: str
    units: str


# --------------------------------------------------------------------------------------------
# Harm weighting
# --------------------------------------------------------------------------------------------


def harm_weights(
    crime_types: ArrayLike | Sequence[str], weights_by_type: Mapping[str, float]
) -> NDArray[np.float64]:
    """One weight per record from a ``{crime_type: weight}`` mapping.

    Parameters
    ----------
    crime_types : array_like of str
        Crime type of each record, e.g. the police.uk ``Crime type`` column.
    weights_by_type : mapping of str to float
        Weight per crime type (e.g. a harm index). Every type present must be in it.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    ValueError
        Naming every unknown type with its number of records, and the known types, or the
        first weight that is negative or not a number.

    Examples
    --------
    >>> harm_weights(["Burglary", "Anti-social behaviour", "Burglary"],
    ...              {"Burglary": 10.0, "Anti-social behaviour": 1.0}).tolist()
    [10.0, 1.0, 10.0]
    """
    for name, value in weights_by_type.items():
        v = float(value)
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(
                f"harm weight for {name!r} must be a non-negative number, got {value!r}"
            )
    types = np.asarray(crime_types, dtype=object).ravel()
    if types.size == 0:
        return np.zeros(0)
    # Missing types (None, NaN) become a visible label rather than a crash in the sort.
    as_text = np.array([t if isinstance(t, str) else repr(t) for t in types], dtype=object)
    uniques, inverse, counts = np.unique(as_text, return_inverse=True, return_counts=True)
    unknown = [
        (str(u), int(c)) for u, c in zip(uniques, counts, strict=True) if u not in weights_by_type
    ]
    if unknown:
        listed = ", ".join(f"{u!r} ({c} records)" for u, c in unknown)
        known = ", ".join(repr(k) for k in sorted(weights_by_type))
        raise ValueError(
            f"no harm weight for crime type(s) {listed}; add them to the weights, "
            f"which have: {known}"
        )
    table = np.array([float(weights_by_type[str(u)]) for u in uniques])
    return table[inverse.ravel()]


# --------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------


def hotspot_count(
    points: ArrayLike,
    *,
    cell_size: float | None = None,
    extent: Extent | tuple[float, float, float, float] | None = None,
    grid: Grid | None = None,
    weights: ArrayLike | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> HotspotCount:
    """Count points (or sum their weights) in each cell of a lattice.

    Parameters
    ----------
    points : (n, 2) array_like
        Eastings and northings in metres (EPSG:27700).
    cell_size : float, optional
        Cell side in metres; chosen by :func:`~asbhub.analysis.grid.auto_cell_size` if not
        given (reported in ``cell_size_rule``).
    extent : Extent or (xmin, ymin, xmax, ymax), optional
        The study area; points outside it are excluded. Without it the extent comes from the
        points, with far strays excluded (see :func:`~asbhub.analysis.grid.robust_extent`).
    grid : Grid, optional
        Reuse a lattice (e.g. ``other_result.grid``) so cells line up.
    weights : (n,) array_like, optional
        Non-negative weight per point, e.g. from :func:`harm_weights`.
    max_cells : int
        Refuse to build a bigger lattice, with a message saying what cell size would do.

    Returns
    -------
    HotspotCount

    Examples
    --------
    >>> pts = [[430100.0, 330100.0], [430120, 330130], [430900, 330700]]
    >>> r = hotspot_count(pts, cell_size=500)
    >>> r.grid.shape, r.counts.tolist()
    ((2, 2), [[2.0, 0.0], [0.0, 1.0]])
    """
    gp = grid_points(
        points, cell_size=cell_size, extent=extent, grid=grid, weights=weights, max_cells=max_cells
    )
    return HotspotCount(**_base_fields(gp), counts=_readonly(gp.counts()))


# --------------------------------------------------------------------------------------------
# Kernel density
# --------------------------------------------------------------------------------------------


def _robust_sigma(points: NDArray[np.float64]) -> float:
    """Spread of the points: root mean square over the axes of min(sd, IQR / 1.349)."""
    if points.shape[0] < 2:
        return 0.0
    sd = points.std(axis=0, ddof=1)
    q1, q3 = np.quantile(points, [0.25, 0.75], axis=0)
    iqr_sd = (q3 - q1) / 1.349
    # An IQR of zero (half the points on one spot) says nothing about the spread of the rest.
    per_axis = np.where(iqr_sd > 0, np.minimum(sd, iqr_sd), sd)
    return float(np.sqrt(np.mean(per_axis**2)))


def _auto_bandwidth(
    points: NDArray[np.float64], kernel: KernelName, cell: float
) -> tuple[float, str]:
    n = points.shape[0]
    sigma = _robust_sigma(points)
    h = sigma * n ** (-1.0 / 6.0) if n >= 2 else 0.0
    rule = f"Scott's rule: robust spread {sigma:.0f} m x n^(-1/6) with n = {n} = {h:.0f} m"
    # The same number serves as the quartic's radius (a narrower kernel than a Gaussian of
    # that deviation): a rule fitted to the whole area already over-smooths clustered crime.
    floor = 2.0 * cell if kernel == "quartic" else cell
    if h < floor:
        h = floor
        rule += f"; raised to {floor:g} m so the kernel spans several cells"
    return h, rule


def _kernel_on_lattice(
    kernel: KernelName, bandwidth: float, cell: float, max_radius: int
) -> NDArray[np.float64]:
    """The kernel at cell-centre offsets, in 1 / m^2, as a square ``(2r + 1)`` array."""
    support = bandwidth if kernel == "quartic" else _GAUSSIAN_TRUNCATE * bandwidth
    r = min(math.ceil(support / cell), max_radius)
    off = np.arange(-r, r + 1) * cell
    d2 = off[:, None] ** 2 + off[None, :] ** 2
    h2 = bandwidth * bandwidth
    if kernel == "quartic":
        u = np.clip(1.0 - d2 / h2, 0.0, None)
        return (3.0 / (math.pi * h2)) * u * u
    k = np.exp(-0.5 * d2 / h2) / (2.0 * math.pi * h2)
    k[d2 > support * support] = 0.0
    return k


def _linear_binning(gp: GriddedPoints) -> NDArray[np.float64]:
    """Share each point's weight among the four nearest cell centres, bilinearly.

    Returns a lattice padded by one cell on every side, because a point in the outer half of
    an edge cell gives part of its weight to the centre just beyond the edge. Linear binning
    keeps a point's mass and mean position, so the binned density is second-order accurate
    in cell / bandwidth, and exact for points at cell centres.
    """
    g = gp.grid
    nxp, nyp = g.nx + 2, g.ny + 2
    out = np.zeros(nyp * nxp)
    if gp.n_points_used == 0:
        return out.reshape(nyp, nxp)
    u = (gp.points[:, 0] - g.x0) / g.cell_size - 0.5
    v = (gp.points[:, 1] - g.y0) / g.cell_size - 0.5
    # u = -0.5 .. nx - 0.5 on the lattice, so i0 runs from -1 (the west padding) to nx - 1.
    i0 = np.floor(u)
    j0 = np.floor(v)
    fx = u - i0
    fy = v - j0
    i = i0.astype(np.intp) + 1
    j = j0.astype(np.intp) + 1
    w = np.ones_like(u) if gp.weights is None else gp.weights
    base = j * nxp + i
    wx0 = w * (1.0 - fx)
    wx1 = w * fx
    out += np.bincount(base, weights=wx0 * (1.0 - fy), minlength=out.size)
    out += np.bincount(base + 1, weights=wx1 * (1.0 - fy), minlength=out.size)
    out += np.bincount(base + nxp, weights=wx0 * fy, minlength=out.size)
    out += np.bincount(base + nxp + 1, weights=wx1 * fy, minlength=out.size)
    return out.reshape(nyp, nxp)


def hotspot_kde(
    points: ArrayLike,
    *,
    kernel: KernelName = "quartic",
    bandwidth: float | None = None,
    bandwidth_adjust: float = 1.0,
    cell_size: float | None = None,
    extent: Extent | tuple[float, float, float, float] | None = None,
    grid: Grid | None = None,
    weights: ArrayLike | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> HotspotKDE:
    """Kernel density of points at the cell centres of a lattice.

    The points are linearly binned onto the lattice and the bins convolved with the kernel
    sampled at cell offsets, by FFT: the cost grows with the number of cells, not with
    points x cells. The answer equals the direct sum of kernels over points for points at
    cell centres; elsewhere the error falls with the square of cell size over bandwidth, to
    about 2% of the peak at 5 cells per bandwidth and 0.5% at 10.

    Parameters
    ----------
    points : (n, 2) array_like
        Eastings and northings in metres (EPSG:27700).
    kernel : {"quartic", "gaussian"}
        Quartic (biweight) ``3 / (pi h^2) (1 - d^2 / h^2)^2`` within radius ``h``, as in GIS
        heat maps; or Gaussian with standard deviation ``h``, cut off at 5 ``h``.
    bandwidth : float, optional
        ``h`` in metres. If not given: Scott's rule for two dimensions, a robust spread
        (root mean square over the axes of ``min(sd, IQR / 1.349)``) times ``n ** (-1/6)``,
        used as the Gaussian's deviation or the quartic's radius, and never under one cell
        (Gaussian) or two (quartic). A rule fitted to the whole area suits force-wide maps
        (about 3.5 km for a month of Derbyshire ASB) and smooths across streets; pass e.g.
        250-500 m, or a ``bandwidth_adjust`` below 1, for street-level maps.
    bandwidth_adjust : float
        Multiplies the automatic bandwidth.
    cell_size, extent, grid, weights, max_cells
        As for :func:`hotspot_count`.

    Returns
    -------
    HotspotKDE
        ``density`` in points (or weight) per square kilometre.

    Examples
    --------
    >>> r = hotspot_kde([[430250.0, 330250.0]], bandwidth=500, cell_size=100,
    ...                 extent=(430000, 330000, 430500, 330500))
    >>> round(float(r.density.max()), 3)  # 3 / (pi 0.5^2 km^2) at the point itself
    3.82
    """
    if kernel not in ("quartic", "gaussian"):
        raise ValueError(f"kernel must be 'quartic' or 'gaussian', got {kernel!r}")
    if not (math.isfinite(bandwidth_adjust) and bandwidth_adjust > 0):
        raise ValueError(f"bandwidth_adjust must be a positive number, got {bandwidth_adjust}")
    gp = grid_points(
        points, cell_size=cell_size, extent=extent, grid=grid, weights=weights, max_cells=max_cells
    )
    g = gp.grid
    if bandwidth is None:
        h, rule = _auto_bandwidth(gp.points, kernel, g.cell_size)
        if bandwidth_adjust != 1.0:
            h *= bandwidth_adjust
            rule += f"; x {bandwidth_adjust:g} adjust = {h:.0f} m"
    else:
        h = float(bandwidth)
        if not (math.isfinite(h) and h > 0):
            raise ValueError(f"bandwidth must be a positive number of metres, got {bandwidth}")
        rule = "given"
    binned = _linear_binning(gp)
    # Beyond the lattice's own diagonal the kernel cannot reach a cell centre from a bin.
    kern = _kernel_on_lattice(kernel, h, g.cell_size, max_radius=max(g.nx, g.ny) + 2)
    r = kern.shape[0] // 2
    if gp.n_points_used == 0:
        density = np.zeros(g.shape)
    else:
        full = signal.fftconvolve(binned, kern, mode="full")
        density = full[1 + r : 1 + r + g.ny, 1 + r : 1 + r + g.nx] * 1e6
        # FFT round-off leaves tiny negative values where the density is zero.
        np.maximum(density, 0.0, out=density)
        density = np.ascontiguousarray(density)
    units = "weighted points per km2" if gp.weights is not None else "points per km2"
    return HotspotKDE(
        **_base_fields(gp),
        density=_readonly(density),
        kernel=kernel,
        bandwidth=h,
        bandwidth_rule=rule,
        units=units,
    )
