"""Places (issue #16 item 4): counts against a brute-force count in SQL and with the csv
module, Poisson intervals against scipy's chi-squared, the Gini worked by hand, the rank
correlation against scipy, streets and patrol squares against loops written here."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from asbhub.analysis import (
    gini,
    gini_generalized,
    patrol_squares,
    place_concentration,
    poisson_interval,
)
from asbhub.analysis_inputs import PointFilters, points_from_files, points_from_store
from asbhub.data import sample_paths
from asbhub.ingest.inputs import expand_inputs
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest

ASB = "Anti-social behaviour"


# --- building blocks -------------------------------------------------------------------------


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_poisson_interval_equals_scipy_chi2(confidence: float) -> None:
    n = np.array([0, 1, 2, 5, 17, 144, 1000])
    low, high = poisson_interval(n, confidence)
    a = 1 - confidence
    ref_low = np.where(n > 0, stats.chi2.ppf(a / 2, 2 * np.maximum(n, 1)) / 2, 0.0)
    ref_high = stats.chi2.ppf(1 - a / 2, 2 * n + 2) / 2
    np.testing.assert_allclose(low, ref_low, rtol=1e-10)
    np.testing.assert_allclose(high, ref_high, rtol=1e-10)


def test_gini_worked_by_hand() -> None:
    # [0, 0, 1, 3]: sorted ascending, sum i * c_i = 3 * 1 + 4 * 3 = 15, n = 4, total 4:
    # G = 2 * 15 / (4 * 4) - 5 / 4 = 1.875 - 1.25 = 0.625. N = n = 4, so G' = G.
    assert gini([3, 0, 1, 0]) == pytest.approx(0.625, abs=1e-15)
    assert gini_generalized([3, 0, 1, 0]) == pytest.approx(0.625, abs=1e-15)
    # [2, 0, 0, 0, 0]: N = 2 records, n = 5 places. sum i * c_i = 5 * 2 = 10;
    # G = 2 * 10 / (5 * 2) - 6 / 5 = 0.8. Generalized (Bernasco and Steenbeek 2017):
    # G' = max(1, 5/2) * 0.8 + min(0, 1 - 5/2) = 2 - 1.5 = 0.5.
    assert gini([2, 0, 0, 0, 0]) == pytest.approx(0.8, abs=1e-15)
    assert gini_generalized([2, 0, 0, 0, 0]) == pytest.approx(0.5, abs=1e-15)
    # Two records at two of five places: as even as two records can be, so G' = 0 while the
    # ordinary Gini says 0.6.
    assert gini([1, 1, 0, 0, 0]) == pytest.approx(0.6, abs=1e-15)
    assert gini_generalized([1, 1, 0, 0, 0]) == pytest.approx(0.0, abs=1e-15)


def test_streets_join_points_with_one_description_within_the_distance() -> None:
    # A chain 300 m apart (one street), the same name 5 km away (another), and another name
    # 10 m away (another street).
    labels = ["On or near High Street"] * 3 + ["On or near High Street", "On or near Mill Lane"]
    x = [0.0, 300.0, 600.0, 5000.0, 10.0]
    y = [0.0] * 5
    r = place_concentration(labels, x, y, level="street", street_join=400)
    got = sorted(zip(r.labels, r.counts.tolist(), r.n_points.tolist(), strict=True))
    assert got == [
        ("On or near High Street", 1, 1),
        ("On or near High Street", 3, 3),
        ("On or near Mill Lane", 1, 1),
    ]
    r2 = place_concentration(labels, x, y, level="street", street_join=250)
    assert sorted(r2.counts.tolist()) == [1, 1, 1, 1, 1]


def test_patrol_squares_equal_a_loop() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(431000, 400, 2000)
    y = rng.normal(336000, 400, 2000)
    w = rng.choice([1.0, 10.0], 2000)
    counts: Counter[tuple[int, int]] = Counter()
    harm: Counter[tuple[int, int]] = Counter()
    for xi, yi, wi in zip(x, y, w, strict=True):
        key = (math.floor(xi / 150), math.floor(yi / 150))
        counts[key] += 1
        harm[key] += wi
    sq = patrol_squares(x, y, size=150, n=5)
    top = sorted(counts.values(), reverse=True)[:5]
    assert sq.counts.tolist() == top
    for i in range(5):
        assert counts[(int(sq.x0[i] // 150), int(sq.y0[i] // 150))] == sq.counts[i]
    by_harm = patrol_squares(x, y, size=150, n=3, weights=w, rank_by="harm")
    assert by_harm.harm is not None
    assert by_harm.harm.tolist() == pytest.approx(sorted(harm.values(), reverse=True)[:3])
    assert sq.n_squares_with_records == len(counts)


def test_rank_by_harm_needs_weights_and_reorders() -> None:
    labels = ["On or near A"] * 3 + ["On or near B"]
    x, y = [0.0, 0.0, 0.0, 900.0], [0.0] * 4
    with pytest.raises(ValueError, match="rank_by='harm' needs weights"):
        place_concentration(labels, x, y, rank_by="harm")
    r = place_concentration(labels, x, y, weights=[1, 1, 1, 10], rank_by="harm")
    assert r.labels == ("On or near B", "On or near A")
    assert r.share.tolist() == pytest.approx([10 / 13, 3 / 13])


# --- the real sample, against independent counts ---------------------------------------------


def sample_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        for n in sorted(zf.namelist()):
            rows += csv.DictReader(io.StringIO(zf.read(n).decode("utf-8")))
    return rows


@pytest.fixture(scope="module")
def asb_places():
    pts = points_from_files(sample_paths(), PointFilters(crime_types=("asb",)), places=True)
    xy = pts.xy()
    r = place_concentration(
        pts.frame["place"].to_list(), xy[:, 0], xy[:, 1], months=pts.frame["month"].to_numpy()
    )
    return pts, r


def test_point_counts_equal_a_count_with_the_csv_module(asb_places) -> None:
    _, r = asb_places
    rows = [
        r_ for r_ in sample_rows() if r_["Crime type"] == ASB and r_["Longitude"] and r_["Location"]
    ]
    expected = Counter((r_["Location"], r_["Longitude"], r_["Latitude"]) for r_ in rows)
    assert r.n_records == len(rows)
    assert r.n_places == len(expected)
    assert sorted(r.counts.tolist(), reverse=True) == sorted(expected.values(), reverse=True)
    assert r.counts.tolist() == sorted(r.counts.tolist(), reverse=True)
    top_label, top_n = r.labels[0], int(r.counts[0])
    assert max(n for (loc, _, _), n in expected.items() if loc == top_label) == top_n
    # Share of places for 50% of records, by a loop.
    values = sorted(expected.values(), reverse=True)
    total, run, k = sum(values), 0, 0
    while run < total / 2:
        run += values[k]
        k += 1
    assert r.share_for_50 == k / len(values)
    assert r.gini == pytest.approx(gini(values), abs=1e-12)
    assert r.curve_y[-1] == pytest.approx(1.0) and r.curve_x[-1] == 1.0


def test_month_to_month_stability_equals_scipy_spearman(asb_places) -> None:
    pts, r = asb_places
    st = r.stability
    assert st is not None and st.months == ("2018-12", "2019-01", "2019-02")
    # Rebuild each place's monthly counts independently: place key -> month -> count.
    frame = pts.frame.filter(pts.frame["place"].is_not_null())
    keys = [
        f"{p}|{round(e, 1)}|{round(n, 1)}"
        for p, e, n in zip(frame["place"], frame["easting"], frame["northing"], strict=True)
    ]
    table: dict[str, Counter[str]] = {}
    for k, m in zip(keys, frame["month"], strict=True):
        table.setdefault(k, Counter())[m] += 1
    per_month = [[table[k][m] for k in sorted(table)] for m in st.months]
    for t in range(2):
        rho = stats.spearmanr(per_month[t], per_month[t + 1]).statistic
        assert st.spearman[t] == pytest.approx(rho, abs=1e-12)
    assert st.records.tolist() == [sum(c) for c in per_month]
    assert st.gini_generalized[0] == pytest.approx(gini_generalized(per_month[0]), abs=1e-12)


def test_top_retained_worked_by_hand() -> None:
    # Month 1: A 5, B 4, C 1; month 2: A 3, C 3, B 0. Top 2 of month 1 = {A, B}; top 2 of
    # month 2 = {A, C} (tie at 3): one of the two stays, 50%.
    labels = ["On or near A"] * 8 + ["On or near B"] * 4 + ["On or near C"] * 4
    x = [0.0] * 8 + [1000.0] * 4 + [2000.0] * 4
    months = ["2019-01"] * 5 + ["2019-02"] * 3 + ["2019-01"] * 4 + ["2019-01"] + ["2019-02"] * 3
    r = place_concentration(labels, x, [0.0] * 16, months=months, top=2)
    assert r.stability is not None
    assert r.stability.top_retained.tolist() == [0.5]


def test_store_place_counts_equal_a_group_by_in_sql(store_url: str) -> None:
    store = open_store(store_url)
    assert ingest(store, list(expand_inputs(sample_paths()))).ok
    pts = points_from_store(
        store, PointFilters(months=("2019-01", "2019-01"), crime_types=("asb",)), places=True
    )
    xy = pts.xy()
    r = place_concentration(pts.frame["place"].to_list(), xy[:, 0], xy[:, 1])
    with store.connection.cursor() as cur:
        cur.execute(
            "SELECT l.description, COUNT(*) FROM incidents_incident i "
            "JOIN incidents_location l ON l.id = i.location_id "
            "WHERE i.month = '2019-01' AND i.crime_type = 'Anti-social behaviour' "
            "AND l.easting IS NOT NULL AND l.description <> '' "
            "GROUP BY l.description, l.easting, l.northing"
        )
        groups = cur.fetchall()
    assert sorted(r.counts.tolist()) == sorted(n for _, n in groups)
    assert Counter(r.labels) == Counter(d for d, _ in groups)


def test_a_residents_report_or_free_text_is_never_a_place(store_url: str) -> None:
    from asbhub.store import query

    store = open_store(store_url)
    assert ingest(store, list(expand_inputs(sample_paths()))).ok
    months = ("2019-01", "2019-01")
    before = query.incident_places(store, months=months)
    with store.connection.cursor() as cur:
        cur.execute(
            "SELECT l.id FROM incidents_location l JOIN incidents_incident i "
            "ON i.location_id = l.id WHERE i.month = '2019-01' ORDER BY l.id LIMIT 2"
        )
        first, second = (r[0] for r in cur.fetchall())
        # One made a resident's report, the other a force export's free text.
        cur.execute(
            "UPDATE incidents_location SET key = 'public-report|' || key WHERE id = %s", [first]
        )
        cur.execute(
            "UPDATE incidents_location SET description = '12 Example Road' WHERE id = %s",
            [second],
        )
        cur.execute(
            "SELECT COUNT(*) FROM incidents_incident WHERE month = '2019-01' "
            "AND location_id IN (%s, %s)",
            [first, second],
        )
        hidden = cur.fetchone()[0]
    after = query.incident_places(store, months=months)
    assert len(after) == len(before)
    assert sum(p is None for p in after) == sum(p is None for p in before) + hidden
    assert "12 Example Road" not in after
