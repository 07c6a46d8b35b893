"""hotspot_kde against a direct sum of kernels over points, and scikit-learn's KernelDensity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from asbhub.analysis import Grid, HotspotKDE, hotspot_kde

GRID = Grid(430000.0, 330000.0, 50.0, nx=40, ny=30)


def direct_density(
    points: np.ndarray, grid: Grid, kernel: str, h: float, weights: np.ndarray | None = None
) -> np.ndarray:
    """Sum of the kernel over every point at every cell centre, per km2: the definition."""
    c = grid.centres()
    w = np.ones(len(points)) if weights is None else weights
    d2 = ((c[:, None, :] - points[None, :, :]) ** 2).sum(-1)
    if kernel == "quartic":
        k = np.where(d2 < h * h, 3.0 / (math.pi * h * h) * (1.0 - d2 / (h * h)) ** 2, 0.0)
    else:
        k = np.exp(-0.5 * d2 / (h * h)) / (2.0 * math.pi * h * h)
    return (k * w).sum(axis=1).reshape(grid.shape) * 1e6


@pytest.mark.parametrize(
    ("kernel", "h"), [("quartic", 230.0), ("quartic", 75.0), ("gaussian", 90.0)]
)
def test_equals_direct_sum_for_points_at_cell_centres(kernel: str, h: float) -> None:
    rng = np.random.default_rng(0)
    pts = GRID.centres()[rng.integers(0, GRID.n_cells, size=200)]
    w = rng.uniform(0.5, 3.0, size=200)
    r = hotspot_kde(pts, grid=GRID, kernel=kernel, bandwidth=h, weights=w)  # type: ignore[arg-type]
    ref = direct_density(pts, GRID, kernel, h, w)
    # Exact but for the Gaussian's cut-off at 5 bandwidths (exp(-12.5) of the peak).
    tol = 1e-12 if kernel == "quartic" else 5e-6
    assert np.abs(r.density - ref).max() <= tol * ref.max()


@pytest.mark.parametrize(
    ("kernel", "h", "tol"),
    [
        ("quartic", 250.0, 0.03),
        ("quartic", 500.0, 0.006),
        ("gaussian", 100.0, 0.025),
        ("gaussian", 200.0, 0.005),
    ],
)
def test_close_to_direct_sum_for_points_anywhere(kernel: str, h: float, tol: float) -> None:
    rng = np.random.default_rng(1)
    pts = rng.uniform([430000, 330000], [432000, 331500], size=(300, 2))
    r = hotspot_kde(pts, grid=GRID, kernel=kernel, bandwidth=h)  # type: ignore[arg-type]
    ref = direct_density(pts, GRID, kernel, h)
    assert np.abs(r.density - ref).max() <= tol * ref.max()


def test_binning_error_falls_with_the_square_of_cell_over_bandwidth() -> None:
    rng = np.random.default_rng(2)
    pts = rng.uniform([430000, 330000], [432000, 331500], size=(300, 2))
    errors = []
    for h in (250.0, 500.0):
        ref = direct_density(pts, GRID, "quartic", h)
        errors.append(
            np.abs(hotspot_kde(pts, grid=GRID, bandwidth=h).density - ref).max() / ref.max()
        )
    assert 3.0 < errors[0] / errors[1] < 6.0


def test_gaussian_matches_scikit_learn() -> None:
    sklearn_neighbors = pytest.importorskip("sklearn.neighbors")
    rng = np.random.default_rng(3)
    pts = rng.normal([431000, 330750], [300, 200], size=(400, 2))
    h = 120.0
    r = hotspot_kde(pts, grid=GRID, kernel="gaussian", bandwidth=h)
    kd = sklearn_neighbors.KernelDensity(kernel="gaussian", bandwidth=h).fit(pts)
    ref = np.exp(kd.score_samples(GRID.centres())).reshape(GRID.shape) * len(pts) * 1e6
    assert np.abs(r.density - ref).max() <= 0.01 * ref.max()


def test_one_point_peak_is_the_kernel_height() -> None:
    r = hotspot_kde(
        [[430250.0, 330250.0]],
        bandwidth=500,
        cell_size=100,
        extent=(430000, 330000, 430500, 330500),
    )
    assert r.density.max() == pytest.approx(3.0 / (math.pi * 0.25), rel=1e-12)
    assert r.density[2, 2] == r.density.max()
    assert r.units == "points per km2"


def test_mass_is_kept_for_points_well_inside() -> None:
    rng = np.random.default_rng(4)
    pts = rng.uniform([430600, 330500], [431400, 331000], size=(250, 2))
    for kernel, h in (("quartic", 300.0), ("gaussian", 100.0)):
        r = hotspot_kde(pts, grid=GRID, kernel=kernel, bandwidth=h)  # type: ignore[arg-type]
        total = r.density.sum() * GRID.cell_size**2 / 1e6
        assert total == pytest.approx(250, rel=2e-3)


def test_automatic_bandwidth_is_reported() -> None:
    rng = np.random.default_rng(5)
    pts = rng.normal([431000, 331000], 1000, size=(729, 2))  # n^(-1/6) = 1/3
    r = hotspot_kde(pts, cell_size=100)
    assert isinstance(r, HotspotKDE)
    sd = pts.std(axis=0, ddof=1)
    q1, q3 = np.quantile(pts, [0.25, 0.75], axis=0)
    sigma = np.sqrt(np.mean(np.minimum(sd, (q3 - q1) / 1.349) ** 2))
    assert r.bandwidth == pytest.approx(sigma / 3, rel=1e-12)
    assert r.bandwidth_rule.startswith("Scott's rule")
    halved = hotspot_kde(pts, cell_size=100, bandwidth_adjust=0.5)
    assert halved.bandwidth == pytest.approx(r.bandwidth / 2)
    assert "x 0.5 adjust" in halved.bandwidth_rule


def test_automatic_bandwidth_never_below_the_cells() -> None:
    pts = np.tile([431000.0, 331000.0], (10, 1))
    r = hotspot_kde(pts, cell_size=100, extent=(430000, 330000, 432000, 332000))
    assert r.bandwidth == 200.0 and "raised to 200 m" in r.bandwidth_rule
    g = hotspot_kde(pts, kernel="gaussian", cell_size=100, extent=(430000, 330000, 432000, 332000))
    assert g.bandwidth == 100.0


def test_empty_area() -> None:
    r = hotspot_kde(
        np.empty((0, 2)), extent=(430000, 330000, 431000, 331000), cell_size=100, bandwidth=300
    )
    assert r.density.shape == (10, 10) and not r.density.any()


def test_stray_point_does_not_stretch_the_grid() -> None:
    rng = np.random.default_rng(6)
    pts = rng.uniform([430000, 330000], [432000, 332000], size=(200, 2))
    pts = np.vstack([pts, [[730000.0, 331000.0]]])
    r = hotspot_kde(pts)
    assert r.excluded_indices.tolist() == [200]
    assert r.grid.nx <= 60


def test_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="'quartic' or 'gaussian'"):
        hotspot_kde([[0.0, 0.0]], kernel="epanechnikov", cell_size=10)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="bandwidth must be a positive"):
        hotspot_kde([[0.0, 0.0]], bandwidth=0.0, cell_size=10)


def test_derbyshire_peak_and_mass(derbyshire_asb_bng: np.ndarray) -> None:
    r = hotspot_kde(derbyshire_asb_bng, bandwidth=1000, cell_size=250)
    g = r.grid
    row, col = np.unravel_index(np.argmax(r.density), g.shape)
    # The density peaks in central Derby, beside the busiest square kilometre of the counts.
    assert math.dist((g.x_centres[col], g.y_centres[row]), (435500.0, 335500.0)) < 500
    # The mass is the 2,980 incidents, to within the quadrature on 250 m cells and a little
    # spill over the edge of the lattice from points on the force boundary.
    total = r.density.sum() * g.cell_size**2 / 1e6
    assert total == pytest.approx(2980, rel=0.01)
