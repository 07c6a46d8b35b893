"""Months as asbhub stores them ('YYYY-MM'): the one place they are parsed, shifted, listed and
labelled.

No Django, no database. Incidents are stored and filtered by month, and the pages, reports,
analyses, loaders and the CLI all read, shift and label months: each does it here, so a month one
of them accepts is accepted by every other and '2019-12' plus one is '2020-01' everywhere.

Which months are *allowed* (not before 2000, not after today) is the date rule of
:mod:`asbhub.domain.dates`; this module only knows what a month is.

>>> parse_month("2019-02")
(2019, 2)
>>> shift_month("2019-12", 1), shift_month("2020-01", -1), shift_month("2019-02", -14)
('2020-01', '2019-12', '2017-12')
>>> months_between("2019-11", "2020-02")
['2019-11', '2019-12', '2020-01', '2020-02']
>>> month_label("2019-02"), month_label("2019-02", short=True)
('February 2019', 'Feb 2019')
>>> parse_month("2019-13", what="--from")
Traceback (most recent call last):
...
asbhub.domain.months.MonthError: --from '2019-13' is not a month; expected YYYY-MM, e.g. 2019-01
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

__all__ = [
    "MAX_MONTHS",
    "MONTH_ABBR",
    "MONTH_NAMES",
    "MONTH_PATTERN",
    "MONTH_RE",
    "MonthError",
    "is_month",
    "label_or_text",
    "last_months",
    "month_at",
    "month_index",
    "month_label",
    "month_of",
    "month_range_label",
    "month_runs",
    "month_runs_text",
    "month_start",
    "months_between",
    "next_month",
    "parse_month",
    "require_month",
    "shift_month",
]

#: A month written 'YYYY-MM' (01 to 12), anchored: as text for Polars' ``str.contains``.
MONTH_PATTERN = r"^(\d{4})-(0[1-9]|1[0-2])$"
#: :data:`MONTH_PATTERN` compiled; ``MONTH_RE.fullmatch(text)`` is the check.
MONTH_RE = re.compile(MONTH_PATTERN)
#: The most months :func:`months_between` lists: a guard, so an odd stored value can never
#: make a page loop for long or grow without bound (2000 to a year past today is well under).
MAX_MONTHS = 12 * 100

#: Month names spelt out here rather than by ``strftime("%B")``, which follows the locale.
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTH_ABBR = tuple(name[:3] for name in MONTH_NAMES)


class MonthError(ValueError):
    """Text that is not a month 'YYYY-MM'; the message names the value and the expected form."""


def is_month(text: object) -> bool:
    """Whether ``text`` is a month written 'YYYY-MM' (01 to 12), whatever its year.

    >>> is_month("2019-02"), is_month("2019-2"), is_month("2019-00"), is_month(201902)
    (True, False, False, False)
    """
    return isinstance(text, str) and MONTH_RE.fullmatch(text) is not None


def parse_month(text: object, what: str = "") -> tuple[int, int]:
    """``'2019-02'`` -> ``(2019, 2)``; anything else raises :class:`MonthError`.

    ``what`` names the value in the message (an option, a field), e.g. ``--from``.
    """
    if not isinstance(text, str):
        raise MonthError(_not_a_month(text, what))
    match = MONTH_RE.fullmatch(text)
    if match is None:
        raise MonthError(_not_a_month(text, what))
    return int(match.group(1)), int(match.group(2))


def _not_a_month(text: object, what: str) -> str:
    shown = repr(text) if len(repr(text)) <= 40 else repr(text)[:37] + "..."
    return f"{what + ' ' if what else ''}{shown} is not a month; expected YYYY-MM, e.g. 2019-01"


def require_month(text: object, what: str = "") -> str:
    """``text`` itself if it is a month 'YYYY-MM', else :class:`MonthError` naming ``what``.

    >>> require_month("2019-01", "from")
    '2019-01'
    """
    parse_month(text, what)
    assert isinstance(text, str)
    return text


def month_index(month: str) -> int:
    """Months since January of year 0, so months can be added, subtracted and compared.

    >>> month_index("2019-02") - month_index("2018-12")
    2
    """
    year, number = parse_month(month)
    return year * 12 + number - 1


def month_at(index: int) -> str:
    """The month of a :func:`month_index`: ``month_at(month_index(m)) == m``.

    >>> month_at(2019 * 12)
    '2019-01'
    """
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: dt.date) -> str:
    """The month of ``day`` as 'YYYY-MM', always four-digit years (``strftime("%Y")`` writes
    year 1 as '1' on Linux, which is how '1-01' once reached the store).

    >>> month_of(dt.date(2019, 2, 3)), month_of(dt.date(1, 1, 1))
    ('2019-02', '0001-01')
    """
    return f"{day.year:04d}-{day.month:02d}"


def month_start(month: str) -> dt.date:
    """The first day of ``month``.

    >>> month_start("2019-02")
    datetime.date(2019, 2, 1)
    """
    year, number = parse_month(month)
    return dt.date(year, number, 1)


def shift_month(month: str, n: int) -> str:
    """The month ``n`` months after ``month`` (before, for negative ``n``)."""
    return month_at(month_index(month) + n)


def next_month(month: str) -> str:
    """The month after ``month``.

    >>> next_month("2019-12")
    '2020-01'
    """
    return shift_month(month, 1)


def months_between(first: str, last: str, limit: int = MAX_MONTHS) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive ('YYYY-MM'), at most ``limit``.

    Safe on any input: months not written 'YYYY-MM' give an empty list rather than an error,
    and the list stops after ``limit`` months, so no stored value can make a page loop for long
    or grow without bound.

    >>> months_between("2019-03", "2019-01"), months_between("x", "2019-01")
    ([], [])
    >>> months_between("2019-01", "2030-12", limit=2)
    ['2019-01', '2019-02']
    """
    if not (is_month(first) and is_month(last)):
        return []
    start, end = month_index(first), month_index(last)
    return [month_at(i) for i in range(start, min(end, start + limit - 1) + 1)]


def last_months(last: str, n: int) -> list[str]:
    """The ``n`` months ending with ``last``, oldest first.

    >>> last_months("2020-02", 3)
    ['2019-12', '2020-01', '2020-02']
    """
    end = month_index(last)
    return [month_at(i) for i in range(end - n + 1, end + 1)]


def month_runs(months: Iterable[str]) -> list[tuple[str, str]]:
    """Months ('YYYY-MM') as runs of consecutive months, each ``(first, last)``, in order.

    >>> month_runs(["2019-02", "2018-12", "2019-01", "2026-06", "2026-07", "2027-01"])
    [('2018-12', '2019-02'), ('2026-06', '2026-07'), ('2027-01', '2027-01')]
    >>> month_runs([])
    []
    """
    runs: list[tuple[str, str]] = []
    for month in sorted(set(months)):
        if runs and next_month(runs[-1][1]) == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def month_runs_text(months: Iterable[str]) -> str:
    """Months in words as runs: what a note about missing months says.

    >>> month_runs_text(["2020-02", "2020-01", "2020-03", "2020-07"])
    '2020-01 to 2020-03, 2020-07'
    """
    checked = [require_month(m) for m in months]
    return ", ".join(a if a == b else f"{a} to {b}" for a, b in month_runs(checked))


def month_label(month: str, *, short: bool = False) -> str:
    """'2019-02' -> 'February 2019' (``short``: 'Feb 2019'); :class:`MonthError` otherwise."""
    year, number = parse_month(month)
    names = MONTH_ABBR if short else MONTH_NAMES
    return f"{names[number - 1]} {year}"


def label_or_text(month: object, *, short: bool = False) -> str:
    """:func:`month_label` of a month, and anything else as it is (a page showing a stored value
    that is not a month shows it rather than failing).

    >>> label_or_text("2019-02"), label_or_text("unknown")
    ('February 2019', 'unknown')
    """
    if isinstance(month, str) and is_month(month):
        return month_label(month, short=short)
    return str(month)


def month_range_label(first: str, last: str, *, short: bool = False) -> str:
    """'January 2019 to March 2019', or one label when ``first`` is ``last``; values that are
    not months are shown as they are.

    >>> month_range_label("2019-01", "2019-03", short=True)
    'Jan 2019 to Mar 2019'
    >>> month_range_label("2019-01", "2019-01")
    'January 2019'
    """
    a, b = label_or_text(first, short=short), label_or_text(last, short=short)
    return a if first == last else f"{a} to {b}"
