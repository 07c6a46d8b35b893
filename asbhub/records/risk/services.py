"""Queries and writes for victim risk assessments, reviews, questionnaire versions and the
calibration table.

Views call these; the scoring rules come from :mod:`asbhub.domain.risk` and who may see what
from :mod:`asbhub.records.partners.access`. :func:`due_reviews` and :func:`high_risk_victims`
return plain data for the daily briefing (:mod:`asbhub.reports.briefing`), which runs on a
store's connection alias without a request or a user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest
from django.utils import timezone

from asbhub.domain import risk as rules
from asbhub.domain.cases import review_status
from asbhub.records.incidents.models import Incident, Person
from asbhub.records.partners.access import (
    PersonView,
    action_roles,
    can_see,
    get_record_or_404,
    owner_agency_for,
    profile_of,
    record_access,
    redact_person,
)
from asbhub.records.partners.models import Agency, AuditAction, DataCategory
from asbhub.records.risk.models import QuestionnaireVersion, RiskAssessment, RiskReview

#: Roles that record assessments and reviews (the Commissioner's office and administrators
#: see no risk assessments at all: asbhub.records.partners.access.ROLE_CATEGORIES).
ASSESSOR_ROLES = action_roles("risk.assess")
#: Roles that maintain the questionnaire (new versions, publishing).
QUESTIONNAIRE_ROLES = action_roles("questionnaire.change")

#: What the calibration counts as a repeat, for the page and the CSV.
REPEAT_DEFINITION = (
    "A repeat is another crime or ASB incident (not a record of contact, and not the incident "
    "assessed) in which the same person is recorded as the victim, or as the caller of an ASB "
    "incident, dated on one of the {days} days after the day of the assessment. The same person "
    "is found by {key}."
)
INTERIM_KEY_TEXT = (
    "the interim person key of the daily briefing (surname with date of "
    "birth, else surname with postcode) until person linkage is available"
)


class RiskError(ValueError):
    """An assessment or review cannot be recorded; ``problems`` says why and what to do."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def local_date(instant: dt.datetime) -> dt.date:
    return timezone.localtime(instant).date()


# ------------------------------------------------------------------------------ versions
def current_version(using: str = "default") -> QuestionnaireVersion | None:
    """The version new assessments use: the highest-numbered published one."""
    return (
        QuestionnaireVersion.objects.using(using).filter(published=True).order_by("-number").first()
    )


def can_manage_questionnaire(user: Any) -> bool:
    profile = profile_of(user)
    return bool(
        getattr(user, "is_superuser", False)
        or (profile is not None and profile.role in QUESTIONNAIRE_ROLES)
    )


def revise_version(
    version: QuestionnaireVersion,
    questionnaire: rules.Questionnaire,
    *,
    by: str = "",
    note: str = "",
    publish: bool = False,
    using: str = "default",
) -> tuple[QuestionnaireVersion, bool]:
    """Save an edited questionnaire: in place for an unused draft, else as a new version.

    Returns
    -------
    (QuestionnaireVersion, bool)
        The version written and whether it is new. Assessments made with ``version`` keep it.
    """
    definition = questionnaire.to_dict()
    with transaction.atomic(using=using):
        if not version.published and not version.is_used:
            version.definition = definition
            version.change_note = note or version.change_note
            version.published = publish
            version.save(using=using)
            return version, False
        top = QuestionnaireVersion.objects.using(using).aggregate(n=Max("number"))["n"] or 0
        new = QuestionnaireVersion.objects.using(using).create(
            number=top + 1,
            definition=definition,
            published=publish,
            created_at=timezone.now(),
            created_by=by,
            based_on=version,
            change_note=note,
        )
        return new, True


def publish_version(version: QuestionnaireVersion) -> None:
    version.published = True
    version.save(update_fields=["published"])


# ------------------------------------------------------------------------------ reading
def risk_agencies(user: Any, using: str = "default") -> list[Agency]:
    """Agencies whose risk assessments ``user`` may see (own agency, or by live agreement)."""
    return [
        a
        for a in Agency.objects.using(using).filter(is_active=True)
        if can_see(user, DataCategory.RISK_ASSESSMENT, a).allowed
    ]


def visible_assessments(user: Any, using: str = "default") -> Any:
    """Assessments the user may see: by their owner agency and the ``risk_assessment``
    category (a partner without an agreement covering it sees none)."""
    ids = [a.pk for a in risk_agencies(user, using)]
    return (
        RiskAssessment.objects.using(using)
        .filter(owner_agency_id__in=ids)
        .select_related("person", "incident__source", "owner_agency", "questionnaire")
    )


def assessment_or_404(
    user: Any, pk: Any, request: HttpRequest | None = None, using: str = "default"
) -> RiskAssessment:
    """The assessment ``pk`` if the user may see it, else 404 (refusals are audited)."""
    found = visible_assessments(user, using).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        record_access(
            user,
            AuditAction.DENIED,
            ("risk.riskassessment", str(pk)[:64]),
            request=request,
            detail={"reason": "not visible or no such assessment"},
            using=using,
        )
        raise Http404("There is no risk assessment with that number that you can see.")
    return found


def victim_or_404(
    user: Any, incident_pk: Any, person_pk: Any, request: HttpRequest | None = None
) -> tuple[Incident, Person]:
    """The victim ``person_pk`` of incident ``incident_pk``, if the user may see the incident
    (else 404, audited); the caller still checks victims' personal details."""
    incident = get_record_or_404(
        user, Incident.objects.select_related("source"), incident_pk, request
    )
    person = (
        incident.people.filter(pk=person_pk, role="victim").first()
        if str(person_pk).isdigit()
        else None
    )
    if person is None:
        record_access(
            user,
            AuditAction.DENIED,
            ("incidents.person", str(person_pk)[:64]),
            request=request,
            detail={"reason": f"no victim with that id on incident {incident.pk}"},
        )
        raise Http404("That person is not recorded as a victim of this incident.")
    return incident, person


def victim_decision(user: Any, person: Person) -> Any:
    return can_see(user, DataCategory.VICTIM_PERSONAL, owner_agency_for(person))


def names_for(user: Any, rows: Iterable[Any], using: str = "default") -> dict[int, str]:
    """``person_id`` -> the victim's name for each row's ``person_id``, or '' where the user
    is not entitled to the victim's details (one decision per source, not per row)."""
    ids = {r.person_id for r in rows}
    people = Person.objects.using(using).filter(pk__in=ids).select_related("incident__source")
    decisions: dict[int, bool] = {}
    out = {}
    for p in people:
        source = p.incident.source_id
        if source not in decisions:
            decisions[source] = victim_decision(user, p).allowed
        out[p.pk] = p.name if decisions[source] else ""
    return out


def unassessed_victims(
    user: Any, since: dt.date, using: str = "default", limit: int = 50, lpu: str = ""
) -> list[Person]:
    """Victims of incidents since ``since`` (local date, by start else report time) with no
    risk assessment yet, whose details ``user`` may see; most recent first, at most
    ``limit``, of ``lpu`` when given (``Unknown`` for none). Those graded high for THRIVE
    risk or vulnerability come first."""
    start = dt.datetime.combine(since, dt.time(0), timezone.get_current_timezone())
    recent = Q(incident__occurred_from__gte=start) | Q(
        incident__occurred_from__isnull=True, incident__reported_at__gte=start
    )
    people = (
        Person.objects.using(using)
        .filter(recent, role="victim", risk_assessments__isnull=True)
        .select_related("incident__source")
        .order_by(F("incident__occurred_from").desc(nulls_last=True), "-pk")
    )
    if lpu == "Unknown":
        people = people.filter(Q(incident__lpu__isnull=True) | Q(incident__lpu=""))
    elif lpu:
        people = people.filter(incident__lpu=lpu)
    allowed: dict[int, bool] = {}
    out = []
    for p in people.iterator(chunk_size=500):
        source = p.incident.source_id
        if source not in allowed:
            owner = owner_agency_for(p)
            allowed[source] = bool(
                can_see(user, DataCategory.INCIDENT_SUMMARY, owner)
                and can_see(user, DataCategory.VICTIM_PERSONAL, owner)
            )
        if allowed[source]:
            out.append(p)
            if len(out) == limit:
                break
    urgent = {"high"}
    out.sort(key=lambda p: not ({p.incident.thrive_risk, p.incident.thrive_vulnerability} & urgent))
    return out


@dataclass(frozen=True)
class AssessmentView:
    """An assessment as one user may see it: the victim shown or withheld with the reason."""

    assessment: RiskAssessment
    victim: PersonView
    incident_shown: Any
    """The decision on the incident's summary (owned by the incident's agency)."""
    review_status: str
    reviews: list[RiskReview]
    questions: list[tuple[str, str, int]]
    """(question text, answer label, weight) as scored."""

    def audit_detail(self) -> dict[str, Any]:
        return {
            "owner_agency": str(self.assessment.owner_agency),
            "victim": "shown" if self.victim.shown else "withheld",
            "person": self.assessment.person_id,
            "reviews": [r.pk for r in self.reviews],
        }


def answered(
    version: QuestionnaireVersion, answers: Mapping[str, str]
) -> list[tuple[str, str, int]]:
    """(question, answer label, weight) for each question of ``version``."""
    out = []
    for q in version.questionnaire().questions:
        opt = q.option(str(answers.get(q.id, "")))
        out.append((q.text, opt.label if opt else "Not answered", opt.weight if opt else 0))
    return out


def assessment_view(
    user: Any, assessment: RiskAssessment, today: dt.date | None = None
) -> AssessmentView:
    today = today or timezone.localdate()
    status = review_status(
        assessment.next_review_due, today, closed=assessment.closed_at is not None
    )
    return AssessmentView(
        assessment=assessment,
        victim=redact_person(assessment.person, victim_decision(user, assessment.person)),
        incident_shown=can_see(
            user, DataCategory.INCIDENT_SUMMARY, owner_agency_for(assessment.incident)
        ),
        review_status=status,
        reviews=list(assessment.reviews.select_related("agency").order_by("reviewed_at", "pk")),
        questions=answered(assessment.questionnaire, assessment.answers),
    )


def victim_history(user: Any, person: Person, using: str = "default") -> list[RiskAssessment]:
    """The person's assessments the user may see, on this incident and on others where the
    same person appears (by the interim person key), newest first."""
    from asbhub.domain.people import interim_person_key

    key = interim_person_key(person.name, person.date_of_birth, person.postcode)
    candidates = visible_assessments(user, using)
    if key is None:
        candidates = candidates.filter(person=person)
    elif person.date_of_birth is not None:
        # The key then includes the date of birth: only people born that day can match.
        candidates = candidates.filter(person__date_of_birth=person.date_of_birth)
    found = []
    for a in candidates.order_by("-assessed_at", "-pk"):
        p = a.person
        if p.pk == person.pk or (
            key is not None and interim_person_key(p.name, p.date_of_birth, p.postcode) == key
        ):
            found.append(a)
    return found


# ------------------------------------------------------------------------------ writing
def record_assessment(
    *,
    person: Person,
    answers: Mapping[str, str],
    agency: Agency,
    version: QuestionnaireVersion | None = None,
    assessor: Any = None,
    assessed_at: dt.datetime | None = None,
    thrive: Mapping[str, str] | None = None,
    thrive_notes: str = "",
    is_demo: bool = False,
    using: str = "default",
) -> RiskAssessment:
    """Score ``answers`` with ``version`` (default the current one) and store the assessment.

    ``thrive`` maps ``threat`` ... ``engagement`` to a grade (low, medium, high) and
    ``<element>_note`` to a short note.

    Raises
    ------
    RiskError
        The person is not a victim, no version is published, or an answer is missing or
        unknown.
    """
    version = version or current_version(using)
    problems: list[str] = []
    if person.role != "victim":
        problems.append(
            f"person {person.pk} is recorded as {person.role!r}, not as a victim; "
            "only victims are risk assessed"
        )
    if version is None:
        problems.append(
            "no questionnaire version is published; publish one on the questionnaire page first"
        )
    elif not version.published:
        problems.append(
            f"questionnaire version {version.number} is a draft; publish it or use "
            "the current version"
        )
    if problems:
        raise RiskError(problems)
    assert version is not None
    questionnaire = version.questionnaire()
    try:
        result = questionnaire.assess(answers)
    except rules.QuestionnaireError as exc:
        raise RiskError(exc.problems) from exc
    assessed_at = assessed_at or timezone.now()
    thrive = dict(thrive or {})
    grades = {}
    for element in rules.THRIVE_ELEMENTS:
        grade = thrive.get(element) or ""
        if grade and grade not in rules.THRIVE_GRADES:
            raise RiskError(
                [
                    f"THRIVE {element}: unknown grade {grade!r}; expected "
                    f"{', '.join(rules.THRIVE_GRADES)} or blank"
                ]
            )
        grades[f"thrive_{element}"] = grade
        grades[f"thrive_{element}_note"] = str(thrive.get(f"{element}_note") or "")[:300]
    incident = person.incident
    return RiskAssessment.objects.using(using).create(
        person=person,
        incident=incident,
        questionnaire=version,
        version_number=version.number,
        answers={q.id: str(answers[q.id]) for q in questionnaire.questions},
        score=result.score,
        band=result.band.value,
        current_band=result.band.value,
        owner_agency=agency,
        assessor=assessor,
        assessor_name=assessor.get_username() if assessor is not None else "",
        assessed_at=assessed_at,
        lpu=incident.lpu or "",
        next_review_due=questionnaire.next_review_due(result.band, local_date(assessed_at)),
        thrive_notes=thrive_notes,
        is_demo=is_demo,
        **grades,
    )


def record_review(
    assessment: RiskAssessment,
    *,
    answers: Mapping[str, str],
    agency: Agency,
    notes: str = "",
    close: bool = False,
    reviewer: Any = None,
    reviewed_at: dt.datetime | None = None,
    using: str | None = None,
) -> RiskReview:
    """Ask the questions again (with the assessment's own version, so scores compare), set
    the new band and the next review date; ``close`` ends the reviews."""
    using = using or assessment._state.db or "default"
    if assessment.closed_at is not None:
        raise RiskError(
            [
                f"assessment {assessment.pk} was closed on "
                f"{local_date(assessment.closed_at):%d %B %Y}; record a new assessment "
                "if the victim needs one"
            ]
        )
    version = assessment.questionnaire
    questionnaire = version.questionnaire()
    try:
        result = questionnaire.assess(answers)
    except rules.QuestionnaireError as exc:
        raise RiskError(exc.problems) from exc
    reviewed_at = reviewed_at or timezone.now()
    due = None if close else questionnaire.next_review_due(result.band, local_date(reviewed_at))
    with transaction.atomic(using=using):
        review = RiskReview.objects.using(using).create(
            assessment=assessment,
            questionnaire=version,
            reviewed_at=reviewed_at,
            reviewer=reviewer,
            reviewer_name=reviewer.get_username() if reviewer else "",
            agency=agency,
            answers={q.id: str(answers[q.id]) for q in questionnaire.questions},
            score=result.score,
            previous_band=assessment.current_band,
            band=result.band.value,
            notes=notes,
            closed=close,
            next_review_due=due,
        )
        assessment.current_band = result.band.value
        assessment.next_review_due = due
        assessment.last_reviewed_at = reviewed_at
        if close:
            assessment.closed_at = reviewed_at
        assessment.save(
            using=using,
            update_fields=["current_band", "next_review_due", "last_reviewed_at", "closed_at"],
        )
    return review


# ------------------------------------------------------------------------------ briefing
@dataclass(frozen=True)
class DueReview:
    """A review due (today or within the horizon asked for) or overdue: plain data.

    ``victim_name`` is personal data: show it only to those entitled to the victim's details.
    """

    assessment_id: int
    person_id: int
    incident_id: int
    incident_reference: str
    victim_name: str
    lpu: str
    band: str
    next_review_due: dt.date
    status: str
    days_overdue: int
    owner_agency: str
    owner_agency_id: int
    is_demo: bool


def due_reviews(
    today: dt.date,
    using: str = "default",
    *,
    within_days: int = 0,
    lpu: str | None = None,
    owner_agency_ids: Iterable[int] | None = None,
) -> list[DueReview]:
    """Open assessments whose next review falls on or before ``today + within_days``,
    most overdue first, then by LPU.

    ``status`` is ``overdue`` (due before ``today``), ``due`` (today) or ``upcoming``.
    """
    qs = (
        RiskAssessment.objects.using(using)
        .filter(
            closed_at__isnull=True,
            next_review_due__isnull=False,
            next_review_due__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("person", "incident", "owner_agency")
    )
    if lpu is not None:
        qs = qs.filter(lpu=lpu)
    if owner_agency_ids is not None:
        qs = qs.filter(owner_agency_id__in=list(owner_agency_ids))
    out = []
    for a in qs.order_by("next_review_due", "lpu", "pk"):
        if a.next_review_due is None:  # excluded by the query: narrows the type
            continue
        out.append(
            DueReview(
                assessment_id=a.pk,
                person_id=a.person_id,
                incident_id=a.incident_id,
                incident_reference=a.incident.reference or str(a.incident_id),
                victim_name=a.person.name,
                lpu=a.lpu or "Unknown",
                band=a.current_band,
                next_review_due=a.next_review_due,
                status=review_status(a.next_review_due, today),
                days_overdue=max(0, (today - a.next_review_due).days),
                owner_agency=str(a.owner_agency),
                owner_agency_id=a.owner_agency_id,
                is_demo=a.is_demo,
            )
        )
    return out


@dataclass(frozen=True)
class Worklist:
    """The reviews-due page for one user: reviews due by LPU and victims not yet assessed,
    with names only where the user may see the victim's details."""

    groups: list[tuple[str, list[tuple[DueReview, str]]]]
    lpus: list[str]
    unassessed: list[Person]
    lpu: str
    within_days: int
    unassessed_limit: int = 50

    @property
    def rows(self) -> list[DueReview]:
        return [r for _, rows in self.groups for r, _ in rows]

    @property
    def n_overdue(self) -> int:
        return sum(r.status == "overdue" for r in self.rows)

    def audit_detail(self) -> dict[str, Any]:
        """Ids of what was listed; never the names."""
        return {
            "assessments": [r.assessment_id for r in self.rows],
            "lpu": self.lpu,
            "within_days": self.within_days,
            "names_shown": sorted(
                {r.person_id for _, rows in self.groups for r, name in rows if name}
            ),
            "unassessed_shown": [p.pk for p in self.unassessed],
        }


def review_worklist(
    user: Any,
    today: dt.date,
    *,
    within_days: int = 0,
    new_days: int = 28,
    lpu: str = "",
    unassessed_limit: int = 50,
    using: str = "default",
) -> Worklist:
    """What the reviews-due page shows ``user``: :func:`due_reviews` over the agencies whose
    assessments they may see, and :func:`unassessed_victims` of the last ``new_days`` days,
    both limited to ``lpu`` when given."""
    rows = due_reviews(
        today,
        using,
        within_days=within_days,
        owner_agency_ids=[a.pk for a in risk_agencies(user, using)],
    )
    since = today - dt.timedelta(days=new_days)
    unassessed = unassessed_victims(user, since, using, limit=unassessed_limit, lpu=lpu)
    lpus = sorted({r.lpu for r in rows} | {p.incident.lpu or "Unknown" for p in unassessed})
    if lpu:
        rows = [r for r in rows if r.lpu == lpu]
        lpus = sorted(set(lpus) | {lpu})
    shown = names_for(user, rows, using)
    groups: dict[str, list[tuple[DueReview, str]]] = {}
    for r in rows:
        groups.setdefault(r.lpu, []).append((r, shown.get(r.person_id, "")))
    return Worklist(sorted(groups.items()), lpus, unassessed, lpu, within_days, unassessed_limit)


@dataclass(frozen=True)
class HighRiskVictim:
    """A victim high risk now, and since when (plain data; ``victim_name`` is personal)."""

    assessment_id: int
    person_id: int
    incident_reference: str
    victim_name: str
    lpu: str
    score: int
    high_since: dt.datetime
    via: str
    """``assessment`` (assessed high) or ``review`` (raised to high at a review)."""
    next_review_due: dt.date | None
    owner_agency: str
    is_demo: bool


def high_risk_victims(
    since: dt.date, using: str = "default", *, include_earlier: bool = False
) -> list[HighRiskVictim]:
    """Victims whose open assessment is high risk now and became high on or after ``since``
    (local date), newest first; ``include_earlier`` lists every current high-risk victim."""
    qs = (
        RiskAssessment.objects.using(using)
        .filter(closed_at__isnull=True, current_band=rules.Band.HIGH.value)
        .select_related("person", "incident", "owner_agency")
        .prefetch_related("reviews")
    )
    out = []
    for a in qs:
        # The start of the current run of high: the assessment, or the review that raised it.
        when, via = a.assessed_at, "assessment"
        for r in sorted(a.reviews.all(), key=lambda r: (r.reviewed_at, r.pk)):
            if r.band == rules.Band.HIGH.value and r.previous_band != rules.Band.HIGH.value:
                when, via = r.reviewed_at, "review"
        if not include_earlier and local_date(when) < since:
            continue
        out.append(
            HighRiskVictim(
                assessment_id=a.pk,
                person_id=a.person_id,
                incident_reference=a.incident.reference or str(a.incident_id),
                victim_name=a.person.name,
                lpu=a.lpu or "Unknown",
                score=a.score,
                high_since=when,
                via=via,
                next_review_due=a.next_review_due,
                owner_agency=str(a.owner_agency),
                is_demo=a.is_demo,
            )
        )
    out.sort(key=lambda v: (v.high_since, v.assessment_id), reverse=True)
    return out


# ------------------------------------------------------------------------------ calibration
def _person_key(
    person_key: Mapping[int, Hashable] | None,
    pk: int,
    name: str,
    dob: dt.date | None,
    postcode: str,
) -> Hashable:
    from asbhub.domain.people import interim_person_key

    if person_key is not None:
        return person_key.get(pk, f"row-{pk}")
    return interim_person_key(name, dob, postcode) or f"row-{pk}"


def data_end(using: str = "default") -> dt.date | None:
    """The last day of the incident data: the latest start (else report) date stored."""
    agg = Incident.objects.using(using).aggregate(o=Max("occurred_from"), r=Max("reported_at"))
    days = [local_date(v) for v in (agg["o"], agg["r"]) if v is not None]
    return max(days) if days else None


def calibration(
    using: str = "default",
    *,
    owner_agency_ids: Iterable[int] | None = None,
    end: dt.date | None = None,
    horizon_days: int = rules.DEFAULT_HORIZON_DAYS,
    person_key: Mapping[int, Hashable] | None = None,
) -> rules.Calibration:
    """The calibration table over the assessments of ``owner_agency_ids`` (default all).

    Each assessment's band as first assessed is compared with whether the same person had a
    repeat incident within ``horizon_days`` (:data:`REPEAT_DEFINITION`). ``person_key`` maps
    ``incidents_person.id`` to a linkage cluster; default the interim person key.
    """
    qs = RiskAssessment.objects.using(using)
    if owner_agency_ids is not None:
        qs = qs.filter(owner_agency_id__in=list(owner_agency_ids))
    assessed = [
        rules.AssessedVictim(
            pk, _person_key(person_key, pid, name, dob, pc), local_date(at), band, iid
        )
        for pk, pid, name, dob, pc, at, band, iid in qs.values_list(
            "pk",
            "person_id",
            "person__name",
            "person__date_of_birth",
            "person__postcode",
            "assessed_at",
            "band",
            "incident_id",
        )
    ]
    rows = (
        Person.objects.using(using)
        .annotate(rt=Lower("incident__record_type"))
        .filter(role__in=["victim", "caller"], rt__in=["crime", "asb"])
        .values_list(
            "pk",
            "role",
            "rt",
            "name",
            "date_of_birth",
            "postcode",
            "incident_id",
            "incident__occurred_from",
            "incident__reported_at",
        )
    )
    incidents = []
    for pk, role, rt, name, dob, pc, iid, occurred, reported in rows.iterator(chunk_size=5000):
        when = occurred or reported
        if when is None or (role == "caller" and rt != "asb"):
            continue
        incidents.append(
            rules.VictimIncident(iid, _person_key(person_key, pk, name, dob, pc), local_date(when))
        )
    return rules.risk_calibration(
        assessed, incidents, end=end or data_end(using), horizon_days=horizon_days
    )


def repeat_definition(horizon_days: int = rules.DEFAULT_HORIZON_DAYS, linked: bool = False) -> str:
    return REPEAT_DEFINITION.format(
        days=horizon_days, key="person linkage clusters" if linked else INTERIM_KEY_TEXT
    )
