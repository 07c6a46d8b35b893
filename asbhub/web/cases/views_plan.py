"""A plan's working pages: linked incidents (map and query), the SARA stage pages with their
content forms, response actions, the evaluation and supervisor reviews.

Thin: check who is asking, call :mod:`~asbhub.records.cases.plan_work`,
:mod:`~asbhub.records.cases.assessment` or :mod:`~asbhub.records.cases.services`, render. Every edit
form carries the plan's version; a save from an out-of-date version gets status 409.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from asbhub.analysis.evaluation import Verdict, evaluation_verdict
from asbhub.domain.cases import SaraStage, allowed_next_stages, missing_for_stage
from asbhub.records.cases import assessment, plan_work, services
from asbhub.records.cases.models import Pmp
from asbhub.records.partners.access import PURPOSES, record_access, requires_action
from asbhub.records.partners.models import AuditAction
from asbhub.web.cases.forms import (
    STAGE_FIELDS,
    ActionForm,
    EvaluationForm,
    PickerQueryForm,
    ReviewForm,
    StageForm,
)
from asbhub.web.incidents.views import tile_layer


def _editable(request: HttpRequest, pk: int) -> Pmp:
    pmp = services.pmp_or_404(request.user, pk, request)
    if not services.can_edit(request.user, pmp):
        raise PermissionDenied(
            "Only staff of the owner and partner agencies on this plan, in a "
            "role that edits plans, can change it."
        )
    return pmp


def _query(request: HttpRequest, pmp: Pmp) -> tuple[PickerQueryForm, plan_work.PickerQuery | None]:
    first, last = plan_work.default_months(pmp)
    data = request.GET if "first" in request.GET else {"first": first, "last": last}
    form = PickerQueryForm(
        data,
        crime_types=plan_work.picker_incidents(
            request.user, pmp, plan_work.PickerQuery(first, last), limit=0
        ).crime_types,
    )
    if not form.is_valid():
        return form, None
    d = form.cleaned_data
    return form, plan_work.PickerQuery(
        d["first"], d["last"], d.get("crime_type", ""), d.get("area", "")
    )


@login_required
@requires_action("pmp.change", methods=("POST",))
def pmp_incidents(request: HttpRequest, pk: int) -> HttpResponse:
    """Link incidents picked on the map or from the query's list; unlink linked ones."""
    pmp = _editable(request, pk)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        op = request.POST.get("op")
        ids = request.POST.getlist("incident")
        try:
            if op == "unlink":
                n = plan_work.unlink_incidents(
                    request.user, pmp, ids, request.POST.get("version"), request
                )
            else:
                n = plan_work.link_incidents(
                    request.user, pmp, ids, request.POST.get("version"), request
                )
            verb = "Removed" if op == "unlink" else "Linked"
            # Back to the same search: the query's filters ride in the form's action URL.
            kept = {k: request.GET[k] for k in PickerQueryForm.base_fields if k in request.GET}
            return redirect(
                reverse("cases:pmp-incidents", args=[pmp.pk])
                + "?"
                + urlencode({**kept, "done": verb.lower(), "n": n})
            )
        except plan_work.PlanWorkError as exc:
            errors = exc.problems
        except services.ConcurrentEditError as exc:
            errors, status = [str(exc)], 409
        pmp.refresh_from_db()
    form, query = _query(request, pmp)
    result = (
        plan_work.picker_incidents(request.user, pmp, query, plan_work.LIST_LIMIT)
        if query
        else None
    )
    view = services.pmp_view(request.user, pmp)
    record_access(
        request.user,
        AuditAction.SEARCH,
        pmp,
        purpose=PURPOSES["case"],
        request=request,
        detail={
            "page": "incidents",
            "query": request.GET.dict(),
            "shown": [r["id"] for r in result.rows] if result else [],
        },
    )
    done = request.GET.get("done", "")
    return render(
        request,
        "cases/pmp_incidents.html",
        {
            "unmapped_hoods": plan_work.unmapped_neighbourhoods(query.area if query else ""),
            "pmp": pmp,
            "form": form,
            "result": result,
            "view": view,
            "errors": errors,
            "done": done if done in ("linked", "removed") else "",
            "done_n": request.GET.get("n", ""),
            "map_url": reverse("cases:pmp-incidents-geojson", args=[pmp.pk]),
            "query_string": urlencode({k: form.data.get(k, "") for k in form.fields}),
            "tiles": tile_layer(),
        },
        status=status,
    )


@login_required
def pmp_incidents_geojson(request: HttpRequest, pk: int) -> JsonResponse:
    """The map's markers: the query's incidents the user may see, as GeoJSON (WGS84)."""
    pmp = _editable(request, pk)
    form, query = _query(request, pmp)
    if query is None:
        return JsonResponse(
            {
                "errors": {k: [str(e) for e in v] for k, v in form.errors.items()},
                "expected": "first and last as YYYY-MM, first <= last",
            },
            status=400,
        )
    result = plan_work.picker_incidents(request.user, pmp, query)
    record_access(
        request.user,
        AuditAction.SEARCH,
        pmp,
        purpose=PURPOSES["case"],
        request=request,
        detail={"page": "incidents map", "query": request.GET.dict(), "matched": result.matched},
    )
    return JsonResponse(plan_work.picker_geojson(result, query))


@login_required
@requires_action("pmp.change")
def pmp_stage(request: HttpRequest, pk: int) -> HttpResponse:
    """The current stage's page: its content form, and moving on (or back) with the domain's
    list of what is missing when the plan may not move yet."""
    pmp = _editable(request, pk)
    stage = SaraStage(pmp.stage)
    shared = services.pmp_view(request.user, pmp)
    hidden = [
        n
        for n, d in (("victim", shared.victim_decision), ("offender", shared.offender_decision))
        if not d.allowed
    ]
    errors: list[str] = []
    status = 200
    initial = {f: getattr(pmp, f) for f in STAGE_FIELDS[stage]}
    if request.method == "POST":
        form = StageForm(request.POST, stage=stage)
    else:
        form = StageForm(initial={**initial, "version": pmp.version}, stage=stage)
    for name in hidden:
        # Triangle text the editor's agency is not entitled to is neither shown nor blanked.
        form.fields.pop(name, None)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k in STAGE_FIELDS[stage]}
        target = form.cleaned_data.get("move_to") or request.POST.get("move", "")
        if target:
            if target not in SaraStage._value2member_map_:
                errors = [f"'{target}' is not a stage."]
            else:
                changes["stage"] = target
        if not errors:
            try:
                services.save_pmp(
                    pmp, form.cleaned_data["version"], changes, user=request.user, request=request
                )
                return redirect("cases:pmp-stage", pk=pmp.pk)
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
            detail={**shared.audit_detail(), "form": "stage"},
        )
    agencies = plan_work.plan_agencies(pmp)
    context: dict[str, Any] = {
        "pmp": pmp,
        "stage": stage,
        "form": form,
        "errors": errors,
        "view": shared,
        "stages": list(SaraStage),
        "next_stages": _moves(stage),
        "missing": missing_for_stage(stage, services.plan_content(pmp)),
        "actions": pmp.actions.select_related("owner_agency"),
        "action_form": ActionForm(initial={"version": pmp.version}, agencies=agencies),
        "hidden": hidden,
    }
    if stage in (SaraStage.ASSESSMENT, SaraStage.CLOSED):
        context["evaluation_form"] = EvaluationForm(initial=_evaluation_initial(pmp))
        context["verdict"] = plan_verdict(pmp)
    return render(request, "cases/pmp_stage.html", context, status=status)


def _moves(stage: SaraStage) -> list[tuple[SaraStage, bool]]:
    """The stages the plan may move to, each with whether it is a step back."""
    order = list(SaraStage)
    return [(s, order.index(s) < order.index(stage)) for s in allowed_next_stages(stage)]


def plan_verdict(pmp: Pmp) -> Verdict | None:
    """The stored evaluation read as one verdict, its words derived from its numbers: the
    stage page and the plan page both show this one (issue #12)."""
    ev = pmp.evaluation or {}
    if not ev.get("counts"):
        return None
    return evaluation_verdict(
        ev.get("rate_ratio"),
        ev.get("rr_ci_low"),
        ev.get("rr_ci_high"),
        ev.get("net_effect"),
        ev.get("confidence", 0.95),
        wdq=ev.get("wdq"),
    )


def _evaluation_initial(pmp: Pmp) -> dict[str, str]:
    periods = (pmp.evaluation or {}).get("periods")
    if periods:
        return {
            "before_first": periods["before"][0],
            "before_last": periods["before"][1],
            "after_first": periods["after"][0],
            "after_last": periods["after"][1],
        }
    months = sorted(set(pmp.incident_links.values_list("incident__month", flat=True)))
    return {"before_first": months[0], "before_last": months[-1]} if months else {}


@login_required
@requires_action("pmp.change")
@require_POST
def pmp_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a response action, or mark one done (``complete`` = its id)."""
    pmp = _editable(request, pk)
    errors: list[str] = []
    status = 400
    form = ActionForm(request.POST, agencies=plan_work.plan_agencies(pmp))
    try:
        if request.POST.get("complete"):
            plan_work.complete_action(
                request.user, pmp, request.POST.get("version"), request.POST["complete"], request
            )
            return redirect("cases:pmp-stage", pk=pmp.pk)
        if form.is_valid():
            d = form.cleaned_data
            plan_work.add_action(
                request.user,
                pmp,
                d["version"],
                description=d["description"],
                owner_agency=d["owner_agency"],
                due=d["due"],
                request=request,
            )
            return redirect("cases:pmp-stage", pk=pmp.pk)
    except plan_work.PlanWorkError as exc:
        errors = exc.problems
    except services.ConcurrentEditError as exc:
        errors, status = [str(exc)], 409
    pmp.refresh_from_db()
    return render(
        request,
        "cases/pmp_stage.html",
        {
            "pmp": pmp,
            "stage": SaraStage(pmp.stage),
            "form": None,
            "errors": errors,
            "view": services.pmp_view(request.user, pmp),
            "stages": list(SaraStage),
            "next_stages": _moves(SaraStage(pmp.stage)),
            "missing": missing_for_stage(pmp.stage, services.plan_content(pmp)),
            "actions": pmp.actions.select_related("owner_agency"),
            "action_form": form,
        },
        status=status,
    )


@login_required
@requires_action("pmp.change")
@require_POST
def pmp_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    """Compute and keep the before/after evaluation of the plan's area."""
    pmp = _editable(request, pk)
    form = EvaluationForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        d = form.cleaned_data
        try:
            summary = assessment.evaluate_plan(
                pmp, (d["before_first"], d["before_last"]), (d["after_first"], d["after_last"])
            )
            record_access(
                request.user,
                AuditAction.CHANGE,
                pmp,
                purpose=PURPOSES["case"],
                request=request,
                detail={"evaluation": summary["periods"], "counts": summary["counts"]},
            )
            return redirect(reverse("cases:pmp-stage", args=[pmp.pk]) + "#evaluation")
        except assessment.AssessmentError as exc:
            errors = [str(exc)]
    return render(
        request,
        "cases/pmp_stage.html",
        {
            "pmp": pmp,
            "stage": SaraStage(pmp.stage),
            "form": None,
            "errors": errors,
            "view": services.pmp_view(request.user, pmp),
            "stages": list(SaraStage),
            "next_stages": _moves(SaraStage(pmp.stage)),
            "missing": missing_for_stage(pmp.stage, services.plan_content(pmp)),
            "actions": pmp.actions.select_related("owner_agency"),
            "evaluation_form": form,
            "action_form": None,
            "verdict": plan_verdict(pmp),
        },
        status=400,
    )


@login_required
@requires_action("pmp.review")
def pmp_review(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor records a review; the next is due on the plan's cadence."""
    pmp = services.pmp_or_404(request.user, pk, request)
    if not plan_work.can_review(request.user, pmp):
        raise PermissionDenied(
            "Only supervisors of the owner or partner agencies on this plan can record its reviews."
        )
    errors: list[str] = []
    status = 200
    form = ReviewForm(request.POST or None, initial={"version": pmp.version})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            plan_work.record_review(
                request.user,
                pmp,
                d["version"],
                notes=d["notes"],
                next_due=d.get("next_review_due"),
                request=request,
            )
            return redirect(reverse("cases:pmp-detail", args=[pmp.pk]) + "?purpose=supervision")
        except plan_work.PlanWorkError as exc:
            errors = exc.problems
        except services.ConcurrentEditError as exc:
            errors, status = [str(exc)], 409
    return render(
        request,
        "cases/pmp_review.html",
        {
            "pmp": pmp,
            "form": form,
            "errors": errors,
            "review": services.review_state(pmp),
            "reviews": pmp.reviews.select_related("reviewer")[:10],
            "today": timezone.localdate(),
        },
        status=status,
    )
