"""Demonstration PMPs, powers and ASB Case Reviews for ``make demo``.

DEMONSTRATION DATA. Every plan's title starts "DEMONSTRATION:" and every row is flagged
``is_demo``; the plans are written around real places and real ASB incidents from the loaded
data (the busiest LSOAs of the busiest LPUs), but the problems, people, actions, reviews,
powers and the Case Reviews are invented. Running again replaces the previous demonstration rows.

Needs the demonstration agencies and accounts of :func:`asbhub.demo.partners.
seed_demo_partners` (run here if they are missing) and incidents in the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from asbhub.demo import partners as partners_demo
from asbhub.domain.cases import SaraStage, next_review_due
from asbhub.records.cases import assessment, services
from asbhub.records.cases.models import (
    AgeBand,
    ApplyingFor,
    CaseReview,
    CaseReviewAction,
    CaseReviewApplicant,
    CaseReviewComplaint,
    CaseReviewDecision,
    Pmp,
    PmpAction,
    PmpIncident,
    PmpReview,
    Power,
    PowerEvent,
    PowerEventKind,
    PowerKind,
    ProblemType,
)
from asbhub.records.incidents.models import Incident
from asbhub.records.partners.models import Agency

ASB = "Anti-social behaviour"
PREFIX = "DEMONSTRATION: "
#: Incidents linked to each plan: the most recent ASB incidents of its LSOA.
LINKED_INCIDENTS = 20
D = dt.timedelta


@dataclass(frozen=True)
class _Place:
    lpu: str
    lsoa_code: str
    lsoa_name: str
    asb_count: int


@dataclass(frozen=True)
class _Spec:
    stage: SaraStage
    problem: str
    title: str
    opened_days_ago: int
    partners: tuple[str, ...]
    overdue_review: bool = False


#: One plan per SARA stage; titles get the place's name and the "DEMONSTRATION:" prefix.
SPECS = (
    _Spec(
        SaraStage.SCANNING,
        "Nuisance motorcycles",
        "Off-road bikes on footpaths and parks",
        12,
        (partners_demo.FIRE,),
    ),
    _Spec(
        SaraStage.ANALYSIS,
        "Problems associated with begging, street drinking and homelessness",
        "Street drinking and begging around the shopping streets",
        45,
        (partners_demo.HOUSING,),
    ),
    _Spec(
        SaraStage.RESPONSE,
        "Juvenile ASB in and around our communities",
        "Groups of youths gathering, shouting and damaging property",
        110,
        (partners_demo.YOT, partners_demo.HOUSING),
        overdue_review=True,
    ),
    _Spec(
        SaraStage.ASSESSMENT,
        "Regular criminal damage hotspots",
        "Repeated damage and small deliberate fires at the garages",
        170,
        (partners_demo.FIRE,),
    ),
    _Spec(
        SaraStage.CLOSED,
        "Car cruises",
        "Car cruises in the retail park car park",
        300,
        (partners_demo.FIRE,),
    ),
)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), timezone.get_current_timezone())


def _council_for(lpu: str) -> str | None:
    if lpu.startswith("Derby ") and lpu != "Derbyshire Dales":
        return partners_demo.CITY
    if lpu == "Erewash":
        return partners_demo.EREWASH
    return None


def busiest_places(n: int, using: str = "default") -> list[_Place]:
    """The busiest LSOA for ASB in each of the ``n`` LPUs whose busiest LSOA is busiest."""
    from asbhub.geo import area_hierarchy

    rows = list(
        Incident.objects.using(using)
        .filter(crime_type=ASB, location__lsoa_code__isnull=False)
        .values_list("location__lsoa_code", "location__lsoa_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "location__lsoa_code")
    )
    lpus = area_hierarchy().lpu_for([r[0] for r in rows])
    places: dict[str, _Place] = {}
    for (code, name, count), lpu in zip(rows, lpus, strict=True):
        if lpu and lpu not in places:
            places[lpu] = _Place(lpu, code, name or code, count)
        if len(places) == n:
            break
    return list(places.values())


def _neighbourhood_name(lsoa_code: str) -> str | None:
    """The SNT name the area hierarchy gives an LSOA, as the plan form's neighbourhood list."""
    from asbhub.records.incidents.selectors import area_hierarchy

    areas = area_hierarchy()
    names = dict(areas.neighbourhoods.select("snt_code", "snt_name").iter_rows())
    return names.get(areas.neighbourhood_for([lsoa_code])[0] or "")


def _ensure_partners(using: str) -> dict[str, Agency]:
    names = [name for name, _, _ in partners_demo.AGENCIES]
    users = get_user_model()._default_manager.db_manager(using)
    found = {a.name: a for a in Agency.objects.using(using).filter(name__in=names)}
    if len(found) < len(names) or not users.filter(username="demo.supervisor").exists():
        partners_demo.seed_demo_partners(using=using)
        found = {a.name: a for a in Agency.objects.using(using).filter(name__in=names)}
    return found


def _delete_previous(using: str) -> None:
    # Powers first: their link to a plan is SET_NULL, and they are demonstration rows too.
    Power.objects.using(using).filter(is_demo=True).delete()
    CaseReview.objects.using(using).filter(is_demo=True).delete()
    Pmp.objects.using(using).filter(is_demo=True).delete()


def _content(spec: _Spec, place: _Place, incidents: list[Incident]) -> dict[str, str]:
    months = sorted({i.month for i in incidents})
    period = f"{months[0]} to {months[-1]}" if months else "the loaded months"
    text = {
        "statement": f"{PREFIX}residents near {place.lsoa_name} report {spec.title.lower()}; "
        f"the problem recurs most evenings and weekends.",
        "data_summary": f"{place.asb_count} ASB incidents recorded in LSOA {place.lsoa_code} "
        f"({place.lsoa_name}) in the loaded data, the most in {place.lpu} LPU; "
        f"the {len(incidents)} most recent ({period}) are linked to this plan.",
    }
    if spec.stage is not SaraStage.SCANNING:
        text |= {
            "victim": "DEMONSTRATION: residents of the streets next to the hot spot, including "
            "older people living alone; shop staff.",
            "offender": "DEMONSTRATION: a small group, mostly local, known to the SNT; no "
            "names are recorded in demonstration data.",
            "location": f"DEMONSTRATION: {place.lsoa_name}: poor lighting, no natural "
            f"surveillance after the shops close, easy routes in and out.",
        }
    if spec.stage in (SaraStage.ASSESSMENT, SaraStage.CLOSED):
        text["assessment"] = (
            "DEMONSTRATION: reports fell after the response and did not move "
            "to the neighbouring streets; to be confirmed with the next "
            "three months of data."
        )
    return text


def _actions(
    spec: _Spec, pmp: Pmp, owner: Agency, agencies: dict[str, Agency], today: dt.date, using: str
) -> int:
    if spec.stage in (SaraStage.SCANNING, SaraStage.ANALYSIS):
        return 0
    partner = agencies[spec.partners[0]]
    opened = timezone.localdate(pmp.opened_at)
    done = _at(today - D(days=5)) if spec.stage is not SaraStage.RESPONSE else None
    rows = [
        (
            owner,
            "DEMONSTRATION: high-visibility patrols at the hot spot on Friday and "
            "Saturday evenings",
            opened + D(days=30),
            _at(opened + D(days=28)),
        ),
        (
            partner,
            "DEMONSTRATION: joint visits to the households of those involved",
            # The one overdue action of the demonstration: past due and not done.
            today - D(days=10) if spec.overdue_review else opened + D(days=60),
            done,
        ),
        (
            owner,
            "DEMONSTRATION: ask the council for better lighting and CCTV coverage",
            today + D(days=21) if spec.stage is SaraStage.RESPONSE else opened + D(days=75),
            done,
        ),
    ]
    for agency, description, due, done_at in rows:
        PmpAction.objects.using(using).create(
            pmp=pmp, owner_agency=agency, description=description, due=due, done_at=done_at
        )
    return len(rows)


def _reviews(
    spec: _Spec, pmp: Pmp, reviewer: Any, today: dt.date, using: str
) -> tuple[int, dt.date | None]:
    """Supervisor reviews every cadence since opening; the date the next one is due."""
    opened = timezone.localdate(pmp.opened_at)
    cadence = pmp.review_cadence_days
    # The overdue plan's last review was more than a cadence ago.
    last_possible = today - D(days=cadence + 12) if spec.overdue_review else today - D(days=3)
    day, count = opened + D(days=cadence), 0
    last = opened
    while day <= last_possible:
        PmpReview.objects.using(using).create(
            pmp=pmp,
            reviewer=reviewer,
            reviewed_at=_at(day),
            notes="DEMONSTRATION: progress reviewed with the SNT sergeant.",
            next_review_due=next_review_due(day, cadence),
        )
        last, day, count = day, day + D(days=cadence), count + 1
    due = next_review_due(last, cadence)
    if not spec.overdue_review and due < today:
        due = today + D(days=7)
    return count, due


def _create_pmp(
    spec: _Spec,
    place: _Place,
    agencies: dict[str, Agency],
    reviewer: Any,
    today: dt.date,
    using: str,
) -> dict[str, int]:
    owner = agencies[partners_demo.POLICE]
    partners = [agencies[n] for n in spec.partners]
    council = _council_for(place.lpu)
    if council:
        partners.insert(0, agencies[council])
    incidents = list(
        Incident.objects.using(using)
        .filter(crime_type=ASB, location__lsoa_code=place.lsoa_code)
        .select_related("location")
        .order_by("-month", "-pk")[:LINKED_INCIDENTS]
    )
    content = _content(spec, place, incidents)
    problem, _ = ProblemType.objects.using(using).get_or_create(name=spec.problem)
    pmp = services.create_pmp(
        owner_agency=owner,
        partner_agencies=partners,
        using=using,
        opened_at=_at(today - D(days=spec.opened_days_ago), 9),
        title=f"{PREFIX}{spec.title}, {place.lsoa_name}",
        problem_type=problem,
        lpu=place.lpu,
        area=_neighbourhood_name(place.lsoa_code) or place.lsoa_name,
        statement=content["statement"],
        data_summary=content["data_summary"],
        is_demo=True,
    )
    PmpIncident.objects.using(using).bulk_create(
        [PmpIncident(pmp=pmp, incident=i) for i in incidents]
    )
    pmp.locations.set({i.location for i in incidents if i.location is not None})
    actions = _actions(spec, pmp, owner, agencies, today, using)
    reviews, due = _reviews(spec, pmp, reviewer, today, using)
    # Walk the plan through SARA with the optimistic-locking save, one stage at a time.
    version = pmp.version
    stages = list(SaraStage)
    for target in stages[1 : stages.index(spec.stage) + 1]:
        changes: dict[str, Any] = {**content, "stage": target.value}
        if target is spec.stage:
            changes["next_review_due"] = due
        version = services.save_pmp(pmp, version, changes)
        pmp.refresh_from_db(using=using)
    if spec.stage is SaraStage.SCANNING:
        services.save_pmp(pmp, version, {"next_review_due": due})
    return {"pmps": 1, "incident_links": len(incidents), "actions": actions, "reviews": reviews}


def _create_powers(
    plans: dict[SaraStage, Pmp], agencies: dict[str, Agency], today: dt.date, using: str
) -> dict[str, int]:
    police = agencies[partners_demo.POLICE]
    response, analysis = plans[SaraStage.RESPONSE], plans[SaraStage.ANALYSIS]
    response_council = agencies.get(_council_for(response.lpu) or "", police)
    analysis_council = agencies.get(_council_for(analysis.lpu) or "", police)
    specs: list[tuple[dict[str, Any], list[tuple[str, int]]]] = [
        (
            {
                "kind": PowerKind.CPW,
                "owner_agency": response_council,
                "pmp": response,
                "premises": f"DEMONSTRATION: a house in {response.area}",
                "issued_on": today - D(days=300),
            },
            [],
        ),
        (
            {
                "kind": PowerKind.CPN,
                "owner_agency": analysis_council,
                "pmp": analysis,
                "premises": f"DEMONSTRATION: a shop doorway in {analysis.area}",
                "issued_on": today - D(days=200),
            },
            [(PowerEventKind.BREACH, 175), (PowerEventKind.FPN, 174)],
        ),
        (
            {
                "kind": PowerKind.CPW,
                "owner_agency": police,
                "pmp": response,
                "issued_on": today - D(days=70),
            },
            [],
        ),
        (
            {
                "kind": PowerKind.CBO,
                "owner_agency": police,
                "pmp": analysis,
                "age_band": AgeBand.OVER_18,
                "applied_on": today - D(days=30),
            },
            [],
        ),
        (
            {
                "kind": PowerKind.INJUNCTION,
                "owner_agency": response_council,
                "pmp": response,
                "age_band": AgeBand.OVER_18,
                "applied_on": today - D(days=150),
                "granted_on": today - D(days=140),
                "power_of_arrest": True,
            },
            [(PowerEventKind.BREACH, 90), (PowerEventKind.PROSECUTION, 60)],
        ),
        (
            {
                "kind": PowerKind.PSPO,
                "owner_agency": analysis_council,
                "premises": f"DEMONSTRATION: the shopping streets of {analysis.area}",
                "issued_on": today - D(days=250),
            },
            [(PowerEventKind.FPN, 120)],
        ),
        (
            {
                "kind": PowerKind.CLOSURE_NOTICE_48,
                "owner_agency": police,
                "premises": f"DEMONSTRATION: a flat in {response.area}",
                "issued_on": today - D(days=45),
            },
            [],
        ),
    ]
    events = 0
    for values, power_events in specs:
        power = Power(**values, notes="DEMONSTRATION: invented use of a power.", is_demo=True)
        power.clean()
        power.save(using=using)
        for kind, days_ago in power_events:
            PowerEvent.objects.using(using).create(
                power=power,
                kind=kind,
                on=today - D(days=days_ago),
                notes="DEMONSTRATION: invented event.",
            )
            events += 1
    return {"powers": len(specs), "power_events": events}


def _complaints(
    cr: CaseReview, today: dt.date, spec: list[tuple[int, int]], problem: str, using: str
) -> int:
    """Complaints ``(days ago reported, days between incident and report)``."""
    for number, (reported_ago, delay) in enumerate(spec, start=1):
        CaseReviewComplaint.objects.using(using).create(
            case_review=cr,
            reference=f"DEMO-{cr.reference}-{number:02d}",
            incident_on=today - D(days=reported_ago + delay),
            reported_on=today - D(days=reported_ago),
            complainant=f"DEMONSTRATION resident {1 + number % 2}",
            problem=problem,
        )
    return len(spec)


def _create_case_reviews(
    pmp: Pmp, agencies: dict[str, Agency], today: dt.date, using: str
) -> dict[str, int]:
    """Case Reviews in four states: met with its meeting and actions; not met; undecided and
    overdue; and a fresh application from the public form (with its applicant kept apart)."""
    police = agencies[partners_demo.POLICE]
    owner = agencies.get(_council_for(pmp.lpu) or "", police)
    complaints = 0

    def new(received: dt.date, text: str, **extra: Any) -> CaseReview:
        return services.create_case_review(
            owner_agency=owner,
            area=pmp.lpu,
            received_on=received,
            using=using,
            applicant_name=extra.pop("applicant_name", "DEMONSTRATION: an invented applicant"),
            description=f"{PREFIX}{text}",
            is_demo=True,
            **extra,
        )

    # 1. Met: decided on time, meeting held, actions agreed (one done).
    met = new(
        today - D(days=40),
        f"a resident near {pmp.area} asks for a review of the "
        f"response to youths gathering outside their home.",
        pmp=pmp,
    )
    complaints += _complaints(
        met, today, [(150, 2), (95, 1), (60, 3), (45, 1)], "Youths gathering", using
    )
    services.check_case_review(met)
    CaseReview.objects.using(using).filter(pk=met.pk).update(
        decision=CaseReviewDecision.MET,
        decided_on=met.decision_due - D(days=2),
        decision_notes="DEMONSTRATION: four complaints about the same problem in six months.",
        meeting_on=today - D(days=14),
        recommendations="DEMONSTRATION: mediation between neighbours; targeted patrols; a "
        "youth diversion referral.",
    )
    met.attendees.set([owner, police, agencies[partners_demo.YOT]])
    for description, agency, due, done in (
        ("DEMONSTRATION: offer mediation to both households", owner, 7, True),
        ("DEMONSTRATION: patrols on Friday and Saturday evenings for a month", police, 21, False),
        (
            "DEMONSTRATION: refer the young people to the diversion scheme",
            agencies[partners_demo.YOT],
            28,
            False,
        ),
    ):
        CaseReviewAction.objects.using(using).create(
            case_review=met,
            owner_agency=agency,
            description=description,
            due=today - D(days=14) + D(days=due),
            done_at=_at(today - D(days=5)) if done else None,
        )
    # 2. Not met: two qualifying complaints, one reported too late.
    not_met = new(today - D(days=60), "a resident reports noise from a neighbouring flat.")
    complaints += _complaints(not_met, today, [(100, 2), (80, 45), (70, 1)], "Noise", using)
    services.check_case_review(not_met)
    CaseReview.objects.using(using).filter(pk=not_met.pk).update(
        decision=CaseReviewDecision.NOT_MET,
        decided_on=not_met.decision_due - D(days=1),
        decision_notes="DEMONSTRATION: two qualifying complaints; the threshold needs three.",
    )
    # 3. Undecided and overdue.
    overdue = new(today - D(days=30), "a shopkeeper reports repeated intimidation of staff.")
    complaints += _complaints(
        overdue, today, [(90, 1), (50, 2), (35, 1)], "Intimidation of shop staff", using
    )
    services.check_case_review(overdue)
    # 4. From the public form, received yesterday: the applicant's details kept apart.
    public = new(
        today - D(days=1),
        "cars racing in the retail park car park at night.",
        applicant_name="",
        from_public_form=True,
    )
    CaseReviewApplicant.objects.using(using).create(
        case_review=public,
        applying_for=ApplyingFor.SELF,
        name="DEMONSTRATION: an invented resident",
        phone="01632 960000",
        email="resident@example.invalid",
        consent=True,
        consented_at=_at(today - D(days=1)),
    )
    complaints += _complaints(public, today, [(20, 0), (12, 1), (5, 0)], "Car cruises", using)
    services.check_case_review(public)
    return {"case_reviews": 4, "complaints": complaints}


def _evaluate(plans: dict[SaraStage, Pmp], using: str) -> int:
    """Evaluate the assessed and closed plans: the first loaded month against the last."""
    months = sorted(
        Incident.objects.using(using).values_list("month", flat=True).distinct().order_by()
    )
    if len(months) < 2:
        return 0
    done = 0
    for stage in (SaraStage.ASSESSMENT, SaraStage.CLOSED):
        try:
            assessment.evaluate_plan(plans[stage], (months[0], months[0]), (months[-1], months[-1]))
            done += 1
        except assessment.AssessmentError:
            continue
    return done


def seed_demo_cases(using: str = "default", today: dt.date | None = None) -> dict[str, int]:
    """Create (or replace) the demonstration PMPs, powers and Case Reviews.

    Parameters
    ----------
    using : str
        Database alias; it must hold incidents (e.g. the bundled sample).
    today : date, optional
        The day the demonstration is dated around; default today.

    Returns
    -------
    dict
        How many of each kind of row were created.

    Raises
    ------
    ValueError
        The store has too few LPUs with ASB incidents to place the plans.
    """
    today = today or timezone.localdate()
    agencies = _ensure_partners(using)
    reviewer = get_user_model()._default_manager.db_manager(using).get(username="demo.supervisor")
    places = busiest_places(len(SPECS), using)
    if len(places) < len(SPECS):
        raise ValueError(
            f"the demonstration plans need ASB incidents in {len(SPECS)} LPUs; "
            f"the store has them in {len(places)}: load the sample first"
        )
    counts: dict[str, int] = {}
    with transaction.atomic(using=using):
        _delete_previous(using)
        plans: dict[SaraStage, Pmp] = {}
        for spec, place in zip(SPECS, places, strict=True):
            for key, n in _create_pmp(spec, place, agencies, reviewer, today, using).items():
                counts[key] = counts.get(key, 0) + n
            plans[spec.stage] = Pmp.objects.using(using).get(is_demo=True, stage=spec.stage)
        counts |= _create_powers(plans, agencies, today, using)
        counts |= _create_case_reviews(plans[SaraStage.RESPONSE], agencies, today, using)
        counts["evaluations"] = _evaluate(plans, using)
    return counts
