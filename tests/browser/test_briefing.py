"""The inspector's first five minutes (issue #12): the morning briefing and its PDF, as the
demo shows them, with the figures checked against SQL on the server's database; then the
PDF for every demo role, which must fit a 30-minute meeting (at most 6 A4 pages).

There is no inspector account in the demo: ``demo.supervisor`` (a police supervisor of
Erewash SNT) is the police rank that chairs the tasking meeting here."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest

from tests.browser.support import LiveServer, assert_accessible, query_db, sign_in

pytestmark = pytest.mark.browser

LONDON = ZoneInfo("Europe/London")
INSPECTOR = "demo.supervisor"


def _pages(pdf: bytes) -> int:
    if not shutil.which("pdfinfo"):
        pytest.fail("pdfinfo (poppler-utils) is missing: run scripts/system-packages.sh")
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    match = re.search(rb"^Pages:\s+(\d+)", out, re.M)
    assert match, out
    return int(match.group(1))


def _local_day(value: str | None) -> dt.date | None:
    if not value:
        return None
    when = dt.datetime.fromisoformat(value)
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when
    return when.astimezone(LONDON).date()


def _sql_period(live_server: LiveServer, since: dt.date, day: dt.date) -> tuple[int, int]:
    """Incidents dated ``since`` to ``day - 1`` (UK local date of the start, else of the
    report), and how many of them are graded high for risk or vulnerability."""
    lo = (since - dt.timedelta(days=2)).isoformat()
    rows = query_db(
        live_server,
        "SELECT occurred_from, reported_at, thrive_risk, thrive_vulnerability "
        "FROM incidents_incident WHERE COALESCE(occurred_from, reported_at) >= ?",
        (lo,),
    )
    n = high = 0
    for occurred, reported, risk, vulnerability in rows:
        d = _local_day(occurred) or _local_day(reported)
        if d is not None and since <= d < day:
            n += 1
            high += "high" in (risk, vulnerability)
    return n, high


def test_inspector_reads_the_briefing_and_downloads_its_pdf(
    page: Any, live_server: LiveServer
) -> None:
    sign_in(page, live_server, INSPECTOR)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Briefing").click()
    page.wait_for_load_state()
    page.get_by_label("Preparing for or attending a partnership tasking meeting").check()
    page.get_by_role("button", name="Show the briefing").click()
    page.wait_for_load_state()
    assert_accessible(page, "the briefing")

    pdf_link = page.get_by_role("link", name="Download this briefing as PDF")
    query = parse_qs(urlparse(pdf_link.get_attribute("href")).query)
    day, since = (dt.date.fromisoformat(query[k][0]) for k in ("date", "since"))
    n, high = _sql_period(live_server, since, day)
    assert n > 0, "the demo should have incidents since the last briefing"

    # The first page: what changed, and the decisions; its figures equal the database's.
    summary = page.locator(".briefing-summary li").first.inner_text()
    assert summary.startswith(f"{n} incidents; {high} graded high"), summary
    assert page.locator(".briefing-decisions li").count() >= 1
    by_lpu = page.locator("#by-lpu + table tbody tr td:last-child").all_inner_texts()
    assert sum(int(t) for t in by_lpu) == n

    # Each section is cut to the top 10, with "and N more" linking to the full list.
    for sid in ("case-review", "repeat-victims", "hotspots"):
        heading = page.locator(f"h2#{sid}")
        assert heading.count() == 1, sid
    assert page.locator("#case-review ~ table").first.locator("tbody tr").count() <= 10
    hot_rows = page.locator("#hotspots ~ table").first.locator("tbody tr")
    assert 1 <= hot_rows.count() <= 10
    first_area = hot_rows.first.locator("td").first.inner_text()
    assert "On or near" in first_area, first_area
    assert hot_rows.first.locator("svg.briefing-area-map").count() == 1

    # Case Review: the newly met, and those met before but not yet reviewed, are listed;
    # those already in a Case Review are one count; everyone is on the full list's page.
    text = page.locator("#case-review + p").inner_text()
    new, unreviewed, in_review = (
        int(x)
        for x in re.search(
            r"(\d+) new, (\d+) met before and not yet in a Case Review, (\d+) already met and "
            r"in a Case Review",
            text,
        ).groups()
    )
    listed = page.locator("#case-review ~ table").first.locator("tbody tr").count()
    assert listed == min(10, new + unreviewed)
    page.get_by_role("link", name=re.compile(r"already met and in review: see all")).click()
    page.wait_for_load_state()
    assert "section=case-review-all" in page.url
    rows = page.locator("#case-review-all ~ table").first.locator("tbody tr")
    assert rows.count() == new + unreviewed + in_review, page.locator("main").inner_text()[:3000]
    assert_accessible(page, "the full Case Review list")
    page.get_by_role("link", name="Back to the whole briefing").click()
    page.wait_for_load_state()

    # The PDF: at most 6 pages, marked, and audited as an export.
    before = query_db(
        live_server, "SELECT COUNT(*) FROM partners_auditentry WHERE action = 'export'"
    )[0][0]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this briefing as PDF").click()
    pdf = open(download.value.path(), "rb").read()
    assert pdf[:5] == b"%PDF-" and _pages(pdf) <= 6
    after = query_db(
        live_server, "SELECT COUNT(*) FROM partners_auditentry WHERE action = 'export'"
    )[0][0]
    assert after == before + 1


def test_every_demo_role_gets_a_briefing_pdf_of_at_most_six_pages(
    browser: Any, live_server: LiveServer
) -> None:
    seen: dict[str, int] = {}
    for username in sorted(live_server.accounts):
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        try:
            pg = context.new_page()
            sign_in(pg, live_server, username)
            response = pg.request.get("/briefing/?purpose=tasking&format=pdf")
            if response.status == 403:  # not linked to a tasking agency: no briefing
                continue
            assert response.status == 200, (username, response.status)
            seen[username] = _pages(response.body())
            html = pg.request.get("/briefing/?purpose=tasking").text()
            # What the reader may not see is said once per section and reason, not once per
            # row (demo.housing saw 104 copies before issue #12).
            assert html.count("Withheld</strong>") <= 12, (
                username,
                html.count("Withheld</strong>"),
            )
        finally:
            context.close()
    assert {"demo.analyst", INSPECTOR, "demo.housing"} <= set(seen), seen
    assert all(1 <= p <= 6 for p in seen.values()), seen
