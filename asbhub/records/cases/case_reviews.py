"""ASB Case Reviews (Community Trigger): who sees which, the threshold check as a user reads
it, the decision, the review meeting and its actions, area threshold rules, and applications
from the public form.

The threshold rule itself is :func:`asbhub.domain.cases.check_threshold`; working days are
:func:`asbhub.domain.cases.add_working_days`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from asbhub.domain import cases as rules
from asbhub.records.cases.locking import claim_version
from asbhub.records.cases.models import (
    ApplyingFor,
    CaseReview,
    CaseReviewAction,
    CaseReviewApplicant,
    CaseReviewComplaint,
    CaseReviewDecision,
    ThresholdRule,
)
from asbhub.records.cases.services import (
    EDITOR_ROLES,
    check_case_review,
    create_case_review,
    domain_rule,
    next_reference,
    rule_for_area,
)
from asbhub.records.partners.access import (
    PURPOSES,
    action_roles,
    can_see,
    profile_of,
    record_access,
)
from asbhub.records.partners.models import Agency, AgencyKind, AuditAction, DataCategory

PURPOSE = PURPOSES["case_review"]
PUBLIC_PURPOSE = "A member of the public applied for an ASB Case Review through the public website"
#: Roles that may change an area's threshold rule.
RULE_ROLES = action_roles("threshold_rule.change")


class CaseReviewError(ValueError):
    """A change the Case Review cannot take; ``problems`` says what to fix."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def visible_case_reviews(user: Any, using: str = "default") -> QuerySet[CaseReview]:
    """Applications the user may see at all: their agency owns them, attended the meeting, or
    has a live agreement with the owner covering incident summaries."""
    profile = profile_of(user)
    if profile is None or not profile.agency.is_active:
        return CaseReview.objects.using(using).none()
    mine = profile.agency
    sharing = [
        a.pk
        for a in Agency.objects.using(using).exclude(pk=mine.pk)
        if can_see(user, DataCategory.INCIDENT_SUMMARY, a).allowed
    ]
    return (
        CaseReview.objects.using(using)
        .filter(Q(owner_agency=mine) | Q(attendees=mine) | Q(owner_agency__in=sharing))
        .distinct()
    )


def case_review_or_404(
    user: Any, pk: Any, request: HttpRequest | None = None, using: str = "default"
) -> CaseReview:
    """The application ``pk`` if the user may see it, else 404 (refusals audited)."""
    cr = (
        visible_case_reviews(user, using)
        .select_related("owner_agency", "pmp")
        .filter(pk=pk)
        .first()
        if str(pk).isdigit()
        else None
    )
    if cr is None:
        record_access(
            user,
            AuditAction.DENIED,
            ("cases.casereview", str(pk)[:64]),
            request=request,
            detail={"reason": "not visible or no such application"},
            using=using,
        )
        raise Http404("There is no Case Review application with that number that you can see.")
    return cr


def can_manage(user: Any, cr: CaseReview) -> bool:
    """Staff of the owner agency in a role that edits cases."""
    profile = profile_of(user)
    return (
        profile is not None
        and profile.role in EDITOR_ROLES
        and profile.agency_id == cr.owner_agency_id
    )


def decision_state(cr: CaseReview, today: dt.date | None = None) -> str:
    """``overdue`` (undecided after its due date), ``pending``, ``late`` (decided after it was
    due) or ``on_time``."""
    today = today or timezone.localdate()
    if cr.decision == CaseReviewDecision.PENDING:
        return "overdue" if today > cr.decision_due else "pending"
    return "late" if cr.decided_on and cr.decided_on > cr.decision_due else "on_time"


@dataclass(frozen=True)
class ComplaintLine:
    complaint: CaseReviewComplaint
    status: str  # counted, excluded, not_counted
    why: str


@dataclass(frozen=True)
class ApplicantView:
    shown: bool
    withheld_reason: str = ""
    name: str = ""
    contact: str = ""
    on_behalf_of: str = ""
    relationship: str = ""
    address: str = ""
    consent: bool | None = None


@dataclass(frozen=True)
class CaseReviewView:
    """An application as one user may see it."""

    cr: CaseReview
    applicant: ApplicantView
    result: rules.ThresholdResult
    rule: rules.ThresholdRule
    lines: list[ComplaintLine] = field(default_factory=list)

    def audit_detail(self) -> dict[str, Any]:
        return {
            "owner_agency": str(self.cr.owner_agency),
            "applicant": "shown" if self.applicant.shown else "withheld",
            "complaints": [c.complaint.pk for c in self.lines],
        }


def _applicant(user: Any, cr: CaseReview) -> ApplicantView:
    decision = can_see(user, DataCategory.VICTIM_PERSONAL, cr.owner_agency)
    if not decision.allowed:
        return ApplicantView(False, decision.reason)
    public = (
        CaseReviewApplicant.objects.using(cr._state.db or "default").filter(case_review=cr).first()
    )
    if public is not None:
        contact = ", ".join(x for x in (public.phone, public.email) if x)
        return ApplicantView(
            True,
            name=public.name,
            contact=contact,
            on_behalf_of=public.victim_name,
            relationship=public.relationship,
            address=" ".join(x for x in (public.address, public.postcode) if x),
            consent=public.consent,
        )
    return ApplicantView(
        True, name=cr.applicant_name, contact=cr.applicant_contact, on_behalf_of=cr.on_behalf_of
    )


def case_review_view(user: Any, cr: CaseReview) -> CaseReviewView:
    """The application with the applicant shown or withheld, and each complaint marked as
    counted, excluded (with the rule it fails) or qualifying but not about the problem that
    came closest to the threshold."""
    using = cr._state.db or "default"
    rule = domain_rule(rule_for_area(cr.area, using))
    complaints = list(cr.complaints.all())
    result = rules.check_threshold(
        [
            rules.Complaint(
                c.reference, c.incident_on, c.reported_on, c.complainant, c.problem, c.hate
            )
            for c in complaints
        ],
        cr.received_on,
        rule,
    )
    excluded = dict(result.excluded)
    lines = []
    for c in complaints:
        if c.reference in result.counted:
            lines.append(ComplaintLine(c, "counted", "Counts towards the threshold."))
        elif c.reference in excluded:
            lines.append(ComplaintLine(c, "excluded", f"Does not count: {excluded[c.reference]}."))
        else:
            lines.append(
                ComplaintLine(
                    c,
                    "not_counted",
                    f"Qualifies, but is about '{c.problem or 'no problem named'}', "
                    f"not the problem counted, so it is not added to it.",
                )
            )
    return CaseReviewView(cr, _applicant(user, cr), result, rule, lines)


# --------------------------------------------------------------------------------------------
# Writing (staff)
# --------------------------------------------------------------------------------------------


def add_complaint(
    user: Any,
    cr: CaseReview,
    expected_version: Any,
    *,
    request: HttpRequest | None = None,
    **values: Any,
) -> CaseReviewComplaint:
    """Link a complaint and check the threshold again."""
    using = cr._state.db or "default"
    if values["reported_on"] < values["incident_on"]:
        raise CaseReviewError(["The date reported must be on or after the date it happened."])
    with transaction.atomic(using=using):
        record_access(
            user,
            AuditAction.CHANGE,
            cr,
            purpose=PURPOSE,
            request=request,
            detail={"complaint": "added", "reference": values["reference"]},
        )
        claim_version(cr, expected_version, cr.reference)
        complaint = CaseReviewComplaint.objects.using(using).create(case_review=cr, **values)
        check_case_review(cr)
    return complaint


def decide(
    user: Any,
    cr: CaseReview,
    expected_version: Any,
    *,
    decision: str,
    notes: str,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Record whether the threshold is met. The threshold check is run first and stored, so
    the decision sits beside the rule and the complaints it was made on."""
    if decision not in (CaseReviewDecision.MET, CaseReviewDecision.NOT_MET):
        raise CaseReviewError(["Choose whether the threshold is met or not met."])
    if not notes.strip():
        raise CaseReviewError(["Give the reasons for the decision: the applicant is told them."])
    today = today or timezone.localdate()
    using = cr._state.db or "default"
    with transaction.atomic(using=using):
        record_access(
            user,
            AuditAction.CHANGE,
            cr,
            purpose=PURPOSE,
            request=request,
            detail={"decision": decision},
        )
        claim_version(
            cr,
            expected_version,
            cr.reference,
            decision=decision,
            decision_notes=notes.strip(),
            decided_on=today,
        )
        check_case_review(cr)


def record_meeting(
    user: Any,
    cr: CaseReview,
    expected_version: Any,
    *,
    meeting_on: dt.date,
    attendees: list[Agency],
    recommendations: str,
    request: HttpRequest | None = None,
) -> None:
    """Record the review meeting: when, which agencies attended, what it recommended."""
    problems = []
    if cr.decision != CaseReviewDecision.MET:
        problems.append("A review meeting is held only once the threshold is decided as met.")
    if meeting_on < cr.received_on:
        problems.append(
            f"The meeting date must be on or after the application was received "
            f"({cr.received_on:%d/%m/%Y})."
        )
    if not attendees:
        problems.append("Choose the agencies that attended the meeting.")
    if problems:
        raise CaseReviewError(problems)
    using = cr._state.db or "default"
    with transaction.atomic(using=using):
        record_access(
            user,
            AuditAction.CHANGE,
            cr,
            purpose=PURPOSE,
            request=request,
            detail={"meeting_on": meeting_on.isoformat(), "attendees": [a.pk for a in attendees]},
        )
        claim_version(
            cr,
            expected_version,
            cr.reference,
            meeting_on=meeting_on,
            recommendations=recommendations.strip(),
        )
        cr.attendees.set(attendees)


def add_action(
    user: Any,
    cr: CaseReview,
    expected_version: Any,
    *,
    description: str,
    owner_agency: Agency,
    due: dt.date,
    request: HttpRequest | None = None,
) -> CaseReviewAction:
    if cr.meeting_on is None:
        raise CaseReviewError(["Record the review meeting before adding its actions."])
    using = cr._state.db or "default"
    with transaction.atomic(using=using):
        record_access(
            user,
            AuditAction.CHANGE,
            cr,
            purpose=PURPOSE,
            request=request,
            detail={"action": "added", "owner_agency": str(owner_agency)},
        )
        claim_version(cr, expected_version, cr.reference)
        return CaseReviewAction.objects.using(using).create(
            case_review=cr, owner_agency=owner_agency, description=description.strip(), due=due
        )


def complete_action(
    user: Any,
    cr: CaseReview,
    expected_version: Any,
    action_id: Any,
    request: HttpRequest | None = None,
) -> None:
    action = (
        cr.actions.filter(pk=action_id, done_at__isnull=True).first()
        if str(action_id).isdigit()
        else None
    )
    if action is None:
        raise CaseReviewError([f"{cr.reference} has no open action {action_id}."])
    using = cr._state.db or "default"
    with transaction.atomic(using=using):
        record_access(
            user,
            AuditAction.CHANGE,
            cr,
            purpose=PURPOSE,
            request=request,
            detail={"action": "completed", "action_id": action.pk},
        )
        claim_version(cr, expected_version, cr.reference)
        action.done_at = timezone.now()
        action.save(using=using, update_fields=["done_at"])


def can_edit_rules(user: Any) -> bool:
    profile = profile_of(user)
    return profile is not None and profile.role in RULE_ROLES


def save_rule(
    user: Any, values: dict[str, Any], request: HttpRequest | None = None, using: str = "default"
) -> ThresholdRule:
    """Create or replace the threshold rule of ``values['area']`` (blank: the default)."""
    area = (values.get("area") or "").strip()
    with transaction.atomic(using=using):
        rule = ThresholdRule.objects.using(using).filter(area=area).first() or ThresholdRule(
            area=area
        )
        for key in (
            "complaints",
            "window_months",
            "report_within_days",
            "count_people",
            "hate_incidents",
            "decision_working_days",
        ):
            setattr(rule, key, values.get(key))
        rule.save(using=using)
        record_access(
            user,
            AuditAction.CHANGE,
            rule,
            purpose=PURPOSE,
            request=request,
            detail={"area": area or "(default)", "rule": domain_rule(rule).describe()},
        )
    return rule


# --------------------------------------------------------------------------------------------
# The public application form
# --------------------------------------------------------------------------------------------


def owner_for_area(area: str, using: str = "default") -> Agency:
    """The agency that handles Case Reviews for an LPU: the active council whose area names it
    (a city council's area 'Derby' serves the Derby LPUs), else the police force."""
    councils = (
        Agency.objects.using(using)
        .filter(is_active=True, kind__in=[AgencyKind.CITY_COUNCIL, AgencyKind.DISTRICT_COUNCIL])
        .exclude(area="")
    )
    for council in councils.order_by("name"):
        if area == council.area or area.startswith(council.area + " "):
            return council
    police = Agency.objects.using(using).filter(is_active=True, kind=AgencyKind.POLICE)
    first = police.order_by("pk").first()
    if first is None:
        raise CaseReviewError(
            [
                "No agency is set up to receive Case Review applications: an "
                "administrator must add the police force as an agency."
            ]
        )
    return first


def create_public_application(
    data: dict[str, Any], request: HttpRequest | None = None, using: str = "default"
) -> CaseReview:
    """Store an application from the public form, its applicant kept apart, and its
    incidents as complaints; the audit entry (first, as the chain's lock on SQLite needs)
    lists which details were given, never the details."""
    owner = owner_for_area(data["area"], using)
    today = timezone.localdate()
    given = [k for k in ("phone", "email", "address", "postcode", "victim_name") if data.get(k)]
    with transaction.atomic(using=using):
        # The application's id is not known yet: the entry names it by its reference, which
        # create_case_review gives it next inside this same transaction.
        reference = next_reference("ACR", CaseReview, today.year, using)
        record_access(
            None,
            AuditAction.CREATE,
            ("cases.casereview", reference),
            purpose=PUBLIC_PURPOSE,
            request=request,
            detail={
                "area": data["area"],
                "owner_agency": str(owner),
                "applicant_fields": ["name", *given],
                "incidents": len(data["incidents"]),
            },
            using=using,
        )
        cr = create_case_review(
            owner_agency=owner,
            area=data["area"],
            received_on=today,
            applicant_name="",
            description=data["description"],
            from_public_form=True,
            using=using,
        )
        CaseReviewApplicant.objects.using(using).create(
            case_review=cr,
            applying_for=data["applying_for"],
            name=data["name"],
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            address=data.get("address", ""),
            postcode=data.get("postcode", ""),
            victim_name=data.get("victim_name", "")
            if data["applying_for"] == ApplyingFor.OTHER
            else "",
            relationship=data.get("relationship", ""),
            consent=True,
            consented_at=timezone.now(),
        )
        for number, incident in enumerate(data["incidents"], start=1):
            CaseReviewComplaint.objects.using(using).create(
                case_review=cr,
                reference=f"{cr.reference}-A{number}",
                incident_on=incident["happened_on"],
                reported_on=incident["reported_on"],
                reported_to=incident.get("reported_to", ""),
                description=incident.get("what", ""),
                complainant="applicant",
                problem=data.get("problem", "") or "described in the application",
            )
        check_case_review(cr)
    return cr
