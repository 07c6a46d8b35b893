"""The victim risk questionnaire: scoring, bands, cadence, validation, Wilson intervals and
the calibration table against a brute-force count."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from asbhub.domain.risk import (
    AssessedVictim,
    Band,
    Questionnaire,
    QuestionnaireError,
    VictimIncident,
    default_questionnaire,
    next_review_due,
    overdue,
    risk_calibration,
    wilson_interval,
)

D = dt.date


def small() -> Questionnaire:
    """Four questions: yes/no 3, a choice 0/2/5, yes/no 1 that makes high, yes/no 4."""
    return Questionnaire.from_dict(
        {
            "name": "Crafted",
            "thresholds": {"medium": 5, "high": 9},
            "review_days": {"high": 14, "medium": 28, "standard": None},
            "questions": [
                {"id": "a", "text": "A?", "yes_weight": 3},
                {
                    "id": "b",
                    "text": "B?",
                    "options": [
                        {"value": "x", "label": "X", "weight": 0},
                        {"value": "y", "label": "Y", "weight": 2},
                        {"value": "z", "label": "Z", "weight": 5},
                    ],
                },
                {"id": "c", "text": "C?", "yes_weight": 1, "yes_at_least": "high"},
                {"id": "d", "text": "D?", "yes_weight": 4},
            ],
        }
    )


def ans(a: str = "no", b: str = "x", c: str = "no", d: str = "no") -> dict[str, str]:
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.mark.parametrize(
    ("answers", "score", "band"),
    [
        (ans(), 0, Band.STANDARD),
        (ans(d="yes"), 4, Band.STANDARD),  # one below medium
        (ans(a="yes", b="y"), 5, Band.MEDIUM),  # exactly medium
        (ans(a="yes", b="z"), 8, Band.MEDIUM),  # one below high
        (ans(a="yes", b="z", c="yes"), 9, Band.HIGH),  # exactly high (by score)
        (ans(a="yes", b="z", d="yes"), 12, Band.HIGH),
    ],
)
def test_score_and_band_on_hand_worked_answers(
    answers: dict[str, str], score: int, band: Band
) -> None:
    q = small()
    assert q.score(answers) == score
    assert q.band(answers) is band
    assert q.band_for_score(score) is band


def test_an_answer_with_a_floor_raises_the_band_whatever_the_score() -> None:
    result = small().assess(ans(c="yes"))
    assert (result.score, result.band_by_score, result.band) == (1, Band.STANDARD, Band.HIGH)
    assert result.raised_by == ("c",)
    # Already high by score: nothing was raised.
    assert small().assess(ans(a="yes", b="z", c="yes")).raised_by == ()


def test_review_cadence_and_overdue() -> None:
    q = small()
    assert q.next_review_due(Band.HIGH, D(2024, 2, 20)) == D(2024, 3, 5)  # leap February
    assert q.next_review_due("medium", D(2024, 2, 20)) == D(2024, 3, 19)
    assert q.next_review_due(Band.STANDARD, D(2024, 2, 20)) is None
    assert next_review_due("high", D(2023, 12, 25)) == D(2024, 1, 8)
    custom = q.edited(review_days={"high": 7, "standard": 90})
    assert custom.next_review_due("high", D(2024, 1, 1)) == D(2024, 1, 8)
    assert custom.next_review_due("standard", D(2024, 1, 1)) == D(2024, 3, 31)
    assert not overdue(D(2024, 3, 5), D(2024, 3, 5))  # due today is not overdue
    assert overdue(D(2024, 3, 5), D(2024, 3, 6))
    assert not overdue(None, D(2024, 3, 6))


def test_answer_errors_name_the_question_and_the_accepted_answers() -> None:
    q = small()
    with pytest.raises(QuestionnaireError) as err:
        q.score({"a": "maybe", "b": "x", "c": "no", "e": "yes"})
    problems = err.value.problems
    assert "question 'a': unknown answer 'maybe'; expected one of yes, no" in problems
    assert "question 'd' is not answered" in problems
    assert any(p.startswith("answer to unknown question 'e'") for p in problems)
    assert len(problems) == 3


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["questions"].append({"id": "a", "text": "Again?", "yes_weight": 1}),
            "duplicate question id 'a'",
        ),
        (lambda d: d.update(thresholds={"medium": 9, "high": 5}), "expected 0 < medium < high"),
        (lambda d: d.update(thresholds={"medium": 5, "high": 5}), "expected 0 < medium < high"),
        (
            lambda d: d.update(thresholds={"medium": 5, "high": 14}),
            "more than the highest possible score (13)",
        ),
        (lambda d: d["questions"][0].update(yes_weight=-1), "-1 is negative"),
        (lambda d: d["questions"][0].update(yes_weight=1.5), "1.5 is not a whole number"),
        (
            lambda d: d["questions"][1]["options"].append(
                {"value": "x", "label": "X", "weight": 1}
            ),
            "duplicate answer value 'x'",
        ),
        (lambda d: d["questions"][2].update(yes_at_least="severe"), "unknown band 'severe'"),
        (lambda d: d.update(review_days={"high": 0}), "review_days.high: 0 days"),
        (lambda d: d["questions"].append({"id": "e", "text": "E?"}), "question e: no answers"),
    ],
)
def test_invalid_questionnaires_are_refused_with_a_clear_reason(change, expected: str) -> None:
    data = small().to_dict()
    change(data)
    with pytest.raises(QuestionnaireError) as err:
        Questionnaire.from_dict(data)
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_to_dict_round_trips_and_edited_leaves_the_original_alone() -> None:
    q = small()
    assert Questionnaire.from_dict(q.to_dict()) == q
    new = q.edited({("a", "yes"): 7, ("b", "z"): 1}, medium=6)
    assert new.score(ans(a="yes", b="z")) == 8 and new.band(ans(a="yes", b="z")) is Band.MEDIUM
    assert q.score(ans(a="yes", b="z")) == 8 and q.medium == 5  # unchanged
    assert new.score(ans(a="yes")) == 7 and q.score(ans(a="yes")) == 3
    with pytest.raises(QuestionnaireError, match="no answer 'maybe' to question 'a'"):
        q.edited({("a", "maybe"): 1})
    with pytest.raises(QuestionnaireError, match="medium < high"):
        q.edited(medium=10)


def test_the_bundled_default_questionnaire() -> None:
    q = default_questionnaire()
    assert q.version == 1 and len(q.questions) == 16
    assert len({x.id for x in q.questions}) == 16
    assert (q.medium, q.high, q.max_score) == (16, 28, 57)
    assert dict(q.review_days) == {Band.HIGH: 14, Band.MEDIUM: 28, Band.STANDARD: None}
    none = {x.id: "no" for x in q.questions if x.is_yes_no} | {"frequency": "once"}
    assert q.score(none) == 0 and q.band(none) is Band.STANDARD
    worse = none | {
        "targeted": "yes",
        "violence": "yes",
        "frequency": "constant",
        "unsafe_home": "yes",
        "health": "yes",
    }
    assert q.score(worse) == 6 + 6 + 6 + 4 + 4 and q.band(worse) is Band.MEDIUM
    assert q.band(worse | {"isolated": "yes"}) is Band.HIGH  # 29
    assert q.score(none | {"self_harm": "yes"}) == 6
    assert q.band(none | {"self_harm": "yes"}) is Band.HIGH


@pytest.mark.parametrize(("k", "n"), [(0, 5), (3, 10), (17, 40), (40, 40), (1, 1), (250, 999)])
def test_wilson_interval_solves_its_defining_equation(k: int, n: int) -> None:
    low, high = wilson_interval(k, n)
    z = norm.ppf(0.975)
    p_hat = k / n

    def f(p: float) -> float:
        return (p_hat - p) ** 2 - z * z * p * (1 - p) / n

    # Independent reference: the roots of (p_hat - p)^2 = z^2 p (1 - p) / n either side of
    # p_hat (at k = 0 or k = n one root is p_hat itself, the bound on that side).
    tiny = 1e-12
    ref_low = 0.0 if k == 0 else brentq(f, 0.0 if k < n else tiny, min(p_hat, 1 - tiny))
    ref_high = 1.0 if k == n else brentq(f, max(p_hat, tiny), 1.0)
    assert low == pytest.approx(ref_low, abs=1e-9)
    assert high == pytest.approx(ref_high, abs=1e-9)


def test_wilson_interval_edge_cases() -> None:
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson_interval(5, 4)


def test_calibration_boundaries_on_a_crafted_set() -> None:
    end = D(2024, 12, 31)
    a = [
        AssessedVictim(1, "p1", D(2024, 1, 10), "high", incident_id=100),
        AssessedVictim(2, "p2", D(2024, 1, 10), "high", incident_id=200),
        AssessedVictim(3, "p3", D(2024, 1, 10), "medium", incident_id=300),
        AssessedVictim(4, "p4", D(2024, 1, 10), "standard", incident_id=400),
        AssessedVictim(5, "p5", end - dt.timedelta(days=90), "standard"),  # last day counted
        AssessedVictim(6, "p6", end - dt.timedelta(days=89), "high"),  # too recent
    ]
    i = [
        VictimIncident(100, "p1", D(2024, 1, 12)),  # its own incident: not a repeat
        VictimIncident(101, "p1", D(2024, 4, 9)),  # day 90: a repeat
        VictimIncident(201, "p2", D(2024, 1, 10)),  # same day: not after the assessment
        VictimIncident(202, "p2", D(2024, 4, 10)),  # day 91: too late
        VictimIncident(301, "p3", D(2024, 2, 1)),  # a repeat
        VictimIncident(401, "someone else", D(2024, 2, 1)),
        VictimIncident(501, "p5", end),  # day 90 of the last counted one
        VictimIncident(601, "p6", end),
    ]
    c = risk_calibration(a, i, end=end)
    rows = {r.band: (r.n_assessed, r.n_repeat) for r in c.rows}
    assert rows == {Band.HIGH: (2, 1), Band.MEDIUM: (1, 1), Band.STANDARD: (2, 1)}
    assert c.n_too_recent == 1 and c.end == end
    high = next(r for r in c.rows if r.band is Band.HIGH)
    assert high.rate == 0.5 and (high.low, high.high) == pytest.approx(wilson_interval(1, 2))
    # Default end: the latest date in the data, here the incidents on 31 December.
    assert risk_calibration(a, i).end == end
    csv = c.csv_rows()
    assert csv[0][:5] == ["band", "assessed", "repeat_within_days", "repeats", "rate"]
    assert csv[1] == [
        "standard",
        2,
        90,
        1,
        "0.5000",
        *(f"{x:.4f}" for x in wilson_interval(1, 2)),
        "2024-12-31",
    ]


def test_calibration_matches_a_brute_force_count() -> None:
    rng = random.Random(20240501)
    start, end = D(2023, 1, 1), D(2024, 6, 30)
    span = (end - start).days
    keys = [f"person-{n}" for n in range(60)]
    incidents = [
        VictimIncident(n, rng.choice(keys), start + dt.timedelta(rng.randint(0, span)))
        for n in range(900)
    ]
    assessments = []
    for n in range(400):
        own = rng.choice(incidents)
        if rng.random() < 0.7:  # usually assessed on one of their own incidents, a day later
            key, day, inc = (
                own.person_key,
                own.on + dt.timedelta(days=rng.randint(0, 2)),
                own.incident_id,
            )
        else:
            key, day, inc = rng.choice(keys), start + dt.timedelta(rng.randint(0, span)), None
        assessments.append(AssessedVictim(n, key, day, rng.choice(list(Band)), inc))

    c = risk_calibration(assessments, incidents, end=end, horizon_days=90)

    expected = {b: [0, 0] for b in Band}
    too_recent = 0
    for a in assessments:
        if (end - a.assessed_on).days < 90:
            too_recent += 1
            continue
        expected[Band(a.band)][0] += 1
        if any(
            i.person_key == a.person_key
            and i.incident_id != a.incident_id
            and 0 < (i.on - a.assessed_on).days <= 90
            for i in incidents
        ):
            expected[Band(a.band)][1] += 1
    got = {r.band: [r.n_assessed, r.n_repeat] for r in c.rows}
    assert got == expected
    assert c.n_too_recent == too_recent
    assert sum(v[0] for v in expected.values()) + too_recent == 400
    assert all(0 < v[1] < v[0] for v in expected.values())  # the set is not degenerate
    for r in c.rows:
        assert r.rate == pytest.approx(expected[r.band][1] / expected[r.band][0])
