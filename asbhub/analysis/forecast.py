"""Forecast accuracy of hot-spot maps: does last month's map find next month's crime?

Each method makes a map from months ``1..k`` and flags its top ``x`` percent of the study
area; month ``k + 1`` then scores the flagged cells with PAI, PEI, PEI* and RRI, and the
window rolls forward over every month available (:func:`forecast_accuracy`). The scores of one
map and one month are :func:`forecast_scores`.

Definitions (``n`` crimes of the test month in the flagged cells, ``N`` in the study area,
``a`` the flagged area, ``A`` the study area; every cell of a lattice has the same area):

PAI, Predictive Accuracy Index (Chainey, Tompson and Uhlig 2008; R ptools ``pai``)
    ``(n / N) / (a / A)``: how many times more crime the flagged cells hold than their share
    of the area. 1 is no better than chance.
PEI, Predictive Efficiency Index (Hunt 2016; ptools ``pai``)
    PAI over the best PAI any map could have had with the same area, a perfect oracle that
    flags the cells of the test month with the most crime: ``n / n*`` with ``n*`` the crimes
    in the oracle's cells. Between 0 and 1.
PEI* (NIJ Real-Time Crime Forecasting Challenge 2017; White, Hunt and Green 2023)
    PAI over ``PAI* = (n* / N) / (a* / A)``, where ``a*`` is the area the oracle actually
    needs for ``n*``: only the cells with crime, so fewer than flagged when fewer cells than
    that hold any crime. PEI* is PEI made operationally realistic: it does not reward
    flagging more area than the crime needs. Between 0 and 1; equal to PEI when every
    flagged oracle cell holds crime.
RRI, Recapture Rate Index (Levine 2008; ptools ``pai``)
    Predicted over observed crimes in the flagged cells: the forecast's own count for the
    month over what happened. Only a method that predicts counts has one (last month, the
    monthly mean, KDE scaled to a monthly count); for Gi* and emerging classes it is
    undefined (NaN). Above 1 the map over-predicts; 0 observed gives infinity.

As ptools' ``pai`` does, cells are ranked by the prediction and ties broken by the observed
count *ascending*, so a tie never flatters a map (a map of many equal scores, as last month's
counts are, gets the lowest PAI its ties allow).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .emerging import emerging_cube
from .gistar import gistar_z
from .grid import DEFAULT_MAX_CELLS, Extent, Grid, as_points, grid_points
from .hotspot import hotspot_kde
from .hotspot_trend import DateLike, _slice_times

__all__ = [
    "AREA_SHARES",
    "FORECAST_METHODS",
    "ForecastAccuracy",
    "ForecastRow",
    "ForecastScore",
    "ForecastMethod",
    "forecast_accuracy",
    "forecast_scores",
]

ForecastMethod = Literal["naive", "counts", "kde", "gistar", "emerging"]

FORECAST_METHODS: tuple[ForecastMethod, ...] = ("naive", "counts", "kde", "gistar", "emerging")
"""The methods :func:`forecast_accuracy` can score; ``naive`` (last month's counts) is the
baseline the others are measured against."""

METHOD_LABELS: dict[str, str] = {
    "naive": "last month's counts (naive baseline)",
    "counts": "counts over the training months",
    "kde": "kernel density (quartic) of the training months",
    "gistar": "Gi* z-score of the training months' counts",
    "emerging": "emerging hot spot class (space-time Gi*), then final-month z",
}

AREA_SHARES: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10)
"""Shares of the study area flagged: the top 1, 2, 5 and 10 percent."""

# Emerging classes ranked for a forecast: which cells to patrol next month first. Hot patterns
# that are hot now, strongest first; then the historical; then no pattern; cold last.
_EMERGING_RANK = {
    3: 0,  # intensifying hot spot
    4: 1,  # persistent hot spot
    2: 2,  # consecutive hot spot
    5: 3,  # diminishing hot spot
    1: 4,  # new hot spot
    6: 5,  # sporadic hot spot
    7: 6,  # oscillating hot spot
    8: 7,  # historical hot spot
    0: 8,  # no pattern
}


@dataclass(frozen=True)
class ForecastScore:
    """PAI, PEI, PEI* and RRI of one map against one month (see the module's definitions).

    Attributes
    ----------
    n_flagged : int
        Cells flagged (``a`` in cells).
    n_cells : int
        Cells in the study area (``A`` in cells).
    captured : float
        ``n``: the month's crimes in the flagged cells.
    total : float
        ``N``: the month's crimes in the study area.
    oracle_captured : float
        ``n*``: the most any ``n_flagged`` cells held.
    oracle_cells : int
        Cells of those holding crime (``a*`` in cells).
    pai, pei, pei_star, rri : float
        NaN where undefined (no crime in the month; RRI without predicted counts); RRI is
        infinite when predicted crime meets none.
    """

    n_flagged: int
    n_cells: int
    captured: float
    total: float
    oracle_captured: float
    oracle_cells: int
    pai: float
    pei: float
    pei_star: float
    rri: float


def _order(score: NDArray[np.float64], observed: NDArray[np.float64]) -> NDArray[np.intp]:
    """Cells by score descending, ties by observed ascending (as ptools' ``pai``)."""
    order: NDArray[np.intp] = np.lexsort((observed, -score))
    return order


def forecast_scores(
    predicted: ArrayLike,
    observed: ArrayLike,
    n_flagged: int,
    predicted_counts: ArrayLike | None = None,
) -> ForecastScore:
    """Score a map: flag its ``n_flagged`` highest cells, count what ``observed`` put there.

    Parameters
    ----------
    predicted : array_like
        The map's score per cell (any shape; higher is hotter), over the study area only.
    observed : array_like
        The test month's crimes per cell, same shape.
    n_flagged : int
        Cells to flag (1 to the number of cells).
    predicted_counts : array_like, optional
        The map's predicted crimes per cell for the month, for RRI; default ``predicted``
        itself. Pass an array of NaN when the map predicts no counts.

    Examples
    --------
    ptools' own example (``obs = 6, 7, 3, 2, 1, 0``; ``pred = 8, 4, 4, 2, 1, 0``), top cell:

    >>> s = forecast_scores([8, 4, 4, 2, 1, 0], [6, 7, 3, 2, 1, 0], 1)
    >>> round(s.pai, 4), round(s.pei, 4), round(s.rri, 4)
    (1.8947, 0.8571, 1.3333)
    """
    pred = np.asarray(predicted, dtype=np.float64).ravel()
    obs = np.asarray(observed, dtype=np.float64).ravel()
    if pred.shape != obs.shape:
        raise ValueError(
            f"predicted and observed must cover the same cells, got {pred.size} and {obs.size}"
        )
    n = pred.size
    if not 1 <= n_flagged <= n:
        raise ValueError(f"n_flagged must be between 1 and the {n} cells, got {n_flagged}")
    if np.isnan(pred).any() or np.isnan(obs).any():
        raise ValueError("predicted and observed must not hold NaN (score undefined cells low)")
    pc = pred if predicted_counts is None else np.asarray(predicted_counts, float).ravel()
    top = _order(pred, obs)[:n_flagged]
    captured = float(obs[top].sum())
    total = float(obs.sum())
    best = np.sort(obs)[::-1][:n_flagged]
    oracle = float(best.sum())
    oracle_cells = int(np.count_nonzero(best > 0))
    share_area = n_flagged / n
    nan = math.nan
    if total > 0:
        pai = (captured / total) / share_area
        pei = captured / oracle
        pai_star = (oracle / total) / (oracle_cells / n)
        pei_star = pai / pai_star
    else:
        pai = pei = pei_star = nan
    predicted_sum = float(pc[top].sum())
    if math.isnan(predicted_sum):
        rri = nan
    elif captured > 0:
        rri = predicted_sum / captured
    else:
        rri = math.inf if predicted_sum > 0 else nan
    return ForecastScore(
        n_flagged=int(n_flagged),
        n_cells=int(n),
        captured=captured,
        total=total,
        oracle_captured=oracle,
        oracle_cells=oracle_cells,
        pai=pai,
        pei=pei,
        pei_star=pei_star,
        rri=rri,
    )


@dataclass(frozen=True)
class ForecastRow:
    """One method, one test month, one share of the area."""

    method: str
    trained_from: str
    trained_to: str
    test_period: str
    area_share: float
    score: ForecastScore


@dataclass(frozen=True, eq=False)
class ForecastAccuracy:
    """Every row of a rolling forecast evaluation, and how it was run.

    Attributes
    ----------
    rows : tuple of ForecastRow
        Method by test month by area share, in that order.
    grid : Grid
    n_cells : int
        Cells in the study area.
    study_area_rule : str
    periods : tuple of str
        Every month (or week) of the data, first day, ISO.
    methods : tuple of str
    area_shares : tuple of float
    parameters : dict
        Band, bandwidth, time steps: what each method used.
    skipped : tuple of str
        Method and window combinations that could not run, with the reason.
    n_points_used : int
    n_points_excluded : int
    """

    rows: tuple[ForecastRow, ...]
    grid: Grid
    n_cells: int
    study_area_rule: str
    periods: tuple[str, ...]
    methods: tuple[str, ...]
    area_shares: tuple[float, ...]
    parameters: dict[str, float | int | str | None]
    skipped: tuple[str, ...]
    n_points_used: int
    n_points_excluded: int

    def summary(self) -> list[dict[str, float | str | int]]:
        """Mean PAI, PEI, PEI* and RRI over the test months, per area share and method.

        ``pai_vs_naive`` is the method's mean PAI over the naive baseline's mean PAI over the
        *same* test months (emerging has no forecast of the second month, so its ratio leaves
        that month out of the baseline too).
        """
        out: list[dict[str, float | str | int]] = []
        for share in self.area_shares:
            for method in self.methods:
                rows = self._rows(method, share)
                if not rows:
                    continue
                months = {r.test_period for r in rows}
                base = [r for r in self._rows("naive", share) if r.test_period in months]
                row: dict[str, float | str | int] = {
                    "method": method,
                    "area_share": share,
                    "months": len(rows),
                    "pai": _mean([r.score.pai for r in rows]),
                    "pei": _mean([r.score.pei for r in rows]),
                    "pei_star": _mean([r.score.pei_star for r in rows]),
                    "rri": _mean([r.score.rri for r in rows]),
                }
                base_pai = _mean([r.score.pai for r in base]) if base else math.nan
                row["pai_vs_naive"] = float(row["pai"]) / base_pai if base_pai > 0 else math.nan
                out.append(row)
        return out

    def _rows(self, method: str, share: float) -> list[ForecastRow]:
        return [r for r in self.rows if r.method == method and r.area_share == share]


def _mean(values: list[float]) -> float:
    """Mean of the finite values (NaN when there are none)."""
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def _predictions(
    method: str,
    counts: NDArray[np.float64],
    k: int,
    grid: Grid,
    band: float,
    bandwidth: float,
    time_steps: int,
    points: NDArray[np.float64],
    slice_of: NDArray[np.intp],
    weights: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The map (score per cell) and its predicted counts for the month after ``counts[:k]``."""
    cell_km2 = (grid.cell_size / 1000.0) ** 2
    if method == "naive":
        last = counts[k - 1]
        return last, last
    if method == "counts":
        mean = counts[:k].mean(axis=0)
        return mean, mean
    if method == "kde":
        use = slice_of < k
        kde = hotspot_kde(
            points[use],
            kernel="quartic",
            bandwidth=bandwidth,
            grid=grid,
            weights=None if weights is None else weights[use],
        )
        per_month = kde.density * cell_km2 / k
        return per_month, per_month
    nan_counts = np.full(counts.shape[1:], np.nan)
    if method == "gistar":
        z, _ = gistar_z(counts[:k].sum(axis=0), grid.cell_size, band)
        return z, nan_counts
    if method == "emerging":
        cube = emerging_cube(counts[:k], cell_size=grid.cell_size, band=band, time_steps=time_steps)
        rank = np.full(cube.categories.shape, 9.0)
        for code, r in _EMERGING_RANK.items():
            rank[cube.categories == code] = r
        rank[cube.categories > 8] = 10.0
        # Class first; within a class, the final month's z (bounded well under 1 rank step).
        zlast = cube.z[-1]
        tie = np.arctan(zlast) / math.pi  # in (-0.5, 0.5)
        return -rank + tie, nan_counts
    raise ValueError(f"unknown method {method!r}; have {', '.join(FORECAST_METHODS)}")


def forecast_accuracy(
    points: ArrayLike,
    times: ArrayLike,
    *,
    methods: Sequence[str] = FORECAST_METHODS,
    area_shares: Sequence[float] = AREA_SHARES,
    period: Literal["month", "week"] = "month",
    start: DateLike | None = None,
    end: DateLike | None = None,
    cell_size: float | None = 250.0,
    band: float | None = None,
    bandwidth: float | None = None,
    time_steps: int = 1,
    extent: Extent | tuple[float, float, float, float] | None = None,
    grid: Grid | None = None,
    weights: ArrayLike | None = None,
    max_cells: int = DEFAULT_MAX_CELLS,
) -> ForecastAccuracy:
    """How well each hot-spot method's map of months ``1..k`` predicts month ``k + 1``.

    For every ``k`` from 1 to the last month but one (2 for ``emerging``, which needs two
    months), each method makes its map from the training months:

    ``naive``
        Last month's counts per cell: the baseline.
    ``counts``
        Mean monthly count per cell over months ``1..k``.
    ``kde``
        Quartic kernel density of the training points (:func:`~asbhub.analysis.hotspot.
        hotspot_kde`), as a monthly count per cell.
    ``gistar``
        Gi* z-score of the training months' counts (:func:`~asbhub.analysis.gistar.gistar_z`).
    ``emerging``
        The emerging hot spot class of the training cube (:func:`~asbhub.analysis.emerging.
        emerging_cube`), ranked intensifying, persistent, consecutive, diminishing, new,
        sporadic, oscillating, historical, no pattern, cold; within a class by the final
        month's space-time z.

    and flags the top ``x`` of the study area for each ``x`` in ``area_shares`` (``round(x *
    cells)``, at least one cell). Month ``k + 1`` scores the flagged cells with
    :func:`forecast_scores` (PAI, PEI, PEI*, RRI; definitions in :mod:`asbhub.analysis.
    forecast`).

    The **study area** is the cells with at least one record in any month of the data: the
    same for every method and month, so the scores compare; a lattice's empty countryside,
    sea and neighbouring forces would otherwise inflate every PAI alike.

    Parameters
    ----------
    points, times
        As for :func:`~asbhub.analysis.emerging.hotspot_emerging`.
    methods : sequence of str
        Any of :data:`FORECAST_METHODS`.
    area_shares : sequence of float
        Shares of the study area to flag; default 1, 2, 5 and 10 percent.
    period, start, end
        Time steps (months by default); every step from the first to the last is scored.
    cell_size : float
        Cell side in metres, default 250 (patrol-sized cells); None chooses one from the
        extent as the other hot-spot functions do. Ignored when ``grid`` is given.
    band : float, optional
        Gi* and space-time Gi* neighbourhood distance; default ``cell_size * sqrt(2)``.
    bandwidth : float, optional
        KDE quartic radius in metres; default twice the cell size.
    time_steps : int
        Space-time Gi* neighbourhood time step for ``emerging``.
    extent, grid, weights, max_cells
        As for :func:`~asbhub.analysis.hotspot.hotspot_count`.

    Returns
    -------
    ForecastAccuracy
    """
    unknown = [m for m in methods if m not in FORECAST_METHODS]
    if unknown or not methods:
        raise ValueError(
            f"unknown method(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {', '.join(FORECAST_METHODS)}"
        )
    shares = tuple(float(s) for s in area_shares)
    if not shares or any(not (math.isfinite(s) and 0 < s <= 1) for s in shares):
        raise ValueError(f"area shares must lie in (0, 1], e.g. 0.05 for 5%; got {area_shares}")
    pts = as_points(points)
    slice_of, has_time, starts = _slice_times(times, pts.shape[0], period, start, end)
    n_t = starts.size
    if n_t < 2:
        raise ValueError(
            f"a forecast needs at least 2 {period}s (one to train on, one to score), the data "
            f"span {n_t}; give more months"
        )
    masked = np.where(has_time[:, None], pts, np.nan)
    gp = grid_points(
        masked,
        cell_size=None if grid is not None else cell_size,
        extent=extent,
        grid=grid,
        weights=weights,
        max_cells=max_cells,
    )
    g = gp.grid
    used_slices = slice_of[gp.used_indices]
    flat = used_slices * g.n_cells + gp.rows * g.nx + gp.cols
    counts = (
        np.bincount(flat, weights=gp.weights, minlength=n_t * g.n_cells)
        .astype(np.float64, copy=False)
        .reshape(n_t, g.ny, g.nx)
    )
    study = (counts != 0).any(axis=0)
    n_cells = int(study.sum())
    if n_cells == 0:
        raise ValueError("no records with coordinates and a month: nothing to forecast")
    band_m = g.cell_size * math.sqrt(2.0) if band is None else float(band)
    bw = 2.0 * g.cell_size if bandwidth is None else float(bandwidth)
    labels = [str(s)[:7] if period == "month" else str(s) for s in starts]
    rows: list[ForecastRow] = []
    skipped: list[str] = []
    flagged = {s: max(1, round(s * n_cells)) for s in shares}
    for method in methods:
        for k in range(1, n_t):
            if method == "emerging" and k < 2:
                skipped.append(
                    f"emerging: no forecast of {labels[k]}, the class needs at least 2 "
                    "training months"
                )
                continue
            score_map, predicted = _predictions(
                method, counts, k, g, band_m, bw, time_steps, gp.points, used_slices, gp.weights
            )
            obs = counts[k][study]
            sm = score_map[study]
            pc = predicted[study]
            for share in shares:
                rows.append(
                    ForecastRow(
                        method=method,
                        trained_from=labels[0],
                        trained_to=labels[k - 1],
                        test_period=labels[k],
                        area_share=share,
                        score=forecast_scores(sm, obs, flagged[share], pc),
                    )
                )
    return ForecastAccuracy(
        rows=tuple(rows),
        grid=g,
        n_cells=n_cells,
        study_area_rule="cells with at least one record in any month of the data",
        periods=tuple(str(s) for s in starts),
        methods=tuple(methods),
        area_shares=shares,
        parameters={
            "cell_size": g.cell_size,
            "cell_size_rule": gp.cell_size_rule,
            "band": band_m,
            "kde_bandwidth": bw,
            "kde_kernel": "quartic",
            "time_steps": int(time_steps),
            "period": period,
        },
        skipped=tuple(skipped),
        n_points_used=gp.n_points_used,
        n_points_excluded=int(gp.excluded_indices.size),
    )
