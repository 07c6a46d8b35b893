"""The overview and hot spots pages in a real browser: the map draws what the data hold."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, query_db

pytestmark = pytest.mark.browser


def _figure(page: Any, term: str) -> str:
    return (
        page.locator(".summary__item")
        .filter(has=page.locator("dt", has_text=term))
        .locator(".summary__figure")
        .inner_text()
    )


def test_overview_counts_and_map_match_the_database(page: Any, live_server: LiveServer) -> None:
    # Counted here straight from the tables, not by the code behind the page.
    # Synthetic rows are loaded but left out of the figures (issue #12), and said to be.
    [(total,)] = query_db(
        live_server,
        "SELECT COUNT(*) FROM incidents_incident i JOIN "
        "incidents_source s ON s.id = i.source_id "
        "WHERE UPPER(s.force) NOT LIKE 'SYNTHETIC%'",
    )
    [(synthetic,)] = query_db(
        live_server,
        "SELECT COUNT(*) FROM incidents_incident i JOIN "
        "incidents_source s ON s.id = i.source_id "
        "WHERE UPPER(s.force) LIKE 'SYNTHETIC%'",
    )
    assert synthetic > 0
    # Only data.police.uk's anonymised points are mapped for the public: not the synthetic
    # force export's exact points, nor the public's own reports.
    [(month,)] = query_db(
        live_server,
        """
        SELECT MAX(i.month) FROM incidents_incident i JOIN incidents_source s
          ON s.id = i.source_id
        WHERE i.record_type = 'asb' AND NOT i.public_report AND s.kind = 'police_uk_street'""",
    )
    [(placed, places)] = query_db(
        live_server,
        """
        SELECT COUNT(*), COUNT(DISTINCT l.longitude || ',' || l.latitude)
        FROM incidents_incident i JOIN incidents_location l ON l.id = i.location_id
          JOIN incidents_source s ON s.id = i.source_id
        WHERE i.record_type = 'asb' AND i.month = ? AND NOT i.public_report
          AND s.kind = 'police_uk_street'
          AND l.longitude IS NOT NULL AND l.latitude IS NOT NULL""",
        (month,),
    )
    assert month == "2019-02"
    assert placed > 0 and places > 0

    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Overview"
    assert _figure(page, "Records loaded") == f"{total:,}"
    assert f"{synthetic:,} synthetic records" in page.locator("#synthetic-left-out").inner_text()
    # The map's status line says what it drew: one circle per published point.
    status = page.locator("#asb-map-status")
    status.filter(has_text="Showing").wait_for()
    assert status.inner_text().startswith(
        f"Showing {placed:,} ASB incidents at {places:,} places in "
    )
    assert page.locator("#asb-map canvas").count() == 1  # drawn (on canvas: thousands)
    assert_accessible(page, "overview")


def test_hot_spots_page_maps_the_chosen_analysis(page: Any, live_server: LiveServer) -> None:
    page.goto("/hotspots/")
    assert_accessible(page, "hot spots, first visit")
    page.get_by_role("button", name="Show hot spots").click()
    page.wait_for_load_state()
    status = page.locator("#hotspot-map-status")
    status.filter(has_text="Hover over a cell").wait_for()
    assert page.locator("#hotspot-map canvas").count() == 1
    # The script counts hot spots in the GeoJSON it drew; the server counted them for the
    # table by LPU: two paths to the same figure.
    m = re.match(
        r"Showing ([\d,]+) cells?: ([\d,]+) hot spots? and ([\d,]+) cold spots?\.",
        status.inner_text(),
    )
    assert m, status.inner_text()
    drawn_hot = int(m.group(2).replace(",", ""))
    table = page.locator("table", has=page.locator("#by-lpu-caption"))
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    totals = [c.strip() for c in table.locator("tfoot td").all_inner_texts()]
    assert int(totals[headers.index("All hot spot cells") - 1].replace(",", "")) == drawn_hot
    assert drawn_hot > 0
    ranks = page.locator("table", has=page.locator("#top-caption")).locator("tbody tr")
    assert ranks.count() > 0
    assert ranks.first.locator("td").first.inner_text() == "1"
    assert_accessible(page, "hot spots with a map")


def test_hot_spots_form_errors_are_summarised(page: Any, live_server: LiveServer) -> None:
    page.goto("/hotspots/?method=nonsense")
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("heading", name="There is a problem").count() == 1
    target = summary.get_by_role("link").first.get_attribute("href")
    assert re.fullmatch(r"#id_method_0", target), target
    assert page.locator(target).count() == 1  # the link lands on the field
    assert_accessible(page, "hot spots with an error")
