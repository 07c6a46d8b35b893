"""Rate limits against floods: public forms and sign-in per address, API detail reads per token.

Issue #10 class 7: one address sent thousands of public reports and questions a minute, and
sprayed one password over many accounts. Each limited action allows ``limit`` requests per
key (an address, or an API token) in a window of ``window`` seconds that starts at the key's
first request; the next one is refused with 429 and a ``Retry-After`` saying when the window
ends. The first refusal in a window is written to the audit log (``rate_limited``); later
ones are not, so a flood cannot flood the audit log too.

Where the counts live
---------------------
In the database (:class:`~asbhub.records.partners.models.RateLimitCount`, one row per key), not
in per-process memory, so a limit holds across waitress's threads *and* across several server
processes on one database. Not Django's cache framework with its database cache: that needs a
``createcachetable`` step outside the migrations, and its ``incr`` is a read then a write, so
two processes can both count 10 and let 12 through. Here each request is one atomic
``UPDATE ... SET count = count + 1`` inside a transaction, on SQLite and PostgreSQL alike.
Rows whose window ended are deleted whenever a new window starts, so the table holds about
one row per address active in the last window.

Settings
--------
``ASBHUB_RATE_LIMITS``: a dict of ``{action: (limit, window_seconds)}`` overriding
:data:`DEFAULTS` action by action (``{"public_form": (50, 600)}`` changes only public forms).
A limit of 0 turns that action's limit off. The address is ``REMOTE_ADDR`` only
(:func:`~asbhub.records.partners.access.client_ip`); behind a proxy, have the server set it.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from asbhub.records.partners.access import client_ip, record_access
from asbhub.records.partners.models import AuditAction, RateLimitCount

#: Limited actions: (requests allowed, window in seconds). Public forms: a resident sends one
#: report or question, perhaps correcting it a few times. Sign-in: counts only attempts that
#: fail (a success gives its count back), so a station of officers behind one address signing
#: in at shift change is not refused. API detail reads: each returns one record's personal data;
#: a script reading hundreds in minutes is a bulk copy, which the list endpoints (no personal
#: data) and an export under an agreement are for.
DEFAULTS: dict[str, tuple[int, int]] = {
    "public_form": (10, 10 * 60),
    "sign_in": (20, 10 * 60),
    "api_detail": (300, 10 * 60),
    # Issue #12 item 4: the public place search (its JSON and the report form's search
    # without JavaScript) reads the store on every request; a resident searches a few times.
    "public_search": (60, 10 * 60),
}

#: How often a lost insert race is retried before the request is simply counted as allowed.
_TRIES = 3


def now() -> dt.datetime:
    """The clock (a function, so tests can set it)."""
    return timezone.now()


def limit_for(action: str) -> tuple[int, int]:
    """``(limit, window_seconds)`` for ``action``, from ``ASBHUB_RATE_LIMITS`` or :data:`DEFAULTS`.

    Raises
    ------
    KeyError
        ``action`` is neither in the setting nor in :data:`DEFAULTS`.
    """
    configured = getattr(settings, "ASBHUB_RATE_LIMITS", None) or {}
    if action not in configured and action not in DEFAULTS:
        raise KeyError(
            f"no rate limit named {action!r}; expected one of "
            f"{', '.join(sorted(DEFAULTS))} (asbhub.web.ratelimit.DEFAULTS)"
        )
    limit, window = configured[action] if action in configured else DEFAULTS[action]
    return int(limit), max(1, int(window))


@dataclass(frozen=True)
class Decision:
    """One request's place in its key's window."""

    allowed: bool
    count: int  # this request's number in the window, from 1
    limit: int
    window_seconds: int
    resets_at: dt.datetime  # when the window ends and requests are allowed again
    retry_after: int  # whole seconds from now until then, at least 1

    @property
    def first_refusal(self) -> bool:
        """The first request refused in this window: the one to audit."""
        return self.count == self.limit + 1


def _longest_window() -> int:
    configured = getattr(settings, "ASBHUB_RATE_LIMITS", None) or {}
    return max(limit_for(action)[1] for action in {*DEFAULTS, *configured})


def _key(action: str, who: str) -> str:
    return f"{action}|{who}"[:200]


def hit(action: str, who: str, *, scope: str = "", at: dt.datetime | None = None) -> Decision:
    """Count one request of ``action`` by ``who`` (an address or token prefix) and decide.

    Parameters
    ----------
    action : str
        A key of :data:`DEFAULTS` (or of the setting).
    who : str
        The address or token the limit is per.
    scope : str, optional
        Counted apart from the action's other scopes (each public form has its own count
        under the one ``public_form`` limit); default the action itself.
    at : datetime, optional
        The time of the request (default :func:`now`).

    Examples
    --------
    >>> d = hit("public_form", "192.0.2.1")        # doctest: +SKIP
    >>> d.allowed, d.count                          # doctest: +SKIP
    (True, 1)
    """
    at = at or now()
    limit, window = limit_for(action)
    span = dt.timedelta(seconds=window)
    if limit <= 0:  # turned off: nothing to count
        return Decision(True, 0, limit, window, at, 1)
    key = _key(scope or action, who)
    row = None
    for _ in range(_TRIES):
        with transaction.atomic():
            # Within the window: count on. The UPDATE takes the row's write lock, so the read
            # after it sees this request's count and no other request's in between.
            if RateLimitCount.objects.filter(key=key, started__gt=at - span).update(
                count=F("count") + 1
            ):
                row = RateLimitCount.objects.get(key=key)
                break
            # The window ended: start a new one at this request.
            if RateLimitCount.objects.filter(key=key, started__lte=at - span).update(
                started=at, count=1
            ):
                row = RateLimitCount.objects.get(key=key)
                break
        # No row: a new key. Prune rows whose window has ended whatever their action, so the
        # table stays about one row per key active in the last window.
        RateLimitCount.objects.filter(
            started__lte=at - dt.timedelta(seconds=_longest_window())
        ).delete()
        try:
            with transaction.atomic():
                row = RateLimitCount.objects.create(key=key, started=at, count=1)
            break
        except IntegrityError:
            continue  # another request made the row first: count on it
    if row is None:  # pragma: no cover - three lost races in a row
        return Decision(True, 0, limit, window, at + span, window)
    resets_at = row.started + span
    retry = max(1, math.ceil((resets_at - at).total_seconds()))
    allowed = row.count <= limit
    return Decision(allowed, row.count, limit, window, resets_at, retry)


def give_back(action: str, who: str, *, scope: str = "") -> None:
    """Take one request off ``who``'s count (a sign-in that succeeded does not count)."""
    RateLimitCount.objects.filter(key=_key(scope or action, who), count__gt=0).update(
        count=F("count") - 1
    )


def audit_refusal(
    decision: Decision,
    action: str,
    who: str,
    request: HttpRequest | None,
    user: Any = None,
    **detail: Any,
) -> None:
    """Write the ``rate_limited`` audit entry, for the first refusal in a window only."""
    if decision.first_refusal:
        record_access(
            user,
            AuditAction.RATE_LIMITED,
            ("ratelimit", action),
            request=request,
            detail={
                "action": action,
                "key": who,
                "limit": decision.limit,
                "window_seconds": decision.window_seconds,
                "until": decision.resets_at.isoformat(),
                **detail,
            },
        )


def too_many_response(request: HttpRequest, decision: Decision, what: str) -> HttpResponse:
    """The 429 page: what was refused and when to try again, with ``Retry-After``."""
    local = timezone.localtime(decision.resets_at)
    minutes = max(1, math.ceil(decision.retry_after / 60))
    response = render(
        request,
        "429.html",
        {
            "what": what,
            "limit": decision.limit,
            "window_minutes": max(1, decision.window_seconds // 60),
            "until": local,
            "minutes": minutes,
        },
        status=429,
    )
    response["Retry-After"] = str(decision.retry_after)
    return response


def limit_posts(
    action: str, what: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a public form's view: POSTs beyond the limit per address are answered 429.

    ``what`` names the form in the refusal page ("reports", "questions"). GETs are not counted.
    Each form (each view decorated) has its own count, under the one limit of ``action``.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                who = client_ip(request)
                decision = hit(action, who, scope=f"{action}:{view.__name__}")
                if not decision.allowed:
                    audit_refusal(decision, action, who, request, form=view.__name__)
                    return too_many_response(request, decision, what)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def limit_public_search(request: HttpRequest) -> HttpResponse | None:
    """Count one public place search by the request's address under ``public_search``.

    None when it is allowed; else the 429 answer to send (JSON for the JSON endpoint, the
    refusal page otherwise), with ``Retry-After``. The first refusal in a window is audited.
    """
    from django.http import JsonResponse

    who = client_ip(request)
    decision = hit("public_search", who)
    if decision.allowed:
        return None
    audit_refusal(decision, "public_search", who, request, path=request.path)
    if request.path.endswith("/places/"):
        minutes = max(1, math.ceil(decision.retry_after / 60))
        response: HttpResponse = JsonResponse(
            {
                "error": f"Too many place searches from your address: at most "
                f"{decision.limit} in {max(1, decision.window_seconds // 60)} minutes. "
                f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                "places": [],
            },
            status=429,
        )
        response["Retry-After"] = str(decision.retry_after)
        return response
    return too_many_response(request, decision, "place searches")
