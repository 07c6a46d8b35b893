"""The work on a plan beyond its text: linking incidents (on the map or by query), response
actions and supervisor reviews.

Every write takes the version the editor started from (:func:`~asbhub.records.cases.locking.
claim_version`) and is written to the audit log. Only incidents whose summary the user may see
(:func:`asbhub.records.partners.access.can_see`) are offered, drawn or linked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from asbhub.domain import cases as rules
from asbhub.domain.dates import month_problem
from asbhub.domain.months import is_month, month_of, shift_month
from asbhub.records.cases.locking import claim_version
from asbhub.records.cases.models import Pmp, PmpAction, PmpIncident, PmpReview
from asbhub.records.cases.services import profile_of
from asbhub.records.incidents.models import Incident
from asbhub.records.incidents.selectors import area_hierarchy
from asbhub.records.partners.access import PURPOSES, can_see, owner_agency_for, record_access
from asbhub.records.partners.models import Agency, AuditAction, DataCategory, Role
from asbhub.store.scope import latest_real_month

#: Most incidents drawn on the map or listed at once; the page says when more matched.
MAP_LIMIT = 3000
LIST_LIMIT = 200
PURPOSE = PURPOSES["case"]


class PlanWorkError(ValueError):
    """A request the plan cannot take; ``problems`` says what to fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


# --------------------------------------------------------------------------------------------
# Incidents of the plan's area
# --------------------------------------------------------------------------------------------


def lpu_lsoas(lpu: str) -> list[str]:
    """LSOA codes of the LPU in the force's area hierarchy (empty if it names none)."""
    return area_hierarchy().lsoa.filter(lpu=lpu)["lsoa_code"].to_list()


def visible_sources(user: Any, incidents: QuerySet[Incident]) -> set[int]:
    """Ids of the sources among ``incidents`` whose summaries ``user`` may see.

    An incident's owner follows from its source's force (:func:`owner_agency_for`), so one
    decision per source covers all of its incidents: a few queries however many incidents.
    """
    allowed = set()
    for source_id in incidents.values_list("source_id", flat=True).distinct().order_by():
        sample = (
            Incident.objects.using(incidents.db)
            .select_related("source")
            .filter(source_id=source_id)
            .first()
        )
        if (
            sample
            and can_see(user, DataCategory.INCIDENT_SUMMARY, owner_agency_for(sample)).allowed
        ):
            allowed.add(source_id)
    return allowed


@dataclass(frozen=True)
class PickerQuery:
    """What the user asked to see: a month range, optionally a crime type and an LSOA/area."""

    first_month: str
    last_month: str
    crime_type: str = ""
    area: str = ""


@dataclass
class PickerResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    matched: int = 0
    withheld: int = 0
    truncated: bool = False
    crime_types: list[str] = field(default_factory=list)


def default_months(pmp: Pmp) -> tuple[str, str]:
    """The three months up to the latest month loaded for the plan's LPU (or anywhere)."""
    codes = lpu_lsoas(pmp.lpu)
    qs = Incident.objects.using(pmp._state.db or "default")
    last = (
        qs.filter(Q(location__lsoa_code__in=codes) | Q(lpu=pmp.lpu))
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
        or qs.order_by("-month").values_list("month", flat=True).first()
    )
    last = latest_real_month(pmp._state.db or "default") or last  # issue #12: not synthetic
    if not last:
        last = month_of(timezone.localdate())
    return shift_month(last, -2), last


def check_query(first: str, last: str) -> list[str]:
    """Problems with a month range from a form, as sentences; empty when it is usable."""
    problems = []
    for name, value in (("From", first), ("To", last)):
        if not is_month(value):
            problems.append(
                f"{name} month must be a month as YYYY-MM, for example 2019-01; got '{value}'."
            )
        elif problem := month_problem(value, timezone.localdate()):  # the one date rule
            problems.append(f"{name} month: {problem}.")
    if not problems and first > last:
        problems.append(f"The From month ({first}) must be on or before the To month ({last}).")
    return problems


def _area_incidents(pmp: Pmp, query: PickerQuery) -> QuerySet[Incident]:
    using = pmp._state.db or "default"
    qs = Incident.objects.using(using).filter(
        month__gte=query.first_month, month__lte=query.last_month
    )
    qs = qs.filter(Q(location__lsoa_code__in=lpu_lsoas(pmp.lpu)) | Q(lpu=pmp.lpu))
    if query.crime_type:
        qs = qs.filter(crime_type=query.crime_type)
    if query.area.strip():
        # One search box, matched (ignoring case) against the LSOA code and name, the street
        # description ("On or near Market Place") and the neighbourhood: its code or any part
        # of its name, through the LSOAs the area hierarchy puts in it (docs/cases.md).
        text = query.area.strip()
        areas = area_hierarchy()
        hoods = areas.neighbourhoods_matching(text)
        qs = qs.filter(
            Q(location__lsoa_code__iexact=text)
            | Q(location__lsoa_name__icontains=text)
            | Q(location__description__icontains=text)
            | Q(snt__iexact=text)
            | Q(snt__in=hoods)
            | Q(location__lsoa_code__in=areas.neighbourhood_lsoas(hoods))
        )
    return qs


def unmapped_neighbourhoods(text: str) -> list[str]:
    """Names of the neighbourhoods a search text names that hold no LSOA (even by the
    neighbour rule), so the page can say why searching for them finds little."""
    areas = area_hierarchy()
    codes = [c for c in areas.neighbourhoods_matching(text) if not areas.neighbourhood_lsoas([c])]
    names = dict(areas.neighbourhoods.select("snt_code", "snt_name").iter_rows())
    return sorted(names[c] for c in codes)


def picker_incidents(
    user: Any, pmp: Pmp, query: PickerQuery, limit: int = MAP_LIMIT
) -> PickerResult:
    """Incidents of the plan's LPU matching ``query`` that ``user`` may see, oldest first.

    Each row: ``id``, ``reference``, ``month``, ``crime_type``, ``place``, ``lsoa``, ``lat``,
    ``lon`` and ``linked`` (already on the plan). ``withheld`` counts matches not shown
    because the user's agency may not see them.
    """
    qs = _area_incidents(pmp, query)
    result = PickerResult(
        crime_types=sorted(
            _area_incidents(pmp, PickerQuery(query.first_month, query.last_month))
            .values_list("crime_type", flat=True)
            .distinct()
            .order_by()
        )
    )
    allowed = visible_sources(user, qs)
    total = qs.count()
    shown = qs.filter(source_id__in=allowed)
    result.matched = shown.count()
    result.withheld = total - result.matched
    result.truncated = result.matched > limit
    linked = set(pmp.incident_links.values_list("incident_id", flat=True))
    for pk, ref, month, crime, place, lsoa, lsoa_name, lat, lon in shown.order_by(
        "month", "pk"
    ).values_list(
        "pk",
        "reference",
        "month",
        "crime_type",
        "location__description",
        "location__lsoa_code",
        "location__lsoa_name",
        "location__latitude",
        "location__longitude",
    )[:limit]:
        result.rows.append(
            {
                "id": pk,
                "reference": ref or f"Record {pk}",
                "month": month,
                "crime_type": crime,
                "place": place or "",
                "lsoa": lsoa or "",
                "lsoa_name": lsoa_name or "",
                "lat": lat,
                "lon": lon,
                "linked": pk in linked,
            }
        )
    return result


def picker_geojson(result: PickerResult, query: PickerQuery) -> dict[str, Any]:
    """The picker's rows as a GeoJSON FeatureCollection, one feature per map point (incidents
    at the same published point share it), with the query and what was left out."""
    points: dict[tuple[float, float], list[dict[str, Any]]] = {}
    without = 0
    for row in result.rows:
        if row["lat"] is None or row["lon"] is None:
            without += 1
            continue
        points.setdefault((row["lon"], row["lat"]), []).append(row)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "place": rows[0]["place"],
                "incidents": [
                    {k: r[k] for k in ("id", "reference", "month", "crime_type", "linked")}
                    for r in rows
                ],
            },
        }
        for (lon, lat), rows in points.items()
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "query": {
            "from": query.first_month,
            "to": query.last_month,
            "crime_type": query.crime_type,
            "area": query.area,
        },
        "matched": result.matched,
        "withheld": result.withheld,
        "truncated": result.truncated,
        "without_position": without,
    }


def _ids(values: Iterable[Any]) -> list[int]:
    out = []
    for v in values:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise PlanWorkError(
                [f"'{v}' is not an incident number: choose incidents from the list or the map."]
            ) from None
    return sorted(set(out))


def link_incidents(
    user: Any,
    pmp: Pmp,
    incident_ids: Iterable[Any],
    expected_version: Any,
    request: HttpRequest | None = None,
) -> int:
    """Link incidents to the plan; each must exist and be one the user may see.

    Returns the number newly linked. Raises :class:`PlanWorkError` (nothing written) for an
    empty choice or an incident the user may not see, and
    :class:`~asbhub.records.cases.services.ConcurrentEditError` for a stale version.
    """
    ids = _ids(incident_ids)
    if not ids:
        raise PlanWorkError(
            [
                "Choose at least one incident to link: tick it in the list or "
                "click its marker on the map."
            ]
        )
    using = pmp._state.db or "default"
    found = Incident.objects.using(using).filter(pk__in=ids)
    allowed = visible_sources(user, found)
    ok = set(found.filter(source_id__in=allowed).values_list("pk", flat=True))
    refused = [i for i in ids if i not in ok]
    if refused:
        raise PlanWorkError(
            [
                f"Incident {', '.join(map(str, refused))} cannot be linked: there "
                f"is no such incident that you can see."
            ]
        )
    with transaction.atomic(using=using):
        record_access(
            user,
            AuditAction.CHANGE,
            pmp,
            purpose=PURPOSE,
            request=request,
            detail={"linked_incidents": ids, "version": int(expected_version or 0) + 1},
        )
        claim_version(pmp, expected_version, pmp.reference)
        already = set(pmp.incident_links.values_list("incident_id", flat=True))
        new = [i for i in ids if i not in already]
        PmpIncident.objects.using(using).bulk_create(
            [PmpIncident(pmp=pmp, incident_id=i) for i in new]
        )
        locations = found.filter(pk__in=new, location__isnull=False).values_list(
            "location_id", flat=True
        )
        pmp.locations.add(*set(locations))
    return len(new)


def unlink_incidents(
    user: Any,
    pmp: Pmp,
    incident_ids: Iterable[Any],
    expected_version: Any,
    request: HttpRequest | None = None,
) -> int:
    """Remove links; only links to incidents the user may see can be removed by them."""
    ids = _ids(incident_ids)
    if not ids:
        raise PlanWorkError(["Choose at least one linked incident to remove."])
    using = pmp._state.db or "default"
    links = PmpIncident.objects.using(using).filter(pmp=pmp, incident_id__in=ids)
    incidents = Incident.objects.using(using).filter(pk__in=links.values("incident_id"))
    allowed = visible_sources(user, incidents)
    ok = set(incidents.filter(source_id__in=allowed).values_list("pk", flat=True))
    refused = [i for i in ids if i not in ok]
    if refused:
        raise PlanWorkError(
            [
                f"Incident {', '.join(map(str, refused))} is not linked to "
                f"{pmp.reference} as an incident you can see."
            ]
        )
    with transaction.atomic(using=using):
        record_access(
            user,
            AuditAction.CHANGE,
            pmp,
            purpose=PURPOSE,
            request=request,
            detail={"unlinked_incidents": ids, "version": int(expected_version or 0) + 1},
        )
        claim_version(pmp, expected_version, pmp.reference)
        removed, _ = links.delete()
        still = set(
            pmp.incident_links.filter(incident__location__isnull=False).values_list(
                "incident__location_id", flat=True
            )
        )
        gone = set(incidents.values_list("location_id", flat=True)) - still
        pmp.locations.remove(*[g for g in gone if g is not None])
    return removed


# --------------------------------------------------------------------------------------------
# Response actions
# --------------------------------------------------------------------------------------------


def plan_agencies(pmp: Pmp) -> list[Agency]:
    """The agencies that may own an action: the owner and the partners on the plan."""
    return [pmp.owner_agency, *pmp.partner_agencies.exclude(pk=pmp.owner_agency_id)]


def add_action(
    user: Any,
    pmp: Pmp,
    expected_version: Any,
    *,
    description: str,
    owner_agency: Agency,
    due: dt.date,
    request: HttpRequest | None = None,
) -> PmpAction:
    """Add a response action owned by the plan's owner or one of its partners."""
    if owner_agency.pk not in {a.pk for a in plan_agencies(pmp)}:
        raise PlanWorkError(
            [
                f"{owner_agency} is not the owner or a partner on {pmp.reference}: "
                f"choose one of the plan's agencies."
            ]
        )
    if not description.strip():
        raise PlanWorkError(["Describe the action."])
    using = pmp._state.db or "default"
    with transaction.atomic(using=using):
        record_access(
            user,
            AuditAction.CHANGE,
            pmp,
            purpose=PURPOSE,
            request=request,
            detail={"action": "added", "owner_agency": str(owner_agency), "due": due.isoformat()},
        )
        claim_version(pmp, expected_version, pmp.reference)
        return PmpAction.objects.using(using).create(
            pmp=pmp, owner_agency=owner_agency, description=description.strip(), due=due
        )


def complete_action(
    user: Any, pmp: Pmp, expected_version: Any, action_id: Any, request: HttpRequest | None = None
) -> PmpAction:
    """Mark one of the plan's actions done (now)."""
    action = pmp.actions.filter(pk=action_id).first() if str(action_id).isdigit() else None
    if action is None:
        raise PlanWorkError([f"{pmp.reference} has no action {action_id}."])
    if action.done_at is not None:
        raise PlanWorkError(
            [
                f"That action was already marked done on "
                f"{timezone.localdate(action.done_at):%d/%m/%Y}."
            ]
        )
    using = pmp._state.db or "default"
    with transaction.atomic(using=using):
        record_access(
            user,
            AuditAction.CHANGE,
            pmp,
            purpose=PURPOSE,
            request=request,
            detail={"action": "completed", "action_id": action.pk},
        )
        claim_version(pmp, expected_version, pmp.reference)
        action.done_at = timezone.now()
        action.save(using=using, update_fields=["done_at"])
    return action


# --------------------------------------------------------------------------------------------
# Supervisor reviews
# --------------------------------------------------------------------------------------------


def can_review(user: Any, pmp: Pmp) -> bool:
    """Supervisors of the owner agency or a partner agency on the plan."""
    from asbhub.records.cases.services import can_edit

    profile = profile_of(user)
    return profile is not None and profile.role == Role.SUPERVISOR and can_edit(user, pmp)


def record_review(
    user: Any,
    pmp: Pmp,
    expected_version: Any,
    *,
    notes: str,
    next_due: dt.date | None = None,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> PmpReview:
    """Record a supervisor's review; the next is due ``next_due`` or one cadence from today."""
    today = today or timezone.localdate()
    due = next_due or rules.next_review_due(today, pmp.review_cadence_days)
    if due <= today:
        raise PlanWorkError(
            [
                f"The next review must be after today ({today:%d/%m/%Y}); "
                f"leave it blank for {pmp.review_cadence_days} days from today."
            ]
        )
    using = pmp._state.db or "default"
    with transaction.atomic(using=using):
        record_access(
            user,
            AuditAction.CHANGE,
            pmp,
            purpose=PURPOSES["supervision"],
            request=request,
            detail={"review": "recorded", "next_review_due": due.isoformat()},
        )
        claim_version(pmp, expected_version, pmp.reference, next_review_due=due)
        return PmpReview.objects.using(using).create(
            pmp=pmp,
            reviewer=user,
            reviewed_at=timezone.now(),
            notes=notes.strip(),
            next_review_due=due,
        )
