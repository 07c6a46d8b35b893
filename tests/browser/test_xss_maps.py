"""Stored script injection into the maps, run in Chromium under the site's Content Security
Policy (issue #10, classes 1 and 10).

- A member of the public reports ASB with a script payload as the place's description; an
  analyst opens a plan's incident picker for that place and month: the marker's tooltip shows
  the words as text, no element of the payload is made and no script runs.
- A data.police.uk location text with a payload (as a crafted street file would load it)
  reaches the public home page's map: its tooltip and popup show it as text.
- The Swagger UI at /api/v1/docs draws under the CSP.

Every page is also checked by the ``page`` fixture for CSP violations and JavaScript errors.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, query_db, sign_in

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror="window.__xss=1">Synthetic place<b onmouseover="window.__xss=2">'
#: Before the page's scripts run: remember every Leaflet map made, so the test can open every
#: tooltip and popup through Leaflet itself (the overview draws its circles on a canvas).
LEAFLET_HOOK = """
(function () {
  var leaflet;
  Object.defineProperty(window, "L", {
    configurable: true,
    get: function () { return leaflet; },
    set: function (value) {
      leaflet = value;
      if (value && value.Map && value.Map.addInitHook) {
        value.Map.addInitHook(function () { (window.__maps = window.__maps || []).push(this); });
      }
    }
  });
})();
"""
#: Opens every tooltip and popup of every map, one layer at a time, and returns what each
#: showed: its text and the tag names of any elements other than the text holder.
OPEN_ALL = """
(wanted) => {
  var out = [];
  (window.__maps || []).forEach(function (map) {
    map.eachLayer(function (layer) {
      ["Tooltip", "Popup"].forEach(function (kind) {
        if (!layer["get" + kind] || !layer["get" + kind]()) { return; }
        var overlay = layer["get" + kind]();
        var content = overlay.getContent();
        var text = typeof content === "string" ? content : (content && content.textContent);
        if (!text || text.indexOf(wanted) < 0 && text.indexOf("Synthetic place") < 0) {
          return;   // not the payload's layer (a string holding HTML still contains it)
        }
        layer["open" + kind]();
        var node = overlay.getElement();
        var inner = node.querySelector(".leaflet-" + kind.toLowerCase() + "-content") || node;
        out.push({kind: kind, text: inner.textContent,
                  tags: Array.from(inner.querySelectorAll("img, b, script, iframe, svg"))
                    .map(function (e) { return e.tagName; })});
        layer["close" + kind]();
      });
    });
  });
  return out;
}
"""


def _no_script_ran(page: Any) -> None:
    assert page.evaluate("() => window.__xss") is None, "the payload's script ran"


def test_public_report_place_is_text_in_the_plan_map_tooltip(
    page: Any, live_server: LiveServer
) -> None:
    page.goto("/report-asb/")
    page.locator("#id_category_1").check()
    page.get_by_label("What happened?").fill("Synthetic test report for the map tooltip.")
    page.get_by_label("Date it happened").fill(
        page.evaluate("() => new Date(Date.now() - 864e5).toLocaleDateString('en-GB')")
    )
    page.locator("#id_location_text").fill(PAYLOAD)
    the_map = page.locator("#report-map")
    the_map.locator(".leaflet-pane").first.wait_for(state="attached")
    the_map.click()
    page.get_by_role("button", name="Send report").click()
    page.wait_for_load_state()
    assert "/report-asb/done/" in page.url, page.locator("main").inner_text()[:500]
    reference = page.locator(".govuk-panel__body strong").inner_text()
    rows = query_db(
        live_server,
        "SELECT i.month, i.lpu, l.lsoa_code, l.description FROM incidents_incident i"
        " JOIN incidents_location l ON l.id = i.location_id WHERE i.reference = ?",
        (reference,),
    )
    assert len(rows) == 1, rows
    month, lpu, lsoa, description = rows[0]
    assert description == PAYLOAD, "the report's place was not stored as typed"
    assert lpu and lsoa, f"the map click fell outside every LPU: {rows}"

    # An analyst's plan in that LPU, its picker narrowed to the report's LSOA and month.
    sign_in(page, live_server, "demo.analyst")
    page.goto("/pmps/new/")
    page.get_by_label("Title").fill("Browser test: script in a resident's place")
    page.get_by_label("Problem type").select_option(index=1)
    page.get_by_label("Local Policing Unit").select_option(lpu)
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "/incidents/" in page.url, page.locator("main").inner_text()[:500]
    page.context.add_init_script(LEAFLET_HOOK)
    page.goto(f"{page.url.split('?')[0]}?first={month}&last={month}&area={lsoa}")
    page.wait_for_selector("#pmp-map[data-loaded]")
    # The page itself (the list under the map) shows the place escaped, as text.
    assert page.locator("main").inner_text().count("Synthetic place") >= 1
    shown = page.evaluate(OPEN_ALL, PAYLOAD)
    tooltips = [s for s in shown if s["kind"] == "Tooltip"]
    assert tooltips, f"no marker's tooltip holds the report's place: {shown}"
    for s in tooltips:
        assert PAYLOAD in s["text"], f"the tooltip does not show the place as text: {s}"
        assert s["tags"] == [], f"the tooltip made elements from the place: {s}"
    assert page.locator(".leaflet-tooltip img, .leaflet-popup img").count() == 0
    _no_script_ran(page)
    assert_accessible(page, "incident picker with a payload")


def test_police_uk_location_text_is_text_on_the_public_map(
    page: Any, live_server: LiveServer
) -> None:
    # The first police.uk ASB record of the latest month: its place gets the payload, as a
    # crafted street file would give it (restored afterwards for the other tests).
    month = query_db(
        live_server,
        "SELECT max(i.month) FROM incidents_incident i JOIN incidents_source s ON"
        " s.id = i.source_id WHERE i.record_type = 'asb' AND s.kind = 'police_uk_street'",
    )
    assert month and month[0][0], "the demo loaded no police.uk ASB"
    found = query_db(
        live_server,
        "SELECT l.id, l.description FROM incidents_incident i JOIN incidents_source"
        " s ON s.id = i.source_id JOIN incidents_location l ON l.id = i.location_id"
        " WHERE i.record_type = 'asb' AND s.kind = 'police_uk_street' AND i.month = ?"
        " AND i.public_report = 0 AND l.latitude IS NOT NULL ORDER BY i.id LIMIT 1",
        (month[0][0],),
    )
    assert found, "no police.uk ASB record with a position in the latest month"
    location_id, original = found[0]
    path = live_server.db.removeprefix("sqlite:///")

    def set_description(text: str) -> None:
        conn = sqlite3.connect(path, timeout=30)
        try:
            with conn:
                conn.execute(
                    "UPDATE incidents_location SET description = ? WHERE id = ?",
                    (text, location_id),
                )
        finally:
            conn.close()

    # A crafted street file arrives as a load: the store's version moves on (a newer load
    # time), so the server's figures cached per store version (asbhub.web.versioned) are
    # recomputed, as they are after a real load; restored afterwards with the description.
    source_id, loaded_at = query_db(
        live_server,
        "SELECT s.id, s.loaded_at FROM incidents_incident i JOIN incidents_source s"
        " ON s.id = i.source_id WHERE i.location_id = ? ORDER BY i.id LIMIT 1",
        (location_id,),
    )[0]

    def set_loaded_at(value: str) -> None:
        conn = sqlite3.connect(path, timeout=30)
        try:
            with conn:
                conn.execute(
                    "UPDATE incidents_source SET loaded_at = ? WHERE id = ?", (value, source_id)
                )
        finally:
            conn.close()

    set_description(PAYLOAD)
    set_loaded_at(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S.%f}")
    try:
        page.context.add_init_script(LEAFLET_HOOK)
        page.goto("/")
        page.wait_for_function(
            "() => /^Showing/.test(document.getElementById('asb-map-status').textContent)"
        )
        shown = page.evaluate(OPEN_ALL, PAYLOAD)
    finally:
        set_description(original)
        set_loaded_at(loaded_at)
    kinds = sorted(s["kind"] for s in shown)
    assert kinds == ["Popup", "Tooltip"], f"expected the place's tooltip and popup: {shown}"
    for s in shown:
        assert PAYLOAD in s["text"], f"the {s['kind']} does not show the place as text: {s}"
        assert s["tags"] == [], f"the {s['kind']} made elements from the place: {s}"
    _no_script_ran(page)


def test_swagger_ui_works_under_the_csp(page: Any, live_server: LiveServer) -> None:
    response = page.goto("/api/v1/docs")
    assert response is not None and response.status == 200
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, policy
    # Swagger UI fetched the OpenAPI document and drew the operations from it.
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() >= 8
    assert "asbhub" in page.locator(".swagger-ui .info").inner_text().lower()


#: Pages (as whom) the other browser tests may not visit, each checked by the ``page`` fixture
#: for CSP violations: the SVG evidence bars, the weekly pack's map, the briefing, registers.
WALK = {
    "demo.analyst": [
        "/hotspots/",
        "/briefing/?purpose=tasking",
        "/weekly/?lpu=Erewash",
        "/pmps/",
        "/powers/",
        "/case-reviews/",
        "/risk/",
        "/risk/calibration/",
        "/people/review/",
        "/api/v1/tokens/",
    ],
    "demo.supervisor": ["/partners/audit/", "/partners/usage/", "/scrutiny/dashboard/"],
    "demo.admin": ["/admin/", "/admin/partners/agency/", "/admin/partners/agency/add/"],
}


@pytest.mark.parametrize("username", sorted(WALK))
def test_pages_draw_without_a_csp_violation(
    page: Any, live_server: LiveServer, username: str
) -> None:
    sign_in(page, live_server, username)
    for path in WALK[username]:
        response = page.goto(path)
        assert response is not None and response.status < 400, f"{path}: {response}"
        page.wait_for_load_state("load")
        assert "unsafe" not in response.headers.get("content-security-policy", "x-unsafe")
        # No <style> element made by a script (htmx's own would be one) nor sent by the page.
        assert page.locator("style").count() == 0, f"{path} has a <style> element"
        # GOV.UK Frontend's module started (its class is set by the static js-enabled.js).
        if not path.startswith("/admin/"):
            assert "govuk-frontend-supported" in (
                page.locator("body").get_attribute("class") or ""
            ), path
