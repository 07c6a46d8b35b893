"""Contiguous hot cells grouped into areas: the daily briefing's "emerging hot spots as places".

A hot spot run classes single cells; a reader thinks in places. :func:`hot_areas` joins cells
that touch (sharing an edge or a corner: 8-connectivity) into one area, with
:func:`scipy.ndimage.label`, so a block of twelve hot 250 m cells over a town centre is one
row, not twelve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

__all__ = ["HotAreas", "hot_areas"]

#: 8-connectivity: a cell touches the eight around it.
_EIGHT = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class HotAreas:
    """Areas of touching hot cells.

    Attributes
    ----------
    labels : numpy.ndarray
        Same shape as the mask: 0 outside every area, else the area's number (1 to
        ``n_areas``).
    n_areas : int
    cells : list of numpy.ndarray
        For each area (``cells[k]`` is area ``k + 1``), its cells as ``(row, column)`` index
        pairs, shape ``(n, 2)``, in row-major order.
    """

    labels: NDArray[np.int32]
    n_areas: int
    cells: list[NDArray[np.intp]]


def hot_areas(mask: ArrayLike) -> HotAreas:
    """Group the True cells of a 2-D ``mask`` into areas of cells touching by an edge or a
    corner.

    Parameters
    ----------
    mask : array_like of bool, shape (ny, nx)
        The hot cells of a grid (see :class:`asbhub.analysis.grid.Grid`).

    Returns
    -------
    HotAreas

    Raises
    ------
    ValueError
        When ``mask`` is not two-dimensional.

    Examples
    --------
    >>> r = hot_areas([[1, 0, 0], [0, 1, 0], [0, 0, 0], [1, 1, 0]])
    >>> r.n_areas, r.labels.tolist()
    (2, [[1, 0, 0], [0, 1, 0], [0, 0, 0], [2, 2, 0]])
    """
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        raise ValueError(
            f"hot_areas needs a 2-D mask of cells (rows, columns); got an array of shape {m.shape}"
        )
    labels, n = ndimage.label(m, structure=_EIGHT)
    labels = np.asarray(labels, dtype=np.int32)
    flat = labels.ravel()
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(1, n + 2))
    rows, cols = np.unravel_index(order, labels.shape)
    cells = [
        np.column_stack((rows[bounds[k] : bounds[k + 1]], cols[bounds[k] : bounds[k + 1]]))
        for k in range(n)
    ]
    return HotAreas(labels=labels, n_areas=int(n), cells=cells)
