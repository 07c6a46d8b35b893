"""Signing in through the browser: a demonstration account gets in, a wrong password does not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_sign_in_shows_the_signed_in_navigation(page: Any, live_server: LiveServer) -> None:
    page.goto("/sign-in/")
    assert page.title() == "Sign in – asbhub"
    assert_accessible(page, "sign-in page")
    nav = page.get_by_role("navigation", name="Main")
    # Signed out: the public links and the way in, none of the partner pages.
    assert nav.get_by_role("link", name="Partner sign in").count() == 1
    assert nav.get_by_role("link", name="Plans (PMPs)").count() == 0

    sign_in(page, live_server, "demo.analyst")
    assert page.url == live_server.url + "/"  # LOGIN_REDIRECT_URL: the overview
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Plans (PMPs)", "Risk reviews", "People to review"):
        assert nav.get_by_role("link", name=name).count() == 1, name
    # Pages an analyst may not open are not linked (access.can_open; issue #12).
    for name in ("Scrutiny dashboard", "Audit log", "Usage"):
        assert nav.get_by_role("link", name=name).count() == 0, name
    assert nav.get_by_role("button", name="Sign out demo.analyst").count() == 1
    assert nav.get_by_role("link", name="Partner sign in").count() == 0
    assert_accessible(page, "overview, signed in")

    nav.get_by_role("button", name="Sign out demo.analyst").click()
    page.wait_for_load_state()
    assert "/sign-in/" in page.url
    assert (
        page.get_by_role("navigation", name="Main")
        .get_by_role("link", name="Partner sign in")
        .count()
        == 1
    )


def test_wrong_password_is_refused_with_an_error_summary(
    page: Any, live_server: LiveServer
) -> None:
    page.goto("/sign-in/")
    page.get_by_label("Username").fill("demo.fire")
    # Not the account's password: the real one is random and at least 16 characters long.
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/sign-in/" in page.url
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("heading", name="There is a problem").count() == 1
    link = summary.get_by_role("link")
    assert link.count() == 1 and link.get_attribute("href") == "#id_username"
    # GOV.UK Frontend moves focus to the summary, so a screen reader announces it at once.
    assert page.evaluate("() => document.activeElement.classList.contains('govuk-error-summary')")
    assert page.get_by_label("Username").input_value() == "demo.fire"
    assert page.get_by_label("Password").input_value() == ""  # a password is never echoed
    assert_accessible(page, "sign-in page with an error")
    # Not signed in: a partner page sends the browser back to sign in.
    page.goto("/pmps/")
    assert "/sign-in/" in page.url
