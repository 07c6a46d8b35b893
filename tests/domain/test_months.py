"""asbhub.domain.months: the one place months are parsed, shifted, listed and labelled."""

import datetime as dt
import itertools

import pytest

from asbhub.domain import dates, months
from asbhub.domain.months import (
    MONTH_PATTERN,
    MONTH_RE,
    MonthError,
    is_month,
    label_or_text,
    last_months,
    month_at,
    month_index,
    month_label,
    month_of,
    month_range_label,
    month_runs_text,
    month_start,
    months_between,
    next_month,
    parse_month,
    require_month,
    shift_month,
)


def _by_calendar(month: str, n: int) -> str:
    """Independent reference: step one calendar month at a time with datetime."""
    day = dt.date(int(month[:4]), int(month[5:]), 1)
    for _ in range(abs(n)):
        day = (
            (day + dt.timedelta(days=32)).replace(day=1)
            if n > 0
            else (day - dt.timedelta(days=1)).replace(day=1)
        )
    return day.strftime("%Y-%m")


@pytest.mark.parametrize(
    ("month", "n", "expected"),
    [
        ("2019-12", 1, "2020-01"),
        ("2020-01", -1, "2019-12"),
        ("2019-01", -12, "2018-01"),
        ("2019-02", -14, "2017-12"),
        ("2019-11", 2, "2020-01"),
        ("2019-06", 0, "2019-06"),
        ("1999-12", 25, "2002-01"),
    ],
)
def test_shift_month_across_year_boundaries(month: str, n: int, expected: str) -> None:
    assert shift_month(month, n) == expected
    assert shift_month(expected, -n) == month


def test_shift_month_agrees_with_stepping_the_calendar() -> None:
    for month, n in itertools.product(["2018-01", "2019-07", "2019-12", "2020-02"], range(-30, 31)):
        assert shift_month(month, n) == _by_calendar(month, n), (month, n)


def test_index_and_back() -> None:
    assert month_index("2019-01") == 2019 * 12
    assert month_index("2020-01") - month_index("2019-12") == 1
    for i in range(2018 * 12, 2021 * 12):
        assert month_index(month_at(i)) == i
    assert next_month("2019-12") == "2020-01"
    assert month_start("2020-02") == dt.date(2020, 2, 1)
    assert month_of(dt.date(2020, 2, 29)) == "2020-02"
    assert month_of(dt.date(1, 1, 1)) == "0001-01"  # four digits, unlike strftime on Linux


def test_months_between_lists_every_month_and_is_bounded() -> None:
    assert months_between("2019-11", "2020-02") == ["2019-11", "2019-12", "2020-01", "2020-02"]
    assert months_between("2019-05", "2019-05") == ["2019-05"]
    assert months_between("2020-01", "2019-12") == []
    assert months_between("2019-1", "2019-12") == []
    assert months_between("2019-01", "2019-13") == []
    assert len(months_between("2000-01", "2099-12")) == 1200
    assert len(months_between("0001-01", "9999-12")) == months.MAX_MONTHS
    assert months_between("2019-01", "2030-01", limit=3) == ["2019-01", "2019-02", "2019-03"]
    assert months_between("2019-01", "2030-01", limit=0) == []


def test_last_months() -> None:
    assert last_months("2020-02", 3) == ["2019-12", "2020-01", "2020-02"]
    assert last_months("2020-02", 1) == ["2020-02"]
    assert last_months("2019-12", 12) == months_between("2019-01", "2019-12")


def test_labels() -> None:
    assert month_label("2019-02") == "February 2019"
    assert month_label("2019-12", short=True) == "Dec 2019"
    assert label_or_text("2019-13") == "2019-13"
    assert label_or_text(None) == "None"
    assert month_range_label("2019-11", "2020-01") == "November 2019 to January 2020"
    assert month_range_label("2019-11", "2019-11", short=True) == "Nov 2019"
    assert month_runs_text(["2020-03", "2020-01", "2020-02", "2020-07", "2019-12"]) == (
        "2019-12 to 2020-03, 2020-07"
    )


@pytest.mark.parametrize(
    "bad", ["2019-13", "2019-00", "2019-1", "19-01", "2019/01", " 2019-01", ""]
)
def test_bad_months_are_refused_with_the_expected_form(bad: str) -> None:
    assert not is_month(bad)
    with pytest.raises(MonthError) as err:
        parse_month(bad, what="--from")
    message = str(err.value)
    assert message == f"--from {bad!r} is not a month; expected YYYY-MM, e.g. 2019-01"
    for call in (month_index, month_start, next_month, month_label):
        with pytest.raises(MonthError, match="expected YYYY-MM"):
            call(bad)
    with pytest.raises(ValueError, match="period"):  # MonthError is a ValueError
        require_month(bad, "period")


def test_non_text_and_long_values_are_named_briefly() -> None:
    with pytest.raises(MonthError, match=r"^201902 is not a month"):
        parse_month(201902)
    with pytest.raises(MonthError) as err:
        parse_month("x" * 500)
    assert len(str(err.value)) < 100 and "..." in str(err.value)


def test_the_pattern_is_the_one_used_by_dates_and_polars() -> None:
    import polars as pl

    assert dates.MONTH_RE is MONTH_RE
    assert dates.shift_month is shift_month and dates.months_between is months_between
    texts = ["2019-01", "2019-12", "2019-13", "2019-1", "x2019-01", "2019-01x", None]
    got = pl.Series(texts).str.contains(MONTH_PATTERN).to_list()
    assert got == [True, True, False, False, False, False, None]
    assert [is_month(t) for t in texts] == [True, True, False, False, False, False, False]
