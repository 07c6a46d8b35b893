"""The briefing's risk lists and the calibration on a store's own connection alias, on SQLite
and on a real PostgreSQL server (the briefing runs on ``store.alias``, not ``default``)."""

from __future__ import annotations

import datetime as dt

from asbhub.store.db import open_store, setup_django
from tests.risk.support import HIGH, MEDIUM, answers

setup_django()

from django.utils import timezone  # noqa: E402

from asbhub.demo.risk import seed_demo_risk  # noqa: E402
from asbhub.records.incidents.models import Incident, Person, Source  # noqa: E402
from asbhub.records.partners.models import Agency  # noqa: E402
from asbhub.records.risk import services  # noqa: E402

D = dt.date


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), timezone.get_current_timezone())


def test_due_reviews_high_risk_and_calibration_on_a_store(store_url: str) -> None:
    store = open_store(store_url)
    using = store.alias
    police = Agency.objects.using(using).create(name="Synthetic Store Police", kind="police")
    source = Source.objects.using(using).create(
        kind="force_export",
        force=police.name,
        month="",
        content_hash="2" * 64,
        rows=3,
        file="synthetic",
        loaded_at=timezone.now(),
    )
    people = []
    for n, (name, day, lpu) in enumerate(
        [
            ("Hana High", D(2024, 1, 1), "East"),
            ("Hana High", D(2024, 2, 1), "East"),
            ("Milo Medium", D(2024, 1, 1), "West"),
        ]
    ):
        inc = Incident.objects.using(using).create(
            source=source,
            line=n + 2,
            record_type="asb",
            month=f"{day:%Y-%m}",
            crime_type="Anti-social behaviour",
            reference=f"SYN-S{n}",
            lpu=lpu,
            occurred_from=_at(day),
        )
        people.append(
            Person.objects.using(using).create(
                incident=inc,
                role="victim",
                name=name,
                date_of_birth=D(1970, 1, 1) if name == "Hana High" else D(1980, 5, 5),
            )
        )
    high = services.record_assessment(
        person=people[0],
        answers=answers(**HIGH),
        agency=police,
        assessed_at=_at(D(2024, 1, 2)),
        using=using,
    )
    services.record_assessment(
        person=people[2],
        answers=answers(**MEDIUM),
        agency=police,
        assessed_at=_at(D(2024, 1, 2)),
        using=using,
    )
    rows = services.due_reviews(D(2024, 1, 20), using)
    assert [(r.victim_name, r.lpu, r.status, r.days_overdue) for r in rows] == [
        ("Hana High", "East", "overdue", 4)
    ]
    assert [v.assessment_id for v in services.high_risk_victims(D(2024, 1, 1), using)] == [high.pk]
    # Hana's second incident (day 30, same date of birth) is a repeat; Milo has none; the data
    # end on 1 February, so both assessments (2 January) are too recent for 90 days.
    table = services.calibration(using)
    assert table.n_assessed == 0 and table.n_too_recent == 2
    table = services.calibration(using, end=D(2024, 6, 30))
    assert {r.band.value: (r.n_assessed, r.n_repeat) for r in table.rows} == {
        "high": (1, 1),
        "medium": (1, 0),
        "standard": (0, 0),
    }
    # Demonstration seeding works on the store's alias too, leaving real assessments and the
    # victims they cover alone: only Hana's second incident is left to assess.
    assert seed_demo_risk(using=using, today=D(2024, 9, 1)) == 1
    from asbhub.records.risk.models import RiskAssessment

    demo = RiskAssessment.objects.using(using).get(is_demo=True)
    assert demo.person_id == people[1].pk
    assert RiskAssessment.objects.using(using).filter(is_demo=False).count() == 2
    store.close()
