"""Helpers for the risk tests: import them from here (the fixtures are in conftest.py and
are found by name)."""

from __future__ import annotations

import datetime as dt


def answers(**yes: str) -> dict[str, str]:
    """Answers to the bundled questionnaire: every yes/no 'no' and frequency 'once', then the
    given overrides (``targeted="yes"``, ``frequency="often"``)."""
    from asbhub.domain.risk import default_questionnaire

    q = default_questionnaire()
    base = {x.id: "no" for x in q.questions if x.is_yes_no} | {"frequency": "once"}
    return base | yes


#: Score 6+6+6+4+4+3 = 29: high.
HIGH = {
    "targeted": "yes",
    "violence": "yes",
    "frequency": "constant",
    "unsafe_home": "yes",
    "health": "yes",
    "isolated": "yes",
}


#: Score 6+6+4+4 = 20: medium.
MEDIUM = {"targeted": "yes", "violence": "yes", "unsafe_home": "yes", "health": "yes"}


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    from django.utils import timezone

    return dt.datetime.combine(day, dt.time(hour), timezone.get_current_timezone())
