"""Sign-in throttling, and the audit entries for signing in and out.

Throttling is asbhub's own rather than django-axes: axes needs its app, middleware and a
``request`` on every ``authenticate()`` call (so Django's test client ``login()`` breaks), and
it keeps its own login log beside ours. This one is a backend and two signal handlers:

- :class:`ThrottledModelBackend` refuses to check a password once a username, from one
  address, has failed :func:`max_failures` times within :func:`window` (default 5 in 15
  minutes). Being a backend, it guards every sign-in path: our page, the admin's, the API's.
- Each failure is a :class:`~asbhub.web.partners.models.LoginFailure` row in the database, so
  the count holds across worker processes; rows older than the window are pruned as we go.
- A successful sign-in clears that username and address's failures.

Keyed by username *and* address so that a stranger cannot lock a colleague out from elsewhere;
the cost is that an attacker spread over many addresses gets 5 tries from each.
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

from asbhub.web.partners.access import client_ip, record_access
from asbhub.web.partners.models import AuditAction, LoginFailure


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

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> Any:
        if username is None:
            username = kwargs.get(self._username_field())
        if username is not None and is_locked(username, client_ip(request)):
            if request is not None:
                request.asbhub_login_locked = True
            raise PermissionDenied("too many failed sign-in attempts")
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


LOCKED_MESSAGE = ("Too many failed attempts to sign in to this account from your network. "
                  "Wait {minutes} minutes and try again, or ask an administrator to unlock it.")


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
            minutes = max(1, int(window().total_seconds() // 60))
            raise forms.ValidationError(self.error_messages["locked"].format(minutes=minutes),
                                        code="locked")
        return super().clean()


# Signal handlers, connected in PartnersConfig.ready().

def on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                    **kwargs: Any) -> None:
    """Count the failure; log a lock-out in the audit log when this failure causes one."""
    if request is not None and getattr(request, "asbhub_login_locked", False):
        return  # refused without a password check: not a new guess
    username, ip = _username_from(credentials), client_ip(request)
    if record_failure(username, ip):
        from django.contrib.auth import get_user_model

        user = get_user_model()._default_manager.filter(
            **{get_user_model().USERNAME_FIELD: username}).first()
        # The typed name is logged only if it is an account's: a password typed into the
        # username box must not end up in a log kept for years.
        record_access(None, AuditAction.LOGIN_LOCKED, ("auth.user", user.pk if user else ""),
                      request=request,
                      detail={"username": username if user else "", "known_user": bool(user)})


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None:
        clear_failures(user.get_username(), client_ip(request))
    record_access(user, AuditAction.LOGIN, user, request=request)


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_access(user, AuditAction.LOGOUT, user, request=request)
