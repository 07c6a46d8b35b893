"""Issue #3 speed goals for the hotspot functions, as ratios against named baselines in one run.

On real Derbyshire ASB (data.police.uk; the five months in ../shared/data/police-uk, or the
bundled three-month sample if that is missing):

1. **Gi* vs esda** on a 200 x 200 lattice: ``hotspot_gistar`` including gridding the points,
   against PySAL's ``DistanceBand`` weights + ``G_Local(transform="B", star=True,
   permutations=0)`` on the same counts, both best of 5. Goal: at least 200x faster; no
   verdict unless the z-scores agree to 1e-9.
2. **Gi* + FDR vs one sort** on a 1,000 x 1,000 lattice: ``hotspot_gistar`` (gridding, z,
   p-values, Benjamini-Hochberg q-values and classes) against one ``numpy.sort`` of the
   p-values (what FDR must sort: one per cell, dense). Goal: within 10x.
3. **KDE at matched accuracy** of 400,000 points on 1,000,000 cells, Gaussian, bandwidth
   300 m. asbhub's error is measured against the exact direct sum at a sample of cells.
   scikit-learn's ``KernelDensity`` is given that error as its tolerance (``rtol``/``atol``)
   and timed on a random subsample of the cells, scaled up (its cost is linear in the cells
   queried; the verdict says "estimated"). Goal: at least 100x faster. A plain
   ``numpy.histogram2d`` + ``scipy.signal.fftconvolve`` floor runs at its cheapest setting
   as accurate as asbhub (no verdict if none is). Goal: asbhub within 2x of it. The 400,000
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

from bench.yardstick import (
    Candidate,
    cheapest_matching,
    max_error_of_peak,
    tolerance_cover,
    verdict,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "police-uk"
SAMPLE_DIR = ROOT / "asbhub" / "data" / "sample"
SEED = 20190101
Z_AGREEMENT = 1e-9  # max |z - z_esda| for a Gi* verdict
KDE_FLOOR = 0.01  # cells under 1% of the peak: absolute, not relative, error


def _best(fn: Callable[[], Any], repeats: int) -> float:
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _best_both(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Best wall and best CPU (this process: both KDEs run on one thread) seconds."""
    wall = cpu = math.inf
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return wall, cpu


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


GISTAR_REPEATS = 5  # best of N, the same N for asbhub and esda


def bench_gistar_vs_esda(points: np.ndarray) -> None:
    from asbhub.analysis import hotspot_gistar

    grid = _square_grid(points, 200)
    print(f"\n1. Gi* on a 200 x 200 lattice of {grid.cell_size:g} m cells, {len(points):,} points")
    ours = _best(lambda: hotspot_gistar(points, grid=grid), GISTAR_REPEATS)
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

    theirs = _best(esda_run, GISTAR_REPEATS)
    z_esda = esda_run()
    diff = float(np.abs(z_esda - np.asarray(result.z).ravel()).max())
    ratio = theirs / ours
    print(
        f"   asbhub hotspot_gistar (gridding, z, p, FDR, classes) {_ms(ours)}  best of {GISTAR_REPEATS}"
    )
    print(
        f"   esda DistanceBand + G_Local(permutations=0)          {_ms(theirs)}  best of "
        f"{GISTAR_REPEATS} (weights built in each run, as asbhub grids in each)"
    )
    print(f"   max |z - z_esda| = {diff:.1e} (a verdict needs <= {Z_AGREEMENT:.0e})")
    print(
        "   "
        + verdict(
            "Gi* vs esda",
            baseline="esda G_Local",
            settings=f"DistanceBand binary, band {result.band:g} m, transform B, star, "
            f"permutations 0, best of {GISTAR_REPEATS}",
            estimated=False,
            ratio=ratio,
            goal=">= 200x",
            ok=ratio >= 200,
            matched=diff <= Z_AGREEMENT,
            why_unmatched=f"z-scores differ by {diff:.1e} > {Z_AGREEMENT:.0e}",
        )
    )
    print(
        f"   peak memory: asbhub {_peak_mb(lambda: hotspot_gistar(points, grid=grid)):.1f} MB, "
        f"esda {_peak_mb(esda_run):.1f} MB"
    )


def bench_gistar_vs_sort(points: np.ndarray) -> None:
    from asbhub.analysis import hotspot_gistar

    grid = _square_grid(points, 1000)
    print(f"\n2. Gi* + FDR on a 1,000 x 1,000 lattice of {grid.cell_size:g} m cells")
    ours = _best(lambda: hotspot_gistar(points, grid=grid), 15)
    r = hotspot_gistar(points, grid=grid)
    # The floor is what Benjamini-Hochberg must do at least: sort the p-values. They are
    # dense (one per cell, nearly all distinct), unlike the mostly-zero count lattice.
    p = np.array(r.p, dtype=np.float64).ravel()
    p = p[np.isfinite(p)]
    distinct = np.unique(p).size
    sort = _best(lambda: np.sort(p), 15)
    ratio = ours / sort
    print(f"   asbhub hotspot_gistar (gridding, z, p, FDR, classes) {_ms(ours)}  best of 15")
    print(
        f"   numpy.sort of the p-values ({p.size:,} float64, {distinct:,} distinct) "
        f"{_ms(sort)}  best of 15"
    )
    print(
        "   "
        + verdict(
            "Gi* + FDR vs sort",
            baseline="numpy.sort",
            settings=f"the {p.size:,} p-values FDR ranks, quicksort, best of 15",
            estimated=False,
            ratio=ratio,
            goal="<= 10x",
            ok=ratio <= 10,
        )
        + f"; hot cells at 95% after FDR: {r.n_hot(2):,}"
    )
    noise = np.random.default_rng(SEED).random(p.size)
    distinct_sort = _best(lambda: np.sort(noise), 5)
    print(
        f"   (context: numpy.sort of {p.size:,} distinct uniform floats {_ms(distinct_sort)}; "
        f"asbhub is {ours / distinct_sort:.1f}x that)"
    )
    print(
        f"   peak memory: asbhub {_peak_mb(lambda: hotspot_gistar(points, grid=grid)):.1f} MB "
        f"(the p-values alone are {p.nbytes / 2**20:.1f} MB)"
    )


def exact_gaussian_kde(points: np.ndarray, at: np.ndarray, bandwidth: float) -> np.ndarray:
    """The Gaussian kernel density at ``at``, in points per km^2, by the direct sum over
    every point (no cut-off, no binning): the reference both KDEs are scored against."""
    out = np.empty(len(at))
    norm = 1e6 / (2 * math.pi * bandwidth * bandwidth)
    for k0 in range(0, len(at), 16):
        q = at[k0 : k0 + 16]
        d2 = (points[None, :, 0] - q[:, None, 0]) ** 2 + (points[None, :, 1] - q[:, None, 1]) ** 2
        out[k0 : k0 + 16] = np.exp(-0.5 * d2 / bandwidth**2).sum(axis=1) * norm
    return out


def plain_bin_fft(
    points: np.ndarray, grid: Any, bandwidth: float, refine: int, truncate: float
) -> np.ndarray:
    """The textbook baseline: count points per cell (``numpy.histogram2d``, each point in
    one cell of a lattice ``refine`` times finer), convolve with a Gaussian sampled at cell
    offsets and cut off at ``truncate`` bandwidths (``scipy.signal.fftconvolve``), and read
    the density at the lattice's own cell centres (points per km^2)."""
    from scipy import signal

    cell = grid.cell_size / refine
    nx, ny = grid.nx * refine, grid.ny * refine
    counts, _, _ = np.histogram2d(
        points[:, 1],
        points[:, 0],
        bins=(ny, nx),
        range=((grid.y0, grid.y0 + ny * cell), (grid.x0, grid.x0 + nx * cell)),
    )
    r = math.ceil(truncate * bandwidth / cell)
    off = np.arange(-r, r + 1) * cell
    d2 = off[:, None] ** 2 + off[None, :] ** 2
    kern = np.exp(-0.5 * d2 / bandwidth**2) / (2 * math.pi * bandwidth**2)
    kern[d2 > (truncate * bandwidth) ** 2] = 0.0
    dens = signal.fftconvolve(counts, kern, mode="same") * 1e6
    mid = refine // 2  # the fine cell whose centre is the coarse cell's centre (refine odd)
    return dens[mid::refine, mid::refine]


KDE_SAMPLE_UNIFORM = 400  # reference cells drawn uniformly over the lattice
KDE_SAMPLE_DENSE = 400  # and drawn in proportion to the density (where the error is largest)
KDE_TIMING_CELLS = 20_000  # cells scikit-learn is timed on, then scaled to the lattice
FFT_SETTINGS = [
    (1, 2.0),
    (1, 2.5),
    (1, 3.0),
    (1, 4.0),
    (1, 5.0),
    (3, 3.0),
    (3, 4.0),
    (3, 5.0),
    (5, 4.0),
]


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
        f"bandwidth {bandwidth:g} m (Gaussian against Gaussian)"
    )
    quartic = _best(lambda: hotspot_kde(many, grid=grid, bandwidth=bandwidth), 3)
    gaussian, gaussian_cpu = _best_both(
        lambda: hotspot_kde(many, grid=grid, kernel="gaussian", bandwidth=bandwidth), 3
    )
    ours = np.asarray(
        hotspot_kde(many, grid=grid, kernel="gaussian", bandwidth=bandwidth).density
    ).ravel()
    print(f"   asbhub hotspot_kde, quartic                          {_ms(quartic)}  best of 3")
    print(
        f"   asbhub hotspot_kde, Gaussian                         {_ms(gaussian)}  best of 3 "
        f"(CPU {_ms(gaussian_cpu).strip()})"
    )

    # The reference: the exact density by direct summation at a sample of cell centres.
    uniform = rng.choice(grid.n_cells, KDE_SAMPLE_UNIFORM, replace=False)
    dense = rng.choice(grid.n_cells, KDE_SAMPLE_DENSE, replace=False, p=ours / ours.sum())
    cells = np.unique(np.concatenate([uniform, dense]))
    centres = grid.centres()[cells]
    exact = exact_gaussian_kde(many, centres, bandwidth)
    err = max_error_of_peak(ours[cells], exact)
    rtol, atol = tolerance_cover(ours[cells], exact, KDE_FLOOR)
    print(
        f"   reference: the direct sum over all {n_points:,} points at {cells.size:,} cell "
        f"centres ({KDE_SAMPLE_UNIFORM} uniform, {KDE_SAMPLE_DENSE} density-weighted)"
    )
    print(
        f"   asbhub's measured error: max {err:.2e} of the peak; as a per-cell tolerance "
        f"rtol {rtol:.2e} (cells >= {KDE_FLOOR:.0%} of the peak), atol {atol:.3g} per km2 "
        f"below"
    )

    # scikit-learn at asbhub's measured tolerance (its units: density per m^2 of one point).
    to_sk = 1.0 / (n_points * 1e6)
    kd = KernelDensity(
        kernel="gaussian", bandwidth=bandwidth, algorithm="kd_tree", rtol=rtol, atol=atol * to_sk
    ).fit(many)
    sk_ref = np.exp(kd.score_samples(centres)) / to_sk
    sk_err = max_error_of_peak(sk_ref, exact)
    timing = rng.choice(grid.n_cells, KDE_TIMING_CELLS, replace=False)
    timing_centres = grid.centres()[timing]
    sub, sub_cpu = _best_both(lambda: kd.score_samples(timing_centres), 2)
    theirs = sub * grid.n_cells / KDE_TIMING_CELLS
    theirs_cpu = sub_cpu * grid.n_cells / KDE_TIMING_CELLS
    sk_settings = (
        f"KernelDensity(gaussian, kd_tree, leaf_size 40, breadth_first, rtol={rtol:.2e}, "
        f"atol={atol * to_sk:.2e})"
    )
    print(
        f"   scikit-learn {sk_settings}: {_ms(sub)} for {KDE_TIMING_CELLS:,} random cells "
        f"(best of 2; CPU {_ms(sub_cpu).strip()}) -> {theirs:,.1f} s wall, {theirs_cpu:,.1f} s "
        f"CPU for {grid.n_cells:,} cells (scaled: cost is per "
        f"query cell); its measured error {sk_err:.2e} of the peak"
    )
    # The verdicts are on CPU time: both sides run on one thread, and on a shared machine a
    # run of seconds loses more wall time to other work than one of a quarter second.
    sk_ratio = theirs_cpu / gaussian_cpu
    print(
        "   "
        + verdict(
            "KDE vs scikit-learn (CPU time)",
            baseline="scikit-learn KernelDensity",
            settings=f"tolerance = asbhub's measured error: rtol {rtol:.2e}, atol {atol:.3g}/km2",
            estimated=True,
            ratio=sk_ratio,
            goal=">= 100x",
            ok=sk_ratio >= 100,
            # Asked for no more accuracy than asbhub achieved; it may deliver more (its bound
            # is conservative), which is its nature at that setting.
            matched=rtol > 0 or atol > 0,
            why_unmatched="asbhub's error measured as zero: no tolerance to match",
        )
        + f"; wall {theirs / gaussian:,.0f}x"
    )

    # The plain bin + fftconvolve baseline: the cheapest setting as accurate as asbhub.
    tried: list[Candidate] = []
    for refine, truncate in FFT_SETTINGS:
        dens = plain_bin_fft(many, grid, bandwidth, refine, truncate).ravel()
        c = Candidate(
            f"histogram2d on cells / {refine}, Gaussian cut at {truncate:g} h",
            max_error_of_peak(dens[cells], exact),
            (refine, truncate),
        )
        tried.append(c)
        print(f"   plain bin + fftconvolve, {c.settings}: error {c.error:.2e} of the peak")
        if c.error <= err:
            break
    match = cheapest_matching(tried, err)
    pick = match or min(tried, key=lambda c: c.error)
    refine, truncate = pick.extra
    floor, floor_cpu = _best_both(lambda: plain_bin_fft(many, grid, bandwidth, refine, truncate), 3)
    print(
        f"   plain bin + fftconvolve at the {'cheapest matching' if match else 'most accurate tried'}"
        f" setting ({pick.settings}): {_ms(floor)}  best of 3 (CPU {_ms(floor_cpu).strip()})"
    )
    fft_ratio = floor_cpu / gaussian_cpu
    print(
        "   "
        + verdict(
            "KDE vs plain bin + FFT (CPU time)",
            baseline="numpy.histogram2d + scipy.signal.fftconvolve",
            settings=f"{pick.settings}; error {pick.error:.2e} <= asbhub's {err:.2e}",
            estimated=False,
            ratio=fft_ratio,
            goal=">= 0.5x (asbhub within 2x of the floor)",
            ok=fft_ratio >= 0.5,
            matched=match is not None,
            why_unmatched=f"no setting tried reached asbhub's error {err:.2e}",
        )
        + f"; wall {floor / gaussian:.2f}x"
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
