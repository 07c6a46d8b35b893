"""The lattice shared by the hotspot functions: cell size, extent, strays, points on edges."""

from __future__ import annotations

import numpy as np
import pytest

from asbhub.analysis import Extent, Grid, auto_cell_size, grid_points, robust_extent

# --- automatic cell size --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extent", "expected"),
    [
        ((400000, 300000, 460000, 410000), 1000.0),  # 60 km short side -> 1200 -> 1000
        ((0, 0, 2499.9, 5000), 50.0),  # 49.998 -> 50, not down to 25
        ((0, 0, 5000, 8000), 100.0),  # 100 exactly
        ((0, 0, 6000, 6000), 100.0),  # 120 -> 100
        ((0, 0, 13000, 9000), 200.0),  # 180 -> 200
        ((0, 0, 12500, 20000), 250.0),  # 250 exactly
        ((0, 0, 11000, 11000), 200.0),  # 220 -> 200
        ((0, 0, 400, 300), 5.0),  # 6 -> 5
        ((0, 0, 30, 20), 1.0),  # 0.4 m raised to the 1 m floor
        ((0, 0, 0.3, 0.2), 1.0),  # sfhotspot rounds this one to zero
    ],
)
def test_auto_cell_size_rule(extent: tuple[float, ...], expected: float) -> None:
    cell, rule = auto_cell_size(extent)  # type: ignore[arg-type]
    assert cell == expected
    assert f"{expected:g} m" in rule


def test_auto_cell_size_is_never_zero_and_degenerate_extent_gets_100_m() -> None:
    assert auto_cell_size((431000, 331000, 431000, 331000)) == (
        100.0,
        "all points on one spot: default 100 m",
    )
    # A line of points: no width on one side, so the long side sets the cell.
    cell, rule = auto_cell_size((0, 0, 50000, 0))
    assert cell == 50.0 and "longer side" in rule


def test_auto_cell_size_caps_cells_on_a_long_thin_area() -> None:
    cell, _ = auto_cell_size((0, 0, 200000, 100))  # 2 m by the short side; 200 by the long
    assert cell == 200.0
    assert 200000 / cell <= 1000


# --- Grid -----------------------------------------------------------------------------------


def test_grid_covering_aligns_to_multiples_of_the_cell() -> None:
    g = Grid.covering((430120, 330010, 431000, 330400), 250)
    assert (g.x0, g.y0, g.nx, g.ny) == (430000.0, 330000.0, 5, 2)
    # The top-right point lies strictly inside the last cell, not on the outer edge.
    assert g.extent.xmax > 431000 and g.extent.ymax > 330400


def test_grid_fitting_starts_at_the_extent() -> None:
    g = Grid.fitting((430010, 330020, 431010, 330520), 250)
    assert (g.x0, g.y0, g.shape) == (430010.0, 330020.0, (2, 4))
    g = Grid.fitting((0, 0, 1001, 10), 250)
    assert g.shape == (1, 5)


def test_grid_centres_follow_ravel_order() -> None:
    g = Grid(100.0, 200.0, 10.0, nx=3, ny=2)
    c = g.centres()
    assert c.shape == (6, 2)
    np.testing.assert_array_equal(c[1], [115.0, 205.0])  # row 0, column 1
    np.testing.assert_array_equal(c[3], [105.0, 215.0])  # row 1, column 0


def test_points_on_cell_edges_go_east_and_north_and_outer_edges_stay_in() -> None:
    g = Grid(0.0, 0.0, 100.0, nx=3, ny=2)
    pts = np.array(
        [
            [100.0, 50.0],  # west edge of column 1
            [50.0, 100.0],  # south edge of row 1
            [0.0, 0.0],  # south-west corner of the lattice
            [300.0, 200.0],  # north-east corner of the lattice: the last cell
            [300.0000001, 50.0],  # just outside
            [-1e-9, 50.0],  # just outside
        ]
    )
    rows, cols, inside = g.locate(pts)
    assert inside.tolist() == [True, True, True, True, False, False]
    assert list(zip(rows[:4].tolist(), cols[:4].tolist(), strict=True)) == [
        (0, 1),
        (1, 0),
        (0, 0),
        (1, 2),
    ]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cell_size": 0.0},
        {"cell_size": -5.0},
        {"cell_size": float("nan")},
        {"nx": 0},
        {"epsg": 4326},
    ],
)
def test_grid_validates(kwargs: dict[str, float]) -> None:
    args = {"x0": 0.0, "y0": 0.0, "cell_size": 100.0, "nx": 2, "ny": 2} | kwargs
    with pytest.raises(ValueError):
        Grid(**args)  # type: ignore[arg-type]


def test_extent_validates() -> None:
    with pytest.raises(ValueError, match="xmin <= xmax"):
        Extent(10, 0, 0, 10)
    with pytest.raises(ValueError, match=r"\(xmin, ymin, xmax, ymax\)"):
        Extent.of((1, 2, 3))  # type: ignore[arg-type]


# --- strays ---------------------------------------------------------------------------------


def test_a_point_300_km_away_is_a_stray() -> None:
    rng = np.random.default_rng(0)
    pts = rng.uniform([430000, 330000], [440000, 345000], size=(500, 2))
    pts = np.vstack([pts, [[730000.0, 335000.0]]])
    extent, keep, rule = robust_extent(pts)
    assert keep.sum() == 500 and not keep[-1]
    assert extent.xmax < 440000
    assert "stray" in rule


def test_an_outlying_town_joined_by_points_is_not_a_stray() -> None:
    rng = np.random.default_rng(1)
    city = rng.normal([435000, 336000], 1500, size=(900, 2))
    road = np.column_stack([np.linspace(435000, 404000, 60), np.linspace(336000, 394000, 60)])
    town = rng.normal([404000, 394000], 800, size=(40, 2))
    pts = np.vstack([city, road, town])
    _, keep, _ = robust_extent(pts)
    assert keep.all()


def test_a_real_cluster_beyond_a_gap_is_not_a_stray() -> None:
    rng = np.random.default_rng(2)
    a = rng.normal([430000, 330000], 300, size=(800, 2))
    b = rng.normal([450000, 330000], 300, size=(200, 2))  # 20%: a village, not an error
    _, keep, _ = robust_extent(np.vstack([a, b]))
    assert keep.all()


def test_too_few_points_to_tell_strays() -> None:
    pts = np.array([[430000.0, 330000.0], [730000.0, 330000.0]])
    extent, keep, _ = robust_extent(pts)
    assert keep.all() and extent.width == 300000


def test_all_points_on_one_spot_are_kept() -> None:
    pts = np.tile([431234.0, 331234.0], (20, 1))
    extent, keep, _ = robust_extent(pts)
    assert keep.all() and extent.width == 0 and extent.height == 0


# --- grid_points ----------------------------------------------------------------------------


def test_grid_points_reports_every_exclusion_by_input_position() -> None:
    rng = np.random.default_rng(3)
    pts = rng.uniform([430000, 330000], [432000, 331000], size=(50, 2))
    pts[7] = [np.nan, 330500]
    pts[20] = [730000, 330500]
    gp = grid_points(pts, cell_size=100)
    assert gp.excluded_indices.tolist() == [7, 20]
    assert gp.n_points_used == 48
    assert gp.counts().sum() == 48
    np.testing.assert_array_equal(gp.used_indices, np.setdiff1d(np.arange(50), [7, 20]))


def test_grid_points_with_extent_excludes_outside_and_keeps_edges() -> None:
    pts = np.array([[0.0, 0.0], [1000.0, 500.0], [1000.1, 10.0], [500.0, -0.1], [250.0, 250.0]])
    gp = grid_points(pts, cell_size=250, extent=(0, 0, 1000, 500))
    assert gp.grid.shape == (2, 4)
    assert gp.excluded_indices.tolist() == [2, 3]
    counts = gp.counts()
    assert counts[0, 0] == 1 and counts[1, 3] == 1 and counts[1, 1] == 1


def test_grid_points_refuses_a_huge_lattice_with_advice() -> None:
    with pytest.raises(ValueError, match=r"use a larger cell_size \(at least"):
        grid_points([[0.0, 0.0], [100000.0, 100000.0]], cell_size=1.0)


def test_grid_points_needs_an_extent_when_there_are_no_points() -> None:
    with pytest.raises(ValueError, match="pass extent= or grid="):
        grid_points(np.empty((0, 2)))
    gp = grid_points(np.empty((0, 2)), extent=(0, 0, 1000, 1000))
    assert gp.grid.shape == (50, 50) and gp.counts().sum() == 0


def test_grid_points_rejects_bad_inputs() -> None:
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        grid_points(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="one value per point"):
        grid_points(np.zeros((4, 2)), weights=[1.0, 2.0], cell_size=10)
    with pytest.raises(ValueError, match="point 1 has weight -2.0"):
        grid_points(np.zeros((3, 2)), weights=[1.0, -2.0, 1.0], cell_size=10)
    with pytest.raises(ValueError, match="not both"):
        grid_points(np.zeros((3, 2)), grid=Grid(0, 0, 10, 2, 2), cell_size=10)


def test_grid_points_on_derbyshire(derbyshire_asb_bng: np.ndarray) -> None:
    gp = grid_points(derbyshire_asb_bng)
    # Glossop and the High Peak are a long way from Derby but joined to it by points: no
    # January 2019 incident is a stray, and the automatic cell is 1 km.
    assert gp.n_points_excluded == 0
    assert gp.grid.cell_size == 1000.0
    assert gp.grid.shape == (87, 57)
    # Every point lies inside the cell it was put in.
    g = gp.grid
    x = derbyshire_asb_bng[gp.used_indices, 0]
    y = derbyshire_asb_bng[gp.used_indices, 1]
    assert np.all(g.x0 + gp.cols * g.cell_size <= x)
    assert np.all(x < g.x0 + (gp.cols + 1) * g.cell_size)
    assert np.all(g.y0 + gp.rows * g.cell_size <= y)
    assert np.all(y < g.y0 + (gp.rows + 1) * g.cell_size)
