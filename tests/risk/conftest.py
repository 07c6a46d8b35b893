"""Fixtures for the risk tests: the partners fixtures (the ``default`` store rolled back after
each test, agencies, users, agreements, a synthetic incident with invented people) and
helpers to answer the bundled questionnaire.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.fixtures_partners import SYNTHETIC_FORCE
from tests.risk.support import at


@pytest.fixture
def victim(incident: Any) -> Any:
    return incident.people.get(role="victim")


@pytest.fixture
def version(db: str) -> Any:
    from asbhub.records.risk import services

    v = services.current_version()
    assert v is not None and v.number == 1, "migration 0002 publishes the bundled version 1"
    return v


@pytest.fixture
def make_victim(police: Any) -> Any:
    """Another synthetic incident with one invented victim, on a given day and LPU."""
    from django.utils import timezone

    from asbhub.records.incidents.models import Incident, Person, Source

    source = Source.objects.create(
        kind="force_export",
        force=SYNTHETIC_FORCE,
        month="extra",
        content_hash="1" * 64,
        rows=1,
        file="synthetic",
        loaded_at=timezone.now(),
    )
    count = [0]

    def make(
        name: str,
        day: dt.date,
        lpu: str = "North",
        dob: dt.date | None = None,
        record_type: str = "asb",
        role: str = "victim",
        postcode: str = "",
    ) -> Any:
        count[0] += 1
        inc = Incident.objects.create(
            source=source,
            line=count[0] + 1,
            record_type=record_type,
            month=f"{day:%Y-%m}",
            crime_type="Anti-social behaviour",
            reference=f"SYN-X{count[0]:04d}",
            lpu=lpu,
            occurred_from=at(day, 9),
        )
        return Person.objects.create(
            incident=inc, role=role, name=name, date_of_birth=dob, postcode=postcode
        )

    return make
