"""Linked people pages: a person (every record and why it is there), the review queue, and the
merge and split forms.

Thin: check who is asking through :mod:`asbhub.records.partners.access` (via
:mod:`~asbhub.records.people.visibility`), call :mod:`~asbhub.records.people.decisions`, render. Every
page that shows a record is audited with its purpose.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from asbhub.records.incidents.models import Person
from asbhub.records.partners.access import (
    can_open,
    get_record_or_404,
    profile_of,
    purpose_required,
    record_access,
    requires_action,
)
from asbhub.records.partners.models import AuditAction
from asbhub.records.people import decisions, visibility
from asbhub.records.people.models import CandidatePair, LinkDecision, LinkedPerson, Membership
from asbhub.records.people.services import LINKAGE_PURPOSE

PAGE_SIZE = 20


def _reviewer(request: HttpRequest) -> Any:
    profile = profile_of(request.user)
    # The same check the navigation asks (access.PAGE_CHECKS).
    if profile is None or not can_open(request.user, "people:queue"):
        raise PermissionDenied(
            "The review queue is for analysts and supervisors of the agency that owns the records."
        )
    return profile


def _linked_or_404(request: HttpRequest, pk: int) -> LinkedPerson:
    return get_record_or_404(request.user, LinkedPerson.objects.all(), pk, request)


@login_required
@purpose_required(
    "people/purpose.html", lambda request, pk: {"linked": _linked_or_404(request, pk)}
)
def person_detail(request: HttpRequest, pk: int, purpose: str) -> HttpResponse:
    """One linked person: each record the user may see, its incident, its match weight and the
    per-comparison explanation. Asks for a purpose first; every view is audited."""
    linked = _linked_or_404(request, pk)
    owners = visibility.Owners()
    members = visibility.member_views(request.user, linked, owners)
    record_access(
        request.user,
        AuditAction.VIEW,
        linked,
        purpose=purpose,
        request=request,
        detail={
            "records_shown": [m.person.pk for m in members if m.person.shown],
            "records_withheld": [m.person.pk for m in members if not m.person.shown],
        },
    )
    label = next((m.person for m in reversed(members) if m.person.shown and m.person.name), None)
    can_decide = (
        bool(visibility.may_decide(request.user, [m.membership.person for m in members], owners))
        if members
        else False
    )
    return render(
        request,
        "people/person_detail.html",
        {
            "linked": linked,
            "members": members,
            "label": label,
            "purpose": purpose,
            "can_decide": can_decide,
            "history": _history(linked.pk),
        },
    )


def _history(cluster_id: int, limit: int = 20) -> list[LinkDecision]:
    """Recent decisions naming this linked person (cluster ids are JSON lists, which SQLite
    cannot search inside, so the recent ones are filtered here)."""
    recent = LinkDecision.objects.order_by("-decided_at", "-pk")[:500]
    return [d for d in recent if cluster_id in (*d.before_clusters, *d.after_clusters)][:limit]


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    """Open pairs, strongest first, side by side with their differences and the weights."""
    _reviewer(request)
    pairs = visibility.pair_views(request.user, visibility.open_pairs())
    page = Paginator(pairs, PAGE_SIZE).get_page(request.GET.get("page"))
    record_access(
        request.user,
        AuditAction.VIEW,
        ("people.candidatepair", "queue"),
        purpose=LINKAGE_PURPOSE,
        request=request,
        detail={"pairs": [p.pair.pk for p in page.object_list], "page": page.number},
    )
    return render(
        request,
        "people/queue.html",
        {"page": page, "total": len(pairs), "errors": {}, "done": request.GET.get("done")},
    )


@login_required
@requires_action("linkage.decide")
@require_POST
def decide_pair(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm or reject one pair (POST, CSRF-protected)."""
    _reviewer(request)
    # A pair the user may not decide and a missing pair look the same (404), so ids can't be
    # probed; the decision itself checks again inside its transaction.
    pair = CandidatePair.objects.filter(pk=pk).first()
    people = (
        list(
            Person.objects.select_related("incident__source").filter(
                pk__in=[pair.person_a_id, pair.person_b_id]
            )
        )
        if pair
        else []
    )
    if pair is None or not visibility.may_decide(request.user, people):
        raise Http404("No such pair is waiting for your review.")
    action = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    try:
        if action not in ("confirm", "reject"):
            raise decisions.DecisionError(
                "Choose whether the two records are the same person "
                "(confirm) or different people (reject)."
            )
        decisions.decide_pair(request.user, pk, action == "confirm", reason, request=request)
    except decisions.DecisionError as exc:
        pairs = visibility.pair_views(request.user, visibility.open_pairs())
        page = Paginator(pairs, PAGE_SIZE).get_page(request.POST.get("page"))
        return render(
            request,
            "people/queue.html",
            {"page": page, "total": len(pairs), "errors": {pk: str(exc)}, "reason": reason},
            status=400,
        )
    return redirect(reverse("people:queue") + f"?done={action}")


@login_required
@requires_action("linkage.decide")
def merge_form(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another linked person into this one."""
    linked = _linked_or_404(request, pk)
    people = [
        m.person
        for m in Membership.objects.select_related("person__incident__source").filter(
            linked_person=linked
        )
    ]
    allowed = visibility.may_decide(request.user, people)
    if not allowed:
        raise PermissionDenied(allowed.reason)
    errors: dict[str, str] = {}
    other = request.POST.get("other", "").strip()
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        if not other.isdigit():
            errors["other"] = "Enter the number of the other linked person, for example 1234."
        else:
            try:
                decisions.merge(request.user, linked.pk, int(other), reason, request=request)
                return redirect(reverse("people:person", args=[linked.pk]))
            except decisions.DecisionError as exc:
                errors["reason" if "reason" in str(exc).lower() else "other"] = str(exc)
    else:
        record_access(
            request.user,
            AuditAction.VIEW,
            linked,
            purpose=LINKAGE_PURPOSE,
            request=request,
            detail={"form": "merge"},
        )
    return render(
        request,
        "people/merge.html",
        {"linked": linked, "errors": errors, "other": other, "reason": reason},
        status=400 if errors else 200,
    )


@login_required
@requires_action("linkage.decide")
def split_form(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    """Take one record out of this linked person into a person of its own."""
    linked = _linked_or_404(request, pk)
    membership = (
        Membership.objects.select_related("person__incident__source")
        .filter(linked_person=linked, person_id=person_pk)
        .first()
    )
    if membership is None:
        # The same answer as for a record of someone else's: nothing to learn by guessing ids.
        record_access(
            request.user,
            AuditAction.DENIED,
            (Person._meta.label_lower, person_pk),
            request=request,
            detail={"reason": "not a member of this person"},
        )
        raise Http404("There is no record with that number that you can see.")
    allowed = visibility.may_decide(request.user, [membership.person])
    if not allowed:
        raise PermissionDenied(allowed.reason)
    errors: dict[str, str] = {}
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        try:
            decision = decisions.split(request.user, person_pk, reason, request=request)
            return redirect(reverse("people:person", args=[decision.after_clusters[-1]]))
        except decisions.DecisionError as exc:
            errors["reason"] = str(exc)
    else:
        record_access(
            request.user,
            AuditAction.VIEW,
            membership.person,
            purpose=LINKAGE_PURPOSE,
            request=request,
            detail={"form": "split", "linked_person": linked.pk},
        )
    return render(
        request,
        "people/split.html",
        {"linked": linked, "membership": membership, "errors": errors, "reason": reason},
        status=400 if errors else 200,
    )
