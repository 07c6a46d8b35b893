"""Brute-force space-time Gi*: every neighbour of every bin found and summed explicitly.

The independent reference for :func:`asbhub.analysis.spacetime_gistar_z` (the tests compare
to 1e-9; ``bench/bench_emerging.py`` times it). It shares no code with the fast version: it
walks the bins one by one, tests every other analysed bin against the definition (cell
centres within the band, time step the same or at most ``time_steps`` earlier) and adds it
up, in plain Python.
"""

from __future__ import annotations

import math

import numpy as np


def global_stats(counts: np.ndarray, mask: np.ndarray) -> tuple[int, float, float]:
    """Number of analysed bins, their mean and population standard deviation, one by one."""
    n_t, ny, nx = counts.shape
    values = [
        float(counts[t, r, c])
        for t in range(n_t)
        for r in range(ny)
        for c in range(nx)
        if mask[r, c]
    ]
    n = len(values)
    mean = sum(values) / n
    return n, mean, math.sqrt(sum((v - mean) ** 2 for v in values) / n)


def brute_force_spacetime_gistar(
    counts: np.ndarray,
    mask: np.ndarray,
    cell_size: float,
    band: float,
    time_steps: int,
    bins: list[tuple[int, int, int]] | None = None,
    stats: tuple[int, float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """z and neighbour count of the bins ``(t, row, col)`` in ``bins`` (default every bin).

    Bins not asked for, and bins outside the mask, are left 0. ``stats`` is
    :func:`global_stats` computed beforehand (the bench times the two parts apart).
    """
    n_t, ny, nx = counts.shape
    cells = [(r, c) for r in range(ny) for c in range(nx) if mask[r, c]]
    n, mean, sd = global_stats(counts, mask) if stats is None else stats
    reach = math.ceil(band / cell_size)
    limit = band * (1.0 + 1e-9)
    z = np.zeros(counts.shape)
    w_out = np.zeros(counts.shape, dtype=np.int64)
    wanted = bins if bins is not None else [(t, r, c) for t in range(n_t) for (r, c) in cells]
    for t, r, c in wanted:
        if not mask[r, c]:
            continue
        total = 0.0
        w = 0
        for t2 in range(max(0, t - time_steps), t + 1):
            for r2 in range(max(0, r - reach), min(ny, r + reach + 1)):
                for c2 in range(max(0, c - reach), min(nx, c + reach + 1)):
                    if not mask[r2, c2]:
                        continue
                    d = math.hypot((r2 - r) * cell_size, (c2 - c) * cell_size)
                    if d <= limit:
                        total += float(counts[t2, r2, c2])
                        w += 1
        denom = sd * math.sqrt((n * w - w * w) / (n - 1))
        z[t, r, c] = (total - mean * w) / denom if denom > 0 else 0.0
        w_out[t, r, c] = w
    return z, w_out
