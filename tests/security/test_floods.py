"""Floods (issue #10 class 7): rate limits on every public form and on sign-in per address,
every failed sign-in audited, and API detail reads (personal data) throttled per token.

Limits are lowered with ``ASBHUB_RATE_LIMITS`` so a flood takes a handful of requests; the
windows are the defaults' ten minutes (or the clock is set through ``ratelimit.now``), so no
test depends on how fast the machine is. Every person here is invented.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from django.test import Client, override_settings  # noqa: E402

from asbhub.records.partners.models import AuditEntry  # noqa: E402

# Audit actions by code (not AuditAction members), so that on code without them the tests fail
# by finding no entries rather than at import.
LOGIN_FAILED, LOGIN_LOCKED, RATE_LIMITED = "login_failed", "login_locked", "rate_limited"
VIEW = "view"

FAST = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
PASSWORD = "Synthetic-Passphrase-2025"
FLOODER, NEIGHBOUR = "192.0.2.66", "198.51.100.7"
LIMIT = 3


def _client(address: str) -> Client:
    return Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=address)


def _limits(**limits: tuple[int, int]) -> Any:
    return override_settings(ASBHUB_RATE_LIMITS=limits)


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def _assert_429_page(response: Any, what: str) -> None:
    assert response.status_code == 429, response.status_code
    retry = int(response["Retry-After"])
    assert 1 <= retry <= 600
    text = response.content.decode()
    assert "govuk-heading-l" in text and "Too many requests" in text
    assert f"You have sent {LIMIT} {what}" in text
    assert "Try again after" in text


# -- the counter ---------------------------------------------------------------------------


def test_counter_allows_the_limit_then_refuses_until_the_window_ends(db: str) -> None:
    from asbhub.records.partners.models import RateLimitCount
    from asbhub.web import ratelimit

    start = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    with _limits(public_form=(LIMIT, 600)):
        got = [
            ratelimit.hit("public_form", FLOODER, at=start + dt.timedelta(seconds=s))
            for s in range(LIMIT + 2)
        ]
        assert [d.allowed for d in got] == [True] * LIMIT + [False, False]
        assert [d.count for d in got] == [1, 2, 3, 4, 5]
        assert got[LIMIT].first_refusal and not got[LIMIT + 1].first_refusal
        # Refused at 12:00:03: the window started at 12:00:00 and ends at 12:10:00.
        assert got[LIMIT].resets_at == start + dt.timedelta(seconds=600)
        assert got[LIMIT].retry_after == 600 - LIMIT
        # Another address has its own count.
        assert ratelimit.hit("public_form", NEIGHBOUR, at=start).count == 1
        # One second before the end: still refused; at the end a new window starts.
        late = ratelimit.hit("public_form", FLOODER, at=start + dt.timedelta(seconds=599))
        assert not late.allowed and late.retry_after == 1
        fresh = ratelimit.hit("public_form", FLOODER, at=start + dt.timedelta(seconds=600))
        assert fresh.allowed and fresh.count == 1
    assert RateLimitCount.objects.filter(key__startswith="public_form|").count() == 2


def test_counter_prunes_ended_windows(db: str) -> None:
    from asbhub.records.partners.models import RateLimitCount
    from asbhub.web import ratelimit

    start = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    for n in range(5):
        ratelimit.hit("public_form", f"192.0.2.{n}", at=start)
    assert RateLimitCount.objects.count() == 5
    # A day later, a new address's first request deletes the rows of every ended window.
    ratelimit.hit("public_form", "203.0.113.1", at=start + dt.timedelta(days=1))
    assert list(RateLimitCount.objects.values_list("key", flat=True)) == ["public_form|203.0.113.1"]


def test_unknown_limit_name_says_which_exist(db: str) -> None:
    from asbhub.web import ratelimit

    with pytest.raises(KeyError, match="api_detail, public_form, public_search, sign_in"):
        ratelimit.hit("pubic_form", FLOODER)


# -- public forms ----------------------------------------------------------------------------

#: Every public form that takes a POST: its path and what the refusal page calls it.
PUBLIC_FORMS = {
    "public:report": ("/report-asb/", "reports"),
    "scrutiny:ask": ("/scrutiny/questions/ask/", "questions"),
    "cases:public-apply": ("/case-review/apply/", "Case Review applications"),
}


def test_every_public_post_form_is_limited(db: str) -> None:
    """Every public page (tests/security/registry.py) that shows a visitor a form posting
    back is one of the limited forms below or the sign-in page: a public form added later
    fails here until it is limited and listed."""
    import re

    from django.urls import reverse

    from tests.security.registry import PUBLIC, ROUTES

    posting = set()
    for name, route in ROUTES.items():
        if route.kind != PUBLIC or name.startswith("api:"):
            continue
        response = _client(NEIGHBOUR).get(
            reverse(name, kwargs=route.kwargs(None) if route.kwargs else None)
        )
        if re.search(r'<form\b[^>]*method="post"', response.content.decode(), re.I):
            posting.add(name)
    assert posting == {*PUBLIC_FORMS, "partners:sign-in"}
    # And each is limited: with a limit of 1, the second post from one address is refused.
    with _limits(public_form=(1, 600), sign_in=(1, 600)):
        for name in sorted(posting):
            flooder = _client(FLOODER)
            first, second = (flooder.post(reverse(name), {}).status_code for _ in range(2))
            assert (first, second) == (200, 429), f"{name} is not limited"


@pytest.mark.parametrize("name", PUBLIC_FORMS)
def test_public_form_flood_is_answered_429(name: str, db: str) -> None:
    """The first LIMIT posts are handled as ever (an empty post: the form's own errors, 200);
    the next is 429 with Retry-After and a page saying when to try again, audited once;
    another address is not affected, and GETs are never counted."""
    path, what = PUBLIC_FORMS[name]
    flooder, neighbour = _client(FLOODER), _client(NEIGHBOUR)
    with _limits(public_form=(LIMIT, 600)):
        statuses = [flooder.post(path, {}).status_code for _ in range(LIMIT)]
        assert statuses == [200] * LIMIT
        for _ in range(3):
            _assert_429_page(flooder.post(path, {}), what)
        assert flooder.get(path).status_code == 200
        assert neighbour.post(path, {}).status_code == 200
    refused = _entries(RATE_LIMITED)
    assert len(refused) == 1, "one audit entry for the flood, not one per refused request"
    assert refused[0].ip == FLOODER and refused[0].detail["action"] == "public_form"
    assert refused[0].detail["limit"] == LIMIT


def test_refusal_page_says_when_to_try_again(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the clock set: the window opens at 18:05 UTC in summer (19:05 in London), so the
    page says 19:15 and Retry-After is the 600 seconds to it."""
    from asbhub.web import ratelimit

    monkeypatch.setattr(ratelimit, "now", lambda: dt.datetime(2026, 7, 1, 18, 5, tzinfo=dt.UTC))
    flooder = _client(FLOODER)
    with _limits(public_form=(LIMIT, 600)):
        for _ in range(LIMIT):
            flooder.post("/scrutiny/questions/ask/", {})
        response = flooder.post("/scrutiny/questions/ask/", {})
    assert response.status_code == 429 and response["Retry-After"] == "600"
    text = " ".join(response.content.decode().split())
    assert "Try again after <strong>19:15</strong> on 1 July 2026 (in about 10 minutes)" in text


def test_a_limit_of_zero_turns_it_off(db: str) -> None:
    from asbhub.records.partners.models import RateLimitCount

    flooder = _client(FLOODER)
    with _limits(public_form=(0, 600)):
        assert {flooder.post("/report-asb/", {}).status_code for _ in range(12)} == {200}
    assert not RateLimitCount.objects.exists()


def test_each_public_form_has_its_own_count(db: str) -> None:
    flooder = _client(FLOODER)
    with _limits(public_form=(LIMIT, 600)):
        for _ in range(LIMIT + 1):
            flooder.post("/report-asb/", {})
        assert flooder.post("/report-asb/", {}).status_code == 429
        assert flooder.post("/scrutiny/questions/ask/", {}).status_code == 200


def test_place_search_is_limited_per_address(db: str) -> None:
    """Issue #12 item 4: the public place search (its JSON, and the report form's search
    without JavaScript) counts per address under ``public_search``: the first LIMIT answer,
    the next is 429 with Retry-After and a reason (JSON for the JSON endpoint), audited once;
    the report form without a search is not counted, another address is not affected."""
    flooder, neighbour = _client(FLOODER), _client(NEIGHBOUR)
    with _limits(public_search=(LIMIT, 600)):
        got = [flooder.get("/report-asb/places/", {"q": "market"}) for _ in range(LIMIT - 1)]
        got.append(flooder.get("/report-asb/", {"place": "market"}))
        assert [r.status_code for r in got] == [200] * LIMIT
        assert got[0].json()["query"] == "market"
        refused = flooder.get("/report-asb/places/", {"q": "market"})
        assert refused.status_code == 429, refused.status_code
        assert 1 <= int(refused["Retry-After"]) <= 600
        body = refused.json()
        assert body["places"] == []
        assert f"at most {LIMIT} in 10 minutes" in body["error"]
        page = flooder.get("/report-asb/", {"place": "market"})
        assert page.status_code == 429 and "place searches" in page.content.decode()
        assert flooder.get("/report-asb/").status_code == 200
        assert neighbour.get("/report-asb/places/", {"q": "market"}).status_code == 200
    entries = _entries(RATE_LIMITED)
    assert len(entries) == 1 and entries[0].detail["action"] == "public_search"
    assert entries[0].ip == FLOODER


def test_refused_report_is_not_stored(db: str) -> None:
    """A report with contact details within the limit is stored; beyond it, 429 comes first
    and nothing is stored."""
    from asbhub.records.incidents.models import Incident, Person

    report = {
        "category": "N",
        "description": "Synthetic flood report",
        "occurred_on": "3/2/2019",
        "occurred_at": "21:30",
        "latitude": "",
        "longitude": "",
        "location_text": "Behind the synthetic library",
        "name": "Fenn Floodtestname",
        "phone": "",
        "email": "fenn@example.com",
    }
    flooder = _client(FLOODER)
    with _limits(public_form=(1, 600)):
        assert flooder.post("/report-asb/", report).status_code == 302
        stored = (Incident.objects.count(), Person.objects.count())
        assert flooder.post("/report-asb/", report).status_code == 429
    assert (Incident.objects.count(), Person.objects.count()) == stored
    assert Person.objects.filter(name__contains="Floodtestname").count() == 1


# -- sign-in ---------------------------------------------------------------------------------


@FAST
def test_password_spraying_over_many_accounts_is_limited_per_address(
    make_user: Any, police: Any, db: str
) -> None:
    """One guess at each of many accounts never trips the per-account lock; the per-address
    limit stops it. Another address can still sign in."""
    accounts = [f"sprayed.{n}" for n in range(LIMIT + 2)]
    for username in accounts:
        make_user(username, police, role="analyst", password=PASSWORD)
    sprayer = _client(FLOODER)
    with _limits(sign_in=(LIMIT, 600)):
        statuses = [
            sprayer.post("/sign-in/", {"username": u, "password": "Summer2025!"}).status_code
            for u in accounts
        ]
        assert statuses == [200] * LIMIT + [429, 429]
        # Even the right password is refused from the sprayer's address until the window ends,
        response = sprayer.post("/sign-in/", {"username": accounts[0], "password": PASSWORD})
        _assert_429_page(response, "failed sign-in attempts")
        assert "_auth_user_id" not in sprayer.session
        # while a colleague elsewhere signs in.
        colleague = _client(NEIGHBOUR)
        response = colleague.post("/sign-in/", {"username": accounts[-1], "password": PASSWORD})
        assert response.status_code == 302 and "_auth_user_id" in colleague.session


@FAST
def test_successful_sign_ins_do_not_count(make_user: Any, police: Any, db: str) -> None:
    """A station of officers behind one address signing in at shift change is not refused."""
    make_user("shift.officer", police, role="snt_officer", password=PASSWORD)
    with _limits(sign_in=(LIMIT, 600)):
        for _ in range(LIMIT * 3):
            c = _client(FLOODER)
            assert (
                c.post("/sign-in/", {"username": "shift.officer", "password": PASSWORD}).status_code
                == 302
            )
        c = _client(FLOODER)
        for _ in range(LIMIT):
            assert (
                c.post("/sign-in/", {"username": "shift.officer", "password": "wrong"}).status_code
                == 200
            )
        assert (
            c.post("/sign-in/", {"username": "shift.officer", "password": "wrong"}).status_code
            == 429
        )


@FAST
def test_admin_sign_in_is_limited_by_the_same_count(make_user: Any, police: Any, db: str) -> None:
    """The backend enforces the address limit too, so the admin's sign-in page is no way round."""
    staff = make_user("staff.member", police, role="administrator", password=PASSWORD)
    staff.is_staff = True
    staff.save()
    c = _client(FLOODER)
    with _limits(sign_in=(LIMIT, 600)):
        for n in range(LIMIT):
            c.post("/sign-in/", {"username": f"nobody.{n}", "password": "guess"})
        c.post("/admin/login/", {"username": "staff.member", "password": PASSWORD})
    assert "_auth_user_id" not in c.session


@FAST
def test_every_failed_sign_in_is_audited_without_the_password(
    make_user: Any, police: Any, db: str
) -> None:
    from asbhub.records.partners.audit import verify_chain

    make_user("real.account", police, role="analyst", password=PASSWORD)
    make_user("gone.account", police, role="analyst", password=PASSWORD, is_active=False)
    c = _client(FLOODER)
    tries = [
        ("real.account", "Wrong-Guess-1"),
        ("no.such.person", "Wrong-Guess-2"),
        ("gone.account", PASSWORD),
    ]
    for username, password in tries:
        assert c.post("/sign-in/", {"username": username, "password": password}).status_code == 200
    failed = _entries(LOGIN_FAILED)
    assert [
        (e.detail["username"], e.detail["known_user"], e.detail["reason"], e.ip) for e in failed
    ] == [
        ("real.account", True, "wrong password", FLOODER),
        # A name that is no account is not kept: it may be a password typed in the wrong box.
        ("", False, "no account has this username", FLOODER),
        ("gone.account", True, "the account is inactive", FLOODER),
    ]
    logged = " ".join(str(e.detail) + e.object_id for e in failed)
    assert "Wrong-Guess" not in logged and PASSWORD not in logged
    assert "no.such.person" not in logged
    assert verify_chain().ok


@FAST
def test_locked_account_refusals_are_audited_and_flood_is_audited_once(
    make_user: Any, police: Any, db: str
) -> None:
    from django.conf import settings

    from asbhub.records.partners.audit import verify_chain

    make_user("targeted", police, role="analyst", password=PASSWORD)
    c = _client(FLOODER)
    lock = settings.ASBHUB_LOGIN_MAX_FAILURES
    with _limits(sign_in=(lock + 2, 600)):
        for _ in range(lock + 2 + 4):
            c.post("/sign-in/", {"username": "targeted", "password": "guess"})
    reasons = [e.detail["reason"] for e in _entries(LOGIN_FAILED)]
    assert (
        reasons
        == ["wrong password"] * lock
        + ["refused unchecked: too many failed attempts at this account from this address"] * 2
    )
    assert len(_entries(LOGIN_LOCKED)) == 1
    flood = _entries(RATE_LIMITED)
    assert len(flood) == 1 and flood[0].detail["action"] == "sign_in"
    assert flood[0].ip == FLOODER
    assert verify_chain().ok


# -- API detail reads ------------------------------------------------------------------------


@pytest.fixture
def api_world(make_user: Any, police: Any, incident: Any) -> Any:
    from types import SimpleNamespace

    from asbhub.records.tokens.services import create_token

    analyst = make_user("bulk.reader", police, role="analyst")
    other = make_user("other.reader", police, role="analyst")
    return SimpleNamespace(
        incident=incident,
        token=create_token(analyst, "bulk").secret,
        other=create_token(other, "other").secret,
    )


def _read(token: str, path: str) -> Any:
    c = _client(FLOODER)
    return c.get(path, {"purpose": "case"}, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_api_detail_reads_are_throttled_per_token(api_world: Any, db: str) -> None:
    from asbhub.records.partners.audit import verify_chain

    path = f"/api/v1/incidents/{api_world.incident.pk}"
    with _limits(api_detail=(LIMIT, 600)):
        assert [_read(api_world.token, path).status_code for _ in range(LIMIT)] == [200] * LIMIT
        refused = _read(api_world.token, path)
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 600
        assert "Try again after" in refused.json()["detail"]
        # Every detail endpoint shares the token's count, a missing id included,
        assert _read(api_world.token, "/api/v1/pmps/987654321").status_code == 429
        # lists (no personal data) are not counted, and another token is not affected.
        assert _read(api_world.token, "/api/v1/incidents").status_code == 200
        assert _read(api_world.other, path).status_code == 200
    views = AuditEntry.objects.filter(action=VIEW, object_type="incidents.incident")
    assert views.filter(username="bulk.reader").count() == LIMIT
    too_many = _entries(RATE_LIMITED)
    assert len(too_many) == 1
    assert too_many[0].username == "bulk.reader"
    assert too_many[0].detail["action"] == "api_detail"
    assert too_many[0].detail["token"] == api_world.token.split("_")[1]
    assert verify_chain().ok


# -- across threads and processes ------------------------------------------------------------

#: One server process: THREADS threads (as waitress's), each sending HITS requests at once.
WORKER = """
import sys, threading
from asbhub.store.db import open_store
open_store(sys.argv[1], upgrade=False)
from django.conf import settings
from django.db import connections
settings.ASBHUB_RATE_LIMITS = {"public_form": (int(sys.argv[2]), 600)}
from asbhub.web import ratelimit
allowed, counts, start = [], [], threading.Barrier(int(sys.argv[3]))
def work():
    start.wait()
    for _ in range(int(sys.argv[4])):
        decision = ratelimit.hit("public_form", "192.0.2.99")
        allowed.append(decision.allowed)
        counts.append(decision.count)
    connections.close_all()
threads = [threading.Thread(target=work) for _ in range(int(sys.argv[3]))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sum(allowed), max(counts))
"""


def test_limit_holds_across_threads_and_processes(store_url: str) -> None:
    """Three server processes of four threads each, 40 requests from one address each, against
    one database: exactly the limit is let through in all, and every request was counted."""
    import os
    import subprocess
    import sys

    from tests.support import ROOT

    env = {**os.environ, "ASBHUB_DB": store_url}
    migrate = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from asbhub.store.db import open_store; open_store(sys.argv[1])",
            store_url,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    processes, threads, hits, limit = 3, 4, 10, 25
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, store_url, str(limit), str(threads), str(hits)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        results.append([int(x) for x in out.split()])
    assert sum(allowed for allowed, _ in results) == limit
    assert max(highest for _, highest in results) == processes * threads * hits
