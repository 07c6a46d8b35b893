"""Issue #12 item 7: a resident's first five minutes, and tables readable at 1280 and 375 px.

A resident finds a street by its name (no map click, no geocoder), picks it, sends a report,
and the report is stored at that street: checked by SQL on the server's database file. The
same search works without JavaScript. The overview's month table shows its total and the
newest month without a sideways scroll at 1280 px; the PMP list shows Stage and Next review
on a 375 px phone; both against SQL.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, query_db, sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
STREET = "On or near Market Place"
LSOA_NAME = "Erewash 003E"  # the sample's busiest Market Place
#: Screenshots for a person to look at (kept in the pytest temp folder).
SHOTS = Path("/tmp/asbhub-public-shots")


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _in_viewport(page: Any, locator: Any, what: str) -> None:
    """``locator`` is visible and wholly inside the viewport's width, with no scrolling."""
    assert locator.is_visible(), f"{what} is not visible"
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
        f"{what} is outside the {width} px viewport: {box}"
    )
    # Not merely inside the page: inside its scrolling box's visible part too.
    clipped = locator.evaluate("""el => {
        const box = el.closest('.table-scroll');
        if (!box) return false;
        const r = el.getBoundingClientRect(), b = box.getBoundingClientRect();
        return r.left < b.left - 0.5 || r.right > b.right + 0.5;
    }""")
    assert not clipped, f"{what} is hidden behind a sideways scroll"


def _street_point(live_server: LiveServer) -> tuple[float, float]:
    """The mean of the published Market Place points in Erewash 003E, by SQL."""
    ((lat, lon, n),) = query_db(
        live_server,
        """
        SELECT AVG(latitude), AVG(longitude), COUNT(*) FROM incidents_location
        WHERE description = ? AND lsoa_name = ? AND key NOT LIKE 'public-report|%'""",
        (STREET, LSOA_NAME),
    )
    assert n >= 1
    return lat, lon


def _fill_report(page: Any, what: str) -> None:
    page.locator("#id_category_1").check()  # Nuisance
    page.get_by_label("What happened?").fill(what)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    page.get_by_label("Date it happened").fill(yesterday.strftime("%d/%m/%Y"))


def _stored(live_server: LiveServer, page: Any) -> tuple[Any, ...]:
    assert "/report-asb/done/" in page.url, page.locator("main").inner_text()[:800]
    reference = page.locator(".govuk-panel__body strong").inner_text()
    rows = query_db(
        live_server,
        """
        SELECT l.latitude, l.longitude, l.description, i.lpu, i.public_report, i.context
        FROM incidents_incident i JOIN incidents_location l ON l.id = i.location_id
        WHERE i.reference = ?""",
        (reference,),
    )
    assert len(rows) == 1, f"{len(rows)} incidents with the reference {reference}"
    return rows[0]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_resident_reports_asb_by_finding_a_street_by_name(
    page: Any, live_server: LiveServer, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    page.goto("/report-asb/")
    what = f"Synthetic test report ({viewport['width']} px): quad bikes round the square."
    _fill_report(page, what)
    page.get_by_label("Find a street, neighbourhood or town").fill("market place")
    page.get_by_role("button", name="Find place").click()
    results = page.locator("#place-results")
    results.get_by_text("Choose one:").wait_for()
    # Every Market Place of the force is offered, each with where it is; count them by SQL.
    expected = query_db(
        live_server,
        """
        SELECT COUNT(DISTINCT lsoa_code) FROM incidents_location
        WHERE description = ? AND lsoa_code IS NOT NULL AND key NOT LIKE 'public-report|%'""",
        (STREET,),
    )[0][0]
    choices = results.get_by_role("button", name="Market Place", exact=True)
    assert choices.count() == expected, results.inner_text()
    assert f"{expected} places found for ‘market place’" in results.inner_text()
    assert_accessible(page, f"report form, places found at {viewport['width']} px")
    choice = results.locator("li").filter(has_text=LSOA_NAME).get_by_role("button")
    _in_viewport(page, choice, "the Market Place choice")
    choice.click()
    status = page.locator("#report-map-status").inner_text()
    assert status.startswith(f"Place chosen: {STREET}, {LSOA_NAME}"), status
    where = page.get_by_label("Describe the place").input_value()
    assert where.startswith(f"{STREET}, {LSOA_NAME}"), where
    _shot(page, f"report-place-{viewport['width']}")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_load_state()

    lat, lon, description, lpu, public, context = _stored(live_server, page)
    want_lat, want_lon = _street_point(live_server)
    assert (lat, lon) == pytest.approx((want_lat, want_lon), abs=2e-6)
    assert description == where and lpu == "Erewash" and public == 1 and context == what


def test_place_search_works_without_javascript(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/report-asb/")
        page.get_by_label("Find a street, neighbourhood or town").fill("Sandiacre")
        page.get_by_role("button", name="Find place").click()
        page.wait_for_load_state()
        assert "place=Sandiacre" in page.url
        hood = page.locator("#place-results li").filter(has_text="Neighbourhood")
        assert hood.count() == 1
        hood.get_by_role("link", name="Sandiacre").click()
        page.wait_for_load_state()
        assert (
            page.get_by_label("Describe the place").input_value()
            == "Sandiacre neighbourhood (Erewash)"
        )
        lat = float(page.locator("#id_latitude").input_value())
        # The neighbourhood's point: the mean of the published points in its LSOAs, by SQL.
        codes = query_db(
            live_server,
            "SELECT COUNT(*) FROM incidents_location WHERE key NOT LIKE 'public-report|%'",
        )
        assert codes[0][0] > 0 and 52.8 < lat < 53.0, lat
        _fill_report(page, "Synthetic test report without JavaScript: fireworks in the park.")
        page.get_by_role("button", name="Send report").click()
        page.wait_for_load_state()
        stored_lat, _, description, lpu, _, _ = _stored(live_server, page)
        assert description == "Sandiacre neighbourhood (Erewash)" and lpu == "Erewash"
        assert stored_lat == pytest.approx(lat, abs=1e-6)
    finally:
        context.close()


def test_month_table_shows_total_and_newest_month_at_1280(
    page: Any, live_server: LiveServer
) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto("/")
    table = page.locator("table").filter(has=page.locator("caption", has_text="by month"))
    headers = table.locator("thead th")
    assert headers.nth(1).inner_text() == "Total"
    _in_viewport(page, headers.nth(1), "the Total column")
    _in_viewport(page, headers.nth(2), "the newest month")
    # The overview counts real records only: synthetic sources are left out (issue #12).
    real = """
        FROM incidents_incident i JOIN incidents_source s ON s.id = i.source_id
        WHERE s.force NOT LIKE 'SYNTHETIC%' AND i.month GLOB '[12][0-9][0-9][0-9]-[01][0-9]'"""
    newest, total, n_months = query_db(
        live_server, f"SELECT MAX(i.month), COUNT(*), COUNT(DISTINCT i.month) {real}"
    )[0]
    year, month = int(newest[:4]), int(newest[5:7])
    label = dt.date(year, month, 1).strftime("%b %Y")
    assert headers.nth(2).inner_text() == label
    foot = table.locator("tfoot td")
    _in_viewport(page, foot.nth(0), "the grand total")
    assert int(foot.nth(0).inner_text().replace(",", "")) == total
    in_newest = query_db(live_server, f"SELECT COUNT(*) {real} AND i.month = ?", (newest,))[0][0]
    assert int(foot.nth(1).inner_text().replace(",", "")) == in_newest
    # The demo's real months need no sideways scroll at all.
    months = headers.count() - 2
    scroll = table.locator("xpath=..").evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert months == n_months and scroll[0] <= scroll[1], (months, n_months, scroll)
    covered = page.locator(".summary__item").filter(has_text="Months covered").inner_text()
    assert re.search(r"\bto\b", covered) and "no records for" not in covered, covered
    _shot(page, "overview-1280")


def test_pmp_list_shows_stage_and_next_review_on_a_phone(
    page: Any, live_server: LiveServer
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "demo.supervisor")
    page.goto("/pmps/")
    rows = page.locator("main table tbody tr")
    plans = query_db(live_server, "SELECT reference, next_review_due, stage FROM cases_pmp")
    assert rows.count() == len(plans) > 0
    due = {reference: day for reference, day, _ in plans}
    closed = {reference for reference, _, stage in plans if stage == "closed"}
    for i in range(rows.count()):
        row = rows.nth(i)
        cells = row.locator("td")  # Reference, Title, Problem, LPU, Stage, Next review
        reference = cells.nth(0).inner_text()
        stage, review = cells.nth(4), cells.nth(5)
        row.scroll_into_view_if_needed()
        _in_viewport(page, stage, f"{reference}'s Stage")
        _in_viewport(page, review, f"{reference}'s Next review")
        # Each cell says what it is (the column headings are off screen on a phone).
        assert (stage.get_attribute("data-label"), review.get_attribute("data-label")) == (
            "Stage",
            "Next review",
        )
        text = review.inner_text()
        if reference in closed:  # a closed plan has no review due
            assert text == "None: closed", (reference, text)
        elif due[reference]:
            day = dt.date.fromisoformat(due[reference][:10])
            assert f"{day.day} {day.strftime('%b %Y')}" in text, (reference, text)
    assert_accessible(page, "PMP list on a phone")
    _shot(page, "pmp-list-375")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "375"])
def test_case_review_form_asks_where_in_residents_words(
    page: Any, live_server: LiveServer, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    page.goto("/case-review/apply/")
    place = page.get_by_label("Where is the problem?")
    assert place.evaluate("el => el.tagName") == "INPUT"
    assert "North East" not in page.locator("main").inner_text()
    _in_viewport(page, place, "the place box")
    assert_accessible(page, f"Case Review form at {viewport['width']} px")


def test_case_review_applicant_finds_the_place_by_name(page: Any, live_server: LiveServer) -> None:
    page.goto("/case-review/apply/")
    page.get_by_label("Find a street, neighbourhood or town (optional)").fill("sandiacre")
    page.get_by_role("button", name="Find place").click()
    results = page.locator("#place-results")
    results.get_by_text("Choose one:").wait_for()
    results.locator("li").filter(has_text="Neighbourhood").get_by_role(
        "button", name="Sandiacre"
    ).click()
    place = page.get_by_label("Where is the problem?")
    assert place.input_value() == "Sandiacre neighbourhood (Erewash)"
    assert_accessible(page, "Case Review form, place chosen")
    page.get_by_label("Myself (I am the victim)").check()
    page.get_by_label("Your full name").fill("Sam Syntheticapplicant")
    page.get_by_label("Phone number").fill("01234 000123")
    page.get_by_label("What is the problem, in a few words?").fill("Fireworks in the park")
    page.get_by_label("What has been happening, and what was done about it?").fill(
        "Synthetic test application: fireworks every weekend."
    )
    day = (dt.date.today() - dt.timedelta(days=9)).isoformat()  # a date input's value
    page.get_by_label("Incident 1: date it happened").fill(day)
    page.get_by_label("Incident 1: date you reported it").fill(day)
    page.get_by_label("I agree that").check()
    page.get_by_role("button", name="Send the application").click()
    page.wait_for_load_state()
    reference = re.search(r"ACR-\d{4}-\d{4,}", page.url)
    assert reference, page.locator("main").inner_text()[:800]
    rows = query_db(
        live_server,
        "SELECT area, description FROM cases_casereview WHERE reference = ?",
        (reference.group(0),),
    )
    assert len(rows) == 1
    area, description = rows[0]
    # Staff get the LPU derived from the resident's words; the words are kept first.
    assert area == "Erewash"
    assert description.startswith("Where the problem is: Sandiacre neighbourhood (Erewash)\n")
