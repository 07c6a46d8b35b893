"""hotspot_gistar and gistar_z against PySAL esda's G_Local(star=True), scipy's FDR, and
crafted cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

from asbhub.analysis import (
    GISTAR_CLASS_LABELS,
    Grid,
    HotspotGiStar,
    gistar_z,
    hotspot_count,
    hotspot_gistar,
)
from asbhub.analysis.stats import normal_p_two_sided, p_and_fdr_from_z


def esda_gistar(
    values: np.ndarray, grid: Grid, band: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z, one-sided p and cardinality (self included) from esda, with libpysal's distance band."""
    libpysal_weights = pytest.importorskip("libpysal.weights")
    getisord = pytest.importorskip("esda.getisord")
    with warnings.catch_warnings():
        # Islands (lone cells) and the star=True self-weight each warn; neither is a problem.
        warnings.simplefilter("ignore")
        # The same slack as asbhub, so the default band of exactly cell x sqrt(2) is the 3 x 3
        # block in both whichever way the rounding of the diagonal falls.
        w = libpysal_weights.DistanceBand(
            grid.centres(), threshold=band * (1 + 1e-9), binary=True, silence_warnings=True
        )
        cardinality = np.asarray(w.sparse.sum(axis=1)).ravel() + 1
        lg = getisord.G_Local(values.ravel(), w, transform="B", star=True, permutations=0)
    return lg.Zs.reshape(grid.shape), lg.p_norm.reshape(grid.shape), cardinality.reshape(grid.shape)


@pytest.mark.parametrize(
    ("ny", "nx", "band_cells"),
    [(30, 30, math.sqrt(2)), (23, 31, 2.5), (12, 17, 1.0), (10, 10, 3.2), (1, 9, math.sqrt(2))],
)
def test_z_equals_esda_on_a_lattice(ny: int, nx: int, band_cells: float) -> None:
    rng = np.random.default_rng(ny * nx)
    y = rng.poisson(0.8, size=(ny, nx)).astype(float)
    y[ny // 3 : ny // 3 + 3, nx // 2 : nx // 2 + 3] += 6  # a hot spot to find
    grid = Grid(430000.0, 330000.0, 100.0, nx=nx, ny=ny)
    z, c = gistar_z(y, 100.0, band_cells * 100.0)
    z_ref, p_one_sided, c_ref = esda_gistar(y, grid, band_cells * 100.0)
    np.testing.assert_allclose(z, z_ref, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(c, c_ref)
    np.testing.assert_allclose(normal_p_two_sided(z), 2 * p_one_sided, rtol=1e-9, atol=1e-15)


def test_harm_weighted_z_equals_esda() -> None:
    rng = np.random.default_rng(7)
    y = rng.poisson(0.5, size=(25, 20)) * rng.choice([1.0, 3.5, 12.25], size=(25, 20))
    grid = Grid(0.0, 0.0, 250.0, nx=20, ny=25)
    z, _ = gistar_z(y, 250.0)
    z_ref, _, _ = esda_gistar(y, grid, 250.0 * math.sqrt(2))
    np.testing.assert_allclose(z, z_ref, rtol=0, atol=1e-9)


def test_hotspot_gistar_equals_esda_on_derbyshire(derbyshire_asb_bng: np.ndarray) -> None:
    # A 30 x 30 lattice of 2 km cells over the county, gridded by asbhub, tested by esda.
    grid = Grid(396000.0, 312000.0, 2000.0, nx=30, ny=45)
    r = hotspot_gistar(derbyshire_asb_bng, grid=grid)
    assert r.n_points_excluded == 0
    z_ref, p_one_sided, _ = esda_gistar(np.asarray(r.counts), grid, r.band)
    np.testing.assert_allclose(r.z, z_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(r.p, 2 * p_one_sided, rtol=1e-9, atol=1e-15)
    # The hottest cell is in Derby, next to its busiest square kilometre.
    row, col = np.unravel_index(np.argmax(r.z), grid.shape)
    assert math.dist((grid.x_centres[col], grid.y_centres[row]), (435500.0, 335500.0)) < 2500
    assert r.n_hot(3) > 0 and r.n_cold(1) == 0


def test_q_values_are_benjamini_hochberg_over_the_lattice() -> None:
    rng = np.random.default_rng(8)
    pts = rng.uniform([430000, 330000], [435000, 335000], size=(3000, 2))
    pts = np.vstack([pts, rng.normal([432000, 333000], 60, size=(80, 2))])
    r = hotspot_gistar(pts, cell_size=100)
    np.testing.assert_allclose(
        r.q.ravel(), stats.false_discovery_control(r.p.ravel(), method="bh"), rtol=1e-12
    )
    # The lattice shortcut (empty-band cells sorted as groups) is the general routine exactly.
    p_ref, q_ref = p_and_fdr_from_z(np.asarray(r.z))
    np.testing.assert_array_equal(r.p, p_ref)
    np.testing.assert_allclose(r.q, q_ref, rtol=1e-14)


def test_classes_follow_q_with_fdr_and_p_without() -> None:
    rng = np.random.default_rng(9)
    pts = rng.uniform([430000, 330000], [434000, 334000], size=(2000, 2))
    pts = np.vstack([pts, rng.normal([431000, 331000], 80, size=(60, 2))])
    for fdr in (True, False):
        r = hotspot_gistar(pts, cell_size=100, fdr=fdr)
        sig = r.q if fdr else r.p
        expected = ((sig <= 0.10).astype(int) + (sig <= 0.05) + (sig <= 0.01)) * np.sign(
            r.z
        ).astype(int)
        np.testing.assert_array_equal(r.classes, expected)
        np.testing.assert_array_equal(r.significance, sig)
    assert set(np.unique(r.classes)) <= set(GISTAR_CLASS_LABELS)


def test_fdr_removes_chance_hot_spots_on_random_points() -> None:
    # Complete spatial randomness: every hot spot found is a false one.
    rng = np.random.default_rng(10)
    pts = rng.uniform([430000, 330000], [440000, 340000], size=(20000, 2))
    raw = hotspot_gistar(pts, cell_size=100, fdr=False)
    corrected = hotspot_gistar(pts, cell_size=100)
    assert raw.n_hot(1) > 300  # about 5% of 10,000 cells at 90%, two-sided
    assert corrected.n_hot(1) == 0 and corrected.n_cold(1) == 0


def test_planted_cluster_is_a_99_percent_hot_spot() -> None:
    rng = np.random.default_rng(11)
    pts = rng.uniform([430000, 330000], [432000, 332000], size=(400, 2))
    pts = np.vstack([pts, rng.normal([430550, 331550], 30, size=(60, 2))])
    r = hotspot_gistar(pts, cell_size=100, extent=(430000, 330000, 432000, 332000))
    assert isinstance(r, HotspotGiStar)
    assert r.classes[15, 5] == 3
    assert r.band == pytest.approx(100 * math.sqrt(2))
    assert r.n_neighbours[15, 5] == 9 and r.n_neighbours[0, 0] == 4 and r.n_neighbours[0, 7] == 6


def test_empty_area_has_no_hot_spots() -> None:
    r = hotspot_gistar(np.empty((0, 2)), extent=(430000, 330000, 431000, 331000), cell_size=100)
    assert not r.z.any() and (r.p == 1).all() and (r.q == 1).all() and not r.classes.any()


def test_one_point_and_all_points_in_one_cell() -> None:
    one = hotspot_gistar(
        [[430550.0, 330550.0]], cell_size=100, extent=(430000, 330000, 431000, 331000)
    )
    z_ref, _, _ = esda_gistar(np.asarray(one.counts), one.grid, one.band)
    np.testing.assert_allclose(one.z, z_ref, atol=1e-9)
    # On an otherwise empty lattice one incident stands out: its 9 band cells share one z
    # (p = 0.0015; q = p x 100 / 9 = 0.016), a known trait of Gi* on sparse counts.
    assert one.z[5, 5] == pytest.approx(3.1797973380564852, rel=1e-12)
    assert (one.z[4:7, 4:7] == one.z[5, 5]).all()
    assert (one.classes[4:7, 4:7] == 2).all() and one.n_hot(1) == 9

    rng = np.random.default_rng(12)
    pts = rng.uniform([430500, 330500], [430599, 330599], size=(50, 2))
    many = hotspot_gistar(pts, cell_size=100, extent=(430000, 330000, 431000, 331000))
    assert many.counts[5, 5] == 50
    # Gi* does not see scale: 50 incidents in one cell of an empty lattice score as one does.
    np.testing.assert_allclose(many.z, one.z, rtol=1e-12)
    np.testing.assert_array_equal(many.classes, one.classes)


def test_single_cell_lattice_is_defined() -> None:
    r = hotspot_gistar([[430010.0, 330010.0], [430020.0, 330020.0]], cell_size=100)
    assert r.grid.shape == (1, 1)
    assert r.z.tolist() == [[0.0]] and r.p.tolist() == [[1.0]] and r.classes.tolist() == [[0]]


def test_band_covering_the_whole_lattice_gives_zero_not_nan() -> None:
    y = np.array([[0.0, 3.0], [1.0, 0.0]])
    z, c = gistar_z(y, 100.0, 1000.0)
    assert (c == 4).all() and (z == 0).all()


def test_stray_point_300_km_away() -> None:
    rng = np.random.default_rng(13)
    pts = rng.uniform([430000, 330000], [432000, 332000], size=(500, 2))
    pts = np.vstack([pts[:250], [[730000.0, 331000.0]], pts[250:]])
    r = hotspot_gistar(pts)
    assert r.excluded_indices.tolist() == [250]
    assert r.grid.n_cells <= 51 * 51


def test_stacked_lattices_are_standardised_each_on_its_own() -> None:
    rng = np.random.default_rng(14)
    stack = rng.poisson(1.0, size=(4, 15, 12)).astype(float)
    stack[2] *= 5
    z, c = gistar_z(stack, 100.0, 250.0)
    for t in range(4):
        zt, ct = gistar_z(stack[t], 100.0, 250.0)
        np.testing.assert_allclose(z[t], zt, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(c, ct)


def test_harm_weights_change_the_answer_and_are_recorded() -> None:
    pts = np.array([[430050.0, 330050.0]] * 3 + [[430850.0, 330850.0]] * 3)
    w = np.array([1.0, 1.0, 1.0, 10.0, 10.0, 10.0])
    r = hotspot_gistar(pts, weights=w, cell_size=100, extent=(430000, 330000, 431000, 331000))
    assert r.weighted and r.counts[8, 8] == 30 and r.counts[0, 0] == 3
    assert r.z[8, 8] > r.z[0, 0]
    plain = hotspot_count(pts, cell_size=100, extent=(430000, 330000, 431000, 331000))
    assert plain.counts[8, 8] == plain.counts[0, 0] == 3


def test_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="band must be a positive"):
        gistar_z(np.ones((3, 3)), 100.0, 0.0)
    with pytest.raises(ValueError, match="lattice of shape"):
        gistar_z(np.ones(3), 100.0)
    with pytest.raises(ValueError, match="finite"):
        gistar_z(np.array([[1.0, np.nan]]), 100.0)
    with pytest.raises(ValueError, match="confidence levels"):
        hotspot_gistar([[0.0, 0.0]], cell_size=10, confidence=(0.9, 1.0))
