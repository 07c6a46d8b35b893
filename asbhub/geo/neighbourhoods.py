"""Give LSOAs without a neighbourhood (SNT) one, by a documented rule, from their neighbours.

No neighbourhood polygons are published for Derbyshire, so ``data-raw/build_geography.py`` maps
an LSOA to an SNT only where most of its area lies in wards whose names name exactly one
police.uk neighbourhood. About a third of the LSOAs are left without one. This module fills
them from the data at hand: the LSOA polygons and the neighbourhoods of the LSOAs they touch.

The rule (see ``docs/geography.md``)
------------------------------------
1. An LSOA mapped by ward in ``areas.csv`` keeps its SNT (rule ``ward``).
2. In rounds: every LSOA still without an SNT looks at the LSOAs it *touches* (their
   boundaries run within :data:`SNAP_M` metres of each other for at least
   :data:`MIN_SHARED_M` metres, since the bundled polygons are simplified) that lie **in the same LPU** and have an SNT
   at the start of the round. It takes the SNT most of them have; a tie goes to the SNT with
   the longer shared boundary, then to the lower SNT code. All LSOAs of a round decide from
   the same state, so the answer does not depend on the order they are visited in (rule
   ``neighbours``, with the round number).
3. Rounds repeat until one assigns nothing (at most one round per LSOA).
4. What is left has no touching LSOA of its own LPU with an SNT (for example an LPU none of
   whose wards names a neighbourhood): it stays without one, and the reason says so.

Pure: polygons in, plain mappings out; no Django and no store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

__all__ = [
    "MIN_SHARED_M",
    "SNAP_M",
    "Assignment",
    "assign_neighbourhoods",
    "shared_boundaries",
]

#: Boundaries closer than this (metres) count as shared: the bundled polygons are simplified by
#: 5 m and rounded to whole metres, so two sides of one real boundary can lie a few metres apart.
SNAP_M = 10.0
#: Two LSOAs touch when they share at least this length of boundary (metres); meeting at a
#: corner does not make a neighbour.
MIN_SHARED_M = 20.0


@dataclass(frozen=True)
class Assignment:
    """The SNT of one LSOA and how it was reached.

    Attributes
    ----------
    snt_code : str or None
        The neighbourhood, or ``None`` if the rule could not give one.
    rule : str
        ``ward`` (mapped in ``areas.csv``), ``neighbours`` or ``unassigned``.
    round : int
        The round of rule 2 that assigned it (0 for ``ward`` and ``unassigned``).
    reason : str
        One sentence a reader can check: which neighbours decided, or why none could.
    """

    snt_code: str | None
    rule: str
    round: int
    reason: str


def _shared(a: shapely.Geometry, b: shapely.Geometry, snap: float) -> float:
    # Each boundary's length within ``snap`` of the other polygon, less the ``snap`` it runs on
    # past each end of the shared stretch (so a corner counts 0); the mean of both directions,
    # so the length is the same whichever polygon comes first.
    one = shapely.length(shapely.intersection(shapely.boundary(a), shapely.buffer(b, snap)))
    two = shapely.length(shapely.intersection(shapely.boundary(b), shapely.buffer(a, snap)))
    return round(max(0.0, float(one + two) / 2.0 - 2.0 * snap), 1)


def shared_boundaries(
    codes: Sequence[str],
    polygons: Sequence[shapely.Geometry],
    snap: float = SNAP_M,
    min_shared: float = MIN_SHARED_M,
) -> dict[str, dict[str, float]]:
    """Touching LSOAs and the length of boundary (metres) each pair shares.

    Parameters
    ----------
    codes : sequence of str
        One code per polygon.
    polygons : sequence of shapely.Polygon or shapely.MultiPolygon
        On a projected grid in metres (British National Grid).
    snap, min_shared : float
        See :data:`SNAP_M` and :data:`MIN_SHARED_M`.

    Returns
    -------
    dict
        ``code -> {neighbour code: shared metres}``, symmetric; every code is a key.

    Examples
    --------
    >>> import shapely
    >>> out = shared_boundaries(["a", "b", "c"], [shapely.box(0, 0, 100, 100),
    ...     shapely.box(100, 0, 200, 100), shapely.box(200, 100, 300, 200)])
    >>> out["a"], sorted(out["b"]), out["c"]
    ({'b': 100.0}, ['a'], {})
    """
    if len(codes) != len(polygons):
        raise ValueError(f"{len(codes)} codes but {len(polygons)} polygons")
    geoms = np.asarray(polygons, dtype=object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=snap)
    out: dict[str, dict[str, float]] = {c: {} for c in codes}
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        length = _shared(geoms[i], geoms[j], snap)
        if length >= min_shared:
            out[codes[i]][codes[j]] = length
            out[codes[j]][codes[i]] = length
    return out


def assign_neighbourhoods(
    lpu: Mapping[str, str],
    snt: Mapping[str, str | None],
    touching: Mapping[str, Mapping[str, float]],
) -> dict[str, Assignment]:
    """Apply the module's rule: every LSOA's SNT, by ward where mapped, else by neighbours.

    Parameters
    ----------
    lpu : mapping
        LSOA code -> its LPU.
    snt : mapping
        LSOA code -> its SNT from the ward mapping, ``None`` where it has none.
    touching : mapping
        LSOA code -> {touching LSOA code: shared boundary metres}, as from
        :func:`shared_boundaries`.

    Returns
    -------
    dict
        LSOA code -> :class:`Assignment`, for every code in ``lpu``.

    Examples
    --------
    >>> lpu = {"a": "X", "b": "X", "c": "X", "d": "Y"}
    >>> snt = {"a": "S1", "b": None, "c": None, "d": "S9"}
    >>> touch = {"a": {"b": 50.0}, "b": {"a": 50.0, "c": 80.0, "d": 90.0},
    ...          "c": {"b": 80.0}, "d": {"b": 90.0}}
    >>> out = assign_neighbourhoods(lpu, snt, touch)
    >>> [(k, v.snt_code, v.round) for k, v in sorted(out.items())]
    [('a', 'S1', 0), ('b', 'S1', 1), ('c', 'S1', 2), ('d', 'S9', 0)]
    """
    current: dict[str, str | None] = {c: snt.get(c) for c in lpu}
    result: dict[str, Assignment] = {
        c: Assignment(s, "ward", 0, "its wards name this neighbourhood")
        for c, s in current.items()
        if s is not None
    }
    for round_no in range(1, len(lpu) + 1):
        proposals: dict[str, Assignment] = {}
        for code in sorted(c for c, s in current.items() if s is None):
            votes: dict[str, list[float]] = {}
            for other, length in touching.get(code, {}).items():
                hood = current.get(other)
                if hood is not None and lpu.get(other) == lpu[code]:
                    tally = votes.setdefault(hood, [0.0, 0.0])
                    tally[0] += 1.0
                    tally[1] += length
            if not votes:
                continue
            best = min(votes, key=lambda h: (-votes[h][0], -votes[h][1], h))
            n, metres = int(votes[best][0]), votes[best][1]
            total = int(sum(v[0] for v in votes.values()))
            proposals[code] = Assignment(
                best,
                "neighbours",
                round_no,
                f"{n} of its {total} touching LSOA{'s' if total != 1 else ''} in {lpu[code]} "
                f"with a neighbourhood {'are' if n != 1 else 'is'} in it "
                f"({metres:,.0f} m of shared boundary), round {round_no}",
            )
        if not proposals:
            break
        for code, assignment in proposals.items():
            current[code] = assignment.snt_code
        result.update(proposals)
    for code in lpu:
        if code not in result:
            result[code] = Assignment(
                None,
                "unassigned",
                0,
                f"no LSOA it touches in {lpu[code]} has a neighbourhood (none of the LPU's "
                "wards near it names one), so it cannot be given one",
            )
    return result
