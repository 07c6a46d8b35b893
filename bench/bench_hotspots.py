"""Issue #3 speed goals for the hotspot functions, as ratios against named baselines in one run.

On real Derbyshire ASB (data.police.uk; the five months in ../shared/data/police-uk, or the
bundled three-month sample if that is missing):

1. **Gi* vs esda** on a 200 x 200 lattice: ``hotspot_gistar`` including gridding the points,
   against PySAL's ``DistanceBand`` weights + ``G_Local(transform="B", star=True,
   permutations=0)`` on the same counts. Goal: at least 200x faster. The z-scores are checked
   equal on the way.
2. **Gi* + FDR vs one sort** on a 1,000 x 1,000 lattice: ``hotspot_gistar`` (gridding, z,
   p-values, Benjamini-Hochberg q-values and classes) against one ``numpy.sort`` of that
   lattice. Goal: within 10x.
3. **KDE vs scikit-learn** of 400,000 points on 1,000,000 cells: ``hotspot_kde`` against
   ``KernelDensity(kernel="gaussian")`` with the same bandwidth on the same points and cells.
   scikit-learn is timed on a random subsample of the cells and scaled up (its cost is linear
   in the cells queried); the printout says so. Goal: at least 100x faster. The 400,000
   points are the real incidents resampled with replacement and moved by up to 50 m, since
   Derbyshire has only about 14,000 ASB records in these months.

Times are the best of several runs. Peak memory of each step is measured by ``tracemalloc``
in a separate, untimed run (numpy reports its arrays to it); the process's peak resident set
is printed at the end.
"""

from __future__ import annotations

import math
import resource
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "police-uk"
SAMPLE_DIR = ROOT / "asbhub" / "data" / "sample"
SEED = 20190101


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


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f} ms"


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def load_derbyshire_asb() -> tuple[np.ndarray, str]:
    """(n, 2) BNG points of every Derbyshire ASB incident available, and where they came from."""
    import polars as pl

    from asbhub.analysis_inputs import police_uk_points
    from asbhub.domain.vocab import ASB_CRIME_TYPE

    raws: list[tuple[str, bytes]] = []
    files = sorted(SHARED.glob("*/*-derbyshire-street.csv"))
    if files:
        raws = [(f.name, f.read_bytes()) for f in files]
        source = f"{len(files)} months from {SHARED}"
    else:
        for archive in sorted(SAMPLE_DIR.glob("*.zip")):
            with zipfile.ZipFile(archive) as zf:
                for name in sorted(zf.namelist()):
                    if name.endswith("-derbyshire-street.csv"):
                        raws.append((name, zf.read(name)))
        source = f"{len(raws)} months from the bundled sample"
    if not raws:
        raise SystemExit(f"no Derbyshire data in {SHARED} or {SAMPLE_DIR}")
    parts = []
    for name, raw in raws:
        # Read and projected as the CLI and the web app read them.
        pts = police_uk_points(name, raw)
        asb = pts.filter((pl.col("crime_type") == ASB_CRIME_TYPE) & pl.col("easting").is_not_null())
        parts.append(asb.select("easting", "northing").to_numpy().astype(np.float64))
    return np.vstack(parts), source


def _square_grid(points: np.ndarray, n: int) -> Any:
    """An n x n lattice over the points' (stray-free) extent, square cells of whole metres."""
    from asbhub.analysis import Grid, robust_extent

    extent, _, _ = robust_extent(points)
    cell = math.ceil(max(extent.width, extent.height) / n + 1e-9)
    return Grid(math.floor(extent.xmin), math.floor(extent.ymin), float(cell), n, n)


def bench_gistar_vs_esda(points: np.ndarray) -> None:
    from asbhub.analysis import hotspot_gistar

    grid = _square_grid(points, 200)
    print(f"\n1. Gi* on a 200 x 200 lattice of {grid.cell_size:g} m cells, {len(points):,} points")
    ours = _best(lambda: hotspot_gistar(points, grid=grid), 30)
    result = hotspot_gistar(points, grid=grid)

    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    counts = np.asarray(result.counts).ravel()

    def esda_run() -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = DistanceBand(
                grid.centres(),
                threshold=result.band * (1 + 1e-9),
                binary=True,
                silence_warnings=True,
            )
            return G_Local(counts, w, transform="B", star=True, permutations=0).Zs

    t = time.perf_counter()
    z_esda = esda_run()
    theirs = time.perf_counter() - t
    diff = float(np.abs(z_esda - np.asarray(result.z).ravel()).max())
    ratio = theirs / ours
    print(f"   asbhub hotspot_gistar (gridding, z, p, FDR, classes) {_ms(ours)}")
    print(f"   esda DistanceBand + G_Local(permutations=0)          {_ms(theirs)}")
    print(
        f"   ratio {ratio:,.0f}x faster (goal >= 200x: {_verdict(ratio >= 200)}); "
        f"max |z - z_esda| = {diff:.1e}"
    )
    print(
        f"   peak memory: asbhub {_peak_mb(lambda: hotspot_gistar(points, grid=grid)):.1f} MB, "
        f"esda {_peak_mb(esda_run):.1f} MB"
    )


def bench_gistar_vs_sort(points: np.ndarray) -> None:
    from asbhub.analysis import hotspot_count, hotspot_gistar

    grid = _square_grid(points, 1000)
    lattice = np.array(hotspot_count(points, grid=grid).counts)
    print(f"\n2. Gi* + FDR on a 1,000 x 1,000 lattice of {grid.cell_size:g} m cells")
    ours = _best(lambda: hotspot_gistar(points, grid=grid), 15)
    sort = _best(lambda: np.sort(lattice, axis=None), 15)
    r = hotspot_gistar(points, grid=grid)
    ratio = ours / sort
    print(f"   asbhub hotspot_gistar (gridding, z, p, FDR, classes) {_ms(ours)}")
    print(f"   numpy.sort of the lattice (float64, 1M values)      {_ms(sort)}")
    print(
        f"   ratio {ratio:.1f}x the sort (goal <= 10x: {_verdict(ratio <= 10)}); "
        f"hot cells at 95% after FDR: {r.n_hot(2):,}"
    )
    print(
        f"   peak memory: asbhub {_peak_mb(lambda: hotspot_gistar(points, grid=grid)):.1f} MB "
        f"(the lattice itself is {lattice.nbytes / 2**20:.1f} MB)"
    )


def bench_kde_vs_sklearn(points: np.ndarray) -> None:
    from sklearn.neighbors import KernelDensity

    from asbhub.analysis import hotspot_kde

    rng = np.random.default_rng(SEED)
    n_points = 400_000
    many = points[rng.integers(0, len(points), n_points)] + rng.uniform(-50, 50, (n_points, 2))
    grid = _square_grid(many, 1000)
    bandwidth = 300.0
    print(
        f"\n3. KDE of {n_points:,} points on 1,000 x 1,000 cells of {grid.cell_size:g} m, "
        f"bandwidth {bandwidth:g} m"
    )
    quartic = _best(lambda: hotspot_kde(many, grid=grid, bandwidth=bandwidth), 3)
    gaussian = _best(
        lambda: hotspot_kde(many, grid=grid, kernel="gaussian", bandwidth=bandwidth), 3
    )
    ours = hotspot_kde(many, grid=grid, kernel="gaussian", bandwidth=bandwidth)

    n_sub = 500
    cells = rng.choice(grid.n_cells, n_sub, replace=False)
    centres = grid.centres()[cells]
    kd = KernelDensity(kernel="gaussian", bandwidth=bandwidth).fit(many)
    t = time.perf_counter()
    log_density = kd.score_samples(centres)
    sub_time = time.perf_counter() - t
    theirs = sub_time * grid.n_cells / n_sub
    ref = np.exp(log_density) * n_points * 1e6
    mine = np.asarray(ours.density).ravel()[cells]
    rel = float(np.abs(mine - ref).max() / np.asarray(ours.density).max())
    ratio = theirs / gaussian
    print(f"   asbhub hotspot_kde, quartic                          {_ms(quartic)}")
    print(f"   asbhub hotspot_kde, Gaussian                         {_ms(gaussian)}")
    print(
        f"   scikit-learn KernelDensity, Gaussian, {n_sub:,} cells   {_ms(sub_time)}"
        f"  -> {theirs:,.0f} s for 1M cells (scaled up from the subsample)"
    )
    print(
        f"   ratio {ratio:,.0f}x faster, Gaussian vs Gaussian (goal >= 100x: "
        f"{_verdict(ratio >= 100)}); max difference on the subsample {rel:.1e} of the peak"
    )
    print(
        f"   peak memory: asbhub quartic "
        f"{_peak_mb(lambda: hotspot_kde(many, grid=grid, bandwidth=bandwidth)):.1f} MB"
    )


def run() -> None:
    points, source = load_derbyshire_asb()
    print(f"Derbyshire ASB: {len(points):,} incidents ({source})")
    bench_gistar_vs_esda(points)
    bench_gistar_vs_sort(points)
    bench_kde_vs_sklearn(points)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\npeak resident memory of this process: {peak_kb / 1024:.0f} MB")


if __name__ == "__main__":
    run()
