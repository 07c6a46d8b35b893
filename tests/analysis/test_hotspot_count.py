"""hotspot_count and harm_weights: crafted cases and the real Derbyshire data."""

from __future__ import annotations

import numpy as np
import pytest

from asbhub.analysis import Grid, HotspotCount, harm_weights, hotspot_count


def test_counts_per_cell_with_automatic_cell_size_reported() -> None:
    rng = np.random.default_rng(0)
    pts = rng.uniform([430000, 330000], [435000, 332500], size=(1000, 2))
    r = hotspot_count(pts)
    assert isinstance(r, HotspotCount)
    assert r.cell_size == 50.0  # a shade under 2.5 km / 50, rounded to 50 m
    assert r.cell_size_rule == "shorter side 2495 m / 50 = 49.89 m, rounded to 50 m"
    assert r.counts.sum() == 1000
    assert r.n_points_used == 1000 and r.n_points_excluded == 0
    assert r.counts.shape == r.grid.shape


def test_empty_area_gives_an_empty_lattice_of_the_area() -> None:
    r = hotspot_count(np.empty((0, 2)), extent=(430000, 330000, 431000, 330500), cell_size=100)
    assert r.grid.shape == (5, 10)
    assert r.counts.sum() == 0 and r.n_points_used == 0


def test_one_point() -> None:
    r = hotspot_count([[431234.5, 331234.5]])
    assert r.cell_size == 100.0
    assert r.grid.shape == (1, 1)
    assert (r.grid.x0, r.grid.y0) == (431200.0, 331200.0)
    assert r.counts.tolist() == [[1.0]]


def test_all_points_in_one_cell() -> None:
    rng = np.random.default_rng(1)
    pts = rng.uniform([431000, 331000], [431099, 331099], size=(40, 2))
    r = hotspot_count(pts, cell_size=100)
    assert r.grid.shape == (1, 1) and r.counts[0, 0] == 40
    r = hotspot_count(pts, cell_size=100, extent=(430000, 330000, 432000, 332000))
    assert r.counts.sum() == 40 and r.counts[10, 10] == 40


def test_points_on_cell_edges() -> None:
    pts = np.array([[431000.0, 331050.0], [431050.0, 331100.0], [431100.0, 331100.0]])
    r = hotspot_count(pts, cell_size=100, extent=(430900, 330900, 431100, 331100))
    # West edge of a column belongs to that column; the outer north-east corner to the last cell.
    expected = np.zeros((2, 2))
    expected[1, 1] = 3
    np.testing.assert_array_equal(r.counts, expected)


def test_stray_point_300_km_away_is_reported_not_gridded() -> None:
    rng = np.random.default_rng(2)
    pts = rng.uniform([430000, 330000], [440000, 340000], size=(300, 2))
    pts = np.insert(pts, 123, [730000.0, 335000.0], axis=0)
    r = hotspot_count(pts)
    assert r.excluded_indices.tolist() == [123]
    assert r.grid.extent.xmax <= 440200
    assert r.grid.shape == (50, 50)
    assert r.counts.sum() == 300


def test_explicit_grid_is_reused_and_points_off_it_reported() -> None:
    g = Grid(430000.0, 330000.0, 250.0, nx=4, ny=4)
    r = hotspot_count([[430100.0, 330100.0], [431100.0, 330100.0], [429999.0, 330100.0]], grid=g)
    assert r.grid is g
    assert r.excluded_indices.tolist() == [1, 2]
    assert r.cell_size_rule == "given grid"


def test_weights_are_summed() -> None:
    pts = np.array([[430010.0, 330010.0], [430020.0, 330020.0], [430310.0, 330010.0]])
    r = hotspot_count(pts, weights=[2.5, 1.0, 4.0], cell_size=100)
    assert r.weighted
    assert r.counts[0, 0] == 3.5 and r.counts[0, 3] == 4.0


def test_result_arrays_are_read_only() -> None:
    r = hotspot_count([[430010.0, 330010.0]], cell_size=100)
    with pytest.raises(ValueError, match="read-only"):
        r.counts[0, 0] = 5
    with pytest.raises(AttributeError):
        r.grid = None  # type: ignore[misc]


def test_counts_equal_histogram2d_on_derbyshire(derbyshire_asb_bng: np.ndarray) -> None:
    r = hotspot_count(derbyshire_asb_bng)
    g = r.grid
    xe = g.x0 + np.arange(g.nx + 1) * g.cell_size
    ye = g.y0 + np.arange(g.ny + 1) * g.cell_size
    h, _, _ = np.histogram2d(derbyshire_asb_bng[:, 1], derbyshire_asb_bng[:, 0], bins=[ye, xe])
    np.testing.assert_array_equal(r.counts, h)
    assert r.counts.sum() == 2980
    # The busiest square kilometre is in central Derby.
    row, col = np.unravel_index(np.argmax(r.counts), g.shape)
    assert (g.x_centres[col], g.y_centres[row]) == (435500.0, 335500.0)
    assert r.counts[row, col] == 103


# --- harm weights ---------------------------------------------------------------------------


def test_harm_weights_maps_types() -> None:
    w = harm_weights(
        np.array(["Burglary", "Anti-social behaviour", "Burglary", "Robbery"]),
        {"Burglary": 10, "Anti-social behaviour": 1, "Robbery": 30.5},
    )
    assert w.dtype == np.float64
    assert w.tolist() == [10.0, 1.0, 10.0, 30.5]


def test_harm_weights_names_unknown_types_with_counts() -> None:
    with pytest.raises(ValueError) as info:
        harm_weights(["Burglary", "Arson", "Arson", None], {"Burglary": 10.0})
    message = str(info.value)
    assert "'Arson' (2 records)" in message
    assert "'None' (1 records)" in message
    assert "which have: 'Burglary'" in message


def test_harm_weights_rejects_bad_weights() -> None:
    with pytest.raises(ValueError, match="'Burglary' must be a non-negative number"):
        harm_weights(["Burglary"], {"Burglary": -1.0})
    with pytest.raises(ValueError, match="non-negative number"):
        harm_weights(["Burglary"], {"Burglary": float("nan")})


def test_harm_weighted_counts_on_derbyshire_all_crime(derbyshire_asb_bng: np.ndarray) -> None:
    # Weighting every ASB incident 2 doubles every cell.
    w = harm_weights(
        ["Anti-social behaviour"] * len(derbyshire_asb_bng), {"Anti-social behaviour": 2}
    )
    plain = hotspot_count(derbyshire_asb_bng)
    weighted = hotspot_count(derbyshire_asb_bng, weights=w, grid=plain.grid)
    np.testing.assert_array_equal(weighted.counts, 2 * plain.counts)
