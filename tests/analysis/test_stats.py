"""asbhub.analysis.stats against independent references: scipy's FDR control and Kendall's
tau, and brute-force definitions written out here."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from asbhub.analysis.stats import (
    fdr_bh,
    mann_kendall,
    normal_p_two_sided,
    p_and_fdr_from_abs_z,
    p_and_fdr_from_z,
)


def _bh_rejections_brute(p: np.ndarray, alpha: float) -> np.ndarray:
    """The step-up procedure as written in Benjamini & Hochberg (1995)."""
    m = p.size
    order = np.argsort(p, kind="stable")
    k_max = 0
    for k in range(1, m + 1):
        if p[order[k - 1]] <= k / m * alpha:
            k_max = k
    rejected = np.zeros(m, dtype=bool)
    rejected[order[:k_max]] = True
    return rejected


def _mk_brute(x: np.ndarray) -> tuple[int, float]:
    n = len(x)
    s = sum(int(np.sign(x[j] - x[i])) for i, j in itertools.combinations(range(n), 2))
    _, t = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - np.sum(t * (t - 1) * (2 * t + 5))) / 18.0
    return s, var


# --- normal p-values -------------------------------------------------------------------------


def test_normal_p_two_sided_known_values() -> None:
    p = normal_p_two_sided([0.0, 1.959963984540054, -2.5758293035489004, 1.6448536269514722])
    np.testing.assert_allclose(p, [1.0, 0.05, 0.01, 0.10], rtol=1e-12)


def test_normal_p_keeps_precision_far_in_the_tail() -> None:
    # 1 - Phi(z) would round these to exactly 0.
    p = normal_p_two_sided([10.0, -30.0])
    assert p[0] == pytest.approx(2 * stats.norm.sf(10.0), rel=1e-12)
    assert p[1] == pytest.approx(2 * stats.norm.sf(30.0), rel=1e-12)
    assert p[1] > 0.0


# --- Benjamini-Hochberg ---------------------------------------------------------------------


def test_fdr_bh_matches_scipy_false_discovery_control() -> None:
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(size=500), rng.uniform(0, 0.001, size=40)])
    p[:50] = np.round(p[:50], 2)  # ties
    np.testing.assert_allclose(fdr_bh(p), stats.false_discovery_control(p, method="bh"), rtol=1e-13)


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.10])
def test_fdr_bh_rejects_exactly_what_the_step_up_procedure_rejects(alpha: float) -> None:
    rng = np.random.default_rng(11)
    p = np.concatenate([rng.uniform(size=300), rng.beta(0.2, 8, size=60)])
    p[::7] = p[3]  # a block of ties across the threshold region
    np.testing.assert_array_equal(fdr_bh(p) <= alpha, _bh_rejections_brute(p, alpha))


def test_fdr_bh_keeps_shape_and_leaves_nan_out_of_the_count() -> None:
    p = np.array([[0.01, np.nan], [0.04, 0.03]])
    q = fdr_bh(p)
    assert q.shape == (2, 2)
    assert np.isnan(q[0, 1])
    # m = 3, not 4: q = min(p * 3 / rank) from the top.
    np.testing.assert_allclose(q[[0, 1, 1], [0, 0, 1]], [0.03, 0.04, 0.04])


def test_fdr_bh_worked_example() -> None:
    np.testing.assert_allclose(fdr_bh([0.01, 0.04, 0.03, 0.5]), [0.04, 0.16 / 3, 0.16 / 3, 0.5])


def test_fdr_bh_rejects_values_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fdr_bh([0.2, 1.5])


def test_fdr_bh_empty() -> None:
    assert fdr_bh([]).shape == (0,)


def test_p_and_fdr_from_z_equals_the_two_steps() -> None:
    rng = np.random.default_rng(5)
    z = rng.normal(0, 2, size=(40, 30))
    z[:10, :10] = -0.75  # a large tie, as on a lattice
    p, q = p_and_fdr_from_z(z)
    p_ref = normal_p_two_sided(z)
    np.testing.assert_allclose(p, p_ref, rtol=1e-14, atol=0)
    np.testing.assert_allclose(
        q, stats.false_discovery_control(p_ref.ravel()).reshape(z.shape), rtol=1e-13
    )


def test_multiplicities_are_the_same_as_repeating_the_values() -> None:
    rng = np.random.default_rng(8)
    a = np.abs(rng.normal(0, 2, size=30))
    mult = rng.integers(1, 50, size=30)
    p, q = p_and_fdr_from_abs_z(a, mult)
    p_rep, q_rep = p_and_fdr_from_abs_z(np.repeat(a, mult))
    np.testing.assert_array_equal(np.repeat(p, mult), p_rep)
    np.testing.assert_allclose(np.repeat(q, mult), q_rep, rtol=1e-14)


# --- Mann-Kendall ---------------------------------------------------------------------------


def test_mann_kendall_matches_brute_force_s_and_tie_corrected_variance() -> None:
    rng = np.random.default_rng(21)
    for n in (3, 5, 8, 13, 24):
        for _ in range(5):
            x = rng.integers(0, 5, size=n).astype(float)  # many ties
            s, var = _mk_brute(x)
            r = mann_kendall(x)
            assert int(r.s) == s
            assert float(r.var_s) == pytest.approx(var, rel=1e-14)
            z_ref = 0.0 if var == 0 or s == 0 else (s - np.sign(s)) / np.sqrt(var)
            assert float(r.z) == pytest.approx(z_ref, rel=1e-12, abs=1e-15)


def test_mann_kendall_without_continuity_equals_scipy_kendalltau_against_time() -> None:
    rng = np.random.default_rng(4)
    for n in (6, 12, 30):
        for ties in (False, True):
            x = rng.normal(size=n) + 0.05 * np.arange(n)
            if ties:
                x = np.round(x, 0)
            r = mann_kendall(x, continuity=False)
            ref = stats.kendalltau(np.arange(n), x, method="asymptotic")
            assert float(r.p) == pytest.approx(ref.pvalue, rel=1e-10)
            if not ties:
                assert float(r.tau) == pytest.approx(ref.statistic, rel=1e-12)


def test_mann_kendall_vectorised_equals_one_series_at_a_time() -> None:
    rng = np.random.default_rng(9)
    cube = rng.poisson(2.0, size=(10, 4, 6)).astype(float)
    r = mann_kendall(cube, axis=0)
    assert r.s.shape == (4, 6)
    for i, j in itertools.product(range(4), range(6)):
        one = mann_kendall(cube[:, i, j])
        assert int(r.s[i, j]) == int(one.s)
        assert float(r.p[i, j]) == float(one.p)


def test_mann_kendall_known_trend_and_no_trend() -> None:
    up = mann_kendall(np.arange(10.0))
    assert int(up.s) == 45 and float(up.tau) == 1.0
    assert float(up.p) == pytest.approx(
        2 * stats.norm.sf(44 / np.sqrt(10 * 9 * 25 / 18)), rel=1e-12
    )
    flat = mann_kendall(np.full(7, 3.0))
    assert int(flat.s) == 0 and float(flat.var_s) == 0.0
    assert float(flat.z) == 0.0 and float(flat.p) == 1.0


def test_mann_kendall_rejects_short_or_nan_series() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        mann_kendall([1.0])
    with pytest.raises(ValueError, match="NaN"):
        mann_kendall([1.0, np.nan, 2.0])
