"""near_repeat_knox against a brute force over all pairs written out here, with points exactly
on band edges and tied times, and on real Derbyshire locations with seeded synthetic times."""

from __future__ import annotations

import numpy as np
import pytest

from asbhub.analysis import near_repeat
from asbhub.analysis.near_repeat import KnoxBands, NearRepeatKnox, near_repeat_knox

DEFAULT_S = (0, 100, 200, 300, 400, 500)
DEFAULT_T = (0, 7, 14, 21, 28, 35)


# --------------------------------------------------------------------------------------------
# The reference: every pair, bands decided by plain comparisons (no searchsorted, no k-d tree)
# --------------------------------------------------------------------------------------------


def _band(values: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Right-closed bands: how many upper edges the value is strictly above."""
    return sum((values > e).astype(np.intp) for e in edges[1:])


def brute_knox(x, y, t_days, s_edges=DEFAULT_S, t_edges=DEFAULT_T) -> np.ndarray:
    """Distances by numpy.hypot; times and edges resolved to whole seconds, as documented (so
    that a gap of 168 hours is exactly 7 days, which float days minus float days need not be)."""
    x, y = (np.asarray(a, dtype=float) for a in (x, y))
    t = np.rint(np.asarray(t_days, dtype=float) * 86_400).astype(np.int64)
    i, j = np.triu_indices(len(x), k=1)
    d = np.hypot(x[i] - x[j], y[i] - y[j])
    dt = np.abs(t[i] - t[j])
    t_secs = tuple(round(e * 86_400) for e in t_edges)
    table = np.zeros((len(s_edges), len(t_edges)), dtype=np.int64)
    np.add.at(table, (_band(d, s_edges), _band(dt, t_secs)), 1)
    return table


def brute_permutations(x, y, t_days, seed, n_perm, s_edges=DEFAULT_S, t_edges=DEFAULT_T):
    """The documented stream: permutation k is the k-th rng.permutation(n) of default_rng."""
    rng = np.random.default_rng(seed)
    t = np.asarray(t_days, dtype=float)
    return np.stack(
        [brute_knox(x, y, t[rng.permutation(len(t))], s_edges, t_edges) for _ in range(n_perm)]
    )


def _edge_data(n: int = 160, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points on a 50 m lattice (so many pairs are exactly 100, 200, ... m apart, and some
    exactly 0) and whole-day times (so many gaps are exactly 7, 14, ... days, and tied)."""
    rng = np.random.default_rng(seed)
    x = 430_000 + 50.0 * rng.integers(0, 16, n)
    y = 330_000 + 50.0 * rng.integers(0, 16, n)
    t = rng.integers(0, 60, n).astype(float)
    return x, y, t


# --------------------------------------------------------------------------------------------
# Bands and labels
# --------------------------------------------------------------------------------------------


def test_default_bands_are_labelled_as_counted() -> None:
    s = KnoxBands.spatial(DEFAULT_S)
    assert s.labels == (
        "0 to 100 m",
        "over 100 to 200 m",
        "over 200 to 300 m",
        "over 300 to 400 m",
        "over 400 to 500 m",
        "over 500 m",
    )
    assert s.intervals[:2] == ("[0, 100]", "(100, 200]") and s.intervals[-1] == "(500, inf)"
    # The label's promise, checked at and either side of every edge.
    values = [0, 100, np.nextafter(100, 200), 200, 499.999, 500, 500.001]
    assert s.assign(values).tolist() == [0, 0, 1, 1, 4, 4, 5]
    t = KnoxBands.temporal(DEFAULT_T)
    assert t.labels == (
        "0 to 7 days",
        "over 7 to 14 days",
        "over 14 to 21 days",
        "over 21 to 28 days",
        "over 28 to 35 days",
        "over 35 days",
    )
    day = 86_400
    assert t.assign([0, 7 * day, 7 * day + 1, 14 * day, 35 * day + 1]).tolist() == [0, 0, 1, 1, 5]


def test_uneven_and_fractional_edges_are_labelled_exactly() -> None:
    s = KnoxBands.spatial([0, 1, 50, 125.5])
    assert s.labels == ("0 to 1 m", "over 1 to 50 m", "over 50 to 125.5 m", "over 125.5 m")
    t = KnoxBands.temporal([0, 0.5, 1, 2, 30])
    assert t.labels == (
        "0 to 12 hours",
        "over 12 to 24 hours",
        "over 1 to 2 days",
        "over 2 to 30 days",
        "over 30 days",
    )
    # A third of a day is resolved to the second; the label says what was counted.
    t3 = KnoxBands.temporal([0, 1 / 3])
    assert t3.count_edges == (0, 28_800) and t3.labels == ("0 to 8 hours", "over 8 hours")
    assert KnoxBands.temporal([0, 1]).labels == ("0 to 1 day", "over 1 day")


@pytest.mark.parametrize(
    "edges", [[], [0], [10, 20], [0, 100, 100], [0, 200, 100], [0, float("inf")], ["a", "b"]]
)
def test_bad_edges_say_what_is_wrong(edges) -> None:
    with pytest.raises(ValueError, match="spatial_edges"):
        KnoxBands.spatial(edges)


def test_edges_and_bandwidth_together_are_refused() -> None:
    x, y, t = _edge_data(10)
    with pytest.raises(ValueError, match="either spatial_edges or"):
        near_repeat_knox(x, y, t, spatial_edges=[0, 100], spatial_bandwidth=50)
    with pytest.raises(ValueError, match="n_permutations"):
        near_repeat_knox(x, y, t, n_permutations=0)


def test_bandwidth_and_band_count_set_the_edges_and_are_reported() -> None:
    x, y, t = _edge_data(30)
    r = near_repeat_knox(
        x,
        y,
        t,
        spatial_bandwidth=50,
        n_spatial_bands=3,
        temporal_bandwidth=1,
        n_temporal_bands=2,
        n_permutations=9,
        seed=1,
    )
    assert r.spatial.edges == (0, 50, 100, 150)
    assert r.temporal.edges == (0, 1, 2)
    assert r.spatial.rule == "bandwidth: 3 bands of 50 m"
    assert r.temporal.labels == ("0 to 1 day", "over 1 to 2 days", "over 2 days")
    d = near_repeat_knox(x, y, t, n_permutations=9, seed=1)
    assert d.spatial.rule == "default: 5 bands of 100 m"
    assert d.spatial.edges == DEFAULT_S and d.temporal.edges == DEFAULT_T


# --------------------------------------------------------------------------------------------
# Observed counts
# --------------------------------------------------------------------------------------------


def test_hand_counted_table_on_the_edges() -> None:
    # A at the origin; B exactly 100 m east (3-4-5: 60 m, 80 m), C 100.5 m north, D 600 m away.
    x = [0.0, 60.0, 0.0, 600.0]
    y = [0.0, 80.0, 100.5, 0.0]
    t = [0.0, 7.0, 8.0, 7.0]  # gaps A-B 7 days (in 0 to 7), A-C 8 days, B-D 0 days
    r = near_repeat_knox(
        x, y, t, spatial_edges=[0, 100, 200], temporal_edges=[0, 7, 14], n_permutations=19, seed=3
    )
    # Pairs: AB (100 m, 7 d) -> [0-100, 0-7]; AC (100.5, 8) -> [100-200, 7-14];
    # AD (600, 7) -> [>200, 0-7]; BC (60.2 m, 1 d) -> [0-100, 0-7];
    # BD (~556 m, 0 d) -> [>200, 0-7]; CD (~608 m, 1 d) -> [>200, 0-7].
    assert r.observed.tolist() == [[2, 0, 0], [0, 1, 0], [3, 0, 0]]
    assert r.n_pairs == 6 and r.n_close_pairs == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_observed_equals_brute_force_with_edges_and_ties(seed: int) -> None:
    x, y, t = _edge_data(seed=seed)
    r = near_repeat_knox(x, y, t, n_permutations=1, seed=0)
    expected = brute_knox(x, y, t)
    np.testing.assert_array_equal(r.observed, expected)
    assert r.observed.sum() == r.n_pairs == 160 * 159 // 2
    # The data really do sit on the edges: otherwise this test could not catch an off-by-one.
    i, j = np.triu_indices(160, 1)
    d = np.hypot(x[i] - x[j], y[i] - y[j])
    gaps = np.abs(t[i] - t[j])
    assert (d == 100).sum() > 50 and (d == 0).sum() > 10 and (d == 500).sum() > 10
    assert (gaps == 7).sum() > 50 and (gaps == 0).sum() > 50


def test_observed_equals_brute_force_with_uneven_edges_and_fractional_days() -> None:
    rng = np.random.default_rng(5)
    n = 200
    x = rng.uniform(0, 800, n)
    y = rng.uniform(0, 800, n)
    t = rng.integers(0, 20 * 24, n) / 24.0  # whole hours, many exactly on the edges
    s_edges, t_edges = (0, 25, 60, 250), (0, 0.5, 1, 3.5, 10)
    r = near_repeat_knox(
        x, y, t, spatial_edges=s_edges, temporal_edges=t_edges, n_permutations=1, seed=0
    )
    np.testing.assert_array_equal(r.observed, brute_knox(x, y, t, s_edges, t_edges))


def test_a_gap_of_exactly_seven_days_in_fractional_days_is_in_0_to_7_days() -> None:
    # 26 h and 194 h as days: float subtraction gives 7.000000000000001, but times are
    # resolved to whole seconds first, so the gap is exactly 7 days, as the label promises.
    t = [26 / 24, 194 / 24]
    assert t[1] - t[0] > 7
    r = near_repeat_knox([0.0, 0.0], [0.0, 0.0], t, n_permutations=1, seed=0)
    assert r.observed[0].tolist() == [1, 0, 0, 0, 0, 0]


def test_datetimes_and_days_give_the_same_table() -> None:
    x, y, t = _edge_data(80)
    dates = np.datetime64("2021-01-01T00:00") + (t * 86_400).astype("timedelta64[s]")
    a = near_repeat_knox(x, y, t, n_permutations=49, seed=11)
    b = near_repeat_knox(x, y, dates, n_permutations=49, seed=11)
    c = near_repeat_knox(x, y, dates.astype(str), n_permutations=49, seed=11)
    for other in (b, c):
        np.testing.assert_array_equal(a.observed, other.observed)
        np.testing.assert_array_equal(a.permuted, other.permuted)


def test_events_missing_a_coordinate_or_time_are_left_out_and_listed() -> None:
    x, y, t = _edge_data(50)
    x[3], y[10] = np.nan, np.inf
    dates = np.datetime64("2021-01-01", "s") + (t * 86_400).astype("timedelta64[s]")
    dates[20] = np.datetime64("NaT")
    r = near_repeat_knox(x, y, dates, n_permutations=9, seed=0)
    assert r.excluded_indices.tolist() == [3, 10, 20]
    assert r.n_events == 47
    keep = np.setdiff1d(np.arange(50), [3, 10, 20])
    np.testing.assert_array_equal(r.observed, brute_knox(x[keep], y[keep], t[keep]))


def test_events_all_far_apart_fill_only_the_open_ended_row() -> None:
    x = [0.0, 1000.0, 2000.0, 3000.0]
    t = [0.0, 3.0, 10.0, 100.0]
    r = near_repeat_knox(x, [0.0] * 4, t, n_permutations=9, seed=0)
    assert r.n_close_pairs == 0
    # Gaps 3, 10, 100, 7, 97, 90 days: 0-7 twice, 7-14 once, beyond 35 three times.
    assert r.observed[-1].tolist() == [2, 1, 0, 0, 0, 3] and r.observed[:-1].sum() == 0
    assert (r.p_values[-1] == 1.0).all()  # every shuffle gives the same table


def test_too_few_events_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least two events"):
        near_repeat_knox([1.0, np.nan], [1.0, 2.0], [0.0, 1.0])


# --------------------------------------------------------------------------------------------
# Permutations and p-values
# --------------------------------------------------------------------------------------------


def test_permutations_and_p_values_equal_the_brute_force_on_the_same_permutations() -> None:
    x, y, t = _edge_data(120, seed=4)
    r = near_repeat_knox(x, y, t, n_permutations=60, seed=2024)
    perms = brute_permutations(x, y, t, seed=2024, n_perm=60)
    np.testing.assert_array_equal(r.permuted, perms)
    obs = brute_knox(x, y, t)
    p = (1 + (perms >= obs).sum(axis=0)) / 61
    np.testing.assert_array_equal(r.p_values, p)
    np.testing.assert_allclose(r.expected, perms.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(r.ratio, obs / perms.mean(axis=0), rtol=1e-12)


def test_seed_makes_runs_reproducible_and_an_unseeded_run_records_its_seed() -> None:
    x, y, t = _edge_data(100)
    a = near_repeat_knox(x, y, t, n_permutations=99, seed=42)
    b = near_repeat_knox(x, y, t, n_permutations=99, seed=42)
    c = near_repeat_knox(x, y, t, n_permutations=99, seed=43)
    np.testing.assert_array_equal(a.permuted, b.permuted)
    np.testing.assert_array_equal(a.p_values, b.p_values)
    assert not np.array_equal(a.permuted, c.permuted)
    assert a.seed == 42 and a.n_permutations == 99
    u = near_repeat_knox(x, y, t, n_permutations=99)
    again = near_repeat_knox(x, y, t, n_permutations=99, seed=u.seed)
    np.testing.assert_array_equal(u.permuted, again.permuted)


def test_batching_does_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y, t = _edge_data(150, seed=7)
    whole = near_repeat_knox(x, y, t, n_permutations=37, seed=5)
    monkeypatch.setattr(near_repeat, "_BATCH_ELEMENTS", 1)  # one permutation per batch
    single = near_repeat_knox(x, y, t, n_permutations=37, seed=5)
    np.testing.assert_array_equal(whole.permuted, single.permuted)


def test_permutations_keep_both_margins() -> None:
    # Shuffling times keeps which pairs are close in space and the multiset of time gaps.
    x, y, t = _edge_data(120, seed=8)
    r = near_repeat_knox(x, y, t, n_permutations=30, seed=1)
    assert (r.permuted.sum(axis=(1, 2)) == r.n_pairs).all()
    np.testing.assert_array_equal(
        r.permuted.sum(axis=2), np.broadcast_to(r.observed.sum(axis=1), (30, 6))
    )
    np.testing.assert_array_equal(
        r.permuted.sum(axis=1), np.broadcast_to(r.observed.sum(axis=0), (30, 6))
    )


def _random_events(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    return rng.uniform(0, 5000, n), rng.uniform(0, 5000, n), rng.uniform(0, 365, n)


def test_planted_near_repeats_are_found() -> None:
    rng = np.random.default_rng(99)
    x, y, t = _random_events(rng, 400)
    # A follow-up within 50 m and 3 days of 80 of them.
    k = rng.choice(400, 80, replace=False)
    angle = rng.uniform(0, 2 * np.pi, 80)
    x2 = x[k] + 50 * rng.uniform(0, 1, 80) * np.cos(angle)
    y2 = y[k] + 50 * rng.uniform(0, 1, 80) * np.sin(angle)
    t2 = t[k] + rng.uniform(0, 3, 80)
    r = near_repeat_knox(np.r_[x, x2], np.r_[y, y2], np.r_[t, t2], n_permutations=199, seed=1)
    assert r.ratio[0, 0] > 3
    assert r.p_values[0, 0] == 1 / 200  # no permutation reached the observed count
    assert isinstance(r, NearRepeatKnox)
    rows = r.table()
    assert rows[0]["spatial_band"] == "0 to 100 m" and rows[0]["temporal_band"] == "0 to 7 days"
    assert rows[0]["observed"] == r.observed[0, 0] and len(rows) == 36


def test_no_space_time_interaction_gives_no_signal() -> None:
    rng = np.random.default_rng(100)
    x, y, t = _random_events(rng, 480)
    r = near_repeat_knox(x, y, t, n_permutations=199, seed=2)
    assert 0.5 < r.ratio[0, 0] < 1.5
    assert r.p_values[0, 0] > 0.05
    # Under the null, about 5% of cells at p <= 0.05; far more would mean a biased test.
    assert (r.p_values <= 0.05).sum() <= 6


def test_result_arrays_are_read_only() -> None:
    x, y, t = _edge_data(30)
    r = near_repeat_knox(x, y, t, n_permutations=9, seed=0)
    with pytest.raises(ValueError):
        r.observed[0, 0] = 1


# --------------------------------------------------------------------------------------------
# Real locations: Derbyshire ASB, January 2019 (data.police.uk), with seeded synthetic times
# --------------------------------------------------------------------------------------------


def test_real_derbyshire_locations_match_the_brute_force(derbyshire_asb_bng) -> None:
    pts = derbyshire_asb_bng
    assert len(pts) == 2980
    rng = np.random.default_rng(2019)
    # police.uk snaps locations to anonymous map points, so many share a point exactly (d = 0).
    sub = pts[rng.choice(len(pts), 1500, replace=False)]
    t = rng.integers(0, 31 * 24, len(sub)) / 24.0  # January, to the hour
    r = near_repeat_knox(sub[:, 0], sub[:, 1], t, n_permutations=5, seed=7)
    np.testing.assert_array_equal(r.observed, brute_knox(sub[:, 0], sub[:, 1], t))
    np.testing.assert_array_equal(
        r.permuted, brute_permutations(sub[:, 0], sub[:, 1], t, seed=7, n_perm=5)
    )
    assert r.observed[0].sum() > 1000  # plenty of pairs within 100 m, many at the same point
