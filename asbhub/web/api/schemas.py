"""The API's request and response shapes (``...Public`` as returned, per house style)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class ErrorPublic(Schema):
    """Every error: ``detail`` says what was expected and how to put it right."""

    detail: str
    errors: list[dict[str, Any]] | None = None


class PersonDetails(Schema):
    name: str
    date_of_birth: dt.date | None
    phone: str
    email: str
    address: str
    postcode: str


class PersonPublic(Schema):
    """A person on a record; ``details`` is null when withheld (see the record's ``withheld``)."""

    id: int
    role: str
    category: str
    details: PersonDetails | None


class WithheldPublic(Schema):
    """A category of data withheld from this record, why, and which people it hides."""

    category: str
    label: str
    reason: str
    people: list[int]


class LocationPublic(Schema):
    description: str
    latitude: float | None
    longitude: float | None
    lsoa_code: str | None
    lsoa_name: str | None


class IncidentSummaryPublic(Schema):
    id: int
    reference: str | None
    record_type: str
    month: str
    crime_type: str
    crime_id: str | None
    outcome: str | None
    asb_category: str | None
    lpu: str | None
    snt: str | None
    location: LocationPublic | None


class ThrivePublic(Schema):
    threat: str | None
    harm: str | None
    risk: str | None
    investigation: str | None
    vulnerability: str | None
    engagement: str | None


class IncidentPublic(IncidentSummaryPublic):
    context: str | None
    occurred_from: dt.datetime | None
    occurred_to: dt.datetime | None
    reported_at: dt.datetime | None
    owner_agency: str | None
    thrive: ThrivePublic | None
    people: list[PersonPublic]
    withheld: list[WithheldPublic]


class PagePublic(Schema):
    count: int
    limit: int
    offset: int


class ScopePublic(Schema):
    """Which records a list counts (issue #12, docs/scope.md)."""

    force: str | None
    kinds: list[str]
    synthetic: bool
    text: str


class IncidentPagePublic(PagePublic):
    items: list[IncidentSummaryPublic]
    scope: ScopePublic


class PmpSummaryPublic(Schema):
    id: int
    reference: str
    title: str
    problem_type: str
    lpu: str
    area: str
    stage: str
    owner_agency: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    next_review_due: dt.date | None
    review_state: str
    is_demo: bool


class LinkedIncidentPublic(Schema):
    id: int
    shown: bool
    label: str


class PmpActionPublic(Schema):
    description: str
    owner_agency: str
    due: dt.date
    done_at: dt.datetime | None


class PmpPublic(PmpSummaryPublic):
    statement: str
    data_summary: str
    victim: str | None
    offender: str | None
    location: str
    assessment: str
    evaluation: dict[str, Any]
    review_cadence_days: int
    version: int
    partner_agencies: list[str]
    people: list[PersonPublic]
    incidents: list[LinkedIncidentPublic]
    actions: list[PmpActionPublic]
    withheld: list[WithheldPublic]


class PmpPagePublic(PagePublic):
    items: list[PmpSummaryPublic]


class PowerSummaryPublic(Schema):
    id: int
    kind: str
    kind_label: str
    owner_agency: str
    age_band: str | None
    applied_on: dt.date | None
    issued_on: dt.date | None
    granted_on: dt.date | None
    power_of_arrest: bool
    interim: bool
    is_demo: bool


class PowerEventPublic(Schema):
    kind: str
    on: dt.date
    notes: str | None
    person: PersonPublic | None


class PowerPublic(PowerSummaryPublic):
    premises: str
    pmp_id: int | None
    notes: str | None
    person: PersonPublic | None
    events: list[PowerEventPublic]
    withheld: list[WithheldPublic]


class PowerPagePublic(PagePublic):
    items: list[PowerSummaryPublic]


class LpuRowPublic(Schema):
    lpu: str
    opened: int
    open: int


class Table534Public(Schema):
    """Table 5.34: ASB PMPs opened in the period and open at its end, by LPU."""

    start: dt.date
    end: dt.date
    rows: list[LpuRowPublic]


class CountRowPublic(Schema):
    label: str
    count: int


class PowersSectionPublic(Schema):
    heading: str
    rows: list[CountRowPublic]


class Table536Public(Schema):
    """Table 5.36: ASB powers used in the period, from the register."""

    start: dt.date
    end: dt.date
    sections: list[PowersSectionPublic]
