"""Sign-in, sessions and passwords: what tests/partners/test_auth.py does not already cover.

- the session length follows ``ASBHUB_SESSION_HOURS`` and ``SESSION_COOKIE_AGE``;
- a session ends for real: the key changes at sign-in (no fixation), a cookie replayed after
  sign-out or after a password change is signed out, an expired session is sent to sign-in
  from any kind of page;
- a password set through the admin's own form is stored with Argon2id;
- the throttle is keyed as designed: by username (whatever its case and spaces) and address,
  not by headers the client chooses (X-Forwarded-For), and one name's lock-out does not lock
  other names from the same address.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from django.conf import settings  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

#: Argon2 is slow by design; tests of sessions and throttling use a fast hasher (the one test
#: of what is stored uses the real settings).
FAST = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
SIGN_IN = "/sign-in/"
PASSWORD = "Synthetic-Passphrase-2025"
ADDRESS = "192.0.2.10"


def _sign_in(c: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return c.post(SIGN_IN, {"username": username, "password": password}, **extra)


def _signed_in(c: Client) -> bool:
    return "_auth_user_id" in c.session


def _session(c: Client) -> Session:
    return Session.objects.get(session_key=c.cookies[settings.SESSION_COOKIE_NAME].value)


def test_session_hours_come_from_the_environment() -> None:
    import asbhub.web.settings_security as security

    before = os.environ.get("ASBHUB_SESSION_HOURS")
    try:
        os.environ["ASBHUB_SESSION_HOURS"] = "0.5"
        assert importlib.reload(security).SESSION_COOKIE_AGE == 1800
        os.environ["ASBHUB_SESSION_HOURS"] = "12"
        assert importlib.reload(security).SESSION_COOKIE_AGE == 12 * 3600
    finally:
        if before is None:
            os.environ.pop("ASBHUB_SESSION_HOURS", None)
        else:
            os.environ["ASBHUB_SESSION_HOURS"] = before
        importlib.reload(security)
    assert security.SESSION_COOKIE_AGE == settings.SESSION_COOKIE_AGE


@FAST
@override_settings(SESSION_COOKIE_AGE=600)
def test_session_lasts_as_long_as_the_setting(client: Client, make_user: Any, police: Any) -> None:
    make_user("short.shift", police, role="analyst", password=PASSWORD)
    # The session ends 600 s after it was made, which was between these two readings of the
    # clock (no window of wall-clock time allowed for the test to run in).
    before = timezone.now()
    assert _sign_in(client, "short.shift").status_code == 302
    after = timezone.now()
    ends = _session(client).expire_date
    assert before + dt.timedelta(seconds=600) <= ends <= after + dt.timedelta(seconds=600)
    assert client.get("/pmps/").status_code == 200
    Session.objects.filter(pk=_session(client).pk).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    for page in ("/pmps/", "/risk/calibration.csv", "/pmps/1/incidents.geojson", "/weekly/"):
        response = client.get(page)
        assert response.status_code == 302 and response.url.startswith(SIGN_IN), page


@FAST
def test_session_key_changes_at_sign_in(client: Client, make_user: Any, police: Any) -> None:
    make_user("fixed", police, role="analyst", password=PASSWORD)
    client.get("/scrutiny/questions/ask/")
    session = client.session
    session["planted"] = "by someone else"
    session.save()
    planted = session.session_key
    assert _sign_in(client, "fixed").status_code == 302
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != planted
    # The planted key is not a signed-in session.
    other = Client(HTTP_HOST="127.0.0.1")
    other.cookies[settings.SESSION_COOKIE_NAME] = planted
    assert other.get("/pmps/").status_code == 302


@FAST
def test_cookie_replayed_after_sign_out_is_signed_out(
    client: Client, make_user: Any, police: Any
) -> None:
    make_user("leaver", police, role="analyst", password=PASSWORD)
    assert _sign_in(client, "leaver").status_code == 302
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post("/sign-out/").status_code == 302
    replay = Client(HTTP_HOST="127.0.0.1")
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = replay.get("/pmps/")
    assert response.status_code == 302 and response.url.startswith(SIGN_IN)
    assert not Session.objects.filter(session_key=stolen).exists()


@FAST
def test_password_change_ends_other_sessions(make_user: Any, police: Any, db: str) -> None:
    user = make_user("changer", police, role="analyst", password=PASSWORD)
    laptop = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=ADDRESS)
    assert _sign_in(laptop, "changer").status_code == 302
    assert laptop.get("/pmps/").status_code == 200
    user.set_password("Another-Synthetic-Passphrase-9")
    user.save()
    response = laptop.get("/pmps/")
    assert response.status_code == 302 and response.url.startswith(SIGN_IN)


def test_password_set_in_the_admin_is_argon2id(make_user: Any, db: str) -> None:
    from django.contrib.auth import get_user_model

    staff = make_user("sec.root")
    get_user_model().objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
    admin = Client(HTTP_HOST="127.0.0.1")
    admin.force_login(staff)
    response = admin.post(
        "/admin/auth/user/add/",
        {
            "username": "new.officer",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = get_user_model().objects.get(username="new.officer").password
    assert stored.startswith("argon2$argon2id$")
    assert PASSWORD not in stored


@FAST
def test_forwarded_for_header_does_not_reset_the_count(
    make_user: Any, police: Any, db: str
) -> None:
    make_user("spoofed", police, role="analyst", password=PASSWORD)
    attacker = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=ADDRESS)
    for n in range(settings.ASBHUB_LOGIN_MAX_FAILURES):
        _sign_in(attacker, "spoofed", "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = _sign_in(attacker, "spoofed", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 200 and not _signed_in(attacker)
    assert "Too many failed attempts" in response.content.decode()


@FAST
def test_username_variants_share_one_count(make_user: Any, police: Any, db: str) -> None:
    make_user("throttled", police, role="analyst", password=PASSWORD)
    c = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=ADDRESS)
    variants = ["Throttled", " throttled ", "THROTTLED", "throttled", "tHrOttLed"]
    assert len(variants) == settings.ASBHUB_LOGIN_MAX_FAILURES
    for typed in variants:
        _sign_in(c, typed, "guess")
    assert _sign_in(c, "throttled").status_code == 200 and not _signed_in(c)


@FAST
def test_one_lock_does_not_lock_other_names(make_user: Any, police: Any, db: str) -> None:
    """Keyed by username and address (as designed): a colleague at the same address, behind
    the same office gateway, can still sign in while one name is locked."""
    make_user("locked.out", police, role="analyst", password=PASSWORD)
    make_user("colleague", police, role="analyst", password=PASSWORD)
    office = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=ADDRESS)
    for _ in range(settings.ASBHUB_LOGIN_MAX_FAILURES):
        _sign_in(office, "locked.out", "guess")
    assert _sign_in(office, "locked.out").status_code == 200 and not _signed_in(office)
    assert _sign_in(office, "colleague").status_code == 302 and _signed_in(office)


@FAST
def test_lock_lasts_the_window(
    make_user: Any, police: Any, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user("waits", police, role="analyst", password=PASSWORD)
    # The clock is driven by the test: it stands still unless moved, so however slowly the
    # test runs, the failures are exactly as old as the test says.
    clock = [timezone.now()]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    c = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=ADDRESS)
    for _ in range(settings.ASBHUB_LOGIN_MAX_FAILURES):
        _sign_in(c, "waits", "guess")
    window = dt.timedelta(seconds=settings.ASBHUB_LOGIN_WINDOW_SECONDS)
    # A second short of the window: still locked.
    clock[0] += window - dt.timedelta(seconds=1)
    assert _sign_in(c, "waits").status_code == 200 and not _signed_in(c)
    # A second past it: the failures have aged out.
    clock[0] += dt.timedelta(seconds=2)
    assert _sign_in(c, "waits").status_code == 302 and _signed_in(c)
