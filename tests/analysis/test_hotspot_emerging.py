"""Emerging hot spots (issue #16 item 1): space-time Gi* against a brute force, and a
constructed cube on which every ArcGIS category appears where it was built."""

from __future__ import annotations

import numpy as np
import pytest

from asbhub.analysis import (
    EMERGING_CATEGORIES,
    emerging_cube,
    hotspot_emerging,
    spacetime_gistar_z,
)
from asbhub.analysis.stats import mann_kendall
from bench.emerging_reference import brute_force_spacetime_gistar

T = 10
BACKGROUND = 20.0


@pytest.mark.parametrize(
    ("shape", "band_cells", "time_steps"),
    [((5, 6, 7), 1.5, 1), ((6, 5, 4), 2.3, 2), ((4, 7, 7), 1.0, 0), ((3, 4, 5), 3.0, 5)],
)
def test_spacetime_gistar_equals_brute_force(
    shape: tuple[int, int, int], band_cells: float, time_steps: int
) -> None:
    rng = np.random.default_rng(sum(shape) + time_steps)
    counts = rng.poisson(2.0, size=shape).astype(float)
    mask = rng.random(shape[1:]) > 0.25
    cell = 150.0
    z, w = spacetime_gistar_z(counts, cell, band_cells * cell, time_steps, mask)
    z_ref, w_ref = brute_force_spacetime_gistar(counts, mask, cell, band_cells * cell, time_steps)
    np.testing.assert_array_equal(w, w_ref)
    np.testing.assert_allclose(z, z_ref, rtol=0, atol=1e-9)
    # Not a trivial agreement: the time neighbours change the answer.
    if time_steps:
        z0, _ = spacetime_gistar_z(counts, cell, band_cells * cell, 0, mask)
        assert np.abs(z0 - z).max() > 0.1


def test_default_mask_leaves_empty_cells_out() -> None:
    counts = np.zeros((3, 4, 4))
    counts[:, :2, :2] = [[[1, 2], [3, 4]], [[2, 2], [0, 1]], [[5, 0], [1, 1]]]
    r = emerging_cube(counts, cell_size=100)
    assert r.mask.sum() == 4
    assert (r.categories[2:, :] == -1).all() and (r.z[:, 2:, :] == 0).all()
    # The mean is over the 12 analysed bins only, not the 48 of the lattice.
    z_ref, _ = brute_force_spacetime_gistar(counts, r.mask, 100.0, 100 * 2**0.5, 1)
    np.testing.assert_allclose(r.z, z_ref, atol=1e-9)


# Where each constructed location sits (3 x 3 block centres) and the value of its block in
# each of the T time steps; everywhere else is BACKGROUND. Hot values are well above it, cold
# ones well below, so with the band of the 3 x 3 block each centre is significant exactly in
# the steps its block is changed.
HOT, COLD = 45.0, 5.0
UP = [40.0 + 2 * t for t in range(T)]
DOWN = UP[::-1]
COLD_DOWN = [9.0 - t for t in range(T)]
COLD_UP = COLD_DOWN[::-1]


def _series(default: float, **steps: float) -> list[float]:
    out = [default] * T
    for key, value in steps.items():
        out[int(key[1:])] = value
    return out


CONSTRUCTED: dict[str, list[float]] = {
    "new hot spot": _series(BACKGROUND, s9=HOT),
    "consecutive hot spot": _series(BACKGROUND, s7=HOT, s8=HOT, s9=HOT),
    "intensifying hot spot": UP,
    "persistent hot spot": [HOT] * T,
    "diminishing hot spot": DOWN,
    "sporadic hot spot": _series(BACKGROUND, s1=HOT, s4=HOT, s9=HOT),
    "oscillating hot spot": _series(BACKGROUND, s2=COLD, s9=HOT),
    "historical hot spot": _series(HOT, s9=BACKGROUND),
    "new cold spot": _series(BACKGROUND, s9=COLD),
    "consecutive cold spot": _series(BACKGROUND, s7=COLD, s8=COLD, s9=COLD),
    "intensifying cold spot": COLD_DOWN,
    "persistent cold spot": [COLD] * T,
    "diminishing cold spot": COLD_UP,
    "sporadic cold spot": _series(BACKGROUND, s1=COLD, s4=COLD, s9=COLD),
    "oscillating cold spot": _series(BACKGROUND, s2=HOT, s9=COLD),
    "historical cold spot": _series(COLD, s9=BACKGROUND),
    "no pattern": [BACKGROUND] * T,
}


def _constructed_cube() -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
    side = 5 * 6
    cube = np.full((T, side, side), BACKGROUND)
    where: dict[str, tuple[int, int]] = {}
    for i, (name, values) in enumerate(CONSTRUCTED.items()):
        r, c = 2 + 6 * (i // 5), 2 + 6 * (i % 5)
        cube[:, r - 1 : r + 2, c - 1 : c + 2] = np.asarray(values)[:, None, None]
        where[name] = (r, c)
    return cube, where


def test_every_category_appears_on_its_constructed_cube() -> None:
    cube, where = _constructed_cube()
    r = emerging_cube(cube, cell_size=100, time_steps=0)
    found = {name: EMERGING_CATEGORIES[r.categories[rc]] for name, rc in where.items()}
    assert found == {name: name for name in CONSTRUCTED}
    counts = r.category_counts()
    assert all(counts[name] >= 1 for name in EMERGING_CATEGORIES)
    # The trend categories rest on a significant Mann-Kendall trend; persistent on none.
    rc = where["intensifying hot spot"]
    assert r.trend_s[rc] == 45 and r.trend_p[rc] < 0.05
    assert r.trend_p[where["persistent hot spot"]] == 1.0
    assert r.trend_s[where["intensifying cold spot"]] == -45


def test_categories_follow_the_90_percent_and_run_rules() -> None:
    """Hot in 9 of 10 steps (a break in step 4) is persistent with share 0.9 and sporadic
    with 0.95; hot in steps 1 to 9 only is one run to the end: consecutive with 0.95."""
    cube, where = _constructed_cube()
    rc = where["persistent hot spot"]
    r, c = rc
    block = (slice(r - 1, r + 2), slice(c - 1, c + 2))
    cube[(4, *block)] = BACKGROUND
    res = emerging_cube(cube, cell_size=100, time_steps=0)
    assert EMERGING_CATEGORIES[res.categories[rc]] == "persistent hot spot"
    strict = emerging_cube(cube, cell_size=100, time_steps=0, share=0.95)
    assert EMERGING_CATEGORIES[strict.categories[rc]] == "sporadic hot spot"
    cube[(4, *block)] = HOT
    cube[(0, *block)] = BACKGROUND
    strict = emerging_cube(cube, cell_size=100, time_steps=0, share=0.95)
    assert EMERGING_CATEGORIES[strict.categories[rc]] == "consecutive hot spot"


def test_trend_is_mann_kendall_on_the_z_series() -> None:
    cube, where = _constructed_cube()
    r = emerging_cube(cube, cell_size=100)
    rc = where["diminishing hot spot"]
    mk = mann_kendall(r.z[:, rc[0], rc[1]])
    assert r.trend_s[rc] == mk.s and r.trend_p[rc] == pytest.approx(float(mk.p), abs=0)


def test_hotspot_emerging_from_points_reports_its_parameters() -> None:
    cube, where = _constructed_cube()
    # Points at cell centres, one per unit of count, months 2019-01 to 2019-10.
    t, rr, cc = np.nonzero(cube)
    reps = cube[t, rr, cc].astype(int)
    x = np.repeat(430000 + (cc + 0.5) * 100, reps)
    y = np.repeat(330000 + (rr + 0.5) * 100, reps)
    months = np.repeat(np.datetime64("2019-01", "M") + t, reps)
    res = hotspot_emerging(
        np.column_stack([x, y]),
        months,
        cell_size=100,
        extent=(430000, 330000, 432999, 332999),
        time_steps=0,
    )
    assert res.grid.shape == (30, 30) and res.n_periods == T
    np.testing.assert_array_equal(res.counts, cube)
    assert EMERGING_CATEGORIES[res.categories[where["oscillating cold spot"]]] == (
        "oscillating cold spot"
    )
    prm = res.parameters()
    assert prm["band"] == pytest.approx(100 * 2**0.5)
    assert prm["time_steps"] == 0 and prm["confidence"] == 0.9 and prm["share"] == 0.9
    assert prm["periods"][0] == "2019-01-01" and prm["cells_analysed"] == 900


def test_errors_say_what_to_change() -> None:
    with pytest.raises(ValueError, match="at least 2 time steps"):
        emerging_cube(np.ones((1, 3, 3)), cell_size=100)
    with pytest.raises(ValueError, match=r"shape \(time steps, ny, nx\)"):
        emerging_cube(np.ones((3, 3)), cell_size=100)
    with pytest.raises(ValueError, match="time_steps must be a whole number"):
        emerging_cube(np.ones((3, 3, 3)), cell_size=100, time_steps=-1)
    with pytest.raises(ValueError, match="mask must have one value per cell"):
        emerging_cube(np.ones((3, 3, 3)), cell_size=100, mask=np.ones((2, 2), bool))


@pytest.mark.parametrize("scale", [1.0, 0.37])  # whole counts (grouped by key) and weights
def test_p_and_q_are_fdr_over_every_analysed_bin(scale: float) -> None:
    from asbhub.analysis.stats import p_and_fdr_from_z

    rng = np.random.default_rng(5)
    cube = rng.poisson(1.5, size=(6, 12, 11)) * scale
    cube[:, :3, :3] = 0  # an empty corner, left out
    r = emerging_cube(cube, cell_size=100)
    p, q = p_and_fdr_from_z(r.z[:, r.mask])
    np.testing.assert_array_equal(r.p[:, r.mask], p)
    np.testing.assert_array_equal(r.q[:, r.mask], q)
    assert (r.q[:, ~r.mask] == 1).all() and r.mask.sum() == 12 * 11 - 9


@pytest.mark.parametrize("n", [60, 300])  # a 16-bit count of S, and a 64-bit one past n = 256
def test_mann_kendall_s_is_every_pair_counted(n: int) -> None:
    rng = np.random.default_rng(n)
    x = np.round(rng.normal(size=(5, n)).cumsum(axis=1), 1)  # trends, with ties
    s = mann_kendall(x, axis=-1).s
    for row, got in zip(x, s, strict=True):
        want = sum(int(np.sign(row[j] - row[i])) for i in range(n - 1) for j in range(i + 1, n))
        assert got == want
