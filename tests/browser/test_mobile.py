"""At 375 px wide (an SNT officer's phone) every page fits the screen: no sideways scrolling,
and the navigation folds behind a Menu button that opens it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}

PUBLIC_PAGES = [
    "/",
    "/hotspots/?crime_type=asb&method=gistar",
    "/report-asb/",
    "/asb-advice/",
    "/asb-figures/?area=lpu:Erewash",
    "/scrutiny/questions/",
    "/scrutiny/questions/ask/",
    "/sign-in/",
]
SIGNED_IN_PAGES = [
    "/scrutiny/dashboard/?period=2019-02&area=",
    "/pmps/",
    "/powers/",
    "/partners/usage/",
    "/partners/audit/",
]


def _assert_fits(page: Any, path: str) -> None:
    wide = page.evaluate("""() => {
        const w = document.documentElement.clientWidth;
        const out = [];
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            // Content inside a scrolling box (a wide table) may be wider than the screen.
            if (r.right > w + 1 && !el.closest('.table-scroll, .leaflet-container')) {
                out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                         (el.className && typeof el.className === 'string'
                          ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
                         ' right=' + Math.round(r.right));
            }
        }
        return {scroll: document.documentElement.scrollWidth, width: w, wide: out.slice(0, 8)};
    }""")
    assert wide["scroll"] <= wide["width"], f"{path} scrolls sideways at 375 px: {wide}"


def test_menu_folds_and_opens_on_a_phone(page: Any, live_server: LiveServer) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    overview = nav.get_by_role("link", name="Overview")
    assert menu.is_visible() and not overview.is_visible()
    assert menu.get_attribute("aria-expanded") == "false"
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true" and overview.is_visible()
    assert_accessible(page, "overview on a phone, menu open")
    # On a desktop the links show and there is no Menu button.
    page.set_viewport_size({"width": 1200, "height": 800})
    page.reload()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Overview").is_visible()
    assert not nav.get_by_role("button", name="Menu").is_visible()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_fits_a_phone(page: Any, live_server: LiveServer, path: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    _assert_fits(page, path)
    assert_accessible(page, f"{path} on a phone")


def test_signed_in_pages_fit_a_phone(page: Any, live_server: LiveServer) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "demo.supervisor")
    for path in SIGNED_IN_PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        _assert_fits(page, path)
        assert_accessible(page, f"{path} on a phone")
