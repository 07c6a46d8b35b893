"""Demonstration risk assessments: nothing without victims; otherwise one per victim, flagged,
replaced on a second run, with the frequency answer taken from the victim's own incidents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from asbhub.store.db import setup_django
from tests.risk.support import at

setup_django()

from django.utils import timezone  # noqa: E402

from asbhub.demo.risk import seed_demo_risk  # noqa: E402
from asbhub.records.risk.models import RiskAssessment, RiskReview  # noqa: E402

D = dt.date


def test_no_victims_no_assessments(db: str, version: Any) -> None:
    assert seed_demo_risk(today=D(2024, 9, 1)) == 0
    assert not RiskAssessment.objects.exists()


def test_seeds_each_victim_once_and_a_rerun_replaces_them(
    make_victim: Any, police: Any, version: Any
) -> None:
    dob = D(1975, 6, 1)
    # Rita Repeat: four earlier incidents in the 90 days before her latest: "often" (4-9).
    rita_days = [D(2024, 3, 1), D(2024, 3, 20), D(2024, 4, 2), D(2024, 4, 20), D(2024, 5, 10)]
    rita = [make_victim("Rita Repeat", d, dob=dob) for d in rita_days]
    once = make_victim("Olga Once", D(2024, 5, 1), dob=D(1960, 2, 2))
    make_victim("Sid Suspect", D(2024, 5, 1), role="suspect")
    n = seed_demo_risk(today=D(2024, 9, 1))
    assert n == 6 == RiskAssessment.objects.count()
    assert set(RiskAssessment.objects.values_list("is_demo", flat=True)) == {True}
    latest = RiskAssessment.objects.get(person=rita[-1])
    assert latest.answers["frequency"] == "often"
    assert latest.assessed_at == at(D(2024, 5, 10), 9) + dt.timedelta(days=1)
    first = RiskAssessment.objects.get(person=rita[0])
    assert first.answers["frequency"] == "once"
    assert RiskAssessment.objects.get(person=once).answers["frequency"] == "once"
    # Every medium or high assessment made before today has been reviewed at least once
    # (all are over 100 days old) and each review follows the cadence of the band before it.
    for a in RiskAssessment.objects.exclude(band="standard"):
        reviews = list(a.reviews.order_by("reviewed_at"))
        assert reviews, a
        cadence = {"high": 14, "medium": 28}[a.band]
        gap = timezone.localdate(reviews[0].reviewed_at) - timezone.localdate(a.assessed_at)
        assert cadence <= gap.days <= cadence + 2
    again = seed_demo_risk(today=D(2024, 9, 1))
    assert again == 6 == RiskAssessment.objects.count()
    assert RiskReview.objects.filter(assessment__is_demo=False).count() == 0
