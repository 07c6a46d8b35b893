"""The places page (issue #16 item 4) in Chromium: an analyst ranks the demo's real streets,
the page passes axe and its CSP, and the top street equals a count made here in SQL."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, query_db, sign_in

pytestmark = pytest.mark.browser


def test_analyst_ranks_places(page: Any, live_server: LiveServer) -> None:
    sign_in(page, live_server, "demo.analyst")
    page.goto("/hotspots/places/?from=2019-01&to=2019-01&crime_type=asb&level=point&square=150")
    assert_accessible(page, "places")
    folder = os.environ.get("ASBHUB_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, "hotspot-places.png"), full_page=True)
    # The busiest map point by an independent count in SQL on the server's database, of the
    # page's scope: the published data.police.uk records (the demo's synthetic export is not).
    rows = query_db(
        live_server,
        "SELECT l.description, COUNT(*) AS n FROM incidents_incident i "
        "JOIN incidents_location l ON l.id = i.location_id "
        "JOIN incidents_source s ON s.id = i.source_id AND s.kind = 'police_uk_street' "
        "WHERE i.month = '2019-01' AND i.crime_type = 'Anti-social behaviour' "
        "AND l.description LIKE 'On or near %' AND l.easting IS NOT NULL "
        "GROUP BY l.description, l.easting, l.northing ORDER BY n DESC LIMIT 1",
    )
    label, n = rows[0]
    first = page.locator("#places-top tbody tr").first
    cells = first.locator("td").all_inner_texts()
    assert cells[0] == "1" and cells[1].startswith(label) and cells[3] == str(n)
    assert page.locator("#places-squares tbody tr").count() == 10
    assert page.locator("svg polyline").count() == 1
