"""The one rule for which dates and months asbhub accepts, and safe month arithmetic.

No Django, no database: the web forms, the ingest readers and the API all check dates here,
so a date one of them refuses is refused by every other, and the pages that read months back
(the overview, hot spots, local figures, the scrutiny dashboard, the briefing) share one
bounded month range that no stored value can break.

Two kinds of date:

- **Events**, things that happened (an incident, a report, a court order, a meeting held): from
  :data:`EARLIEST_DAY` (1 January 2000) to today plus :data:`CLOCK_SKEW` (one day, for a
  clock or time zone a little ahead).
- **Planning dates**, things still to come or recorded against a plan (a due date, the next
  review, a meeting planned): from :data:`EARLIEST_DAY` to :data:`PLANNING_YEARS` (5) years
  after today.

Months ('YYYY-MM', as incidents are stored and filtered) follow the event rule: from
:data:`EARLIEST_MONTH` to the month of today plus the clock skew.

>>> import datetime as dt
>>> today = dt.date(2026, 12, 7)
>>> check_event_day(dt.date(1, 1, 1), today)
Traceback (most recent call last):
...
asbhub.domain.dates.DateOutOfRange: 0001-01-01 is outside the allowed range: give a date from 1 January 2000 to 8 December 2026
>>> month_of(dt.date(2019, 2, 3))
'2019-02'
>>> month_problem("0999-01", today)
'0999-01 is outside the allowed range: give a month from January 2000 to December 2026'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

# The month helpers live in asbhub.domain.months; they are imported here too, where the date
# rule (and older callers) have always found them.
from asbhub.domain.months import (
    MAX_MONTHS,
    MONTH_NAMES,
    MONTH_RE,
    is_month,
    month_label,
    month_of,
    month_runs,
    months_between,
    next_month,
    shift_month,
)

__all__ = [
    "CLOCK_SKEW",
    "EARLIEST_DAY",
    "EARLIEST_MONTH",
    "LOCAL_TIME_ZONE",
    "LOCAL_ZONE",
    "MAX_MONTHS",
    "MONTH_RE",
    "PLANNING_YEARS",
    "DateOutOfRange",
    "check_event_day",
    "check_month",
    "check_planning_day",
    "day_problem",
    "event_range",
    "is_month",
    "long_date",
    "month_of",
    "month_problem",
    "month_range_allowed",
    "month_runs",
    "months_between",
    "next_month",
    "planning_range",
    "range_message",
    "shift_month",
    "split_months",
]

#: The force's local time zone, named once: a date-time without an offset is read in it, days
#: and months are counted in it, and Django's ``TIME_ZONE`` is set to it.
LOCAL_TIME_ZONE = "Europe/London"
#: :data:`LOCAL_TIME_ZONE` as a ``tzinfo``.
LOCAL_ZONE = ZoneInfo(LOCAL_TIME_ZONE)

#: No incident, event or plan in asbhub is dated before this day (data.police.uk starts in
#: December 2010; force systems in use hold nothing older worth analysing).
EARLIEST_DAY = dt.date(2000, 1, 1)
EARLIEST_MONTH = "2000-01"
#: How far ahead of today an event may be dated: a device clock or time zone a little ahead.
CLOCK_SKEW = dt.timedelta(days=1)
#: How many years ahead a planning date (due date, next review, planned meeting) may be.
PLANNING_YEARS = 5


class DateOutOfRange(ValueError):
    """A date or month outside the allowed range; the message names the range."""


def long_date(day: dt.date) -> str:
    """'8 December 2026'."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _today(today: dt.date | None) -> dt.date:
    return today if today is not None else dt.date.today()


def event_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day an event (something that happened) may be dated."""
    return EARLIEST_DAY, _today(today) + CLOCK_SKEW


def planning_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day a planning date (a due date, a next review) may be."""
    t = _today(today)
    try:
        last = t.replace(year=t.year + PLANNING_YEARS)
    except ValueError:  # 29 February, and the year five on is not a leap year
        last = t.replace(year=t.year + PLANNING_YEARS, day=28)
    return EARLIEST_DAY, last


def month_range_allowed(today: dt.date | None = None) -> tuple[str, str]:
    """The first and last month ('YYYY-MM') an incident may be stored or asked for."""
    return EARLIEST_MONTH, month_of(event_range(today)[1])


def range_message(first: dt.date, last: dt.date) -> str:
    """'give a date from 1 January 2000 to 8 December 2026': the hint every form shows."""
    return f"give a date from {long_date(first)} to {long_date(last)}"


def day_problem(day: dt.date, first: dt.date, last: dt.date) -> str | None:
    """Why ``day`` is outside ``first`` to ``last`` (None when inside)."""
    if first <= day <= last:
        return None
    return f"{day.isoformat()} is outside the allowed range: {range_message(first, last)}"


def check_event_day(day: dt.date, today: dt.date | None = None) -> dt.date:
    """``day`` if an event may be dated then, else :class:`DateOutOfRange` naming the range."""
    problem = day_problem(day, *event_range(today))
    if problem:
        raise DateOutOfRange(problem)
    return day


def check_planning_day(day: dt.date, today: dt.date | None = None) -> dt.date:
    """``day`` if a planning date may be then, else :class:`DateOutOfRange` naming the range."""
    problem = day_problem(day, *planning_range(today))
    if problem:
        raise DateOutOfRange(problem)
    return day


def month_problem(text: object, today: dt.date | None = None) -> str | None:
    """Why ``text`` is not an allowed month (None when it is)."""
    if not is_month(text):
        return f"{str(text)[:20]!r} is not a month: give it as YYYY-MM, e.g. 2019-01"
    assert isinstance(text, str)
    first, last = month_range_allowed(today)
    if first <= text <= last:
        return None
    return (
        f"{text} is outside the allowed range: give a month from {month_label(first)} "
        f"to {month_label(last)}"
    )


def check_month(text: object, today: dt.date | None = None) -> str:
    """``text`` if it is an allowed month, else :class:`DateOutOfRange` saying why."""
    problem = month_problem(text, today)
    if problem:
        raise DateOutOfRange(problem)
    assert isinstance(text, str)
    return text


def split_months(
    months: Iterable[object], today: dt.date | None = None
) -> tuple[list[str], list[str]]:
    """Stored months as (allowed, sorted; odd ones, as text, sorted): what a page that reads
    months back uses, so a value written around the checks (by SQL, by an old version) is
    shown as odd rather than breaking the page for everyone."""
    good: set[str] = set()
    odd: set[str] = set()
    for m in months:
        if m is None:
            continue
        (good if month_problem(m, today) is None else odd).add(str(m))
    return sorted(good), sorted(odd)
