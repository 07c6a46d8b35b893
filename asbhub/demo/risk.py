"""Demonstration risk assessments and reviews for ``make demo``.

DEMONSTRATION DATA. Every row is flagged ``is_demo``. The victims are whatever people with
the role victim are in the store (data.police.uk has none; the synthetic force export has
invented ones); the answers, THRIVE notes and reviews are invented, except that the question
"how many times in the last three months" is answered from the victim's own incidents in the
store, as a call handler would find them. Running again replaces the previous demonstration
assessments. With no victims in the store it does nothing; victims who already have a real
assessment are left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from asbhub.domain import risk as rules
from asbhub.domain.people import interim_person_key
from asbhub.records.incidents.models import Person
from asbhub.records.partners.access import owner_agency_for
from asbhub.records.risk import services
from asbhub.records.risk.models import RiskAssessment

#: At most this many victims are assessed, spread evenly over the period of the data.
MAX_VICTIMS = 150
#: Assessments older than this are reviewed until closed; newer ones up to about today.
SETTLED_DAYS = 180
#: How likely each yes/no question is answered yes (invented, for a plausible spread).
YES_RATE = 0.3
SEED = 5


def _when(person: Person) -> dt.datetime | None:
    return person.incident.occurred_from or person.incident.reported_at


def _frequency(prior: int) -> str:
    if prior >= 9:
        return "constant"
    if prior >= 3:
        return "often"
    return "few" if prior >= 1 else "once"


def _answers(q: rules.Questionnaire, rng: random.Random, prior: int) -> dict[str, str]:
    answers = {}
    for question in q.questions:
        if question.id == "frequency" and question.option(_frequency(prior)):
            answers[question.id] = _frequency(prior)
        elif question.is_yes_no:
            # Victims already targeted often answer yes more often: a plausible, invented link.
            rate = YES_RATE + 0.06 * min(prior, 4)
            if question.id == "self_harm":
                rate = 0.03
            answers[question.id] = "yes" if rng.random() < rate else "no"
        else:
            answers[question.id] = rng.choice(question.options).value
    return answers


def _prior_counts(victims: list[Person]) -> dict[int, int]:
    """Victim row id -> the same person's incidents in the 90 days before this one."""
    by_key: dict[str, list[tuple[dt.datetime, int]]] = defaultdict(list)
    keys = {}
    for p in victims:
        key = interim_person_key(p.name, p.date_of_birth, p.postcode)
        when = _when(p)
        if key is None or when is None:
            continue
        keys[p.pk] = key
        by_key[key].append((when, p.incident_id))
    out = {}
    for p in victims:
        when = _when(p)
        if p.pk not in keys or when is None:
            out[p.pk] = 0
            continue
        start = when - dt.timedelta(days=90)
        out[p.pk] = len(
            {i for w, i in by_key[keys[p.pk]] if start <= w < when and i != p.incident_id}
        )
    return out


def _review_chain(
    assessment: RiskAssessment,
    q: rules.Questionnaire,
    rng: random.Random,
    today: dt.date,
    using: str,
) -> None:
    settled = timezone.localdate(assessment.assessed_at) < today - dt.timedelta(days=SETTLED_DAYS)
    lag = rng.randint(-5, 20)  # some reviews end up overdue, most are kept up to date
    answers = dict(assessment.answers)
    for n in range(12):
        due = assessment.next_review_due
        if due is None or (not settled and due > today - dt.timedelta(days=lag)):
            return
        when = timezone.make_aware(
            dt.datetime.combine(due + dt.timedelta(days=rng.randint(0, 2)), dt.time(11, 0))
        )
        yes = [k for k, v in answers.items() if v == "yes"]
        if yes and rng.random() < 0.3:
            answers[rng.choice(yes)] = "no"
        band = q.band(answers)
        close = settled and (band == rules.Band.STANDARD or n >= 5)
        services.record_review(
            assessment,
            answers=answers,
            agency=assessment.owner_agency,
            reviewed_at=when,
            close=close,
            using=using,
            notes=(
                "DEMONSTRATION: victim contacted; "
                + (
                    "incidents have stopped, reviews closed."
                    if close
                    else "situation unchanged, actions continue."
                    if band == assessment.current_band
                    else "risk has reduced."
                )
            ),
        )
        if close:
            return


def seed_demo_risk(using: str = "default", today: dt.date | None = None) -> int:
    """Record demonstration assessments (and reviews) for victims in the store.

    Parameters
    ----------
    using : str
        Database alias.
    today : date, optional
        The day reviews are simulated up to; default today.

    Returns
    -------
    int
        Assessments recorded; 0 when the store holds no victims or no published questionnaire.
    """
    today = today or timezone.localdate()
    version = services.current_version(using)
    victims = list(
        Person.objects.using(using)
        .filter(role="victim")
        .exclude(risk_assessments__is_demo=False)
        .select_related("incident__source")
        .order_by(F("incident__occurred_from").asc(nulls_first=True), "pk")
    )
    if version is None or not victims:
        return 0
    q = version.questionnaire()
    rng = random.Random(SEED)
    prior = _prior_counts(victims)
    # Spread over the whole period, so the calibration table has assessments old enough.
    chosen = victims[:: max(1, len(victims) // MAX_VICTIMS)]
    owners: dict[int, Any] = {}
    made = 0
    with transaction.atomic(using=using):
        RiskAssessment.objects.using(using).filter(is_demo=True).delete()
        for person in chosen:
            if made >= MAX_VICTIMS:
                break
            source = person.incident.source_id
            if source not in owners:
                owners[source] = owner_agency_for(person)
            if owners[source] is None:
                continue
            when = _when(person)
            assessed_at = (
                when + dt.timedelta(days=1)
                if when is not None
                else timezone.make_aware(
                    dt.datetime.combine(
                        today - dt.timedelta(days=rng.randint(1, 60)), dt.time(10, 0)
                    )
                )
            )
            if timezone.localdate(assessed_at) > today:
                continue
            incident = person.incident
            thrive = {e: getattr(incident, f"thrive_{e}") or "" for e in rules.THRIVE_ELEMENTS}
            assessment = services.record_assessment(
                person=person,
                answers=_answers(q, rng, prior.get(person.pk, 0)),
                agency=owners[source],
                version=version,
                assessed_at=assessed_at,
                thrive=thrive,
                thrive_notes="DEMONSTRATION: invented notes.",
                is_demo=True,
                using=using,
            )
            _review_chain(assessment, q, rng, today, using)
            made += 1
    return made
