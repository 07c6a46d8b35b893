"""Risk pages: record an assessment, a victim's history, one assessment, its review, reviews
due by LPU, the calibration table and the questionnaire versions.

Thin: check who is asking, call :mod:`~asbhub.records.risk.services`, render. Every page that
shows a victim or an assessment asks why first and writes the reason to the audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from asbhub.domain import risk as rules
from asbhub.records.partners.access import (
    PURPOSES,
    may_see_risk,
    profile_of,
    purpose_required,
    record_access,
    requires_action,
)
from asbhub.records.partners.models import AuditAction
from asbhub.records.risk import services
from asbhub.records.risk.models import QuestionnaireVersion
from asbhub.web.csvsafe import safe_writer
from asbhub.web.risk.forms import AssessmentForm, ReviewForm, VersionForm

QUESTIONNAIRE_PURPOSE = "Maintaining the victim risk questionnaire"
CALIBRATION_PURPOSE = "Checking how well the risk bands predict repeat victimisation (counts only)"


def _profile(request: HttpRequest, *, risk: bool = True) -> Any:
    """The user's profile; 403 unless linked to an agency and (``risk``) in a role that may
    see risk assessments at all."""
    profile = profile_of(request.user)
    if profile is None:
        raise PermissionDenied(
            "Your account is not linked to an agency. Ask an administrator to link it."
        )
    # may_see_risk: the same check the navigation asks for the risk pages (access.PAGE_CHECKS).
    if risk and not may_see_risk(request.user):
        raise PermissionDenied(
            f"The {profile.get_role_display()} role does not include risk assessments."
        )
    return profile


def _asking(heading: str, what: str) -> Any:
    """The context of the page that asks why (``risk/purpose.html``): the user's profile
    checked and, for a record, the record fetched (a 404 before the question)."""

    def context(request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, str]:
        _profile(request)
        return {"heading": heading, "what": what}

    return context


def _detail_url(pk: int) -> str:
    return reverse("risk:assessment", args=[pk]) + "?purpose=safeguarding"


# ----------------------------------------------------------------------------- assessments
@login_required
@requires_action("risk.assess")
def assess(request: HttpRequest, incident_pk: int, person_pk: int) -> HttpResponse:
    """Record an assessment of a victim on an incident, with THRIVE at first contact."""
    profile = _profile(request)
    incident, person = services.victim_or_404(request.user, incident_pk, person_pk, request)
    decision = services.victim_decision(request.user, person)
    if not decision.allowed:
        record_access(
            request.user,
            AuditAction.DENIED,
            person,
            request=request,
            detail={"reason": decision.reason, "form": "risk assessment"},
        )
        raise PermissionDenied(decision.reason)
    if profile.role not in services.ASSESSOR_ROLES:
        raise PermissionDenied("Your role cannot record risk assessments.")
    version = services.current_version()
    if version is None:
        return render(request, "risk/no_version.html", status=409)
    questionnaire = version.questionnaire()
    initial = {f"thrive_{e}": getattr(incident, f"thrive_{e}") or "" for e in rules.THRIVE_ELEMENTS}
    form = AssessmentForm(questionnaire, request.POST or None, initial=initial)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.record_assessment(
                person=person,
                answers=form.answers(),
                agency=profile.agency,
                version=version,
                assessor=request.user,
                thrive=form.thrive(),
                thrive_notes=form.cleaned_data["thrive_notes"],
            )
        except services.RiskError as exc:
            problems = exc.problems
        else:
            record_access(
                request.user,
                AuditAction.CREATE,
                assessment,
                purpose=PURPOSES["safeguarding"],
                request=request,
                detail={
                    "person": person.pk,
                    "incident": incident.pk,
                    "version": version.number,
                    "band": assessment.band,
                },
            )
            return redirect(_detail_url(assessment.pk))
    record_access(
        request.user,
        AuditAction.VIEW,
        person,
        purpose=PURPOSES["safeguarding"],
        request=request,
        detail={"form": "risk assessment", "incident": incident.pk},
    )
    return render(
        request,
        "risk/assess.html",
        {
            "form": form,
            "incident": incident,
            "person": person,
            "version": version,
            "questionnaire": questionnaire,
            "problems": problems,
        },
        status=400 if request.method == "POST" else 200,
    )


def _victim_asking(request: HttpRequest, incident_pk: int, person_pk: int) -> dict[str, str]:
    _profile(request)
    services.victim_or_404(request.user, incident_pk, person_pk, request)
    return {
        "heading": "Why do you need this victim's risk history?",
        "what": "It shows the victim's details and risk assessments.",
    }


@login_required
@purpose_required("risk/purpose.html", _victim_asking)
def victim(request: HttpRequest, incident_pk: int, person_pk: int, purpose: str) -> HttpResponse:
    """A victim's assessments (this incident and others for the same person) with reviews."""
    _profile(request)
    incident, person = services.victim_or_404(request.user, incident_pk, person_pk, request)
    decision = services.victim_decision(request.user, person)
    history = services.victim_history(request.user, person)
    record_access(
        request.user,
        AuditAction.VIEW,
        person,
        purpose=purpose,
        request=request,
        detail={
            "victim": "shown" if decision.allowed else "withheld",
            "assessments": [a.pk for a in history],
        },
    )
    return render(
        request,
        "risk/victim.html",
        {
            "incident": incident,
            "victim": services.redact_person(person, decision),
            "history": history,
            "can_assess": decision.allowed
            and getattr(profile_of(request.user), "role", None) in services.ASSESSOR_ROLES,
            "person": person,
            "purpose": purpose,
        },
    )


def _assessment_asking(request: HttpRequest, pk: int) -> dict[str, str]:
    _profile(request)
    found = services.assessment_or_404(request.user, pk, request)
    return {
        "heading": f"Why do you need risk assessment {found.pk}?",
        "what": "It may show the victim's details.",
    }


@login_required
@purpose_required("risk/purpose.html", _assessment_asking)
def assessment(request: HttpRequest, pk: int, purpose: str) -> HttpResponse:
    """One assessment: the answers as scored, THRIVE, the reviews and the next review."""
    profile = _profile(request)
    found = services.assessment_or_404(request.user, pk, request)
    view = services.assessment_view(request.user, found)
    record_access(
        request.user,
        AuditAction.VIEW,
        found,
        purpose=purpose,
        request=request,
        detail=view.audit_detail(),
    )
    return render(
        request,
        "risk/assessment.html",
        {
            "view": view,
            "a": found,
            "purpose": purpose,
            "can_review": (
                found.closed_at is None
                and profile.role in services.ASSESSOR_ROLES
                and profile.agency_id == found.owner_agency_id
            ),
        },
    )


@login_required
@requires_action("risk.assess")
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Review an assessment: the same questions again, a new band, the next review date."""
    profile = _profile(request)
    found = services.assessment_or_404(request.user, pk, request)
    if profile.role not in services.ASSESSOR_ROLES or profile.agency_id != found.owner_agency_id:
        raise PermissionDenied(
            f"Only staff of {found.owner_agency} who record assessments can review this one."
        )
    if found.closed_at is not None:
        raise PermissionDenied("This assessment is closed; record a new assessment instead.")
    latest = found.reviews.order_by("-reviewed_at", "-pk").first()
    previous = (latest or found).answers
    form = ReviewForm(
        found.questionnaire.questionnaire(),
        request.POST or None,
        initial={f"q_{k}": v for k, v in previous.items()},
    )
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            done = services.record_review(
                found,
                answers=form.answers(),
                agency=profile.agency,
                notes=form.cleaned_data["notes"],
                close=form.cleaned_data["close"],
                reviewer=request.user,
            )
        except services.RiskError as exc:
            problems = exc.problems
        else:
            record_access(
                request.user,
                AuditAction.CHANGE,
                found,
                purpose=PURPOSES["safeguarding"],
                request=request,
                detail={
                    "review": done.pk,
                    "band": done.band,
                    "previous_band": done.previous_band,
                    "closed": done.closed,
                },
            )
            return redirect(_detail_url(found.pk))
    view = services.assessment_view(request.user, found)
    record_access(
        request.user,
        AuditAction.VIEW,
        found,
        purpose=PURPOSES["safeguarding"],
        request=request,
        detail={**view.audit_detail(), "form": "review"},
    )
    return render(
        request,
        "risk/review.html",
        {
            "form": form,
            "a": found,
            "view": view,
            "problems": problems,
        },
        status=400 if request.method == "POST" else 200,
    )


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(request.GET.get(name, default)), low), high)
    except ValueError:
        return default


@login_required
@purpose_required(
    "risk/purpose.html",
    _asking(
        "Why do you need the list of risk reviews due?",
        "It names victims whose details you are entitled to see.",
    ),
)
def due(request: HttpRequest, purpose: str) -> HttpResponse:
    """Reviews due and overdue, by Local Policing Unit."""
    _profile(request)
    today = timezone.localdate()
    within = _int_param(request, "within", 0, 0, 90)
    new_days = _int_param(request, "new_days", 28, 1, 365)
    lpu = request.GET.get("lpu", "")
    found = services.review_worklist(
        request.user, today, within_days=within, new_days=new_days, lpu=lpu
    )
    record_access(
        request.user,
        AuditAction.SEARCH,
        ("risk.riskassessment", "reviews-due"),
        purpose=purpose,
        request=request,
        detail=found.audit_detail(),
    )
    return render(
        request,
        "risk/due.html",
        {
            "w": found,
            "lpu": lpu,
            "within": within,
            "today": today,
            "new_days": new_days,
            "purpose_code": request.GET.get("purpose"),
        },
    )


# ----------------------------------------------------------------------------- calibration
def _calibration(request: HttpRequest) -> tuple[rules.Calibration, str]:
    from asbhub.records.people.services import person_cluster_map

    agencies = services.risk_agencies(request.user)
    # The same person as everywhere else: linkage clusters once the store is linked, else
    # the interim surname + date of birth key (the page says which).
    clusters = person_cluster_map() or None
    table = services.calibration(owner_agency_ids=[a.pk for a in agencies], person_key=clusters)
    return table, services.repeat_definition(table.horizon_days, linked=clusters is not None)


@login_required
def calibration(request: HttpRequest) -> HttpResponse:
    """How well each band predicted a repeat incident within 90 days (counts only)."""
    _profile(request)
    table, definition = _calibration(request)
    return render(request, "risk/calibration.html", {"table": table, "definition": definition})


@login_required
def calibration_csv(request: HttpRequest) -> HttpResponse:
    _profile(request)
    table, definition = _calibration(request)
    record_access(
        request.user,
        AuditAction.EXPORT,
        ("risk.calibration", "csv"),
        purpose=CALIBRATION_PURPOSE,
        request=request,
        detail={"assessed": table.n_assessed, "end": table.end.isoformat()},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="risk-calibration-{table.end.isoformat()}.csv"'
    )
    writer = safe_writer(response)
    for row in table.csv_rows():
        writer.writerow(row)
    writer.writerow([])
    writer.writerow([f"# {definition}"])
    return response


# ----------------------------------------------------------------------------- versions
def _version_or_404(number: int) -> QuestionnaireVersion:
    version = QuestionnaireVersion.objects.filter(number=number).first()
    if version is None:
        raise Http404("There is no questionnaire version with that number.")
    return version


@login_required
def versions(request: HttpRequest) -> HttpResponse:
    _profile(request, risk=False)
    current = services.current_version()
    return render(
        request,
        "risk/versions.html",
        {
            "versions": QuestionnaireVersion.objects.all(),
            "current": current,
            "can_manage": services.can_manage_questionnaire(request.user),
        },
    )


@login_required
def version(request: HttpRequest, number: int) -> HttpResponse:
    """One version: its questions and weights, thresholds and cadence (old ones stay here)."""
    _profile(request, risk=False)
    found = _version_or_404(number)
    current = services.current_version()
    return render(
        request,
        "risk/version.html",
        {
            "v": found,
            "q": found.questionnaire(),
            "n_used": found.assessments.count(),
            "is_current": current is not None and current.pk == found.pk,
            "can_manage": services.can_manage_questionnaire(request.user),
        },
    )


@login_required
@requires_action("questionnaire.change")
def version_edit(request: HttpRequest, number: int) -> HttpResponse:
    """A new version from this one with edited weights, thresholds or review days (an unused
    draft is edited in place)."""
    _profile(request, risk=False)
    if not services.can_manage_questionnaire(request.user):
        raise PermissionDenied("Only supervisors and administrators change the questionnaire.")
    base = _version_or_404(number)
    form = VersionForm(base.questionnaire(), request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved, created = services.revise_version(
            base,
            form.cleaned_data["questionnaire"],
            by=request.user.get_username(),
            note=form.cleaned_data["change_note"],
            publish=form.cleaned_data["publish"],
        )
        record_access(
            request.user,
            AuditAction.CREATE if created else AuditAction.CHANGE,
            saved,
            purpose=QUESTIONNAIRE_PURPOSE,
            request=request,
            detail={"based_on": base.number, "published": saved.published},
        )
        return redirect("risk:version", number=saved.number)
    return render(
        request,
        "risk/version_form.html",
        {
            "form": form,
            "v": base,
            "will_copy": base.published or base.is_used,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@requires_action("questionnaire.change")
@require_POST
def version_publish(request: HttpRequest, number: int) -> HttpResponse:
    _profile(request, risk=False)
    if not services.can_manage_questionnaire(request.user):
        raise PermissionDenied("Only supervisors and administrators publish the questionnaire.")
    found = _version_or_404(number)
    services.publish_version(found)
    record_access(
        request.user,
        AuditAction.CHANGE,
        found,
        purpose=QUESTIONNAIRE_PURPOSE,
        request=request,
        detail={"published": True},
    )
    return redirect("risk:version", number=found.number)
