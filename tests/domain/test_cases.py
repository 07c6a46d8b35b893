"""SARA stage rules, review dates, working days and the ASB Case Review threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from asbhub.domain.cases import (
    Complaint,
    PlanAction,
    PlanContent,
    SaraStage,
    ThresholdRule,
    add_working_days,
    check_threshold,
    check_transition,
    missing_for_stage,
    months_before,
    next_review_due,
    review_status,
)

D = dt.date


def test_scanning_needs_statement_and_data() -> None:
    assert missing_for_stage("scanning", PlanContent()) == [
        "Write the problem statement.",
        "Describe the data that show the problem (counts, places, times).",
    ]
    assert missing_for_stage("scanning", PlanContent(statement="s", data_summary="d")) == []


def test_analysis_needs_each_side_of_the_triangle() -> None:
    missing = missing_for_stage("analysis", PlanContent(victim="Residents", location="  "))
    assert missing == [
        "Complete the offender side of the problem analysis triangle.",
        "Complete the location side of the problem analysis triangle.",
    ]


def test_response_needs_owned_dated_actions() -> None:
    assert missing_for_stage("response", PlanContent()) == ["Add at least one action."]
    content = PlanContent(
        actions=(PlanAction("Patrols", "Police", D(2024, 5, 1)), PlanAction("Lighting", "", None))
    )
    assert missing_for_stage("response", content) == [
        "Give action 2 an owner agency.",
        "Give action 2 a due date.",
    ]


def test_transitions_forward_need_content_back_does_not() -> None:
    empty = PlanContent()
    assert check_transition("scanning", "analysis", empty) == missing_for_stage("scanning", empty)
    assert (
        check_transition("scanning", "analysis", PlanContent(statement="s", data_summary="d")) == []
    )
    assert check_transition("response", "analysis", empty) == []
    assert check_transition("scanning", "scanning", empty) == []
    (problem,) = check_transition("scanning", "closed", empty)
    assert "only to Analysis" in problem
    assert check_transition("assessment", "closed", PlanContent(assessment="Down 81%")) == []
    assert check_transition(SaraStage.CLOSED, "assessment", empty) == []


def test_review_due_and_overdue() -> None:
    assert next_review_due(D(2024, 1, 31), 28) == D(2024, 2, 28)
    assert review_status(D(2024, 2, 28), D(2024, 2, 29)) == "overdue"
    assert review_status(D(2024, 2, 28), D(2024, 2, 28)) == "due"
    assert review_status(D(2024, 2, 28), D(2024, 2, 27)) == "upcoming"
    assert review_status(D(2024, 2, 28), D(2024, 3, 30), closed=True) == "none"
    with pytest.raises(ValueError):
        next_review_due(D(2024, 1, 1), 0)


def test_working_days_skip_weekends_and_bank_holidays() -> None:
    # Thursday 28 March 2024: Good Friday (29th), the weekend and Easter Monday (1 April) skipped.
    assert add_working_days(D(2024, 3, 28), 1) == D(2024, 4, 2)
    # Christmas 2020: Boxing Day fell on a Saturday, so Monday 28th was the bank holiday.
    assert add_working_days(D(2020, 12, 24), 1) == D(2020, 12, 29)
    # Ten working days from Friday 3 May 2024 over the early May bank holiday (6th).
    assert add_working_days(D(2024, 5, 3), 10) == D(2024, 5, 20)
    assert add_working_days(D(2024, 5, 3), 0) == D(2024, 5, 3)
    with pytest.raises(ValueError, match="no bank holidays are bundled for 2028"):
        add_working_days(D(2027, 12, 30), 5)


def test_months_before_clamps_to_month_end() -> None:
    assert months_before(D(2024, 8, 31), 6) == D(2024, 2, 29)
    assert months_before(D(2024, 3, 15), 6) == D(2023, 9, 15)


def _c(ref: str, incident: dt.date, reported: dt.date, **kw: object) -> Complaint:
    return Complaint(ref, incident, reported, problem=kw.pop("problem", "noise"), **kw)


def test_default_threshold_met_with_three_and_reason_lists_them() -> None:
    complaints = [
        _c("A", D(2024, 1, 10), D(2024, 1, 11)),
        _c("B", D(2024, 3, 1), D(2024, 3, 2)),
        _c("C", D(2024, 5, 1), D(2024, 5, 1)),
    ]
    result = check_threshold(complaints, D(2024, 6, 1))
    assert result.met
    assert result.counted == ("A", "B", "C")
    assert "3 qualifying complaints about 'noise' (A, B, C)" in result.reason


def test_window_edge_exactly_six_months() -> None:
    # Received 15 July: a complaint reported on 15 January counts; one on 14 January does not.
    base = [_c("B", D(2024, 3, 1), D(2024, 3, 2)), _c("C", D(2024, 5, 1), D(2024, 5, 1))]
    on_edge = check_threshold([_c("A", D(2024, 1, 10), D(2024, 1, 15)), *base], D(2024, 7, 15))
    assert on_edge.met and "A" in on_edge.counted
    outside = check_threshold([_c("A", D(2024, 1, 10), D(2024, 1, 14)), *base], D(2024, 7, 15))
    assert not outside.met
    assert outside.excluded[0][0] == "A" and "outside the 6 months" in outside.excluded[0][1]
    assert "Threshold not met: 2 qualifying complaints" in outside.reason


def test_reported_31_days_after_counts_32_does_not() -> None:
    base = [_c("B", D(2024, 3, 1), D(2024, 3, 2)), _c("C", D(2024, 5, 1), D(2024, 5, 1))]
    late_ok = _c("A", D(2024, 1, 1), D(2024, 2, 1))  # 31 days
    too_late = _c("A", D(2024, 1, 1), D(2024, 2, 2))  # 32 days
    assert check_threshold([late_ok, *base], D(2024, 6, 1)).met
    result = check_threshold([too_late, *base], D(2024, 6, 1))
    assert not result.met
    assert result.excluded == (("A", "reported 32 days after the incident, more than 31"),)


def test_different_problems_are_not_added_up() -> None:
    complaints = [
        _c("A", D(2024, 3, 1), D(2024, 3, 1), problem="noise"),
        _c("B", D(2024, 3, 2), D(2024, 3, 2), problem="noise"),
        _c("C", D(2024, 3, 3), D(2024, 3, 3), problem="parking"),
    ]
    assert not check_threshold(complaints, D(2024, 4, 1)).met


def test_five_people_variant_counts_complainants() -> None:
    rule = ThresholdRule(complaints=5, count_people=True)
    same_four = [
        _c(f"X{i}", D(2024, 3, i), D(2024, 3, i), complainant=f"p{i % 4}") for i in range(1, 9)
    ]
    assert not check_threshold(same_four, D(2024, 4, 1), rule).met
    five = [*same_four, _c("Y", D(2024, 3, 20), D(2024, 3, 20), complainant="p9")]
    result = check_threshold(five, D(2024, 4, 1), rule)
    assert result.met and "5 different people" in result.reason


def test_one_hate_incident_variant() -> None:
    rule = ThresholdRule(hate_incidents=1)
    hate = [_c("H1", D(2024, 3, 1), D(2024, 3, 1), hate=True)]
    assert check_threshold(hate, D(2024, 4, 1), rule).met
    assert not check_threshold(hate, D(2024, 4, 1)).met


def _rule_holidays(year: int) -> set[dt.date]:
    """England and Wales bank holidays from the statutory pattern (Banking and Financial
    Dealings Act 1971 and the royal proclamations), computed independently of the table."""
    from dateutil.easter import easter

    def substitute(day: dt.date, taken: set[dt.date]) -> dt.date:
        while day.weekday() >= 5 or day in taken:
            day += dt.timedelta(days=1)
        return day

    def first_monday(month: int) -> dt.date:
        day = dt.date(year, month, 1)
        return day + dt.timedelta(days=(7 - day.weekday()) % 7)

    def last_monday(month: int) -> dt.date:
        day = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
        return day - dt.timedelta(days=day.weekday())

    sunday = easter(year)
    days = {
        substitute(dt.date(year, 1, 1), set()),
        sunday - dt.timedelta(days=2),
        sunday + dt.timedelta(days=1),
        first_monday(5),
        last_monday(5),
        last_monday(8),
    }
    christmas = substitute(dt.date(year, 12, 25), set())
    days |= {christmas, substitute(dt.date(year, 12, 26), {christmas})}
    moved = {
        2020: ({first_monday(5)}, {dt.date(2020, 5, 8)}),  # VE Day 75
        2022: (
            {last_monday(5)},
            {
                dt.date(2022, 6, 2),
                dt.date(2022, 6, 3),  # Jubilee
                dt.date(2022, 9, 19),
            },
        ),  # the Queen's funeral
        2023: (set(), {dt.date(2023, 5, 8)}),
    }  # the Coronation
    if year in moved:
        days = (days - moved[year][0]) | moved[year][1]
    return days


def test_bundled_bank_holidays_follow_the_statutory_pattern() -> None:
    from asbhub.domain.cases import BANK_HOLIDAY_YEARS, BANK_HOLIDAYS_ENGLAND_WALES

    for year in BANK_HOLIDAY_YEARS:
        table = {d for d in BANK_HOLIDAYS_ENGLAND_WALES if d.year == year}
        assert table == _rule_holidays(year), year
    assert {d.year for d in BANK_HOLIDAYS_ENGLAND_WALES} == set(BANK_HOLIDAY_YEARS)
    # The bundled sample's months (2018-12 to 2019-02) are covered: Christmas 2018 is skipped.
    assert add_working_days(D(2018, 12, 21), 2) == D(2018, 12, 27)
