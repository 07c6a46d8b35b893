"""The ASB powers register: recording a use of a power, changing it, and what followed it.

Table 5.36 counts the register (:func:`asbhub.records.cases.services.table_5_36`), so what these
functions write is what the scrutiny report shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest

from asbhub.records.cases.locking import claim_version
from asbhub.records.cases.models import Power, PowerEvent
from asbhub.records.cases.services import EDITOR_ROLES, visible_pmps
from asbhub.records.incidents.models import Person
from asbhub.records.partners.access import (
    PURPOSES,
    PersonView,
    can_see,
    category_for_person,
    owner_agency_for,
    profile_of,
    record_access,
    redact_person,
)
from asbhub.records.partners.models import AuditAction

PURPOSE = PURPOSES["powers"]
#: Fields of a power its form may set (the owner is always the recording user's agency).
POWER_FIELDS = (
    "kind",
    "person",
    "premises",
    "pmp",
    "age_band",
    "applied_on",
    "issued_on",
    "granted_on",
    "power_of_arrest",
    "interim",
    "notes",
)


class PowerError(ValueError):
    """The power cannot be saved as given; ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


def visible_powers(user: Any, using: str = "default"):  # noqa: ANN201 - QuerySet[Power]
    """Powers of the user's own agency (the register each agency keeps)."""
    profile = profile_of(user)
    if profile is None:
        return Power.objects.using(using).none()
    return Power.objects.using(using).filter(owner_agency=profile.agency)


def power_or_404(user: Any, pk: Any, request: HttpRequest | None = None) -> Power:
    power = (
        visible_powers(user)
        .select_related("owner_agency", "pmp", "person__incident__source")
        .filter(pk=pk)
        .first()
        if str(pk).isdigit()
        else None
    )
    if power is None:
        record_access(
            user,
            AuditAction.DENIED,
            ("cases.power", str(pk)[:64]),
            request=request,
            detail={"reason": "not your agency's or no such power"},
        )
        raise Http404("There is no power with that number in your agency's register.")
    return power


def can_edit_power(user: Any, power: Power | None = None) -> bool:
    profile = profile_of(user)
    if profile is None or profile.role not in EDITOR_ROLES:
        return False
    return power is None or power.owner_agency_id == profile.agency_id


def person_view(user: Any, person: Person | None) -> PersonView | None:
    if person is None:
        return None
    return redact_person(
        person, can_see(user, category_for_person(person), owner_agency_for(person))
    )


def check_person(user: Any, person_id: int | None) -> Person | None:
    """The person record ``person_id`` if the user may see their details, else a PowerError."""
    if person_id is None:
        return None
    person = Person.objects.select_related("incident__source").filter(pk=person_id).first()
    if (
        person is None
        or not can_see(user, category_for_person(person), owner_agency_for(person)).allowed
    ):
        raise PowerError(
            {
                "person": [
                    f"There is no person record {person_id} whose details you "
                    f"can see: check the number on the incident."
                ]
            }
        )
    return person


def _validated(user: Any, power: Power, values: dict[str, Any]) -> Power:
    pmp = values.get("pmp")
    if pmp is not None and not visible_pmps(user).filter(pk=pmp.pk).exists():
        raise PowerError({"pmp": ["Choose a plan you can see."]})
    for key in POWER_FIELDS:
        if key in values:
            setattr(power, key, values[key])
    try:
        power.clean()
    except ValidationError as exc:
        raise PowerError(exc.message_dict) from None
    return power


def create_power(user: Any, values: dict[str, Any], request: HttpRequest | None = None) -> Power:
    """Record a use of a power for the user's agency."""
    profile = profile_of(user)
    if profile is None or not can_edit_power(user):
        raise PowerError({"kind": ["Your role cannot record powers."]})
    power = _validated(user, Power(owner_agency=profile.agency), values)
    with transaction.atomic():
        power.save()
        record_access(
            user,
            AuditAction.CREATE,
            power,
            purpose=PURPOSE,
            request=request,
            detail={"kind": power.kind, "person": power.person_id, "pmp": power.pmp_id},
        )
    return power


def update_power(
    user: Any,
    power: Power,
    expected_version: Any,
    values: dict[str, Any],
    request: HttpRequest | None = None,
) -> int:
    """Change a power if it is still at ``expected_version``; return the new version."""
    _validated(user, power, values)
    changes = {k: getattr(power, k) for k in POWER_FIELDS if k in values}
    with transaction.atomic():
        record_access(
            user,
            AuditAction.CHANGE,
            power,
            purpose=PURPOSE,
            request=request,
            detail={"fields": sorted(changes)},
        )
        return claim_version(
            power, expected_version, f"{power.get_kind_display()} #{power.pk}", **changes
        )


def add_event(
    user: Any,
    power: Power,
    expected_version: Any,
    values: dict[str, Any],
    request: HttpRequest | None = None,
) -> PowerEvent:
    """Record a breach, fixed penalty, prosecution or order that followed the power."""
    first = min(
        (d for d in (power.applied_on, power.issued_on, power.granted_on) if d), default=None
    )
    if first and values["on"] < first:
        raise PowerError(
            {"on": [f"The date must be on or after the power's first date ({first:%d/%m/%Y})."]}
        )
    with transaction.atomic():
        record_access(
            user,
            AuditAction.CHANGE,
            power,
            purpose=PURPOSE,
            request=request,
            detail={"event": values["kind"], "on": values["on"].isoformat()},
        )
        claim_version(power, expected_version, f"{power.get_kind_display()} #{power.pk}")
        return PowerEvent.objects.create(
            power=power, kind=values["kind"], on=values["on"], notes=values.get("notes", "")
        )


@dataclass(frozen=True)
class PowerRow:
    power: Power
    person: PersonView | None


def power_rows(user: Any, powers: Any) -> list[PowerRow]:
    return [PowerRow(p, person_view(user, p.person)) for p in powers]
