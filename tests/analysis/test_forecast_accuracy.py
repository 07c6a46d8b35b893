"""Forecast accuracy (issue #16 item 2): PAI, PEI, PEI* and RRI against hand-worked examples,
and the rolling evaluation against the same numbers worked from its definition."""

from __future__ import annotations

import math

import numpy as np
import pytest

from asbhub.analysis import forecast_accuracy, forecast_scores

# ptools' own example (help(pai)): obs 6 7 3 2 1 0, pred 8 4 4 2 1 0, every area 1.
OBS = [6, 7, 3, 2, 1, 0]
PRED = [8, 4, 4, 2, 1, 0]


@pytest.mark.parametrize(
    ("k", "pai", "pei", "pei_star", "rri"),
    [
        # Ranked by pred, ties by obs ascending: obs 6, 3, 7, 2, 1, 0 (cum 6 9 16 18 19 19);
        # the oracle's: 7, 6, 3, 2, 1, 0 (cum 7 13 16 18 19 19); C = 19, A = 6.
        (1, (6 / 19) / (1 / 6), 6 / 7, 6 / 7, 8 / 6),
        (2, (9 / 19) / (2 / 6), 9 / 13, 9 / 13, 12 / 9),
        (3, (16 / 19) / (3 / 6), 1.0, 1.0, 16 / 16),
        # All six cells: PAI 1; the oracle needs only the 5 cells with crime for its 19, so
        # PAI* = (19/19) / (5/6) and PEI* = 5/6 while PEI is 1.
        (6, 1.0, 1.0, 5 / 6, 19 / 19),
    ],
)
def test_scores_match_the_hand_worked_ptools_example(
    k: int, pai: float, pei: float, pei_star: float, rri: float
) -> None:
    s = forecast_scores(PRED, OBS, k)
    assert s.pai == pytest.approx(pai, rel=1e-12)
    assert s.pei == pytest.approx(pei, rel=1e-12)
    assert s.pei_star == pytest.approx(pei_star, rel=1e-12)
    assert s.rri == pytest.approx(rri, rel=1e-12)


def test_ties_are_broken_against_the_map() -> None:
    # Two cells tie on the prediction; the one flagged is the one with less crime.
    s = forecast_scores([1, 1, 0, 0], [0, 5, 1, 0], 1)
    assert s.captured == 0 and s.pai == 0 and s.pei == 0


def test_rri_undefined_without_counts_and_infinite_on_a_miss() -> None:
    s = forecast_scores([3, 2, 1], [0, 0, 4], 1, predicted_counts=[np.nan] * 3)
    assert math.isnan(s.rri) and s.pai == 0
    assert forecast_scores([3, 2, 1], [0, 0, 4], 1).rri == math.inf


def _month_points(cells_by_month: list[dict[tuple[int, int], int]]) -> tuple:
    xs, ys, ts = [], [], []
    for m, cells in enumerate(cells_by_month):
        for (r, c), n in cells.items():
            xs += [430000 + (c + 0.5) * 100] * n
            ys += [330000 + (r + 0.5) * 100] * n
            ts += [np.datetime64("2019-01", "M") + m] * n
    return np.column_stack([xs, ys]), np.array(ts)


def test_rolling_evaluation_scores_each_month_from_the_months_before() -> None:
    # A 10 x 10 lattice; 20 cells hold records at some time, so 5% of the area is 1 cell.
    rng = np.random.default_rng(7)
    cells = [(int(i) // 10, int(i) % 10) for i in rng.choice(100, size=20, replace=False)]
    months = []
    for m in range(4):
        month = {cell: int(rng.integers(1, 4)) for cell in cells}
        month[cells[0]] = 10 + m  # a steady hot cell
        months.append(month)
    pts, times = _month_points(months)
    res = forecast_accuracy(
        pts,
        times,
        methods=("naive", "counts"),
        area_shares=(0.05,),
        cell_size=100,
        extent=(430000, 330000, 430999, 330999),
    )
    n_cells = len(cells)
    assert res.n_cells == n_cells
    assert [r.test_period for r in res.rows] == ["2019-02", "2019-03", "2019-04"] * 2
    # Worked by hand from the definition: flag the one hottest cell (cells[0] for both
    # methods); it holds 10 + m of the month's total.
    for row in res.rows:
        m = int(row.test_period[-1]) - 1
        total = sum(months[m].values())
        assert row.score.n_flagged == round(0.05 * n_cells)
        assert row.score.captured == 10 + m
        assert row.score.pai == pytest.approx(((10 + m) / total) / (1 / n_cells))
        assert row.score.pei == 1.0
    naive_rri = [r.score.rri for r in res.rows if r.method == "naive"]
    assert naive_rri == pytest.approx([10 / 11, 11 / 12, 12 / 13])
    summary = {s["method"]: s for s in res.summary()}
    assert summary["counts"]["pai_vs_naive"] == pytest.approx(1.0)


def test_every_method_runs_and_emerging_needs_two_months() -> None:
    rng = np.random.default_rng(11)
    n = 3000
    pts = rng.normal([431000, 331000], 300, size=(n, 2))
    times = np.datetime64("2019-01", "M") + rng.integers(0, 4, size=n)
    res = forecast_accuracy(pts, times, cell_size=100)
    methods = {r.method for r in res.rows}
    assert methods == {"naive", "counts", "kde", "gistar", "emerging"}
    assert {r.test_period for r in res.rows if r.method == "emerging"} == {"2019-03", "2019-04"}
    assert any("emerging" in s and "2019-02" in s for s in res.skipped)
    for r in res.rows:
        assert 0 <= r.score.pei <= 1 + 1e-12 and 0 <= r.score.pei_star <= 1 + 1e-12
        assert r.score.pai >= 0
    assert all(math.isnan(r.score.rri) for r in res.rows if r.method in ("gistar", "emerging"))


def test_errors_say_what_to_change() -> None:
    pts = np.array([[430000.0, 330000.0], [430100.0, 330100.0]])
    with pytest.raises(ValueError, match="at least 2 months"):
        forecast_accuracy(pts, np.array(["2019-01", "2019-01"]))
    with pytest.raises(ValueError, match="choose from naive"):
        forecast_accuracy(pts, np.array(["2019-01", "2019-02"]), methods=("magic",))
    with pytest.raises(ValueError, match="between 1 and the 3 cells"):
        forecast_scores([1, 2, 3], [1, 2, 3], 4)
