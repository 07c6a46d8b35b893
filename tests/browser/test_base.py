"""The page frame every page shares (base.html): GOV.UK Frontend, MoJ Frontend and htmx are
loaded from this server and running, without GOV.UK branding, and the skip link works."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible

pytestmark = pytest.mark.browser


def test_frontend_libraries_run_without_gov_uk_branding(page: Any, live_server: LiveServer) -> None:
    page.goto("/asb-advice/")
    classes = page.evaluate("() => document.body.className").split()
    assert "govuk-frontend-supported" in classes and "js-enabled" in classes
    # GOV.UK Frontend initialised its components (each marks its root when it has) ...
    page.wait_for_selector("[data-govuk-service-navigation-init]", state="attached")
    # ... and htmx is the vendored version (see static/vendor/README.md).
    assert page.evaluate("() => window.htmx && window.htmx.version") == "2.0.11"
    # No GOV.UK crown, crest or typeface: a system font everywhere.
    for selector in (".govuk-header__logotype", ".govuk-logo", ".govuk-footer__copyright-logo"):
        assert page.locator(selector).count() == 0, selector
    fonts = page.evaluate(
        "() => [...new Set([...document.querySelectorAll('body *')]"
        ".map(e => getComputedStyle(e).fontFamily))]"
    )
    assert fonts and not [f for f in fonts if "GDS Transport" in f], fonts
    assert page.locator(".govuk-generic-header").inner_text().startswith("asbhub")
    footer = page.locator("footer")
    assert footer.get_by_role("link", name="Open Government Licence v3.0").count() == 1
    assert "Contains OS data © Crown copyright and database right 2025" in footer.inner_text()


def test_skip_link_is_first_and_moves_focus_to_the_content(
    page: Any, live_server: LiveServer
) -> None:
    page.goto("/asb-advice/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == (
        "Skip to main content"
    )
    assert skip.is_visible()  # shown once focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    assert_accessible(page, "advice after the skip link")
