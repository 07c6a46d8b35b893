"""Django validators for the date rule of :mod:`asbhub.domain.dates`.

Every form field holding a date carries one of these, so each form shows the same GOV.UK
error message naming the allowed range, computed from today when the form is checked.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from asbhub.domain import dates


def event_date(day: dt.date) -> None:
    """Validator: something that happened, from 1 January 2000 to today (plus a day)."""
    problem = dates.day_problem(day, *dates.event_range(timezone.localdate()))
    if problem:
        raise forms.ValidationError(
            _message(day, *dates.event_range(timezone.localdate())), code="date_range"
        )


def planning_date(day: dt.date) -> None:
    """Validator: a due date, next review or planned meeting, from 1 January 2000 to five
    years ahead."""
    first, last = dates.planning_range(timezone.localdate())
    if dates.day_problem(day, first, last):
        raise forms.ValidationError(_message(day, first, last), code="date_range")


def _message(day: dt.date, first: dt.date, last: dt.date) -> str:
    return f"Enter a date from {dates.long_date(first)} to {dates.long_date(last)}"
