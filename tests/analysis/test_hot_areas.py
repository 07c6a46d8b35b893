"""Contiguous hot cells into areas (asbhub.analysis.hot_areas) against a brute-force flood fill."""

from __future__ import annotations

import numpy as np
import pytest

from asbhub.analysis.hot_areas import hot_areas


def _brute_force(mask: np.ndarray) -> set[frozenset[tuple[int, int]]]:
    """Areas by repeated flood fill over the eight neighbours, the slow obvious way."""
    seen: set[tuple[int, int]] = set()
    areas = set()
    ny, nx = mask.shape
    for r0 in range(ny):
        for c0 in range(nx):
            if not mask[r0, c0] or (r0, c0) in seen:
                continue
            todo, area = [(r0, c0)], set()
            while todo:
                r, c = todo.pop()
                if (r, c) in area:
                    continue
                area.add((r, c))
                for dr in (-1, 0, 1):
                    for dc in (-1, 0, 1):
                        rr, cc = r + dr, c + dc
                        if 0 <= rr < ny and 0 <= cc < nx and mask[rr, cc]:
                            todo.append((rr, cc))
            seen |= area
            areas.add(frozenset(area))
    return areas


@pytest.mark.parametrize("seed", range(12))
def test_areas_match_a_flood_fill(seed: int) -> None:
    rng = np.random.default_rng(seed)
    mask = rng.random((rng.integers(1, 30), rng.integers(1, 30))) < rng.uniform(0.05, 0.6)
    got = hot_areas(mask)
    expected = _brute_force(mask)
    assert got.n_areas == len(expected)
    assert {frozenset(map(tuple, cells.tolist())) for cells in got.cells} == expected
    # Labels agree with the cell lists, and every hot cell is in exactly one area.
    for k, cells in enumerate(got.cells, start=1):
        assert (got.labels[cells[:, 0], cells[:, 1]] == k).all()
    assert ((got.labels > 0) == mask).all()


def test_corner_touching_cells_are_one_area() -> None:
    r = hot_areas([[1, 0], [0, 1]])
    assert r.n_areas == 1 and r.cells[0].tolist() == [[0, 0], [1, 1]]


def test_no_hot_cells_and_a_bad_shape() -> None:
    assert hot_areas(np.zeros((3, 4), bool)).n_areas == 0
    with pytest.raises(ValueError, match="2-D mask"):
        hot_areas([1, 0, 1])
