"""The signed-in user's API tokens: list, create (the secret shown once), revoke.

Thin: check who is asking, call :mod:`asbhub.records.tokens.services`, render. POSTs only change
anything, and Django's CSRF middleware protects them.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from asbhub.records.partners.access import requires_action
from asbhub.records.tokens import services as tokens
from asbhub.records.tokens.models import ApiToken

DAY_CHOICES = (7, 30, 90, 180, 365)


class SignedInRequest(HttpRequest):
    """A request past ``login_required``: its user is a signed-in User (a type, never built)."""

    user: User


@login_required
@requires_action("account.own")
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    """List the user's tokens; a POST creates one and shows its secret this once."""
    errors: dict[str, str] = {}
    created = None
    name, days = "", str(tokens.DEFAULT_DAYS)
    status = 200
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        days = request.POST.get("days", "")
        if not name:
            errors["name"] = "Enter what the token is for, for example 'GIS import'."
        elif len(name) > 100:
            errors["name"] = "The name must be 100 characters or fewer."
        if not days.isdigit() or int(days) not in DAY_CHOICES:
            errors["days"] = "Choose how long the token lasts."
        if errors:
            status = 400
        else:
            created = tokens.create_token(request.user, name, int(days), request=request)
            name, days = "", str(tokens.DEFAULT_DAYS)
            status = 201
    now = timezone.now()
    rows = [(t, t.status(now)) for t in tokens.tokens_of(request.user)]
    return render(
        request,
        "api/tokens.html",
        {
            "rows": rows,
            "created": created,
            "errors": errors,
            "name": name,
            "days": days,
            "day_choices": DAY_CHOICES,
        },
        status=status,
    )


@login_required
@requires_action("account.own")
@require_POST
def revoke(request: SignedInRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens (another user's token is a 404)."""
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404("You have no token with that number.")
    tokens.revoke_token(token, by=request.user, request=request)
    return redirect("api-tokens:list")
