"""Sign-in security: Argon2 hashes, throttled failures, sessions that end, CSRF on the form."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from asbhub.store.db import setup_django

# Before the imports below touch any model (see tests/partners/conftest.py for why here).
setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.auth import authenticate, get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402

from asbhub.records.partners.models import AuditEntry, LoginFailure  # noqa: E402

SIGN_IN = "/sign-in/"
PASSWORD = "Synthetic-Passphrase-2025"
ADDRESS = "192.0.2.10"  # the conftest client's REMOTE_ADDR (TEST-NET-1, documentation range)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_security_settings_are_loaded() -> None:
    """Fails until settings.py ends with ``from asbhub.web.settings_security import *``."""
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings.AUTHENTICATION_BACKENDS == ["asbhub.web.partners.auth.ThrottledModelBackend"]
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


def test_password_stored_as_argon2id(make_user) -> None:
    user = make_user("hash.check", password=PASSWORD)
    stored = get_user_model().objects.filter(pk=user.pk).values_list("password", flat=True).get()
    assert stored.startswith("argon2$argon2id$")
    assert PASSWORD not in stored


def test_older_hash_upgraded_to_argon2_on_sign_in(client, make_user, police) -> None:
    user = make_user("legacy", police, role="analyst")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    assert client.post(SIGN_IN, {"username": "legacy", "password": PASSWORD}).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")


def test_sign_in_and_out_are_audited(client, make_user, police) -> None:
    make_user("auditee", police, role="analyst", password=PASSWORD)
    response = client.post(SIGN_IN, {"username": "auditee", "password": PASSWORD})
    assert response.status_code == 302 and _signed_in(client)
    assert client.get("/sign-out/").status_code == 405  # GET cannot sign anyone out
    assert client.post("/sign-out/").status_code == 302 and not _signed_in(client)
    actions = list(
        AuditEntry.objects.filter(username="auditee")
        .order_by("seq")
        .values_list("action", "agency", "ip")
    )
    assert actions == [("login", police.name, ADDRESS), ("logout", police.name, ADDRESS)]


def test_wrong_password_and_unknown_user_look_the_same(client, make_user, police) -> None:
    make_user("known", police, role="analyst", password=PASSWORD)
    wrong = client.post(SIGN_IN, {"username": "known", "password": "not-it"})
    unknown = client.post(SIGN_IN, {"username": "nobody-here", "password": "not-it"})
    assert wrong.status_code == unknown.status_code == 200
    message = "Enter a correct username and password"
    assert message in wrong.text and message in unknown.text


def test_repeated_failures_lock_out_even_the_right_password(client, make_user, police) -> None:
    make_user("target", police, role="analyst", password=PASSWORD)
    for _ in range(settings.ASBHUB_LOGIN_MAX_FAILURES):
        response = client.post(SIGN_IN, {"username": "target", "password": "guess"})
        assert "Enter a correct username and password" in response.text
    response = client.post(SIGN_IN, {"username": "target", "password": PASSWORD})
    assert response.status_code == 200 and not _signed_in(client)
    assert "Too many failed attempts to sign in" in response.text
    # The lock holds whatever the case of the username typed.
    client.post(SIGN_IN, {"username": "TARGET", "password": PASSWORD})
    assert not _signed_in(client)
    # Every sign-in path is behind it, the admin's included: the backend refuses.
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR=ADDRESS)
    assert authenticate(request, username="target", password=PASSWORD) is None
    admin = client.post("/admin/login/", {"username": "target", "password": PASSWORD})
    assert admin.status_code == 200 and not _signed_in(client)
    # Attempts while locked are not counted as new guesses.
    assert LoginFailure.objects.filter(username="target", ip=ADDRESS).count() == 5
    locked = AuditEntry.objects.filter(action="login_locked").order_by("-seq").first()
    assert locked.detail == {"username": "target", "known_user": True}
    assert locked.ip == ADDRESS
    # Someone elsewhere is not locked out by these failures.
    elsewhere = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="198.51.100.7")
    assert elsewhere.post(SIGN_IN, {"username": "target", "password": PASSWORD}).status_code == 302
    # Once the window has passed, the right password works again and clears the failures.
    window = dt.timedelta(seconds=settings.ASBHUB_LOGIN_WINDOW_SECONDS + 1)
    LoginFailure.objects.update(at=F("at") - window)
    response = client.post(SIGN_IN, {"username": "target", "password": PASSWORD})
    assert response.status_code == 302 and _signed_in(client)
    assert not LoginFailure.objects.filter(username="target", ip=ADDRESS).exists()


def test_unknown_username_lock_logs_no_typed_name(client) -> None:
    typed = "Synthetic-Passphrase-typed-in-the-wrong-box"
    for _ in range(settings.ASBHUB_LOGIN_MAX_FAILURES):
        client.post(SIGN_IN, {"username": typed, "password": "x"})
    locked = AuditEntry.objects.filter(action="login_locked").order_by("-seq").first()
    assert locked.detail == {"username": "", "known_user": False}
    assert typed.lower() not in str(locked.__dict__).lower()


def test_session_ends_after_eight_hours_and_at_browser_close(client, make_user, police) -> None:
    make_user("shift", police, role="supervisor", password=PASSWORD)
    assert client.post(SIGN_IN, {"username": "shift", "password": PASSWORD}).status_code == 302
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    # No Max-Age or Expires: the browser forgets the cookie when it closes.
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert cookie["httponly"]
    session = Session.objects.get(session_key=cookie.value)
    left = session.expire_date - timezone.now()
    assert dt.timedelta(hours=7, minutes=59) < left <= dt.timedelta(hours=8)
    # Using the site does not extend the session.
    assert client.get("/partners/usage/").status_code == 200
    assert Session.objects.get(session_key=cookie.value).expire_date == session.expire_date
    # Eight hours on, the server no longer knows the session.
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/partners/usage/")
    assert response.status_code == 302 and response.url.startswith(SIGN_IN)


def test_csrf_enforced_on_sign_in(db, make_user, police) -> None:
    make_user("careful", police, role="analyst", password=PASSWORD)
    browser = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    forged = browser.post(SIGN_IN, {"username": "careful", "password": PASSWORD})
    assert forged.status_code == 403 and not _signed_in(browser)
    page = browser.get(SIGN_IN)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    assert (
        browser.post(
            SIGN_IN, {"username": "careful", "password": PASSWORD, "csrfmiddlewaretoken": token}
        ).status_code
        == 302
    )
    assert _signed_in(browser)
    # Signing out needs the token too, so another site cannot sign a user out.
    assert browser.post("/sign-out/").status_code == 403 and _signed_in(browser)


def test_sign_in_page(client) -> None:
    page = client.get(SIGN_IN)
    assert page.status_code == 200
    assert re.search(r"<h1\b[^>]*>Sign in</h1>", page.text)
    assert 'autocomplete="current-password"' in page.text
    assert "8 hours" in page.text
    failed = client.post(SIGN_IN, {"username": "", "password": ""})
    assert failed.status_code == 200
    assert failed.text.count("This field is required.") >= 2
    assert 'aria-invalid="true"' in failed.text and "There is a problem" in failed.text
    summary = failed.text.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    assert 'role="alert"' in summary and 'href="#id_username"' in summary


@pytest.mark.parametrize("path", ["/partners/usage/", "/partners/audit/", "/partners/incidents/1/"])
def test_pages_need_sign_in(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == f"{SIGN_IN}?next={path}"
