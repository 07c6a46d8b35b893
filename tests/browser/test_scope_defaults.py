"""Issue #12 items 2-3 in a real browser on the demo store (real sample plus SYNTHETIC rows):
the hot spot page and the Commissioner's dashboard open on the latest complete month of real
data, name their force and leave synthetic data out, with figures checked against SQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, query_db, sign_in

pytestmark = pytest.mark.browser

FORCE = "Derbyshire Constabulary"
ASB = "Anti-social behaviour"
#: Where screenshots go when ASBHUB_SCREENSHOTS names a folder (to look at the pages).
SHOTS = os.environ.get("ASBHUB_SCREENSHOTS")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _latest_real_month(live_server: LiveServer) -> str:
    return query_db(
        live_server,
        "SELECT MAX(i.month) FROM incidents_incident i JOIN incidents_source s "
        "ON s.id = i.source_id WHERE s.kind = 'police_uk_street'",
    )[0][0]


def test_analyst_hot_spots_open_on_the_latest_real_month(
    page: Any, live_server: LiveServer
) -> None:
    sign_in(page, live_server, "demo.analyst")
    page.goto("/hotspots/")
    page.wait_for_load_state()
    month = _latest_real_month(live_server)
    assert page.locator("#id_from").input_value() == month
    assert page.locator("#id_to").input_value() == month
    assert page.locator("#hotspot-scope").inner_text() == (
        f"Data: {FORCE}: published police.uk records and force exports; synthetic data left out."
    )
    published = query_db(
        live_server,
        "SELECT COUNT(*) FROM incidents_incident i JOIN incidents_source s "
        "ON s.id = i.source_id WHERE s.kind = 'police_uk_street' "
        "AND i.crime_type = ? AND i.month = ?",
        (ASB, month),
    )[0][0]
    every = query_db(
        live_server,
        "SELECT COUNT(*) FROM incidents_incident WHERE crime_type = ? AND month = ?",
        (ASB, month),
    )[0][0]
    assert every > published, "the demo store mixes synthetic rows into the real month"
    records = page.locator("dt:text-is('Records') + dd").inner_text()
    assert records.startswith(f"{published:,} matching"), records
    page.locator("#hotspot-map-status").filter(has_text="Hover over a cell").wait_for()
    assert_accessible(page, "hot spots, default")
    _shot(page, "hotspots-default")


def test_thin_choice_says_too_few_and_offers_a_wider_period(
    page: Any, live_server: LiveServer
) -> None:
    import csv
    from urllib.parse import urlencode

    from asbhub.geo import bundled_areas_folder

    month = _latest_real_month(live_server)
    # The rarest crime type of the month in the LPU where it is rarest: a handful of records.
    with (bundled_areas_folder() / "areas.csv").open(encoding="utf-8", newline="") as fh:
        lpu_of = {r["lsoa_code"]: r["lpu"] for r in csv.DictReader(fh)}
    rows = query_db(
        live_server,
        "SELECT i.crime_type, l.lsoa_code FROM incidents_incident i JOIN "
        "incidents_source s ON s.id = i.source_id JOIN incidents_location l ON "
        "l.id = i.location_id WHERE s.kind = 'police_uk_street' AND i.month = ? "
        "AND l.easting IS NOT NULL",
        (month,),
    )
    counts: dict[tuple[str, str], int] = {}
    for crime_type, code in rows:
        if code in lpu_of:
            key = (crime_type, lpu_of[code])
            counts[key] = counts.get(key, 0) + 1
    (crime_type, lpu), n = min(counts.items(), key=lambda kv: (kv[1], kv[0]))
    assert 0 < n < 30
    page.goto(
        "/hotspots/?"
        + urlencode(
            {
                "area": lpu,
                "crime_type": crime_type,
                "from": month,
                "to": month,
                "method": "gistar",
                "cell": "auto",
            }
        )
    )
    page.wait_for_load_state()
    box = page.locator("#hotspot-too-few")
    assert "Too few records to test for hot spots" in box.inner_text()
    assert "Gi* needs at least 30 records in at least 10 cells" in box.inner_text()
    assert_accessible(page, "hot spots, too few")
    _shot(page, "hotspots-too-few")
    box.get_by_role("link").click()
    page.wait_for_load_state()
    assert "from=" in page.url and f"from={month}" not in page.url


def test_dashboard_names_its_force_and_opens_on_the_latest_real_month(
    page: Any, live_server: LiveServer
) -> None:
    sign_in(page, live_server, "demo.opcc")
    page.goto("/scrutiny/dashboard/")
    page.wait_for_load_state()
    month = _latest_real_month(live_server)
    assert page.locator("#id_period").input_value() == month
    heading = page.get_by_role("heading", level=2).first.inner_text()
    assert heading.startswith(f"Neighbourhood crime and anti-social behaviour: {FORCE}")
    text = page.locator("main").inner_text()
    assert text.count(f"{FORCE}: published police.uk records and force exports") >= 6
    assert "SYNTHETIC demonstration" not in page.locator("#force-comparison").inner_text()
    # The demo's only call log is synthetic: shown, and said to be.
    assert "SYNTHETIC call logs (fictional calls)" in page.locator("#call-handling").inner_text()
    assert_accessible(page, "dashboard, default")
    _shot(page, "dashboard-default")


def test_overview_counts_the_published_month_not_the_synthetic_rows(
    page: Any, live_server: LiveServer
) -> None:
    page.goto("/")
    page.wait_for_load_state()
    month = _latest_real_month(live_server)
    published = query_db(
        live_server,
        "SELECT COUNT(*) FROM incidents_incident i JOIN incidents_source s "
        "ON s.id = i.source_id WHERE s.kind = 'police_uk_street' "
        "AND i.crime_type = ? AND i.month = ?",
        (ASB, month),
    )[0][0]
    table = page.locator("#by-type-caption").locator("xpath=..")
    headers = table.locator("thead th").all_inner_texts()
    label = {"2019-02": "Feb 2019"}.get(month, month)
    row = table.locator("tbody tr", has=page.locator("th", has_text=ASB)).last
    cells = row.locator("td").all_inner_texts()
    assert cells[headers.index(label) - 1] == f"{published:,}"
    assert "synthetic records" in page.locator("#synthetic-left-out").inner_text()
    _shot(page, "overview")
