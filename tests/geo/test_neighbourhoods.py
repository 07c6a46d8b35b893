"""LSOAs without a ward-mapped SNT get one from the LSOAs they touch in their LPU: checked
against a brute-force reading of the rule on the real (bundled) Derbyshire polygons."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from asbhub.geo import AreaHierarchy
from asbhub.geo.neighbourhoods import (
    MIN_SHARED_M,
    SNAP_M,
    assign_neighbourhoods,
    shared_boundaries,
)


@pytest.fixture(scope="module")
def areas() -> AreaHierarchy:
    return AreaHierarchy.load()


def _brute_touching(codes: list[str], polys: list[shapely.Geometry]) -> dict[str, dict[str, float]]:
    """Every pair, no spatial index: boundary within SNAP_M of the other, less the overhang."""
    out: dict[str, dict[str, float]] = {c: {} for c in codes}
    for i in range(len(codes)):
        gaps = shapely.distance(polys[i], np.asarray(polys[i + 1 :], dtype=object))
        for k in np.flatnonzero(gaps <= SNAP_M):
            j = i + 1 + int(k)
            one = polys[i].boundary.intersection(polys[j].buffer(SNAP_M)).length
            two = polys[j].boundary.intersection(polys[i].buffer(SNAP_M)).length
            length = max(0.0, (one + two) / 2 - 2 * SNAP_M)
            if length >= MIN_SHARED_M:
                out[codes[i]][codes[j]] = out[codes[j]][codes[i]] = length
    return out


def _brute_assign(
    lpu: dict[str, str], snt: dict[str, str | None], touching: dict[str, dict[str, float]]
) -> dict[str, str | None]:
    """The rule read literally: rounds over a snapshot, majority, then boundary, then code."""
    state = dict(snt)
    while True:
        snapshot = dict(state)
        changed = False
        for code in lpu:
            if snapshot[code] is not None:
                continue
            count: dict[str, int] = {}
            metres: dict[str, float] = {}
            for other in lpu:
                if other in touching[code] and lpu[other] == lpu[code] and snapshot[other]:
                    hood = snapshot[other]
                    count[hood] = count.get(hood, 0) + 1
                    metres[hood] = metres.get(hood, 0.0) + touching[code][other]
            if count:
                top = max(count.values())
                tied = [h for h in count if count[h] == top]
                longest = max(metres[h] for h in tied)
                state[code] = sorted(h for h in tied if metres[h] == longest)[0]
                changed = True
        if not changed:
            return state


def test_rule_matches_a_brute_force_reading_on_the_real_polygons(areas: AreaHierarchy) -> None:
    codes = list(areas.locator.codes)
    polys = list(areas.locator.polygons)
    touching = _brute_touching(codes, polys)
    indexed = shared_boundaries(codes, polys)
    # The same pairs; lengths equal to overlay rounding (the module keeps 0.1 m).
    assert {c: sorted(v) for c, v in indexed.items()} == {c: sorted(v) for c, v in touching.items()}
    assert all(
        abs(indexed[c][o] - m) <= max(0.5, 1e-3 * m)
        for c, v in touching.items()
        for o, m in v.items()
    )
    # Real neighbours: each LSOA touches at least one other, and a few share > 1 km.
    assert all(touching.values()) and sum(len(v) for v in touching.values()) > 2 * len(codes)
    lpu = dict(areas.lsoa.select("lsoa_code", "lpu").iter_rows())
    snt = dict(areas.lsoa.select("lsoa_code", "snt_code").iter_rows())
    expected = _brute_assign(lpu, snt, indexed)
    got = areas.neighbourhood_assignment
    assert {c: a.snt_code for c, a in got.items()} == expected
    # Ward-mapped LSOAs keep their SNT; the rest were empty before the rule.
    unmapped = [c for c, s in snt.items() if s is None]
    assert len(unmapped) == 217
    assert all(got[c].rule == "ward" and got[c].snt_code == s for c, s in snt.items() if s)
    assert {got[c].rule for c in unmapped} <= {"neighbours", "unassigned"}
    # Every SNT given lies in the LSOA's own LPU.
    hood_lpu = dict(areas.neighbourhoods.select("snt_code", "lpu").iter_rows())
    assert all(hood_lpu[a.snt_code] == lpu[c] for c, a in got.items() if a.snt_code)


def test_what_is_left_unassigned_is_a_fixed_point_and_says_why(areas: AreaHierarchy) -> None:
    got = areas.neighbourhood_assignment
    lpu = dict(areas.lsoa.select("lsoa_code", "lpu").iter_rows())
    touching = shared_boundaries(list(areas.locator.codes), list(areas.locator.polygons))
    for code, a in got.items():
        if a.snt_code is None:
            assert "cannot be given one" in a.reason
            assert not any(got[o].snt_code for o in touching[code] if lpu[o] == lpu[code])
    # Erewash: the weekly pack's "No single SNT" was most of the LPU; now no LSOA is left.
    erewash = areas.lsoa.filter(lpu="Erewash")["lsoa_code"].to_list()
    assert sum(s is None for s in areas.snt_for(erewash)) == 46
    assert sum(s is None for s in areas.neighbourhood_for(erewash)) == 0


def test_ties_go_to_the_longer_boundary_then_the_lower_code() -> None:
    lpu = {"x": "L", "a": "L", "b": "L", "c": "L", "d": "M"}
    snt = {"x": None, "a": "S2", "b": "S1", "c": None, "d": "S0"}
    touch = {
        "x": {"a": 300.0, "b": 100.0, "d": 900.0},
        "a": {"x": 300.0},
        "b": {"x": 100.0, "c": 50.0},
        "c": {"b": 50.0},
        "d": {"x": 900.0},
    }
    out = assign_neighbourhoods(lpu, snt, touch)
    # One vote each for S2 and S1: the longer shared boundary wins; d is another LPU's.
    assert out["x"].snt_code == "S2" and out["x"].round == 1
    assert out["c"].snt_code == "S1"
    even = assign_neighbourhoods(
        {"x": "L", "a": "L", "b": "L"},
        {"x": None, "a": "S2", "b": "S1"},
        {"x": {"a": 10.0, "b": 10.0}},
    )
    assert even["x"].snt_code == "S1"
    alone = assign_neighbourhoods({"x": "L", "d": "M"}, {"x": None, "d": "S0"}, {"x": {"d": 500.0}})
    assert alone["x"].snt_code is None and alone["x"].rule == "unassigned"
