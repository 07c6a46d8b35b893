"""Issue #3 speed goal: the Knox near-repeat test with 20,000 events and 999 permutations at
least 20x faster than a brute-force all-pairs numpy baseline, measured in the same run.

Events: 20,000 real Derbyshire locations (data.police.uk, December 2018 to February 2019, all
crime types, from the sample bundled in ``asbhub/data/sample``), each given a seeded random
time within its month, since police.uk publishes the month only.

- **asbhub**: :func:`asbhub.analysis.near_repeat_knox`, default bands (5 x 100 m, 5 x 7 days),
  999 permutations, timed in full.
- **brute force**: every one of the ~200 million pairs in row blocks. The distances and spatial
  band codes are computed once (locations never move); then for each ordering of the times
  only the time gaps and their bands, added to the spatial codes, one ``bincount`` per block.
  The one-off part is timed in full; the per-table part on the observed table and two
  permutations, scaled to 1 + 999 tables, so the verdict says "estimated". Its tables are
  checked equal to asbhub's (no verdict otherwise).

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

from bench.yardstick import verdict

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


def spatial_codes(x, y, s_edges, nt: int, block: int = 128) -> list[np.ndarray]:
    """The spatial band code (times ``nt``) of every pair, once: locations never move.

    One int8 array per row block ``i0:i1`` against the columns ``i0:n`` (its own square
    included; only its upper triangle is counted), about n^2 / 2 bytes in all.
    """
    n = len(x)
    out = []
    for i0 in range(0, n, block):
        i1 = min(i0 + block, n)
        d = np.hypot(x[i0:i1, None] - x[None, i0:n], y[i0:i1, None] - y[None, i0:n])
        code = np.zeros(d.shape, dtype=np.int8)
        for e in s_edges[1:]:
            code += d > e  # right-closed bands: count the upper edges strictly below
        code *= nt
        out.append(code)
    return out


def tables_from_codes(codes, seconds, t_edges, ns: int, orderings, block: int = 128):
    """Knox tables for each ordering of the times, from the pairs' spatial codes.

    Per ordering only the time gaps are new: for each row block, the gaps to the columns at
    and right of it, their band by comparisons added to the spatial code, one ``bincount``.
    """
    n = len(seconds)
    nt = len(t_edges)
    out = np.zeros((len(orderings), ns * nt), dtype=np.int64)
    upper = {}
    for k, order in enumerate(orderings):
        tp = seconds[order]
        for b, i0 in enumerate(range(0, n, block)):
            i1 = min(i0 + block, n)
            gap = np.abs(tp[i0:i1, None] - tp[None, i0:n])
            code = codes[b].copy()
            for e in t_edges[1:]:
                code += gap > e
            m = i1 - i0
            if m not in upper:
                upper[m] = np.triu_indices(m, 1)
            out[k] += np.bincount(code[:, :m][upper[m]], minlength=ns * nt)
            if i1 < n:
                out[k] += np.bincount(code[:, m:].ravel(), minlength=ns * nt)
    return out.reshape(len(orderings), ns, nt)


def brute_force_tables(x, y, seconds, s_edges, t_edges, orderings, block: int = 128):
    """Knox tables by enumerating every pair ``i < j`` for each ordering of the times.

    Written to be a fair numpy baseline, not a straw man: the distances and spatial band
    codes are computed once (:func:`spatial_codes`), then per ordering only the time gaps
    (:func:`tables_from_codes`); blocks of rows (the best block size measured), band codes
    from plain comparisons into int8, one ``bincount`` per block.
    """
    codes = spatial_codes(x, y, s_edges, len(t_edges), block)
    return tables_from_codes(codes, seconds, t_edges, len(s_edges), orderings, block)


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
    s_edges, t_edges = knox.spatial.count_edges, knox.temporal.count_edges
    t0 = time.perf_counter()
    codes = spatial_codes(x, y, s_edges, len(t_edges))
    once = time.perf_counter() - t0
    t0 = time.perf_counter()
    brute = tables_from_codes(codes, secs, t_edges, len(s_edges), orderings)
    per_table = (time.perf_counter() - t0) / BASELINE_TABLES
    del codes
    same = np.array_equal(brute[0], knox.observed) and np.array_equal(
        brute[1:], knox.permuted[: BASELINE_TABLES - 1]
    )
    scaled = once + per_table * tables
    print(
        f"brute force all pairs: distances and spatial bands once {once:.2f} s; then per "
        f"table (time gaps only) {per_table:.2f} s ({n_pairs / per_table / 1e6:,.0f} M pairs/s),"
        f" timed on {BASELINE_TABLES} tables, scaled to {tables}: {once:.1f} + "
        f"{per_table:.2f} x {tables} = {scaled:,.0f} s"
    )
    print(f"  brute-force tables equal to asbhub's: {same}")
    ratio = scaled / fast
    estimated = BASELINE_TABLES < tables
    print(
        verdict(
            "Knox",
            baseline="numpy brute force over all pairs",
            settings=f"distances and spatial bands once, times permuted, row blocks of 128; "
            f"{BASELINE_TABLES} of {tables} tables timed",
            estimated=estimated,
            ratio=ratio,
            goal=f">= {GOAL:g}x",
            ok=ratio >= GOAL,
            matched=same,
            why_unmatched="brute-force tables differ from asbhub's",
        )
    )

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
