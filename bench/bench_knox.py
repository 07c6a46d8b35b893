"""Issue #3 speed goal: the Knox near-repeat test with 20,000 events and 999 permutations at
least 20x faster than a brute-force all-pairs numpy baseline, measured in the same run.

Events: 20,000 real Derbyshire locations (data.police.uk, December 2018 to February 2019, all
crime types, from the sample bundled in ``asbhub/data/sample``), each given a seeded random
time within its month, since police.uk publishes the month only.

- **asbhub**: :func:`asbhub.analysis.near_repeat_knox`, default bands (5 x 100 m, 5 x 7 days),
  999 permutations, timed in full.
- **brute force**: for each ordering of the times, every one of the ~200 million pairs in
  row blocks: distance, time gap, band of each by comparisons, ``bincount``. Timed on the observed table and a
  few permutations and scaled to 1 + 999 tables. Its tables are checked equal to asbhub's.

Peak memory of the asbhub run is measured with ``tracemalloc`` (numpy reports its buffers to
it) in a second run, and the process's peak resident set size is printed too.
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "asbhub" / "data" / "sample"
N_EVENTS = 20_000
N_PERMUTATIONS = 999
BASELINE_TABLES = 3  # the observed table and two permutations
GOAL = 20.0
SEED = 2021


def _events() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from asbhub.geo.projection import to_bng
    from asbhub.ingest.police_uk import read_police_uk

    archives = sorted(SAMPLE.glob("*.zip"))
    if not archives:
        raise SystemExit(
            f"no police.uk sample zip in {SAMPLE}: the bench needs the bundled Derbyshire sample"
        )
    xs, ys, months = [], [], []
    with zipfile.ZipFile(archives[0]) as zf:
        for name in sorted(n for n in zf.namelist() if n.endswith("-street.csv")):
            rows = read_police_uk(name, zf.read(name)).rows
            rows = rows.filter(rows["longitude"].is_not_null() & rows["latitude"].is_not_null())
            x, y = to_bng(rows["longitude"].to_numpy(), rows["latitude"].to_numpy())
            xs.append(x)
            ys.append(y)
            months.append(np.full(len(x), np.datetime64(name[:7], "M")))
    x, y, m = np.concatenate(xs), np.concatenate(ys), np.concatenate(months)
    if len(x) < N_EVENTS:
        raise SystemExit(f"the sample has {len(x)} located events; the bench needs {N_EVENTS}")
    rng = np.random.default_rng(SEED)
    pick = np.sort(rng.choice(len(x), N_EVENTS, replace=False))
    start = m[pick].astype("datetime64[s]")
    length = ((m[pick] + 1).astype("datetime64[s]") - start).astype(np.int64)
    t = start + (rng.random(N_EVENTS) * length).astype("timedelta64[s]")
    return x[pick], y[pick], t


def brute_force_tables(x, y, seconds, s_edges, t_edges, orderings, block: int = 128):
    """Knox tables by enumerating every pair ``i < j`` for each ordering of the times.

    Written to be a fair numpy baseline, not a straw man: blocks of rows against the columns to
    their right (the best block size measured), band codes from plain comparisons into int8,
    one ``bincount`` per block.
    """
    n = len(x)
    ns, nt = len(s_edges), len(t_edges)
    out = np.zeros((len(orderings), ns * nt), dtype=np.int64)

    def codes(tp, i0, i1, j0, j1):
        d = np.hypot(x[i0:i1, None] - x[None, j0:j1], y[i0:i1, None] - y[None, j0:j1])
        gap = np.abs(tp[i0:i1, None] - tp[None, j0:j1])
        code = np.zeros(d.shape, dtype=np.int8)
        for e in s_edges[1:]:
            code += d > e  # right-closed bands: count the upper edges strictly below
        code *= nt
        for e in t_edges[1:]:
            code += gap > e
        return code

    for k, order in enumerate(orderings):
        tp = seconds[order]
        for i0 in range(0, n, block):
            i1 = min(i0 + block, n)
            diagonal = codes(tp, i0, i1, i0, i1)[np.triu_indices(i1 - i0, 1)]
            out[k] += np.bincount(diagonal, minlength=ns * nt)
            if i1 < n:
                out[k] += np.bincount(codes(tp, i0, i1, i1, n).ravel(), minlength=ns * nt)
    return out.reshape(len(orderings), ns, nt)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3  # bytes on macOS, else KiB


def run() -> None:
    from asbhub.analysis.near_repeat import event_seconds, near_repeat_knox

    x, y, t = _events()
    n_pairs = N_EVENTS * (N_EVENTS - 1) // 2
    print(
        f"events: {N_EVENTS:,} real Derbyshire locations (police.uk, Dec 2018 - Feb 2019), "
        f"seeded times within each month; {n_pairs:,} pairs"
    )

    t0 = time.perf_counter()
    knox = near_repeat_knox(x, y, t, n_permutations=N_PERMUTATIONS, seed=SEED)
    fast = time.perf_counter() - t0
    tables = N_PERMUTATIONS + 1
    print(
        f"asbhub near_repeat_knox: {fast:.2f} s for 1 + {N_PERMUTATIONS} tables "
        f"({knox.n_close_pairs:,} pairs within {knox.spatial.edges[-1]:g} m recounted per "
        f"permutation)"
    )
    print(
        f"  {knox.n_close_pairs * tables / fast / 1e6:,.0f} M close pairs/s; "
        f"{n_pairs * tables / fast / 1e9:,.1f} G pairs/s effective over all pairs"
    )

    secs, _ = event_seconds(t)
    secs = secs - secs.min()
    rng = np.random.default_rng(SEED)
    orderings = [np.arange(N_EVENTS)] + [
        rng.permutation(N_EVENTS) for _ in range(BASELINE_TABLES - 1)
    ]
    t0 = time.perf_counter()
    brute = brute_force_tables(
        x, y, secs, knox.spatial.count_edges, knox.temporal.count_edges, orderings
    )
    per_table = (time.perf_counter() - t0) / BASELINE_TABLES
    same = np.array_equal(brute[0], knox.observed) and np.array_equal(
        brute[1:], knox.permuted[: BASELINE_TABLES - 1]
    )
    scaled = per_table * tables
    print(
        f"brute force all pairs: {per_table:.2f} s per table ({n_pairs / per_table / 1e6:,.0f}"
        f" M pairs/s), timed on {BASELINE_TABLES} tables, scaled to {tables}: {scaled:,.0f} s"
    )
    print(f"  brute-force tables equal to asbhub's: {same}")
    ratio = scaled / fast
    print(f"speed-up: {ratio:,.0f}x (goal >= {GOAL:g}x: {'met' if ratio >= GOAL else 'NOT met'})")

    tracemalloc.start()
    near_repeat_knox(x, y, t, n_permutations=N_PERMUTATIONS, seed=SEED)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"peak memory: asbhub Knox {peak / 1e6:,.0f} MB (tracemalloc); "
        f"whole bench process {_peak_rss_mb():,.0f} MB resident (brute force included)"
    )
    if not same:
        raise SystemExit("brute-force and asbhub tables differ")
