"""Token authentication: what gets a 401 and why, what is stored, the tokens page, the audit."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from types import SimpleNamespace
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.api.support import bearer

setup_django()

from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from asbhub.records.partners.models import AuditEntry  # noqa: E402
from asbhub.records.tokens.models import ApiToken  # noqa: E402
from asbhub.records.tokens.services import (  # noqa: E402
    TOKEN_PURPOSE,
    TokenError,
    check_token,
    create_token,
    find_token,
    revoke_token,
)

URL = "/api/v1/pmps"


def status_and_detail(client: Any, **headers: str) -> tuple[int, str]:
    response = client.get(URL, **headers)
    return response.status_code, response.json()["detail"]


def test_valid_token_is_200_and_stores_only_a_hash(client: Any, world: SimpleNamespace) -> None:
    new = create_token(world.analyst, "GIS import", 30)
    assert new.secret.startswith(f"asb_{new.token.prefix}_")
    row = ApiToken.objects.get(pk=new.token.pk)
    assert row.token_hash == hashlib.sha256(new.secret.encode()).hexdigest()
    secret_part = new.secret.rsplit("_", 1)[1]
    assert all(secret_part not in str(getattr(row, f.attname)) for f in ApiToken._meta.fields)
    assert row.last_used is None
    assert client.get(URL, **bearer(new.secret)).status_code == 200
    row.refresh_from_db()
    assert row.last_used is not None and row.expires - row.created == dt.timedelta(days=30)


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, "needs an API token"),
        ("Bearer", "not one asbhub issued"),
        ("Basic dXNlcjpwYXNz", "needs an API token"),
        ("Bearer asb_000000000000_abcdefghijklmnopqrstuvwxyz", "not one asbhub issued"),
        ("Bearer not-a-token-at-all", "not one asbhub issued"),
    ],
)
def test_missing_or_wrong_token_is_401(
    client: Any, world: SimpleNamespace, header: str | None, expected: str
) -> None:
    create_token(world.analyst)  # a real token exists: guesses must still fail
    headers = {"HTTP_AUTHORIZATION": header} if header else {}
    status, detail = status_and_detail(client, **headers)
    assert status == 401 and expected in detail


def test_right_prefix_wrong_secret_is_401(client: Any, world: SimpleNamespace) -> None:
    new = create_token(world.analyst)
    forged = new.secret[:-4] + ("AAAA" if not new.secret.endswith("AAAA") else "BBBB")
    assert status_and_detail(client, **bearer(forged))[0] == 401
    assert client.get(URL, **bearer(new.secret)).status_code == 200


def test_revoked_expired_and_inactive_are_401(client: Any, world: SimpleNamespace) -> None:
    revoked = create_token(world.analyst)
    assert revoke_token(revoked.token) is True and revoke_token(revoked.token) is False
    assert status_and_detail(client, **bearer(revoked.secret)) == (
        401,
        "This token was revoked; create a new one.",
    )

    expired = create_token(world.analyst, days=1)
    ApiToken.objects.filter(pk=expired.token.pk).update(
        expires=timezone.now() - dt.timedelta(seconds=1)
    )
    status, detail = status_and_detail(client, **bearer(expired.secret))
    assert status == 401 and "expired" in detail
    # One second before its expiry it still works.
    live = create_token(world.analyst, days=1)
    assert check_token(live.secret, now=live.token.expires - dt.timedelta(seconds=1)).user
    assert check_token(live.secret, now=live.token.expires).user is None

    inactive = create_token(world.officer)
    world.officer.is_active = False
    world.officer.save()
    assert status_and_detail(client, **bearer(inactive.secret)) == (
        401,
        "The account this token belongs to is inactive.",
    )


def test_creation_and_revocation_are_audited(world: SimpleNamespace) -> None:
    new = create_token(world.analyst, "nightly export", 7)
    revoke_token(new.token, by=world.analyst)
    log = list(
        AuditEntry.objects.filter(object_type="api.apitoken", object_id=str(new.token.pk)).order_by(
            "seq"
        )
    )
    assert [(e.action, e.username, e.purpose) for e in log] == [
        ("create", "police.analyst", TOKEN_PURPOSE),
        ("change", "police.analyst", TOKEN_PURPOSE),
    ]
    assert log[0].detail["prefix"] == new.token.prefix
    assert new.secret not in str(log[0].detail)


def test_bad_requests_say_what_to_do(world: SimpleNamespace) -> None:
    with pytest.raises(TokenError, match="1 to 366 days"):
        create_token(world.analyst, days=0)
    world.unlinked.is_active = False
    with pytest.raises(TokenError, match="inactive"):
        create_token(world.unlinked)
    with pytest.raises(TokenError, match="no token with prefix"):
        find_token("asb_ffffffffffff_")
    new = create_token(world.analyst)
    assert find_token(new.secret).pk == find_token(new.token.prefix).pk == new.token.pk


# -- the tokens page -------------------------------------------------------------------------


def test_page_creates_shows_once_and_revokes(client: Any, world: SimpleNamespace) -> None:
    client.force_login(world.analyst)
    created = client.post("/api/v1/tokens/", {"name": "GIS import", "days": "30"})
    assert created.status_code == 201
    token = ApiToken.objects.get(user=world.analyst)
    shown = re.findall(r'value="(asb_[^"]+)"', created.content.decode())
    assert len(shown) == 1
    secret = shown[0]
    assert hashlib.sha256(secret.encode()).hexdigest() == token.token_hash
    page = client.get("/api/v1/tokens/").content.decode()
    assert "GIS import" in page and secret not in page and f"asb_{token.prefix}_" in page
    assert client.get(URL, **bearer(secret)).status_code == 200
    assert client.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 302
    assert client.get(URL, **bearer(secret)).status_code == 401


def test_page_errors_and_other_users_tokens(client: Any, world: SimpleNamespace) -> None:
    client.force_login(world.analyst)
    bad = client.post("/api/v1/tokens/", {"name": "", "days": "12"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "govuk-error-summary" in html and "Enter what the token is for" in html
    assert "Choose how long the token lasts" in html
    assert not ApiToken.objects.exists()
    theirs = create_token(world.officer)
    assert client.post(f"/api/v1/tokens/{theirs.token.pk}/revoke/").status_code == 404
    assert client.get(f"/api/v1/tokens/{theirs.token.pk}/revoke/").status_code == 405
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_at is None


def test_page_needs_sign_in_and_csrf(world: SimpleNamespace) -> None:
    anonymous = Client(HTTP_HOST="127.0.0.1")
    assert anonymous.get("/api/v1/tokens/").status_code == 302
    strict = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    strict.force_login(world.analyst)
    assert strict.post("/api/v1/tokens/", {"name": "x", "days": "30"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_admin_revokes_through_the_audited_path(client: Any, world: SimpleNamespace) -> None:
    from asbhub.web.api.admin import ApiTokenAdmin

    new = create_token(world.analyst)
    admin_user = world.unlinked
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [str(new.token.pk)]}
    )
    assert response.status_code == 302
    assert check_token(new.secret).user is None
    entry = AuditEntry.objects.filter(object_type="api.apitoken", action="change").get()
    assert (entry.username, entry.detail["channel"]) == ("no.agency", "admin")
    assert "revoked_at" in ApiTokenAdmin.readonly_fields
