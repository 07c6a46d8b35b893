"""CSRF: every page of the site refuses a POST without the token (signed in where the page
needs it), so another site cannot submit a form in a signed-in user's name.

Every route is tried, not only those with forms: a POST without a token must never reach a
view. For routes that do accept POST (found by posting without CSRF checks: anything but 405),
the same POST with the token gets past the check, so the 403 is the token's doing.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.security.support import new_client

setup_django()

from tests.security.registry import API, PUBLIC, ROUTES, route_for, url  # noqa: E402

CSRF_FAILED = "CSRF verification failed"
#: Every route but the API's (bearer tokens, no cookies, read-only: see test_routes.py).
FORM_ROUTES = sorted(n for n, r in ROUTES.items() if r.kind != API)


def _who(name: str) -> str | None:
    route = route_for(name)
    return None if route.kind == PUBLIC else route.owner


def _browser(w: SimpleNamespace, who: str | None, *, enforce: bool) -> Any:
    from django.conf import settings

    browser = new_client(enforce_csrf_checks=enforce)
    if who is not None:
        browser.cookies[settings.SESSION_COOKIE_NAME] = w.clients[who][1]
    return browser


def _post(browser: Any, name: str, w: SimpleNamespace, **headers: Any) -> Any:
    return browser.post(url(name, w).split("?")[0], {}, **headers)


@pytest.mark.parametrize("name", FORM_ROUTES)
def test_post_without_token_is_refused(name: str, world: SimpleNamespace, db: str) -> None:
    browser = _browser(world, _who(name), enforce=True)
    forged = _post(browser, name, world)
    assert forged.status_code == 403, f"{name}: {forged.status_code}"
    assert CSRF_FAILED in forged.content.decode(), f"{name} refused the POST, but not for CSRF"
    accepts_post = _post(_browser(world, _who(name), enforce=False), name, world)
    if accepts_post.status_code == 405:
        return
    # With the token (cookie and header, as a page's form or htmx sends them) the POST gets
    # past the check: the 403 above was the missing token's doing.
    browser.get("/scrutiny/questions/ask/")  # a page with a form sets the cookie
    token = browser.cookies["csrftoken"].value
    honest = _post(browser, name, world, HTTP_X_CSRFTOKEN=token)
    assert CSRF_FAILED not in honest.content.decode(), f"{name}: the token was refused"


def test_csrf_checks_hold_for_the_admin(world: SimpleNamespace, db: str) -> None:
    staff = _browser(world, "staff", enforce=True)
    path = f"/admin/partners/agency/{world.council.pk}/change/"
    assert staff.get(path).status_code == 200
    forged = staff.post(path, {"name": "Changed by another site", "kind": "housing"})
    assert forged.status_code == 403 and CSRF_FAILED in forged.content.decode()
    from asbhub.records.partners.models import Agency

    assert Agency.objects.get(pk=world.council.pk).name == world.council.name


def test_forged_sign_out_keeps_the_user_signed_in(world: SimpleNamespace, db: str) -> None:
    browser = _browser(world, "analyst", enforce=True)
    assert browser.post("/sign-out/").status_code == 403
    assert browser.get(url("cases:pmp-list", world)).status_code == 200
