"""Sign-in and sign-out, the usage table, the audit log review, and a shared incident record.

Thin: check who is asking, call :mod:`~asbhub.records.partners.access`,
:mod:`~asbhub.records.partners.usage` or the queries in :mod:`~asbhub.web.partners.review`, render.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from asbhub.records.partners.access import (
    PURPOSES,
    can_open,
    get_record_or_404,
    profile_of,
    purpose_required,
    record_access,
    shared_incident,
)
from asbhub.records.partners.models import AuditAction, Role, UserProfile
from asbhub.records.partners.usage import usage_by_area
from asbhub.web import ratelimit
from asbhub.web.csvsafe import safe_writer
from asbhub.web.partners import review
from asbhub.web.partners.auth import SignInForm, count_sign_in, max_failures, window

#: Roles that review the audit log and see the usage table.
REVIEWERS = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})


class SignInView(auth_views.LoginView):
    """The sign-in page: Django's LoginView with the throttled form and our template."""

    template_name = "partners/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Issue #10 (floods): the per-address limit, before the form checks anything.
        decision = count_sign_in(request)
        if decision is not None and not decision.allowed:
            return ratelimit.too_many_response(request, decision, "failed sign-in attempts")
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "max_failures": max_failures(),
            "lockout_minutes": max(1, int(window().total_seconds() // 60)),
            "session_hours": f"{settings.SESSION_COOKIE_AGE / 3600:g}",
        }


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only, so a link on another site cannot sign anyone out)."""

    next_page = "partners:sign-in"


def _reviewer(request: HttpRequest) -> UserProfile:
    profile = profile_of(request.user)
    # The same check the navigation asks (access.PAGE_CHECKS), so the link shows only to them.
    if profile is None or not can_open(request.user, "partners:usage"):
        raise PermissionDenied("Only supervisors and administrators can see this page.")
    return profile


@login_required
def usage_page(request: HttpRequest) -> HttpResponse:
    """Table 5.30: by agency and area, the share of users who signed in within 12 months.

    ``?format=csv`` downloads the table.
    """
    _reviewer(request)
    table = usage_by_area()
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="asbhub-usage-by-area.csv"'
        out = safe_writer(response)
        out.writerow(
            ["Agency", "Area", "Users with access", "Signed in within 12 months", "Percentage"]
        )
        for r in table.rows:
            out.writerow(
                [
                    r.agency,
                    r.area,
                    r.users,
                    r.logged_in,
                    "" if r.percent is None else round(r.percent),
                ]
            )
        return response
    return render(request, "partners/usage.html", {"table": table})


@login_required
def audit_log_page(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, filtered; supervisors see their own agency's users."""
    profile = _reviewer(request)
    form = review.AuditFilterForm(request.GET or None)
    entries = review.entries_for(profile, form)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    # Read the page now: the review's own entry, written next, belongs on the next look.
    page.object_list = list(page.object_list)
    record_access(
        request.user,
        AuditAction.SEARCH,
        ("partners.auditentry", ""),
        purpose=PURPOSES["supervision"],
        request=request,
        detail={"filters": review.filters_used(form), "page": page.number},
    )
    return render(
        request,
        "partners/audit_log.html",
        {
            "form": form,
            "page": page,
            "scope": review.scope_label(profile),
            "query": review.query_without_page(request),
        },
    )


def _incident_or_404(request: HttpRequest, pk: int) -> Any:
    from asbhub.records.incidents.models import Incident

    return get_record_or_404(
        request.user, Incident.objects.select_related("source"), pk, request=request
    )


@login_required
@purpose_required(
    "partners/purpose.html",
    lambda request, pk: {"incident": _incident_or_404(request, pk)},
)
def incident_record(request: HttpRequest, pk: int, purpose: str) -> HttpResponse:
    """One incident as the signed-in user may see it, after they say why they need it.

    A record the user may not see at all is a 404, whether or not it exists.
    """
    incident = _incident_or_404(request, pk)
    shared = shared_incident(request.user, incident)
    record_access(
        request.user,
        AuditAction.VIEW,
        incident,
        purpose=purpose,
        request=request,
        detail=shared.audit_detail(),
    )
    return render(
        request,
        "partners/incident.html",
        {
            "shared": shared,
            "incident": incident,
            "purpose": purpose,
        },
    )
