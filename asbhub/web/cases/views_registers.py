"""The powers register entry pages, ASB Case Reviews (list, detail, decision, meeting,
actions, threshold rules) and the public Case Review application form.

Thin: check who is asking, call :mod:`~asbhub.records.cases.powers` or
:mod:`~asbhub.records.cases.case_reviews`, render. Edit forms carry the record's version; a save
from an out-of-date version gets status 409 and writes nothing.
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

from asbhub.records.cases import case_reviews as reviews
from asbhub.records.cases import powers as register
from asbhub.records.cases import services
from asbhub.records.cases.models import CaseReviewDecision, ThresholdRule
from asbhub.records.incidents.selectors import area_hierarchy
from asbhub.records.partners.access import (
    PURPOSES,
    DataCategory,
    can_see,
    record_access,
    requires_action,
)
from asbhub.records.partners.models import AuditAction
from asbhub.web.cases.forms_case_reviews import (
    CaseReviewActionForm,
    ComplaintForm,
    DecisionForm,
    MeetingForm,
    PublicCaseReviewForm,
    ThresholdRuleForm,
)
from asbhub.web.cases.forms_powers import PowerEventForm, PowerForm
from asbhub.web.incidents.places import find_places, lpu_for_place
from asbhub.web.ratelimit import limit_posts

# --------------------------------------------------------------------------------------------
# Powers
# --------------------------------------------------------------------------------------------


def _power_values(form: PowerForm, user: Any) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    data["person"] = register.check_person(user, data.get("person"))
    data["premises"] = (data.get("premises") or "").strip()
    data["notes"] = (data.get("notes") or "").strip()
    return data


def _form_errors(form: Any, exc: register.PowerError) -> None:
    for name, messages in exc.errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


@login_required
@requires_action("power.record")
def power_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Record a use of a power for your agency, or change one (``pk``)."""
    power = register.power_or_404(request.user, pk, request) if pk is not None else None
    if not register.can_edit_power(request.user, power):
        raise PermissionDenied("Your role cannot record or change powers.")
    plans = services.visible_pmps(request.user).order_by("reference")
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = PowerForm(request.POST, plans=plans)
    elif power is not None:
        form = PowerForm(
            plans=plans,
            initial={
                **{
                    k: getattr(power, k)
                    for k in register.POWER_FIELDS
                    if k not in ("person", "pmp")
                },
                "person": power.person_id,
                "pmp": power.pmp_id,
                "version": power.version,
            },
        )
    else:
        form = PowerForm(plans=plans)
    if request.method == "POST" and form.is_valid():
        try:
            values = _power_values(form, request.user)
            if power is None:
                power = register.create_power(request.user, values, request)
            else:
                register.update_power(
                    request.user, power, form.cleaned_data.get("version"), values, request
                )
            return redirect("cases:power-detail", pk=power.pk)
        except register.PowerError as exc:
            _form_errors(form, exc)
        except services.ConcurrentEditError as exc:
            errors, status = [str(exc)], 409
    return render(
        request,
        "cases/power_form.html",
        {"form": form, "power": power, "errors": errors},
        status=status,
    )


@login_required
@requires_action("power.record", methods=("POST",))
def power_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One power, the person shown or withheld, its events, and the form to add one."""
    power = register.power_or_404(request.user, pk, request)
    status = 200
    errors: list[str] = []
    form = PowerEventForm(request.POST or None, initial={"version": power.version})
    if request.method == "POST":
        if not register.can_edit_power(request.user, power):
            raise PermissionDenied("Your role cannot record events of powers.")
        if form.is_valid():
            try:
                register.add_event(
                    request.user, power, form.cleaned_data["version"], form.cleaned_data, request
                )
                return redirect("cases:power-detail", pk=power.pk)
            except register.PowerError as exc:
                _form_errors(form, exc)
            except services.ConcurrentEditError as exc:
                errors, status = [str(exc)], 409
    person = register.person_view(request.user, power.person)
    # The notes of a power and its events may name its subject: perpetrators' details, shown
    # with that access to the power's owner's records (as the API does).
    notes = can_see(request.user, DataCategory.PERPETRATOR_PERSONAL, power.owner_agency)
    record_access(
        request.user,
        AuditAction.VIEW,
        power,
        purpose=PURPOSES["powers"],
        request=request,
        detail={
            "person": "shown" if person and person.shown else ("withheld" if person else "none"),
            "notes": "shown" if notes.allowed else "withheld",
        },
    )
    return render(
        request,
        "cases/power_detail.html",
        {
            "power": power,
            "person": person,
            "events": power.events.all(),
            "form": form,
            "notes": notes,
            "errors": errors,
            "can_edit": register.can_edit_power(request.user, power),
        },
        status=status,
    )


# --------------------------------------------------------------------------------------------
# Case Reviews (staff)
# --------------------------------------------------------------------------------------------


@login_required
def case_review_list(request: HttpRequest) -> HttpResponse:
    """Applications the user may see, with the decision's state; filter by state."""
    today = timezone.localdate()
    rows = [
        (cr, reviews.decision_state(cr, today))
        for cr in reviews.visible_case_reviews(request.user)
        .select_related("owner_agency")
        .order_by("decision_due", "pk")
    ]
    state = request.GET.get("state", "")
    if state in ("overdue", "pending"):
        rows = [(cr, s) for cr, s in rows if s == state]
    elif state in ("met", "not_met"):
        rows = [(cr, s) for cr, s in rows if cr.decision == state]
    else:
        state = ""
    return render(
        request,
        "cases/case_review_list.html",
        {
            "rows": rows,
            "state": state,
            "today": today,
            "can_edit_rules": reviews.can_edit_rules(request.user),
        },
    )


def _case_review_context(request: HttpRequest, cr: Any, **forms: Any) -> dict[str, Any]:
    view = reviews.case_review_view(request.user, cr)
    manage = reviews.can_manage(request.user, cr)
    v = {"version": cr.version}
    return {
        "cr": cr,
        "view": view,
        "state": reviews.decision_state(cr),
        "can_manage": manage,
        "actions": cr.actions.select_related("owner_agency"),
        "attendees": cr.attendees.all(),
        "complaint_form": forms.get("complaint_form") or ComplaintForm(initial=v),
        "decision_form": forms.get("decision_form") or DecisionForm(initial=v),
        "meeting_form": forms.get("meeting_form")
        or MeetingForm(
            initial={
                **v,
                "meeting_on": cr.meeting_on,
                "recommendations": cr.recommendations,
                "attendees": [a.pk for a in cr.attendees.all()],
            }
        ),
        "action_form": forms.get("action_form") or CaseReviewActionForm(initial=v),
        "errors": forms.get("errors", []),
        "MET": CaseReviewDecision.MET,
    }


@login_required
def case_review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cr = reviews.case_review_or_404(request.user, pk, request)
    context = _case_review_context(request, cr)
    record_access(
        request.user,
        AuditAction.VIEW,
        cr,
        purpose=reviews.PURPOSE,
        request=request,
        detail=context["view"].audit_detail(),
    )
    return render(request, "cases/case_review_detail.html", context)


FORMS = {
    "complaint": ComplaintForm,
    "decision": DecisionForm,
    "meeting": MeetingForm,
    "action": CaseReviewActionForm,
}


@login_required
@requires_action("case_review.change")
@require_POST
def case_review_change(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """Add a complaint, decide, record the meeting, add or complete an action."""
    cr = reviews.case_review_or_404(request.user, pk, request)
    if not reviews.can_manage(request.user, cr):
        raise PermissionDenied("Only staff of the agency that owns this application can change it.")
    if what not in FORMS:
        raise Http404("No such change.")
    form = FORMS[what](request.POST)
    errors: list[str] = []
    status = 400
    try:
        if what == "action" and request.POST.get("complete"):
            reviews.complete_action(
                request.user, cr, request.POST.get("version"), request.POST["complete"], request
            )
            return redirect("cases:case-review-detail", pk=cr.pk)
        if form.is_valid():
            d = dict(form.cleaned_data)
            version = d.pop("version")
            if what == "complaint":
                reviews.add_complaint(request.user, cr, version, request=request, **d)
            elif what == "decision":
                reviews.decide(
                    request.user,
                    cr,
                    version,
                    decision=d["decision"],
                    notes=d["notes"],
                    request=request,
                )
            elif what == "meeting":
                reviews.record_meeting(
                    request.user,
                    cr,
                    version,
                    meeting_on=d["meeting_on"],
                    attendees=list(d["attendees"]),
                    recommendations=d["recommendations"],
                    request=request,
                )
            else:
                reviews.add_action(
                    request.user,
                    cr,
                    version,
                    description=d["description"],
                    owner_agency=d["owner_agency"],
                    due=d["due"],
                    request=request,
                )
            return redirect("cases:case-review-detail", pk=cr.pk)
    except reviews.CaseReviewError as exc:
        errors = exc.problems
    except services.ConcurrentEditError as exc:
        errors, status = [str(exc)], 409
    cr.refresh_from_db()
    context = _case_review_context(request, cr, **{f"{what}_form": form, "errors": errors})
    return render(request, "cases/case_review_detail.html", context, status=status)


@login_required
@requires_action("threshold_rule.change", methods=("POST",))
def threshold_rules(request: HttpRequest) -> HttpResponse:
    """Each area's Case Review threshold; administrators and supervisors change them."""
    allowed = reviews.can_edit_rules(request.user)
    if request.method == "POST" and not allowed:
        raise PermissionDenied("Only administrators and supervisors can change threshold rules.")
    area = request.GET.get("area")
    instance = ThresholdRule.objects.filter(area=area).first() if area is not None else None
    form = ThresholdRuleForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        reviews.save_rule(request.user, form.cleaned_data, request)
        return redirect("cases:threshold-rules")
    rules_ = [
        (r, services.domain_rule(r).describe()) for r in ThresholdRule.objects.order_by("area")
    ]
    return render(
        request,
        "cases/threshold_rules.html",
        {"form": form, "rules": rules_, "allowed": allowed, "lpus": area_hierarchy().lpus},
    )


# --------------------------------------------------------------------------------------------
# The public application form (no sign-in)
# --------------------------------------------------------------------------------------------


@limit_posts("public_form", "Case Review applications")  # issue #10: floods
def public_apply(request: HttpRequest) -> HttpResponse:
    """A resident applies for an ASB Case Review; the details are stored and audited, and
    only the reference is shown back."""
    form = PublicCaseReviewForm(
        request.POST or None,
        locate_area=lpu_for_place,
        initial={"place": request.GET.get("where", "")[:300]},
    )
    query = " ".join(request.GET.get("place", "").split())[:100]  # the optional place search
    if request.method == "POST" and form.is_valid():
        try:
            cr = reviews.create_public_application(form.cleaned_data, request)
        except reviews.CaseReviewError as exc:
            form.add_error(None, " ".join(exc.problems))
        else:
            return redirect(
                reverse("cases:public-apply-done", args=[cr.reference])
                + f"?days={reviews.rule_for_area(cr.area).decision_working_days}"
            )
    return render(
        request,
        "cases/public_apply.html",
        {"form": form, "place_query": query, "places": find_places(query) if query else []},
    )


def public_apply_done(request: HttpRequest, reference: str) -> HttpResponse:
    """The confirmation: the reference only, nothing read back from the store."""
    import re

    if not re.fullmatch(r"ACR-\d{4}-\d{4,}", reference):
        raise Http404("No such reference")
    days = request.GET.get("days", "")
    return render(
        request,
        "cases/public_apply_done.html",
        {"reference": reference, "days": int(days) if days.isdigit() and int(days) < 100 else 10},
    )
