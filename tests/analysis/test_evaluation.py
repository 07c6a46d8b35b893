"""evaluate_intervention and intervention_counts: a worked example on Op Dexter's published
figures (seed 003, Appendix A) checked against values computed by hand, a published WDD
example, the zero-count cases, and counts from events on crafted and real Derbyshire data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import Polygon, box

from asbhub.analysis.evaluation import (
    InterventionCounts,
    evaluate_intervention,
    intervention_counts,
)

# --------------------------------------------------------------------------------------------
# Op Dexter, Bolsover town centre, 2021 (seed 003, Appendix A). Published: 188 calls for service
# from 1 January to 31 March 2021 (90 days), before the operation of 5 to 30 April; then 14 in
# May, 17 in June and 10 in July (92 days): 41. The buffer (the rest of the town) and the
# control (a comparable town centre elsewhere in the district) are constructed for the example.
# --------------------------------------------------------------------------------------------

DEXTER = InterventionCounts(
    response_before=188,
    response_after=41,
    buffer_before=60,
    buffer_after=52,
    control_before=160,
    control_after=150,
    before_days=90,
    after_days=92,
)


def test_op_dexter_published_headline_decrease_of_81_percent() -> None:
    # "The total ... stands at 48, averaging out at 12 per month, which is a decrease of 81%"
    # against January to March's 188 (62.7 a month). Periods in months: 3 before, 4 after.
    c = InterventionCounts(
        response_before=188,
        response_after=48,
        control_before=1,
        control_after=1,
        before_days=3,
        after_days=4,
    )
    ev = evaluate_intervention(c)
    # (48 / 4) / (188 / 3) - 1 = 12 / 62.667 - 1 = -0.80851
    assert ev.response_change.percent == pytest.approx(-80.851064, abs=1e-6)
    assert round(-ev.response_change.percent) == 81


def test_op_dexter_worked_example_against_hand_computed_values() -> None:
    ev = evaluate_intervention(DEXTER)

    # Plain change in the response area, per day: (41 / 92) / (188 / 90) - 1 = -78.666%.
    assert ev.response_change.percent == pytest.approx(-78.665587, abs=1e-6)
    # Control: (150 / 92) / (160 / 90) - 1 = -8.288%.
    assert ev.control_change.percent == pytest.approx(-8.288043, abs=1e-6)

    # Rate ratio (relative effect size): (Rb Ca) / (Ra Cb) = (188 x 150) / (41 x 160)
    # = 28200 / 6560 = 4.298780.
    rr = ev.rate_ratio
    assert rr.value == pytest.approx(4.298780, abs=1e-6)
    # var log RR = 1/188 + 1/41 + 1/160 + 1/150 = 0.042626; se = 0.206461.
    assert rr.se_log == pytest.approx(0.206461, abs=1e-6)
    # 95% CI exp(ln 4.298780 -/+ 1.959964 x 0.206461) = 2.868174 to 6.442954.
    assert rr.ci_low == pytest.approx(2.868174, abs=1e-6)
    assert rr.ci_high == pytest.approx(6.442954, abs=1e-6)
    assert rr.z == pytest.approx(7.063478, abs=1e-6)  # ln 4.298780 / 0.206461
    # Relative to the control the response area fell by 1 - 1/4.298780 = 76.738%.
    assert rr.percent_change == pytest.approx(-76.737589, abs=1e-6)
    assert rr.reason is None

    # WDQ (Bowers and Johnson 2003):
    # success measure Ra/Ca - Rb/Cb = 41/150 - 188/160 = 0.273333 - 1.175 = -0.901667;
    # buffer displacement Ba/Ca - Bb/Cb = 52/150 - 60/160 = 0.346667 - 0.375 = -0.028333;
    # WDQ = -0.028333 / -0.901667 = 17/541 = 0.031423: a small diffusion of benefits.
    q = ev.wdq
    assert q.success_measure == pytest.approx(-0.901667, abs=1e-6)
    assert q.buffer_displacement_measure == pytest.approx(-0.028333, abs=1e-6)
    assert q.wdq == pytest.approx(0.031423, abs=1e-6)
    assert q.interpretation == "diffusion of benefits"

    # Total net effect: Ca/Cb = 0.9375; response 188 x 0.9375 - 41 = 176.25 - 41 = 135.25;
    # buffer 60 x 0.9375 - 52 = 56.25 - 52 = 4.25; total 139.5 events prevented.
    ne = ev.net_effect
    assert ne.expected_response_after == pytest.approx(176.25)
    assert (ne.response, ne.buffer, ne.total) == pytest.approx((135.25, 4.25, 139.5))

    # WDD (Wheeler and Ratcliffe 2018), before counts scaled to the 92-day after period,
    # s = 92/90 = 1.022222:
    # dR = 41 - 188 s = -151.177778; dC = 150 - 160 s = -13.555556; dB = 52 - 60 s = -9.333333.
    # local = dR - dC = -137.622222; displacement = dB - dC = 4.222222; WDD = -133.4.
    w = ev.wdd
    assert w.period_scale == pytest.approx(1.022222, abs=1e-6)
    assert w.local == pytest.approx(-137.622222, abs=1e-6)
    assert w.displacement == pytest.approx(4.222222, abs=1e-6)
    assert w.estimate == pytest.approx(-133.4, abs=1e-9)
    # var = (41 + 188 s^2) + (52 + 60 s^2) + 4 (150 + 160 s^2), the control entering twice:
    # 237.448395 + 114.696296 + 4 x 317.190123 = 1620.905185; se = 40.260467; z = -3.313424.
    assert w.shared_control
    assert w.se == pytest.approx(40.260467, abs=1e-6)
    assert w.z == pytest.approx(-3.313424, abs=1e-6)
    assert w.p_value == pytest.approx(2 * 0.000460833, rel=1e-3)  # 2 x Phi(-3.313424)
    # local se: sqrt(237.448395 + 317.190123) = 23.550765.
    assert w.local_se == pytest.approx(23.550765, abs=1e-6)
    assert w.ci_low == pytest.approx(-133.4 - 1.959964 * 40.260467, abs=1e-4)


def test_published_wdd_example_with_no_before_counts() -> None:
    # Wheeler's ptools documentation: wdd(control=c(0, 20), treated=c(0, 10)) gives a
    # two-tailed p of about 0.068. WDD = (10 - 0) - (20 - 0) = -10, var = 10 + 20 = 30.
    c = InterventionCounts(response_before=0, response_after=10, control_before=0, control_after=20)
    ev = evaluate_intervention(c)
    assert ev.wdd.estimate == -10
    assert ev.wdd.se == pytest.approx(math.sqrt(30))
    assert round(ev.wdd.p_value, 3) == 0.068
    # Everything needing a before count is undefined, with the reason, and nothing raised.
    assert ev.rate_ratio.value is None
    assert "response_before" in ev.rate_ratio.reason and "control_before" in ev.rate_ratio.reason
    assert ev.response_change.percent is None and "no events before" in ev.response_change.reason
    assert ev.wdq.wdq is None and "control" in ev.wdq.reason
    assert ev.net_effect.total is None and ev.net_effect.reason


def test_wdd_with_a_separate_buffer_control_sums_the_eight_counts() -> None:
    c = InterventionCounts(
        response_before=120,
        response_after=80,
        buffer_before=50,
        buffer_after=45,
        control_before=110,
        control_after=100,
        buffer_control_before=70,
        buffer_control_after=75,
    )
    w = evaluate_intervention(c).wdd
    # (80 - 120) - (100 - 110) + (45 - 50) - (75 - 70) = -40 + 10 - 5 - 5 = -40
    assert w.estimate == -40 and w.local == -30 and w.displacement == -10
    # 120 + 80 + 110 + 100 + 50 + 45 + 70 + 75 = 650
    assert w.se == pytest.approx(math.sqrt(650))
    assert not w.shared_control


def test_wdd_variance_with_a_shared_control_matches_simulation() -> None:
    # The variance formula with the control counted twice, against Poisson draws.
    means = {"rb": 100, "ra": 70, "bb": 50, "ba": 55, "cb": 90, "ca": 85}
    c = InterventionCounts(
        response_before=100,
        response_after=70,
        buffer_before=50,
        buffer_after=55,
        control_before=90,
        control_after=85,
    )
    se = evaluate_intervention(c).wdd.se  # counts equal to the means: the model variance
    rng = np.random.default_rng(12)
    d = {k: rng.poisson(m, 200_000) for k, m in means.items()}
    wdd = (d["ra"] - d["rb"]) + (d["ba"] - d["bb"]) - 2 * (d["ca"] - d["cb"])
    assert wdd.std() == pytest.approx(se, rel=0.01)
    # Summing the control only twice would make the se 20% too small: the test can tell.
    assert math.sqrt(100 + 70 + 50 + 55 + 2 * (90 + 85)) < 0.85 * wdd.std()


def test_wdq_readings_and_undefined_cases() -> None:
    base = dict(response_before=100, response_after=50, control_before=100, control_after=100)
    # Buffer rose by more than the response fell: displacement greater than the direct effect.
    ev = evaluate_intervention(InterventionCounts(**base, buffer_before=40, buffer_after=100))
    # SM = 0.5 - 1 = -0.5; BDM = 1.0 - 0.4 = 0.6; WDQ = -1.2
    assert ev.wdq.wdq == pytest.approx(-1.2)
    assert ev.wdq.interpretation == "displacement greater than the direct effect (net harm)"
    assert ev.net_effect.total == pytest.approx(50 - 60)
    # The buffer rate ratio says the same: (40 x 100) / (100 x 100) = 0.4 < 1.
    assert ev.buffer_rate_ratio.value == pytest.approx(0.4)
    ev = evaluate_intervention(InterventionCounts(**base, buffer_before=40, buffer_after=50))
    assert ev.wdq.wdq == pytest.approx(-0.2)  # BDM = 0.5 - 0.4 = 0.1; 0.1 / -0.5
    assert ev.wdq.interpretation == "displacement, smaller than the direct effect (net benefit)"
    ev = evaluate_intervention(InterventionCounts(**base, buffer_before=40, buffer_after=10))
    assert ev.wdq.wdq == pytest.approx(0.6)  # BDM = 0.1 - 0.4 = -0.3; -0.3 / -0.5
    assert ev.wdq.interpretation == "diffusion of benefits"
    ev = evaluate_intervention(InterventionCounts(**base, buffer_before=80, buffer_after=20))
    assert ev.wdq.wdq == pytest.approx(1.2)  # BDM = 0.2 - 0.8 = -0.6; -0.6 / -0.5
    assert ev.wdq.interpretation == "diffusion of benefits greater than the direct effect"

    # Not a success: no WDQ, but the measures it is made of are still reported.
    worse = InterventionCounts(
        response_before=50,
        response_after=60,
        control_before=100,
        control_after=100,
        buffer_before=40,
        buffer_after=30,
    )
    q = evaluate_intervention(worse).wdq
    assert q.wdq is None and q.success_measure == pytest.approx(0.1)
    assert "did not improve" in q.reason

    # No buffer: WDQ and total net effect undefined; the rest stands.
    ev = evaluate_intervention(InterventionCounts(**base))
    assert ev.wdq.wdq is None and "no buffer" in ev.wdq.reason
    assert ev.net_effect.total is None and ev.net_effect.response == 50
    assert ev.buffer_change is None and ev.buffer_rate_ratio is None
    assert ev.wdd.displacement is None and ev.wdd.estimate == -50
    assert ev.wdd.se == pytest.approx(math.sqrt(350))


def test_zero_after_count_and_all_zero_counts_do_not_raise() -> None:
    ev = evaluate_intervention(
        InterventionCounts(
            response_before=30, response_after=0, control_before=40, control_after=35
        )
    )
    assert ev.rate_ratio.value is None and "response_after" in ev.rate_ratio.reason
    assert ev.response_change.percent == -100.0
    assert ev.net_effect.response == pytest.approx(30 * 35 / 40)
    zero = evaluate_intervention(InterventionCounts(0, 0, 0, 0, 0, 0))
    assert zero.wdd.estimate == 0 and zero.wdd.z is None and "zero" in zero.wdd.reason


def test_overdispersion_widens_intervals_by_its_square_root() -> None:
    plain = evaluate_intervention(DEXTER)
    over = evaluate_intervention(DEXTER, overdispersion=2.0)
    assert over.rate_ratio.se_log == pytest.approx(plain.rate_ratio.se_log * math.sqrt(2))
    assert over.wdd.se == pytest.approx(plain.wdd.se * math.sqrt(2))
    assert over.rate_ratio.value == plain.rate_ratio.value
    ninety = evaluate_intervention(DEXTER, confidence=0.90)
    assert ninety.rate_ratio.ci_low > plain.rate_ratio.ci_low


def test_rate_ratio_p_value_is_the_normal_two_sided() -> None:
    from scipy import stats

    rr = evaluate_intervention(InterventionCounts(40, 30, 50, 48)).rate_ratio
    assert rr.p_value == pytest.approx(2 * stats.norm.sf(abs(rr.z)), rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(response_before=-1), "response_before must be a count"),
        (dict(response_before=2.5), "response_before must be a count"),
        (dict(control_after="10"), "control_after must be a count"),
        (dict(control_after=float("nan")), "control_after must be a count"),
        (dict(buffer_before=3), "give both buffer_before and buffer_after"),
        (dict(before_days=30), "give both before_days and after_days"),
        (dict(before_days=0, after_days=30), "before_days must be a positive"),
    ],
)
def test_bad_counts_say_what_is_wrong(kwargs, match) -> None:
    base = dict(response_before=10, response_after=5, control_before=10, control_after=10)
    with pytest.raises(ValueError, match=match):
        InterventionCounts(**(base | kwargs))


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="confidence"):
        evaluate_intervention(DEXTER, confidence=95)
    with pytest.raises(ValueError, match="overdispersion"):
        evaluate_intervention(DEXTER, overdispersion=0)


# --------------------------------------------------------------------------------------------
# Counting events into areas and periods
# --------------------------------------------------------------------------------------------

RESPONSE = box(0, 0, 100, 100)
CONTROL = box(-1000, -1000, 1000, 1000)  # the district round it: "the rest of the district"


def _day(s: str) -> np.datetime64:
    return np.datetime64(s, "s")


def test_counts_on_crafted_events_with_boundaries_and_window_ends() -> None:
    events = [
        # x, y, time, where it should count
        (50, 50, "2021-01-05T00:00", "response before"),  # first second of the before window
        (100, 50, "2021-03-01T12:00", "response before"),  # on the response boundary
        (150, 50, "2021-03-02T12:00", "buffer before"),  # 50 m out
        (200, 50, "2021-03-03T12:00", "buffer before"),  # exactly on the buffer's outer edge
        (201, 50, "2021-03-03T12:00", "control before"),  # just beyond it
        (900, 900, "2021-04-04T23:59", "control before"),  # last minute before the start
        (50, 50, "2021-01-04T23:59", "nowhere"),  # a minute too early
        (50, 50, "2021-04-05T00:00", "during"),  # the operation itself
        (900, 900, "2021-04-30T18:00", "during"),
        (50, 50, "2021-05-01T00:00", "response after"),  # the after window's first second
        (150, 150, "2021-06-01T00:00", "buffer after"),
        (900, 900, "2021-07-29T23:59", "control after"),  # last minute of 90 days after
        (900, 900, "2021-07-30T00:00", "nowhere"),  # end excluded
        (5000, 5000, "2021-03-01T00:00", "nowhere"),  # outside every area
    ]
    x = np.array([e[0] for e in events], dtype=float)
    y = np.array([e[1] for e in events], dtype=float)
    t = np.array([e[2] for e in events], dtype="datetime64[s]")
    tally = intervention_counts(
        x,
        y,
        t,
        response=RESPONSE,
        control=CONTROL,
        buffer_distance=100,
        start="2021-04-05",
        end="2021-05-01",
        before_days=90,
    )
    c = tally.counts
    assert (c.response_before, c.buffer_before, c.control_before) == (2, 2, 2)
    assert (c.response_after, c.buffer_after, c.control_after) == (1, 1, 1)
    assert c.before_days == c.after_days == 90
    assert tally.before_window == (_day("2021-01-05"), _day("2021-04-05"))
    assert tally.after_window == (_day("2021-05-01"), _day("2021-07-30"))
    assert tally.n_during == 2
    # Inside the control box but counted in the response area or the buffer instead.
    assert tally.n_control_overlap == 1 + 2 + 1 + 1 + 1 + 1 + 1  # every R or B event in time
    assert tally.n_events == len(events) and tally.n_excluded == 0


def test_counts_with_masks_days_and_unequal_windows() -> None:
    t = np.array([1.0, 5.0, 9.9, 10.0, 14.0, 20.0, 30.0, 49.9, 50.0, np.nan])
    in_r = np.array([1, 1, 1, 1, 0, 1, 0, 1, 1, 1], dtype=bool)
    in_c = ~in_r
    x = y = np.zeros(10)
    tally = intervention_counts(
        x, y, t, response=in_r, control=in_c, start=10.0, end=20.0, before_days=10, after_days=30
    )
    c = tally.counts
    # before [0, 10): t = 1, 5, 9.9 in R; after [20, 50): t = 20, 49.9 in R, 30 in C.
    assert (c.response_before, c.control_before) == (3, 0)
    assert (c.response_after, c.control_after) == (2, 1)
    assert (c.before_days, c.after_days) == (10, 30)
    assert tally.before_window == (0.0, 10.0) and tally.after_window == (20.0, 50.0)
    assert tally.n_excluded == 1 and tally.n_during == 2 and c.buffer_before is None


def test_buffer_given_directly_and_input_errors() -> None:
    x = np.array([50.0, 150.0, 900.0])
    y = np.array([50.0, 50.0, 50.0])
    t = np.array([1.0, 2.0, 3.0])
    ring = Polygon([(100, 0), (300, 0), (300, 100), (100, 100)])
    tally = intervention_counts(
        x,
        y,
        t,
        response=RESPONSE,
        buffer=ring,
        control=CONTROL,
        start=10.0,
        end=11.0,
        before_days=10,
    )
    assert (
        tally.counts.response_before,
        tally.counts.buffer_before,
        tally.counts.control_before,
    ) == (1, 1, 1)
    common = dict(control=CONTROL, start=10.0, end=11.0, before_days=10)
    with pytest.raises(ValueError, match="buffer_distance needs the response area"):
        intervention_counts(x, y, t, response=np.ones(3, bool), buffer_distance=50, **common)
    with pytest.raises(ValueError, match="not both"):
        intervention_counts(x, y, t, response=RESPONSE, buffer=ring, buffer_distance=50, **common)
    with pytest.raises(ValueError, match="boolean mask of length 3"):
        intervention_counts(x, y, t, response=np.ones(4, bool), **common)
    with pytest.raises(ValueError, match="same kind as t"):
        intervention_counts(
            x,
            y,
            t,
            response=RESPONSE,
            control=CONTROL,
            start="2021-04-05",
            end=11.0,
            before_days=10,
        )
    with pytest.raises(ValueError, match="end"):
        intervention_counts(
            x, y, t, response=RESPONSE, control=CONTROL, start=10.0, end=5.0, before_days=10
        )


def test_caller_geometry_is_left_unprepared() -> None:
    import shapely

    r = box(0, 0, 100, 100)
    intervention_counts(
        [1.0], [1.0], [1.0], response=r, control=CONTROL, start=2.0, end=3.0, before_days=5
    )
    assert not shapely.is_prepared(r)


def test_real_derbyshire_counts_match_a_plain_numpy_count(derbyshire_asb_monthly) -> None:
    pts, months = derbyshire_asb_monthly
    # The busiest 500 m square of the county's ASB, its 250 m ring, and the county round it.
    cells = np.floor(pts / 500).astype(np.int64)
    keys, counts = np.unique(cells, axis=0, return_counts=True)
    x0, y0 = keys[np.argmax(counts)] * 500.0
    response = box(x0, y0, x0 + 500, y0 + 500)
    control = box(*pts.min(axis=0), *pts.max(axis=0))
    t = months.astype("datetime64[D]")  # police.uk gives the month only: its first day
    # Before: December 2018 (31 days up to 1 January); after: February 2019 (28 days).
    tally = intervention_counts(
        pts[:, 0],
        pts[:, 1],
        t,
        response=response,
        control=control,
        buffer_distance=250,
        start="2019-01-01",
        end="2019-02-01",
        before_days=31,
        after_days=28,
    )
    c = tally.counts
    x, y = pts[:, 0], pts[:, 1]
    in_r = (x >= x0) & (x <= x0 + 500) & (y >= y0) & (y <= y0 + 500)
    # Within 250 m of the square: the rounded-corner box; test the corners by distance.
    dx = np.maximum(np.maximum(x0 - x, x - (x0 + 500)), 0)
    dy = np.maximum(np.maximum(y0 - y, y - (y0 + 500)), 0)
    in_b = (np.hypot(dx, dy) <= 250) & ~in_r
    dec = t == np.datetime64("2018-12-01")
    feb = t == np.datetime64("2019-02-01")
    assert c.response_before == (in_r & dec).sum() > 20
    assert c.response_after == (in_r & feb).sum() > 20
    # shapely's buffer is a polygon of a circle's arcs: allow a point or two on the rim.
    assert abs(c.buffer_before - (in_b & dec).sum()) <= 2
    assert c.control_before + c.response_before + c.buffer_before == dec.sum()
    assert c.control_after + c.response_after + c.buffer_after == feb.sum()
    assert tally.n_during == (t == np.datetime64("2019-01-01")).sum()
    ev = evaluate_intervention(c)
    assert ev.rate_ratio.value is not None and ev.wdd.se > 0
