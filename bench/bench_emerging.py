"""Issue #16 speed goals for emerging hot spots and forecast accuracy, as ratios in one run.

1. **Emerging hot spots vs brute force** on a 200 x 200 x 60 cube (60 months of a 200 x 200
   lattice, fixed-seed Poisson counts with a few growing and fading clusters):
   ``emerging_cube`` (space-time Gi* z, p, FDR q, Mann-Kendall per cell, the 17 categories)
   against the brute-force space-time Gi* of ``bench/emerging_reference.py`` (every neighbour
   of every bin summed in plain Python; z only). The brute force is timed on a random sample
   of bins (best of three) and scaled to the analysed bins, so its figure is printed as
   **estimated**; z is
   checked equal on the sample. Goal: at least 100x faster. Peak memory of the fast run is
   measured with ``tracemalloc`` in a separate, untimed run.
2. **Forecast evaluation vs the maps alone**, on every month of Derbyshire ASB in the shared
   data set (the bundled three-month sample if that is missing), 250 m cells:
   ``forecast_accuracy`` with four methods (counts, KDE, Gi*, emerging; every rolling window
   and area share scored) against computing the four hot-spot maps once on all the months
   (``hotspot_count``, ``hotspot_kde``, ``hotspot_gistar``, ``hotspot_emerging`` on the same
   lattice). Goal: at most 5x.

Times are the best of several runs.
"""

from __future__ import annotations

import math
import resource
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.emerging_reference import brute_force_spacetime_gistar, global_stats

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "police-uk"
SEED = 20161016


def _best(fn: Callable[[], Any], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _peak_mb(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def synthetic_cube(n_t: int = 60, n: int = 200) -> np.ndarray:
    """Fixed-seed counts: a smooth background, empty corners (countryside to mask), and
    clusters that grow, fade, persist or flicker."""
    rng = np.random.default_rng(SEED)
    yy, xx = np.mgrid[0:n, 0:n]
    rate = 0.6 * np.exp(-(((yy - n / 2) ** 2 + (xx - n / 2) ** 2) / (2 * (n / 4) ** 2)))
    rate[(yy + xx) < n // 4] = 0.0
    t = np.arange(n_t)[:, None, None]
    lam = np.repeat(rate[None], n_t, axis=0)
    for k in range(12):
        cy, cx = rng.integers(20, n - 20, size=2)
        blob = np.exp(-(((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 3.0**2)))[None]
        shape = k % 4
        if shape == 0:
            amp = 3.0 * t / n_t
        elif shape == 1:
            amp = 3.0 * (1 - t / n_t)
        elif shape == 2:
            amp = np.full_like(t, 2.0, dtype=float)
        else:
            amp = 3.0 * (t % 3 == 0)
        lam = lam + amp * blob
    return rng.poisson(lam).astype(np.float64)


def bench_emerging_vs_brute_force() -> None:
    from asbhub.analysis import emerging_cube

    cube = synthetic_cube()
    n_t, ny, nx = cube.shape
    cell = 100.0
    band = cell * math.sqrt(2.0)
    print(f"\n1. Emerging hot spots on a {ny} x {nx} x {n_t} cube ({cube.size:,} bins)")
    ours = _best(lambda: emerging_cube(cube, cell_size=cell), 5)
    res = emerging_cube(cube, cell_size=cell)
    peak = _peak_mb(lambda: emerging_cube(cube, cell_size=cell))
    mask = np.asarray(res.mask)
    rng = np.random.default_rng(SEED)
    cells = np.argwhere(mask)
    sample_n = 20_000
    picks = rng.integers(0, len(cells), size=sample_n)
    times = rng.integers(0, n_t, size=sample_n)
    bins = [(int(t), int(cells[i][0]), int(cells[i][1])) for t, i in zip(times, picks, strict=True)]
    # Best of three for the brute force too: the same allowance for a busy machine. Its two
    # parts are timed apart: the mean and deviation over every bin, then the sampled bins.
    setup = _best(lambda: global_stats(cube, mask), 3)
    stats = global_stats(cube, mask)
    sampled = _best(
        lambda: brute_force_spacetime_gistar(cube, mask, cell, band, 1, bins=bins, stats=stats),
        3,
    )
    z_ref, _ = brute_force_spacetime_gistar(cube, mask, cell, band, 1, bins=bins, stats=stats)
    per_bin = sampled / sample_n
    analysed = int(mask.sum()) * n_t
    brute = setup + per_bin * analysed
    idx = tuple(np.array(bins).T)
    diff = float(np.abs(np.asarray(res.z)[idx] - z_ref[idx]).max())
    ratio = brute / ours
    print(f"   cells analysed (mask): {int(mask.sum()):,} of {ny * nx:,}; bins {analysed:,}")
    print(f"   asbhub emerging_cube (z, p, FDR, Mann-Kendall, classes) {ours * 1e3:10.1f} ms")
    print(
        f"   brute-force space-time Gi* z, estimated: {brute:10.1f} s "
        f"({setup:.2f} s mean and deviation + {per_bin * 1e6:.1f} us per bin, timed on "
        f"{sample_n:,} sampled bins, scaled to {analysed:,})"
    )
    print(f"   largest |z| difference on the sample: {diff:.1e}")
    print(f"   peak memory of emerging_cube (tracemalloc): {peak:.0f} MB")
    print(f"   ratio (estimated): {ratio:,.0f}x; goal >= 100x: {_verdict(ratio >= 100)}")
    counts = res.category_counts()
    found = ", ".join(f"{k} {v:,}" for k, v in counts.items() if v)
    print(f"   categories: {found}")


def load_derbyshire_asb() -> tuple[np.ndarray, np.ndarray, str]:
    """Eastings/northings and months of every located Derbyshire ASB record available."""
    from asbhub.analysis_inputs import PointFilters, points_from_files

    files = sorted(SHARED.glob("*/*-derbyshire-street.csv"))
    if files:
        source = f"{len(files)} months from {SHARED}"
        paths: list[Path] = list(files)
    else:
        from asbhub.data import sample_paths

        paths = list(sample_paths())
        source = "the bundled three-month sample"
    ps = points_from_files(paths, PointFilters(crime_types=("asb",)))
    return ps.xy(), ps.frame["month"].to_numpy(), source


def bench_forecast_vs_maps() -> None:
    from asbhub.analysis import (
        Grid,
        forecast_accuracy,
        grid_points,
        hotspot_count,
        hotspot_emerging,
        hotspot_gistar,
        hotspot_kde,
    )

    xy, months, source = load_derbyshire_asb()
    located = ~np.isnan(xy).any(axis=1)
    xy, months = xy[located], months[located]
    grid: Grid = grid_points(xy, cell_size=250.0).grid
    methods = ("counts", "kde", "gistar", "emerging")
    print(
        f"\n2. Forecast evaluation, Derbyshire ASB ({source}): {len(xy):,} records, "
        f"{grid.nx} x {grid.ny} cells of 250 m, methods {', '.join(methods)}"
    )

    def maps() -> None:
        hotspot_count(xy, grid=grid)
        hotspot_kde(xy, grid=grid, bandwidth=500.0)
        hotspot_gistar(xy, grid=grid)
        hotspot_emerging(xy, months, grid=grid)

    def evaluate() -> Any:
        return forecast_accuracy(xy, months, methods=methods, grid=grid)

    t_maps = _best(maps, 5)
    t_eval = _best(evaluate, 5)
    res = evaluate()
    n_months = len(res.periods)
    ratio = t_eval / t_maps
    print(f"   four hot-spot maps on all {n_months} months          {t_maps * 1e3:9.1f} ms")
    print(
        f"   forecast_accuracy: {len(res.rows)} scores ({n_months - 1} test months x 4 shares "
        f"x 4 methods, emerging from month 3) {t_eval * 1e3:9.1f} ms"
    )
    print(f"   ratio: {ratio:.2f}x; goal <= 5x: {_verdict(ratio <= 5)}")


def run() -> None:
    bench_emerging_vs_brute_force()
    bench_forecast_vs_maps()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\npeak resident memory of this process: {peak_kb / 1024:.0f} MB")


if __name__ == "__main__":
    run()
