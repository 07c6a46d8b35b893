"""Fixtures for the API tests: a small synthetic world of agencies, users, records and tokens.

Built on the partners fixtures (``db`` rolls everything back after each test, audit entries
included). All people are invented.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from tests.api.support import bearer


@pytest.fixture
def token_for(db: str):
    """``token_for(user)`` -> test-client kwargs carrying a new live token of ``user``."""
    from asbhub.records.tokens.services import create_token

    def make(user: Any, days: int = 30) -> dict[str, str]:
        return bearer(create_token(user, "test token", days).secret)

    return make


@pytest.fixture
def world(
    db: str,
    police: Any,
    incident: Any,
    make_agency: Any,
    make_user: Any,
) -> SimpleNamespace:
    """Police own an incident, a plan (the council is a partner on it) and a power; a housing
    provider owns a power of its own. No sharing agreements: tests add the ones they need."""
    from asbhub.records.cases import services
    from asbhub.records.cases.models import (
        PmpIncident,
        PmpPerson,
        Power,
        PowerEvent,
        ProblemType,
    )
    from asbhub.records.incidents.models import Incident

    council = make_agency("Synthetic District Council")
    housing = make_agency("Synthetic Homes", kind="housing")
    Incident.objects.filter(pk=incident.pk).update(lpu="Synthetic LPU")
    incident.refresh_from_db()
    victim = incident.people.get(role="victim")
    suspect = incident.people.get(role="suspect")
    witness = incident.people.get(role="witness")
    plan = services.create_pmp(
        owner_agency=police,
        partner_agencies=[council],
        title="Youths at the memorial gardens",
        lpu="Synthetic LPU",
        problem_type=ProblemType.objects.first(),
        statement="Groups gather after dark",
        victim="Mrs Victimname at number 3",
        offender="Known youth Offendername",
    )
    PmpIncident.objects.create(pmp=plan, incident=incident)
    PmpPerson.objects.create(pmp=plan, person=victim, role="victim")
    PmpPerson.objects.create(pmp=plan, person=suspect, role="perpetrator")
    power = Power.objects.create(
        kind="cpn",
        owner_agency=police,
        person=suspect,
        pmp=plan,
        issued_on=dt.date(2024, 6, 1),
        notes="Served on Blake Madeupname at home",
    )
    PowerEvent.objects.create(power=power, kind="fpn", on=dt.date(2024, 6, 20), person=suspect)
    housing_power = Power.objects.create(
        kind="cpw",
        owner_agency=housing,
        premises="Flat 9, Imaginary Court",
        issued_on=dt.date(2024, 7, 1),
    )
    return SimpleNamespace(
        police=police,
        council=council,
        housing=housing,
        incident=incident,
        plan=plan,
        power=power,
        housing_power=housing_power,
        victim=victim,
        suspect=suspect,
        witness=witness,
        analyst=make_user("police.analyst", police, role="analyst"),
        officer=make_user("council.officer", council),
        stranger=make_user("housing.officer", housing),
        unlinked=make_user("no.agency"),
    )
