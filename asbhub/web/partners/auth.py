"""Sign-in throttling, and the audit entries for signing in and out.

Throttling is asbhub's own rather than django-axes: axes needs its app, middleware and a
``request`` on every ``authenticate()`` call (so Django's test client ``login()`` breaks), and
it keeps its own login log beside ours. This one is a backend and two signal handlers:

- :class:`ThrottledModelBackend` refuses to check a password once a username, from one
  address, has failed :func:`max_failures` times within :func:`window` (default 5 in 15
  minutes). Being a backend, it guards every sign-in path: our page, the admin's, the API's.
- Each failure is a :class:`~asbhub.records.partners.models.LoginFailure` row in the database, so
  the count holds across worker processes; rows older than the window are pruned as we go.
- A successful sign-in clears that username and address's failures.

Keyed by username *and* address so that a stranger cannot lock a colleague out from elsewhere;
the cost is that an attacker spread over many addresses gets 5 tries from each.

Issue #10 (floods): one address spraying one password over many accounts never trips the
per-account lock, so sign-in is also limited per *address* (:mod:`asbhub.web.ratelimit`,
action ``sign_in``, default 20 failed attempts per 10 minutes; a success gives its count back).
The sign-in page answers 429 beyond it; the backend refuses beyond it on every other path (the
admin's sign-in). Every failed sign-in is an audit entry (``login_failed``: the account tried,
the address, the reason; never the password), up to the limit; the first refusal beyond it is
one ``rate_limited`` entry, so a flood cannot flood the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

from asbhub.records.partners.access import client_ip, record_access
from asbhub.records.partners.models import AuditAction, LoginFailure
from asbhub.web import ratelimit


def max_failures() -> int:
    """Failed sign-ins allowed within :func:`window` (setting ``ASBHUB_LOGIN_MAX_FAILURES``)."""
    return int(getattr(settings, "ASBHUB_LOGIN_MAX_FAILURES", 5))


def window() -> dt.timedelta:
    """How long failures count, and so how long a lock-out lasts
    (setting ``ASBHUB_LOGIN_WINDOW_SECONDS``)."""
    return dt.timedelta(seconds=int(getattr(settings, "ASBHUB_LOGIN_WINDOW_SECONDS", 15 * 60)))


def _key(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


def is_locked(username: str | None, ip: str) -> bool:
    """Whether sign-in as ``username`` from ``ip`` is refused for now."""
    since = timezone.now() - window()
    recent = LoginFailure.objects.filter(username=_key(username), ip=ip, at__gte=since)
    return recent.count() >= max_failures()


def record_failure(username: str | None, ip: str) -> bool:
    """Count one failed sign-in; return True if it has just locked the username and address."""
    now = timezone.now()
    LoginFailure.objects.filter(at__lt=now - window()).delete()
    LoginFailure.objects.create(username=_key(username), ip=ip, at=now)
    return is_locked(username, ip)


def clear_failures(username: str | None, ip: str) -> None:
    """Forget the failures of ``username`` from ``ip`` (after a successful sign-in), and any
    that have aged out: a mistyped username can be a password typed into the wrong box."""
    LoginFailure.objects.filter(username=_key(username), ip=ip).delete()
    LoginFailure.objects.filter(at__lt=timezone.now() - window()).delete()


def _username_from(credentials: dict[str, Any]) -> str:
    from django.contrib.auth import get_user_model

    field = get_user_model().USERNAME_FIELD
    return str(credentials.get(field) or credentials.get("username") or "")


class ThrottledModelBackend(ModelBackend):
    """Django's model backend, refusing to check passwords for a locked username and address.

    Raising PermissionDenied (rather than returning None) makes ``authenticate()`` stop at once
    instead of trying the next backend.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(self._username_field())
        if username is not None and request is not None:
            decision = count_sign_in(request)
            if decision is not None and not decision.allowed:
                raise PermissionDenied("too many sign-in attempts from this address")
        if username is not None and is_locked(username, client_ip(request)):
            if request is not None:
                # A flag of ours on the request (read back with getattr): HttpRequest declares none.
                request.asbhub_login_locked = True  # type: ignore[attr-defined]
            raise PermissionDenied("too many failed sign-in attempts")
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


LOCKED_MESSAGE = (
    "Too many failed attempts to sign in to this account from your network. "
    "Wait {minutes} minutes and try again, or ask an administrator to unlock it."
)


class SignInForm(AuthenticationForm):
    """Django's sign-in form, saying plainly when the account is locked for a while."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "locked": LOCKED_MESSAGE,
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username and is_locked(username, client_ip(self.request)):
            audit_failure(username, self.request, "locked")
            minutes = max(1, int(window().total_seconds() // 60))
            raise forms.ValidationError(
                self.error_messages["locked"].format(minutes=minutes), code="locked"
            )
        return super().clean()


# Issue #10 (floods): the per-address limit and the audit of every failure.

#: Why a sign-in failed, as the audit entry's ``reason`` says it.
FAILURE_REASONS = {
    "no_account": "no account has this username",
    "inactive": "the account is inactive",
    "password": "wrong password",
    "locked": "refused unchecked: too many failed attempts at this account from this address",
}


def count_sign_in(request: HttpRequest) -> ratelimit.Decision | None:
    """Count a sign-in attempt against the address's ``sign_in`` limit, once per request.

    Returns the decision (None if this request was counted already). A refusal is kept on the
    request (``asbhub_rate_limited``) for the page to answer 429, and audited once per window.
    """
    if getattr(request, "asbhub_sign_in_counted", None) is not None:
        return None
    ip = client_ip(request)
    decision = ratelimit.hit("sign_in", ip)
    # A flag of ours on the request (read back with getattr): HttpRequest declares none.
    request.asbhub_sign_in_counted = decision  # type: ignore[attr-defined]
    if not decision.allowed:
        request.asbhub_rate_limited = decision  # type: ignore[attr-defined]
        ratelimit.audit_refusal(decision, "sign_in", ip, request)
    return decision


def audit_failure(
    username: str | None, request: HttpRequest | None, reason: str | None = None
) -> Any:
    """Write a ``login_failed`` audit entry; return the account tried, if there is one.

    The typed name is logged only if it is an account's: a password typed into the username
    box must not end up in a log kept for years. The password never is.
    """
    from django.contrib.auth import get_user_model

    model = get_user_model()
    user = model._default_manager.filter(**{model.USERNAME_FIELD: username or ""}).first()
    if reason is None:
        reason = "no_account" if user is None else "inactive" if not user.is_active else "password"
    record_access(
        None,
        AuditAction.LOGIN_FAILED,
        ("auth.user", user.pk if user else ""),
        request=request,
        detail={
            "username": username if user else "",
            "known_user": bool(user),
            "reason": FAILURE_REASONS[reason],
        },
    )
    return user


# Signal handlers, connected in PartnersConfig.ready().


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Count the failure; log a lock-out in the audit log when this failure causes one."""
    username, ip = _username_from(credentials), client_ip(request)
    if request is not None and getattr(request, "asbhub_rate_limited", None) is not None:
        return  # refused for the address: audited once per window by count_sign_in
    if request is not None and getattr(request, "asbhub_login_locked", False):
        audit_failure(username, request, "locked")
        return  # refused without a password check: not a new guess
    user = audit_failure(username, request)
    if record_failure(username, ip):
        # The typed name is logged only if it is an account's: a password typed into the
        # username box must not end up in a log kept for years.
        record_access(
            None,
            AuditAction.LOGIN_LOCKED,
            ("auth.user", user.pk if user else ""),
            request=request,
            detail={"username": username if user else "", "known_user": bool(user)},
        )


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None:
        clear_failures(user.get_username(), client_ip(request))
        if getattr(request, "asbhub_sign_in_counted", None) is not None:
            ratelimit.give_back("sign_in", client_ip(request))
    record_access(user, AuditAction.LOGIN, user, request=request)


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_access(user, AuditAction.LOGOUT, user, request=request)
