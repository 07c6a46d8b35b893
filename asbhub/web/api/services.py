"""What the JSON API reads, through the one access policy of :mod:`asbhub.records.partners.access`.

Which records a user may list, and each record as a plain dict with every personal part either
shown or set to None and explained in ``withheld``. The endpoints in :mod:`asbhub.web.api.api`
only parse, call these and return.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from asbhub.geo import MappingFileError
from asbhub.records.cases import services as cases
from asbhub.records.cases.models import Pmp, PmpPersonRole, Power
from asbhub.records.incidents.models import Incident, Source
from asbhub.records.partners.access import (
    Decision,
    can_see,
    category_for_person,
    owner_agency_for,
    profile_of,
    shared_incident,
)
from asbhub.records.partners.models import Agency, AgencyKind, DataCategory
from asbhub.store.db import Store
from asbhub.store.scope import KIND_LABELS, SYNTHETIC_PREFIX, Scope, default_scope

SUMMARY = DataCategory.INCIDENT_SUMMARY
PERSON_FIELDS = ("name", "date_of_birth", "phone", "email", "address", "postcode")
THRIVE = ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")


class Withheld:
    """Collects what was withheld from one record: category -> reason and the people affected."""

    def __init__(self) -> None:
        self._by_category: dict[str, dict[str, Any]] = {}

    def add(self, category: str, decision: Decision, person_id: int | None = None) -> None:
        entry = self._by_category.setdefault(
            category,
            {
                "category": category,
                "label": str(dict(DataCategory.choices)[category]),
                "reason": decision.reason,
                "people": [],
            },
        )
        if person_id is not None and person_id not in entry["people"]:
            entry["people"].append(person_id)

    def as_list(self) -> list[dict[str, Any]]:
        return list(self._by_category.values())


def person_out(
    person: Any, category: str, decision: Decision, withheld: Withheld, role: str | None = None
) -> dict[str, Any]:
    """A person with ``details`` (their personal fields) or None and the reason recorded."""
    out = {"id": person.pk, "role": role or person.role, "category": category, "details": None}
    if decision.allowed:
        out["details"] = {f: getattr(person, f) for f in PERSON_FIELDS}
    else:
        withheld.add(category, decision, person.pk)
    return out


# --------------------------------------------------------------------------------------------
# Incidents
# --------------------------------------------------------------------------------------------


def lpu_lookup() -> dict[str, str]:
    """LSOA code -> LPU from the force's area hierarchy; empty if the area files cannot be read."""
    from asbhub.records.incidents.selectors import area_hierarchy

    try:
        lsoa = area_hierarchy().lsoa
    except MappingFileError:
        return {}
    return dict(zip(lsoa["lsoa_code"].to_list(), lsoa["lpu"].to_list(), strict=True))


def visible_incidents(user: Any, using: str = "default") -> QuerySet[Incident]:
    """Incidents whose summary ``user`` may see: the set :func:`can_see` with
    :func:`owner_agency_for` would allow one by one, as one query.

    An incident belongs to the active police agency named as its source's force; failing that,
    to the only active police agency if there is exactly one; otherwise to no one (shown to
    no one).
    """
    none = Incident.objects.using(using).none()
    if profile_of(user) is None:
        return none
    police = list(Agency.objects.using(using).filter(kind=AgencyKind.POLICE, is_active=True))
    visible = [a for a in police if can_see(user, SUMMARY, a).allowed]
    if not visible:
        return none
    qs = Incident.objects.using(using)
    if len(police) == 1:
        return qs.all()
    return qs.filter(source__force__in=[a.name for a in visible])


# -- scope (issue #12 item 2) -----------------------------------------------------------------


class ScopeError(ValueError):
    """A ``force`` or ``kind`` the store does not hold; the message lists what it holds."""


def list_scope(
    force: str | None = None,
    kinds: list[str] | None = None,
    synthetic: bool = False,
    using: str = "default",
) -> Scope:
    """The scope of an API list, as the pages use it (:func:`asbhub.store.scope.default_scope`):
    the deployment's force (``ASBHUB_FORCE``, else the force with the most published records)
    unless ``force`` names another (any case); recorded police data unless ``kinds`` names
    others; synthetic data only when ``synthetic`` is asked for (or the store holds nothing
    else, as on the pages).

    Raises
    ------
    ScopeError
        ``force`` is not a force of the store, or a kind is unknown.
    """
    store = Store(url="the asbhub web app's database", alias=using)
    chosen = None
    if force is not None:
        held = sorted(
            f for f in Source.objects.using(using).values_list("force", flat=True).distinct() if f
        )
        chosen = next((f for f in held if f.casefold() == force.strip().casefold()), None)
        if chosen is None:
            raise ScopeError(
                f"force {force!r}: no records of that force are loaded; give one of "
                + (", ".join(held) or "(none: the store holds no records)")
            )
    scope = default_scope(store, chosen)
    if kinds:
        unknown = sorted(set(kinds) - set(KIND_LABELS))
        if unknown:
            raise ScopeError(
                f"kind {', '.join(map(repr, unknown))}: give one or more of "
                + ", ".join(KIND_LABELS)
            )
        scope = dataclasses.replace(scope, kinds=frozenset(kinds))
    if synthetic and not scope.synthetic:
        scope = dataclasses.replace(scope, synthetic=True)
    return scope


def scope_incidents(qs: QuerySet[Incident], scope: Scope) -> QuerySet[Incident]:
    """``qs`` narrowed to the scope's force, kinds and (unless asked) real data only."""
    qs = qs.filter(source__kind__in=sorted(scope.kinds))
    if scope.force is not None:
        qs = qs.filter(source__force=scope.force)
    if not scope.synthetic:
        qs = qs.exclude(source__force__istartswith=SYNTHETIC_PREFIX)
    return qs


def scope_dict(scope: Scope) -> dict[str, Any]:
    """The scope as a list answer states it: force, kinds, synthetic and one line of text."""
    return {**scope.as_dict(), "text": scope.describe()}


def filter_incidents(
    qs: QuerySet[Incident],
    *,
    month: str | None = None,
    crime_type: str | None = None,
    lpu: str | None = None,
    lpu_of: dict[str, str] | None = None,
) -> QuerySet[Incident]:
    """``qs`` narrowed to a month, a crime type and an LPU (the incident's own LPU, else the
    LPU of its LSOA in the area hierarchy)."""
    if month:
        qs = qs.filter(month=month)
    if crime_type:
        qs = qs.filter(crime_type=crime_type)
    if lpu:
        lpu_of = lpu_lookup() if lpu_of is None else lpu_of
        lsoas = [code for code, name in lpu_of.items() if name == lpu]
        qs = qs.filter(Q(lpu=lpu) | Q(lpu__isnull=True, location__lsoa_code__in=lsoas))
    return qs


def _location(inc: Incident) -> dict[str, Any] | None:
    loc = inc.location
    if loc is None:
        return None
    return {
        "description": loc.description,
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "lsoa_code": loc.lsoa_code,
        "lsoa_name": loc.lsoa_name,
    }


def incident_summary(inc: Incident, lpu_of: dict[str, str]) -> dict[str, Any]:
    """The fields of an incident that incident-summary access shows (no people, no risk)."""
    lsoa = inc.location.lsoa_code if inc.location is not None else None
    return {
        "id": inc.pk,
        "reference": inc.reference,
        "record_type": inc.record_type,
        "month": inc.month,
        "crime_type": inc.crime_type,
        "crime_id": inc.crime_id,
        "outcome": inc.outcome,
        "asb_category": inc.asb_category,
        "lpu": inc.lpu or lpu_of.get(lsoa or ""),
        "snt": inc.snt,
        "location": _location(inc),
    }


def incident_detail(user: Any, inc: Incident) -> tuple[dict[str, Any], dict[str, Any]]:
    """The incident as ``user`` may see it, and the audit detail (ids and codes only).

    Call after :func:`~asbhub.records.partners.access.get_record_or_404`.
    """
    shared = shared_incident(user, inc)
    withheld = Withheld()
    out = incident_summary(inc, lpu_lookup())
    out.update(
        {
            "context": inc.context,
            "occurred_from": inc.occurred_from,
            "occurred_to": inc.occurred_to,
            "reported_at": inc.reported_at,
            "owner_agency": str(shared.owner or "") or None,
            "thrive": None,
        }
    )
    if shared.risk.allowed:
        out["thrive"] = {k: getattr(inc, f"thrive_{k}") for k in THRIVE}
    else:
        withheld.add(DataCategory.RISK_ASSESSMENT, shared.risk)
    people = []
    for person in inc.people.order_by("pk"):
        category = category_for_person(person)
        people.append(person_out(person, category, can_see(user, category, shared.owner), withheld))
    out["people"], out["withheld"] = people, withheld.as_list()
    return out, shared.audit_detail()


# --------------------------------------------------------------------------------------------
# PMPs
# --------------------------------------------------------------------------------------------


def visible_pmps(
    user: Any,
    *,
    lpu: str | None = None,
    stage: str | None = None,
    overdue: bool = False,
    today: dt.date | None = None,
) -> QuerySet[Pmp]:
    """Plans ``user`` may see (as the PMP list page), filtered as that page filters."""
    plans = cases.visible_pmps(user).select_related("problem_type", "owner_agency")
    if lpu:
        plans = plans.filter(lpu=lpu)
    if stage:
        plans = plans.filter(stage=stage)
    if overdue:
        plans = plans.filter(next_review_due__lt=today or timezone.localdate()).exclude(
            stage=cases.rules.SaraStage.CLOSED
        )
    return plans.order_by("next_review_due", "pk")


def pmp_summary(pmp: Pmp, today: dt.date | None = None) -> dict[str, Any]:
    """A plan's list fields (nothing personal)."""
    return {
        "id": pmp.pk,
        "reference": pmp.reference,
        "title": pmp.title,
        "problem_type": str(pmp.problem_type),
        "lpu": pmp.lpu,
        "area": pmp.area,
        "stage": pmp.stage,
        "owner_agency": str(pmp.owner_agency),
        "opened_at": pmp.opened_at,
        "closed_at": pmp.closed_at,
        "next_review_due": pmp.next_review_due,
        "review_state": cases.review_state(pmp, today),
        # Issue #12: demonstration records are said to be, as the pages tag them.
        "is_demo": pmp.is_demo,
    }


def pmp_detail(user: Any, pmp: Pmp) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan as ``user`` may see it (the detail page's rules), and the audit detail.

    Call after :func:`asbhub.records.cases.services.pmp_or_404`.
    """
    view = cases.pmp_view(user, pmp)
    withheld = Withheld()
    out = pmp_summary(pmp)
    out.update(
        {
            "statement": pmp.statement,
            "data_summary": pmp.data_summary,
            "victim": None,
            "offender": None,
            "location": pmp.location,
            "assessment": pmp.assessment,
            "evaluation": pmp.evaluation or {},
            "review_cadence_days": pmp.review_cadence_days,
            "version": pmp.version,
            "partner_agencies": sorted(str(a) for a in pmp.partner_agencies.all()),
        }
    )
    for field_name, category, decision in (
        ("victim", DataCategory.VICTIM_PERSONAL, view.victim_decision),
        ("offender", DataCategory.PERPETRATOR_PERSONAL, view.offender_decision),
    ):
        if decision.allowed:
            out[field_name] = getattr(pmp, field_name)
        else:
            withheld.add(category, decision)
    people = []
    for link in pmp.person_links.select_related("person__incident__source").order_by("pk"):
        category = (
            DataCategory.VICTIM_PERSONAL
            if link.role == PmpPersonRole.VICTIM
            else DataCategory.PERPETRATOR_PERSONAL
        )
        decision = can_see(user, category, owner_agency_for(link.person))
        people.append(person_out(link.person, category, decision, withheld, role=link.role))
    out["people"] = people
    out["incidents"] = [{"id": i.pk, "shown": i.shown, "label": i.label} for i in view.incidents]
    out["actions"] = [
        {
            "description": a.description,
            "owner_agency": str(a.owner_agency),
            "due": a.due,
            "done_at": a.done_at,
        }
        for a in pmp.actions.select_related("owner_agency")
    ]
    out["withheld"] = withheld.as_list()
    return out, view.audit_detail()


# --------------------------------------------------------------------------------------------
# Powers
# --------------------------------------------------------------------------------------------


def visible_powers(
    user: Any, *, kind: str | None = None, using: str = "default"
) -> QuerySet[Power]:
    """Uses of powers whose owner agency's records ``user`` may see (incident summaries: their
    own agency's, or a partner's under a live agreement)."""
    if profile_of(user) is None:
        return Power.objects.using(using).none()
    owners = [a.pk for a in Agency.objects.using(using).all() if can_see(user, SUMMARY, a).allowed]
    qs = Power.objects.using(using).filter(owner_agency__in=owners).select_related("owner_agency")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-pk")


def power_summary(power: Power) -> dict[str, Any]:
    """A use of a power's list fields (nothing personal)."""
    return {
        "id": power.pk,
        "kind": power.kind,
        "kind_label": power.get_kind_display(),
        "owner_agency": str(power.owner_agency),
        "age_band": power.age_band or None,
        "applied_on": power.applied_on,
        "issued_on": power.issued_on,
        "granted_on": power.granted_on,
        "power_of_arrest": power.power_of_arrest,
        "interim": power.interim,
        "is_demo": power.is_demo,
    }


def power_detail(user: Any, power: Power) -> tuple[dict[str, Any], dict[str, Any]]:
    """A use of a power as ``user`` may see it, and the audit detail.

    The subject of a power is treated as a perpetrator: their details are shown only with
    access to perpetrators' personal details of the agency whose record the person is; the
    notes, which may name them, with that access to the power's owner's records.
    """
    withheld = Withheld()
    perp = DataCategory.PERPETRATOR_PERSONAL
    out = power_summary(power)
    plan_visible = (
        power.pmp_id is not None and cases.visible_pmps(user).filter(pk=power.pmp_id).exists()
    )
    out.update(
        {
            "premises": power.premises,
            "pmp_id": power.pmp_id if plan_visible else None,
            "notes": None,
            "person": None,
        }
    )
    notes = can_see(user, perp, power.owner_agency)
    if notes.allowed:
        out["notes"] = power.notes
    elif power.notes:
        withheld.add(perp, notes)
    shown, hidden = [], []

    def person(p: Any) -> dict[str, Any]:
        decision = can_see(user, perp, owner_agency_for(p))
        (shown if decision.allowed else hidden).append(p.pk)
        return person_out(p, perp, decision, withheld, role="subject")

    if power.person is not None:
        out["person"] = person(power.person)
    out["events"] = [
        {
            "kind": e.kind,
            "on": e.on,
            "notes": e.notes if notes.allowed else None,
            "person": person(e.person) if e.person is not None else None,
        }
        for e in power.events.select_related("person__incident__source")
    ]
    out["withheld"] = withheld.as_list()
    detail = {
        "owner_agency": str(power.owner_agency),
        "people_shown": shown,
        "people_withheld": hidden,
        "notes": "shown" if notes.allowed else "withheld",
    }
    return out, detail
