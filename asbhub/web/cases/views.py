"""PMP list, detail and edit; the powers register with table 5.36; the Case Review form.

Thin: check who is asking, call :mod:`~asbhub.records.cases.services`, render.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from asbhub.domain.cases import SaraStage, allowed_next_stages, missing_for_stage
from asbhub.domain.dates import day_problem, planning_range
from asbhub.records.cases import services
from asbhub.records.cases.models import Power
from asbhub.records.cases.plan_work import can_review
from asbhub.records.partners.access import (
    PURPOSES,
    can_open,
    profile_of,
    purpose_required,
    record_access,
    requires_action,
)
from asbhub.records.partners.models import AuditAction
from asbhub.web.cases.forms import CaseReviewForm, PmpCreateForm, PmpForm
from asbhub.web.cases.views_plan import plan_verdict
from asbhub.web.cases.withheld import shared_by, withheld_note


def _profile(request: HttpRequest):  # noqa: ANN202 - UserProfile
    profile = profile_of(request.user)
    if profile is None:
        raise PermissionDenied("Your account is not linked to an agency.")
    return profile


@login_required
def pmp_list(request: HttpRequest) -> HttpResponse:
    """Plans the user may see, filtered by LPU, stage and overdue review."""
    _profile(request)
    plans = services.visible_pmps(request.user).select_related("problem_type", "owner_agency")
    lpu, stage = request.GET.get("lpu", ""), request.GET.get("stage", "")
    # "overdue" (before today) or "due" (due or overdue: on or before today); the old
    # ?overdue=1 link still works.
    review = request.GET.get("review", "overdue" if request.GET.get("overdue") == "1" else "")
    lpus = sorted(set(plans.values_list("lpu", flat=True)))
    if lpu:
        plans = plans.filter(lpu=lpu)
    if stage in SaraStage._value2member_map_:
        plans = plans.filter(stage=stage)
    today = timezone.localdate()
    if review == "overdue":
        plans = plans.filter(next_review_due__lt=today).exclude(stage=SaraStage.CLOSED)
    elif review == "due":
        plans = plans.filter(next_review_due__lte=today).exclude(stage=SaraStage.CLOSED)
    else:
        review = ""
    rows = [(p, services.review_state(p, today)) for p in plans.order_by("next_review_due")]
    return render(
        request,
        "cases/pmp_list.html",
        {
            "rows": rows,
            "lpus": lpus,
            "stages": list(SaraStage),
            "lpu": lpu,
            "stage": stage,
            "review": review,
        },
    )


@login_required
@purpose_required(
    "cases/purpose.html",
    lambda request, pk: {"pmp": services.pmp_or_404(request.user, pk, request)},
)
def pmp_detail(request: HttpRequest, pk: int, purpose: str) -> HttpResponse:
    """One plan as the user may see it, after they say why they need it; every view audited."""
    pmp = services.pmp_or_404(request.user, pk, request)
    view = services.pmp_view(request.user, pmp)
    record_access(
        request.user,
        AuditAction.VIEW,
        pmp,
        purpose=purpose,
        request=request,
        detail=view.audit_detail(),
    )
    return render(
        request,
        "cases/pmp_detail.html",
        {
            "view": view,
            "pmp": pmp,
            # Issue #12: what is withheld is said once, at the top, not under every part.
            "withheld_note": withheld_note(view),
            "shared_by": shared_by(view),
            "withheld_incidents": sum(not i.shown for i in view.incidents),
            "purpose": purpose,
            "review": services.review_state(pmp),
            "can_edit": services.can_edit(request.user, pmp),
            "missing": missing_for_stage(pmp.stage, services.plan_content(pmp)),
            "actions": pmp.actions.select_related("owner_agency"),
            "powers": pmp.powers.all(),
            "can_review": can_review(request.user, pmp),
            "reviews": pmp.reviews.select_related("reviewer")[:5],
            # Issue #12: the evaluation read as one verdict, as on the stage page.
            "verdict": plan_verdict(pmp),
        },
    )


@login_required
@requires_action("pmp.create")
def pmp_create(request: HttpRequest) -> HttpResponse:
    """A new plan, owned by the user's agency, at Scanning."""
    profile = _profile(request)
    if not can_open(request.user, "cases:pmp-create"):  # as the links to this page ask
        raise PermissionDenied("Your role cannot open plans.")
    form = PmpCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {
            k: v for k, v in form.cleaned_data.items() if k not in ("version", "partner_agencies")
        }
        pmp = services.create_pmp(
            owner_agency=profile.agency,
            partner_agencies=list(form.cleaned_data["partner_agencies"]),
            **data,
        )
        record_access(
            request.user, AuditAction.CREATE, pmp, purpose=PURPOSES["case"], request=request
        )
        return redirect("cases:pmp-incidents", pk=pmp.pk)
    return render(request, "cases/pmp_form.html", {"form": form, "pmp": None, "errors": []})


@login_required
@requires_action("pmp.change")
def pmp_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a plan. A save based on an out-of-date version is refused (status 409) and nothing
    is overwritten."""
    pmp = services.pmp_or_404(request.user, pk, request)
    if not services.can_edit(request.user, pmp):
        raise PermissionDenied("Only the owner and partner agencies on this plan can edit it.")
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = PmpForm(request.POST, instance=services.Pmp(pk=pmp.pk), current=pmp)
    else:
        form = PmpForm(instance=pmp, initial={"version": pmp.version})
    # Victim and offender text the editor's agency is not entitled to is left out of the form
    # before it is read, so it is neither shown nor overwritten by an empty box.
    shared = services.pmp_view(request.user, pmp)
    withheld: list[tuple[str, str]] = []
    for name, decision in (
        ("victim", shared.victim_decision),
        ("offender", shared.offender_decision),
    ):
        if not decision.allowed:
            form.fields.pop(name, None)
            withheld.append((name.capitalize(), decision.reason))
    if request.method == "POST" and form.is_valid():
        version = form.cleaned_data.pop("version") or 0
        changes = {k: v for k, v in form.cleaned_data.items() if k in services.EDITABLE_FIELDS}
        try:
            services.save_pmp(pmp, version, changes, user=request.user, request=request)
            return redirect(reverse("cases:pmp-detail", args=[pmp.pk]) + "?purpose=case")
        except services.ConcurrentEditError as exc:
            errors, status = [str(exc)], 409
        except services.StageError as exc:
            errors = exc.problems
    if request.method != "POST":
        record_access(
            request.user,
            AuditAction.VIEW,
            pmp,
            purpose=PURPOSES["case"],
            request=request,
            detail={**shared.audit_detail(), "form": "edit"},
        )
    stages = [SaraStage(pmp.stage), *allowed_next_stages(pmp.stage)]
    cast(forms.ChoiceField, form.fields["stage"]).choices = [(s.value, s.label) for s in stages]
    return render(
        request,
        "cases/pmp_form.html",
        {"form": form, "pmp": pmp, "errors": errors, "withheld": withheld},
        status=status,
    )


def _date_param(request: HttpRequest, name: str, default: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return default
    # Outside the one date rule (asbhub.domain.dates), the default: no year-1 arithmetic.
    return default if day_problem(day, *planning_range(timezone.localdate())) else day


@login_required
def powers_page(request: HttpRequest) -> HttpResponse:
    """Table 5.36 for any period (default the last 12 months) and the agency's register."""
    profile = _profile(request)
    today = timezone.localdate()
    end = _date_param(request, "end", today)
    start = _date_param(request, "start", end - dt.timedelta(days=364))
    error = ""
    if end < start:
        error, start = "The start of the period must be on or before its end.", end
    table = services.table_5_36(start, end)
    powers = (
        Power.objects.filter(owner_agency=profile.agency)
        .select_related("pmp")
        .order_by("-pk")[:100]
    )
    return render(
        request,
        "cases/powers.html",
        {
            "table": table,
            "start": start,
            "end": end,
            "powers": powers,
            "error": error,
            "error_list": [error] if error else [],
        },
    )


@login_required
@requires_action("case_review.create")
def case_review_create(request: HttpRequest) -> HttpResponse:
    """Record an ASB Case Review application; the decision date follows the area's rule."""
    profile = _profile(request)
    form = CaseReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cr = services.create_case_review(owner_agency=profile.agency, **form.cleaned_data)
        record_access(
            request.user, AuditAction.CREATE, cr, purpose=PURPOSES["case_review"], request=request
        )
        return redirect("cases:case-review-detail", pk=cr.pk)
    return render(request, "cases/case_review_form.html", {"form": form})
