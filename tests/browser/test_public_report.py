"""A member of the public reports ASB with a place picked on the map; an analyst then finds
it stored as an incident flagged as a public report, with the caller kept on the record."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, query_db, sign_in

pytestmark = pytest.mark.browser

#: Derbyshire's extent, generously rounded: a click anywhere on the map's force falls inside.
DERBYSHIRE_LAT = (52.6, 53.6)
DERBYSHIRE_LON = (-2.1, -1.1)


def _incident_id(live_server: LiveServer, reference: str) -> int:
    """The record id of the incident with ``reference``, read from the server's database file
    read-only (no Django ORM in a browser test)."""
    found = query_db(
        live_server, "SELECT id FROM incidents_incident WHERE reference = ?", (reference,)
    )
    assert len(found) == 1, f"{len(found)} incidents have the reference {reference}"
    return found[0][0]


def test_public_report_with_a_map_point_becomes_a_public_report_incident(
    page: Any, live_server: LiveServer
) -> None:
    page.goto("/report-asb/")
    assert_accessible(page, "report form")

    # Sent empty first: the summary lists what is missing and nothing is stored.
    page.get_by_role("button", name="Send report").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("heading", name="There is a problem").count() == 1
    hrefs = summary.get_by_role("link").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert "#id_category_0" in hrefs and "#id_description" in hrefs
    assert_accessible(page, "report form with errors")

    page.locator("#id_category_1").check()  # Nuisance
    page.get_by_label("What happened?").fill(
        "Synthetic test report: loud music and shouting from a parked car every night."
    )
    yesterday = dt.date.today() - dt.timedelta(days=1)
    page.get_by_label("Date it happened").fill(yesterday.strftime("%d/%m/%Y"))
    page.get_by_label("Time it happened (optional)").fill("22:15")
    page.get_by_label("Your name (optional)").fill("Robin Inventedname")

    # Pick the place: a click in the middle of the map, which is fitted to the force's LPUs.
    the_map = page.locator("#report-map")
    the_map.locator(".leaflet-pane").first.wait_for(state="attached")
    the_map.click()
    status = page.locator("#report-map-status")
    assert status.inner_text() == "Place marked on the map. Click elsewhere to move it."
    lat = float(page.locator("#id_latitude").input_value())
    lon = float(page.locator("#id_longitude").input_value())
    assert DERBYSHIRE_LAT[0] < lat < DERBYSHIRE_LAT[1], lat
    assert DERBYSHIRE_LON[0] < lon < DERBYSHIRE_LON[1], lon
    assert_accessible(page, "report form filled in")

    page.get_by_role("button", name="Send report").click()
    page.wait_for_load_state()
    assert "/report-asb/done/" in page.url
    reference = page.locator(".govuk-panel__body strong").inner_text()
    assert re.fullmatch(r"ASB-[A-Z2-9]{8}", reference), reference
    assert page.url.rstrip("/").endswith(reference)
    assert_accessible(page, "report sent")

    # The analyst sees it as a police record, flagged as a public report, placed in an LPU.
    sign_in(page, live_server, "demo.analyst")
    page.goto(f"/partners/incidents/{_incident_id(live_server, reference)}/")
    assert page.get_by_role("heading", name="Why do you need this record?").count() == 1
    assert_accessible(page, "record: purpose")
    page.get_by_label("Managing an ASB case or problem-solving plan").check()
    page.get_by_role("button", name="Show the record").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == f"Record {reference}"
    rows = dict(
        zip(
            page.locator("dl.govuk-summary-list").first.locator("dt").all_inner_texts(),
            page.locator("dl.govuk-summary-list").first.locator("dd").all_inner_texts(),
            strict=True,
        )
    )
    assert rows["Source"].startswith("Public report")
    assert rows["Type"] == "Anti-social behaviour (ASB category N)"
    assert rows["Month"] == yesterday.strftime("%Y-%m")
    assert rows["Local Policing Unit"], rows  # the map point was placed in an LPU
    caller = page.locator("ul.app-people > li", has=page.get_by_role("heading", name="Caller"))
    assert "Robin Inventedname" in caller.inner_text()
    assert_accessible(page, "record of the public report")
