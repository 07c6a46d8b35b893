"""hotspot_classify: planted patterns over twelve months, slicing, Mann-Kendall per cell, and
three real months of Derbyshire."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from asbhub.analysis import (
    TREND_CATEGORIES,
    Grid,
    HotspotTrend,
    gistar_z,
    hotspot_classify,
    hotspot_count,
    hotspot_gistar,
)

GRID = Grid(430000.0, 330000.0, 100.0, nx=40, ny=40)
MONTHS = np.arange("2019-01", "2020-01", dtype="datetime64[M]")

# Cell (row, col) and its incidents in each of the twelve months, spaced so bands don't touch.
PLANTED = {
    "persistent": (5, 5, [20] * 12),
    "new": (5, 20, [0] * 11 + [20]),
    "emerging": (5, 34, [0] * 6 + [20] * 6),
    "intensifying": (20, 5, list(range(16, 40, 2))),
    "diminishing": (20, 20, list(range(38, 14, -2))),
    "former": (20, 34, [20] * 7 + [0] * 5),
    "sporadic": (34, 5, [0, 20, 0, 0, 20, 0, 0, 0, 20, 0, 0, 0]),
    "sporadic, hot again now": (34, 20, [20, 20, 20, 0, 0, 0, 0, 0, 0, 0, 0, 20]),
}


def planted_points(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pts: list[np.ndarray] = []
    times: list[np.ndarray] = []
    for t, month in enumerate(MONTHS):
        background = rng.uniform([430000, 330000], [434000, 334000], size=(100, 2))
        pts.append(background)
        times.append(np.full(100, month))
        for row, col, per_month in PLANTED.values():
            k = per_month[t]
            # Anywhere in the cell, not just its centre.
            xy = rng.uniform(
                [GRID.x_centres[col] - 49, GRID.y_centres[row] - 49],
                [GRID.x_centres[col] + 49, GRID.y_centres[row] + 49],
                size=(k, 2),
            )
            pts.append(xy)
            times.append(np.full(k, month))
    return np.vstack(pts), np.concatenate(times)


@pytest.fixture(scope="module")
def planted() -> tuple[np.ndarray, np.ndarray, HotspotTrend]:
    pts, times = planted_points()
    return pts, times, hotspot_classify(pts, times, grid=GRID)


def test_each_planted_pattern_gets_its_category(planted: tuple) -> None:
    _, _, r = planted
    for name, (row, col, _) in PLANTED.items():
        expected = name.split(",")[0]
        got = TREND_CATEGORIES[r.categories[row, col]]
        assert got == expected, f"{name}: {got}, hot {r.hot[:, row, col].astype(int)}"
        # The whole 3 x 3 band around a planted cell shares its history.
        assert (r.categories[row - 1 : row + 2, col - 1 : col + 2] == r.categories[row, col]).all()
    counts = r.category_counts()
    assert counts == {
        "no pattern": 40 * 40 - 9 * 8,
        "new": 9,
        "emerging": 9,
        "intensifying": 9,
        "persistent": 9,
        "diminishing": 9,
        "sporadic": 18,
        "former": 9,
    }
    assert r.mask("former").sum() == 9


def test_slices_are_the_months_with_their_own_gistar(planted: tuple) -> None:
    pts, times, r = planted
    assert r.n_periods == 12 and r.period == "month"
    assert r.periods[0] == np.datetime64("2019-01-01") and r.periods[-1] == np.datetime64(
        "2019-12-01"
    )
    for t in (0, 6, 11):
        in_month = times == MONTHS[t]
        one = hotspot_gistar(pts[in_month], grid=GRID)
        np.testing.assert_array_equal(r.counts[t], one.counts)
        np.testing.assert_allclose(r.z[t], one.z, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(r.hot[t], one.classes >= 2)  # 95% with FDR


def test_trend_is_mann_kendall_of_each_cells_z(planted: tuple) -> None:
    _, _, r = planted
    for row, col in [(20, 5), (20, 20), (5, 5), (12, 30)]:
        series = r.z[:, row, col]
        ref = stats.kendalltau(np.arange(12), series, method="asymptotic")
        s = int(r.trend_s[row, col])
        assert s == round(ref.statistic * 66)  # no ties in time or z: tau = S / 66
        # With the continuity correction, z = (S - sign S) / sqrt(Var).
        assert r.trend_z[row, col] == pytest.approx((s - np.sign(s)) / np.sqrt(12 * 11 * 29 / 18))
    assert r.trend_p[20, 5] < 0.001 and r.trend_s[20, 5] > 0
    assert r.trend_p[20, 20] < 0.001 and r.trend_s[20, 20] < 0


def test_thresholds_are_configurable(planted: tuple) -> None:
    pts, times, _ = planted
    # 7 of 12 months hot is "former" at a share of 0.5, "sporadic" at 0.75.
    r = hotspot_classify(pts, times, grid=GRID, former_share=0.75)
    assert TREND_CATEGORIES[r.categories[20, 34]] == "sporadic"
    # At a persistence share of 0.5, hot in the last 6 of 12 months is persistent; the former
    # hot spot (7 of 12) would be too, but it is not hot now, so it stays former.
    r = hotspot_classify(pts, times, grid=GRID, persistent_share=0.5)
    assert TREND_CATEGORIES[r.categories[5, 34]] == "persistent"
    assert TREND_CATEGORIES[r.categories[20, 34]] == "former"


def test_empty_months_are_slices_too() -> None:
    pts = np.array([[430050.0, 330050.0]] * 5 + [[430950.0, 330950.0]] * 5)
    times = np.array(["2019-01"] * 5 + ["2019-04"] * 5)
    r = hotspot_classify(pts, times, cell_size=100, extent=(430000, 330000, 431000, 331000))
    assert r.n_periods == 4
    assert r.counts.sum(axis=(1, 2)).tolist() == [5.0, 0.0, 0.0, 5.0]
    assert not r.z[1].any() and not r.hot[1].any()


def test_end_makes_a_quiet_last_month_count() -> None:
    pts = np.array([[430050.0, 330050.0]] * 6 + [[430550.0, 330550.0]] * 3)
    times = np.array(
        ["2019-01", "2019-02", "2019-03", "2019-04", "2019-05", "2019-06"] + ["2019-06"] * 3
    )
    kw = {
        "cell_size": 100.0,
        "extent": (430000, 330000, 431000, 331000),
        "fdr": False,
        "confidence": 0.9,
    }
    through_june = hotspot_classify(pts, times, **kw)  # type: ignore[arg-type]
    assert through_june.n_periods == 6
    to_august = hotspot_classify(pts, times, end="2019-08-31", **kw)  # type: ignore[arg-type]
    assert to_august.n_periods == 8
    assert to_august.periods[-1] == np.datetime64("2019-08-01")
    assert not to_august.hot[-1].any()


def test_start_and_end_exclude_points_outside() -> None:
    pts = np.array([[430050.0, 330050.0]] * 3)
    times = np.array(["2018-12-31", "2019-01-15", "2019-02-01"], dtype="datetime64[D]")
    r = hotspot_classify(
        pts,
        times,
        start="2019-01-01",
        end="2019-02-28",
        cell_size=100,
        extent=(430000, 330000, 430500, 330500),
    )
    assert r.excluded_indices.tolist() == [0]
    assert r.n_points_used == 2


def test_weeks_run_monday_to_sunday() -> None:
    days = np.array(
        ["2019-01-06", "2019-01-07", "2019-01-13", "2019-01-14", "2019-01-28"],
        dtype="datetime64[D]",
    )
    pts = np.tile([430050.0, 330050.0], (5, 1))
    r = hotspot_classify(
        pts, days, period="week", cell_size=100, extent=(430000, 330000, 430500, 330500)
    )
    # Sunday 6 January ends the week of Monday 31 December 2018.
    assert r.periods.tolist()[0] == np.datetime64("2018-12-31").item()
    assert r.n_periods == 5
    assert r.counts.sum(axis=(1, 2)).tolist() == [1.0, 2.0, 1.0, 0.0, 1.0]


def test_missing_times_are_excluded_and_reported() -> None:
    pts = np.tile([430050.0, 330050.0], (4, 1))
    times = np.array(["2019-01-05", "NaT", "2019-02-05", "2019-03-05"], dtype="datetime64[D]")
    r = hotspot_classify(pts, times, cell_size=100, extent=(430000, 330000, 430500, 330500))
    assert r.excluded_indices.tolist() == [1]
    assert r.n_periods == 3


def test_cold_spots() -> None:
    rng = np.random.default_rng(2)
    pts = []
    times = []
    for month in MONTHS[:8]:
        busy = rng.uniform([430000, 330000], [431000, 331000], size=(400, 2))
        quiet_late = month >= MONTHS[4]
        keep = (
            ~((busy[:, 0] < 430300) & (busy[:, 1] < 330300)) if quiet_late else np.ones(400, bool)
        )
        pts.append(busy[keep])
        times.append(np.full(keep.sum(), month))
    r = hotspot_classify(
        np.vstack(pts),
        np.concatenate(times),
        kind="cold",
        cell_size=100,
        extent=(430000, 330000, 431000, 331000),
        fdr=False,
        confidence=0.9,
    )
    assert r.kind == "cold"
    # The corner that went quiet in May is a cold spot in its last months only.
    assert r.hot[4:, 1, 1].all() and not r.hot[:4, 1, 1].any()
    assert TREND_CATEGORIES[r.categories[1, 1]] == "emerging"


def test_rejects_bad_inputs() -> None:
    pts = np.tile([430050.0, 330050.0], (3, 1))
    ext = {"cell_size": 100.0, "extent": (430000, 330000, 430500, 330500)}
    with pytest.raises(ValueError, match="at least 2 months"):
        hotspot_classify(pts, ["2019-01"] * 3, **ext)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one value per point"):
        hotspot_classify(pts, ["2019-01", "2019-02"], **ext)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'month' or 'week'"):
        hotspot_classify(pts, ["2019-01", "2019-02", "2019-03"], period="day", **ext)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="times must be dates"):
        hotspot_classify(pts, ["soon", "later", "never"], **ext)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence must be in"):
        hotspot_classify(pts, ["2019-01", "2019-02", "2019-03"], confidence=95, **ext)  # type: ignore[arg-type]


def test_derbyshire_three_months(derbyshire_asb_monthly: tuple[np.ndarray, np.ndarray]) -> None:
    pts, months = derbyshire_asb_monthly
    r = hotspot_classify(pts, months, cell_size=1000)
    assert r.n_periods == 3
    assert r.n_points_used + r.n_points_excluded == len(pts) == 2385 + 2980 + 3142
    used = np.ones(len(pts), dtype=bool)
    used[r.excluded_indices] = False
    per_month = [int((months[used] == m).sum()) for m in np.unique(months)]
    assert r.counts.sum(axis=(1, 2)).tolist() == per_month
    counts = r.category_counts()
    assert sum(counts.values()) == r.grid.n_cells
    # Three slices are too few for Mann-Kendall to reach 5%: no trend-based categories, and
    # the emerging cells are those hot in January and February only.
    assert counts["intensifying"] == counts["diminishing"] == 0
    assert counts["emerging"] > 0
    assert (r.hot[:, r.mask("emerging")].T == [False, True, True]).all()
    # Central Derby is hot every month.
    row, col = (335500 - r.grid.y0) // 1000, (435500 - r.grid.x0) // 1000
    assert r.hot[:, int(row), int(col)].all()
    assert TREND_CATEGORIES[r.categories[int(row), int(col)]] == "persistent"
    # Each month's z is Gi* of that month alone on the shared lattice.
    jan = months == np.datetime64("2019-01")
    np.testing.assert_allclose(
        r.z[1], gistar_z(hotspot_count(pts[jan], grid=r.grid).counts, 1000.0)[0], atol=1e-12
    )
