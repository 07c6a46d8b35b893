"""`asbhub demo`'s synthetic incidents: labelled SYNTHETIC, loaded through the normal ingest
path with no rejects, dated around the sample's latest month and up to yesterday, so today's
briefing has content; loading them again stores nothing new."""

from __future__ import annotations

import datetime as dt

import pytest

from asbhub.demo.tasking import DEMO_FORCE, N_AROUND_SAMPLE, N_RECENT, seed_demo_incidents
from asbhub.reports.briefing import build_briefing, render_briefing_html
from asbhub.store.db import open_store


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}")
    result, info = seed_demo_incidents(store)
    return store, result, info


def test_loaded_with_no_rejects_and_labelled_synthetic(seeded) -> None:
    store, result, info = seeded
    totals = result.totals()
    assert totals["read"] == totals["stored"] == N_RECENT + N_AROUND_SAMPLE
    assert totals["rejected"] == 0 and not result.rejects
    assert "SYNTHETIC" in DEMO_FORCE and info["force"] == DEMO_FORCE
    with store.connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT s.force FROM incidents_incident i "
            "JOIN incidents_source s ON s.id = i.source_id"
        )
        assert [r[0] for r in cur.fetchall()] == [DEMO_FORCE]
        cur.execute("SELECT COUNT(*) FROM incidents_person")
        assert cur.fetchone()[0] > N_RECENT


def test_dated_around_the_sample_and_up_to_yesterday(seeded) -> None:
    store, _, _ = seeded
    with store.connection.cursor() as cur:
        cur.execute("SELECT month, COUNT(*) FROM incidents_incident GROUP BY month")
        months = dict(cur.fetchall())
    yesterday = dt.date.today() - dt.timedelta(days=1)
    # The sample holds December 2018 to February 2019: each of those months has dated rows.
    for month in ("2018-12", "2019-01", "2019-02"):
        assert months.get(month, 0) > 100, month
    assert max(months) == f"{yesterday:%Y-%m}"
    assert sum(n for m, n in months.items() if m < "2020") == N_AROUND_SAMPLE


def test_todays_briefing_has_content_and_the_banner(seeded) -> None:
    store, _, _ = seeded
    b = build_briefing(store, dt.date.today())
    assert b.n_incidents > 0 and b.synthetic == (DEMO_FORCE,)
    assert b.repeat_victims.n_repeat > 0 and b.case_review.rows.height > 0
    assert b.repeat_perpetrators.n_repeat > 0 and b.repeat_addresses.n_repeat > 0
    assert b.hotspots is not None, b.hotspot_note  # enough months with data
    assert "SYNTHETIC DATA" in render_briefing_html(b)
    # Sample-period briefing too: dated incidents beside the open data.
    assert build_briefing(store, dt.date(2019, 2, 15)).n_incidents > 0


def test_seeding_again_stores_nothing_new(seeded) -> None:
    store, _, _ = seeded
    again, _ = seed_demo_incidents(store)
    totals = again.totals()
    assert totals["stored"] == 0 and totals["already_stored"] == N_RECENT + N_AROUND_SAMPLE


# --------------------------------------------------------------------------------------------
# The demonstration call log (asbhub.demo.seed)
# --------------------------------------------------------------------------------------------

CALLS_TODAY = dt.date(2024, 6, 15)


@pytest.fixture(scope="module")
def calls_seeded(tmp_path_factory: pytest.TempPathFactory):
    from asbhub.demo.seed import seed_demo_calls

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('calls') / 'calls.sqlite3'}")
    result, info = seed_demo_calls(store, today=CALLS_TODAY)
    return store, result, info


def test_call_periods_cover_the_sample_year_and_recent_weeks() -> None:
    from asbhub.demo.seed import demo_call_periods

    d = dt.date
    # The financial year to the sample's last month (February 2019); then 26 weeks back from
    # 14 June 2024 (182 days: from 16 December 2023), which is before the financial year's 1 April.
    assert demo_call_periods(CALLS_TODAY) == [
        (d(2018, 4, 1), d(2019, 2, 28)),
        (d(2023, 12, 16), d(2024, 6, 14)),
    ]
    # In November the financial year's start (1 April) is the earlier one.
    assert demo_call_periods(d(2024, 11, 20))[1] == (d(2024, 4, 1), d(2024, 11, 19))


def test_calls_loaded_labelled_and_covering_every_month(calls_seeded) -> None:
    from asbhub.demo.seed import DEMO_CALLS_FILE, DEMO_CALLS_FORCE

    store, result, info = calls_seeded
    totals = result.totals()
    assert totals["read"] == totals["stored"] == sum(info["calls"].values()) > 5000
    assert totals["rejected"] == 0
    with store.connection.cursor() as cur:
        cur.execute("SELECT DISTINCT force FROM contact_call")
        assert [r[0] for r in cur.fetchall()] == [DEMO_CALLS_FORCE]
        cur.execute("SELECT COUNT(*) FROM contact_call WHERE call_id NOT LIKE 'SYNTHETIC-%'")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT file, rows FROM contact_callsource ORDER BY file")
        files = cur.fetchall()
        cur.execute("SELECT channel, queued_at FROM contact_call")
        calls = cur.fetchall()
    assert [f for f, _ in files] == [
        f"{DEMO_CALLS_FILE}-2018-04-01-to-2019-02-28.csv",
        f"{DEMO_CALLS_FILE}-2023-12-16-to-2024-06-14.csv",
    ]
    assert sum(n for _, n in files) == len(calls)
    months: dict[tuple[str, str], int] = {}
    for channel, queued in calls:
        key = (channel, str(queued)[:7])
        months[key] = months.get(key, 0) + 1
    expect = (
        [f"2018-{m:02d}" for m in range(4, 13)]
        + ["2019-01", "2019-02"]
        + ["2023-12"]
        + [f"2024-{m:02d}" for m in range(1, 7)]
    )
    for channel in ("999", "101", "online"):
        got = sorted(m for c, m in months if c == channel)
        # UTC months: a call late on 28 February 2019 (UK time = UTC then) stays in February;
        # the first minutes of 1 April 2018 (BST) are 31 March in UTC.
        assert [m for m in got if m != "2018-03"] == expect, channel
        assert all(months[(channel, m)] >= 5 for m in expect), channel
    # Triage began on 20 December 2021: only the recent stretch has it.
    assert sorted(m for c, m in months if c == "triage")[0] == "2023-12"


def test_calls_seeded_again_store_nothing_new(calls_seeded) -> None:
    from asbhub.demo.seed import seed_demo_calls

    store, _, info = calls_seeded
    again, _ = seed_demo_calls(store, today=CALLS_TODAY)
    totals = again.totals()
    assert totals["stored"] == 0 and totals["already_stored"] == sum(info["calls"].values())


# --------------------------------------------------------------------------------------------
# The demo day's briefing fits a 30-minute meeting (issue #12 item 1)
# --------------------------------------------------------------------------------------------


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF, counted by poppler's ``pdfinfo`` (scripts/system-packages.sh)."""
    import re
    import shutil
    import subprocess

    if not shutil.which("pdfinfo"):
        pytest.skip("pdfinfo (poppler-utils) is not installed: run scripts/system-packages.sh")
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    match = re.search(rb"^Pages:\s+(\d+)", out, re.M)
    assert match, out
    return int(match.group(1))


def test_demo_day_briefing_pdf_is_at_most_six_pages(seeded) -> None:
    pytest.importorskip("weasyprint")
    from asbhub.reports.briefing import briefing_pdf_bytes

    store, _, _ = seeded
    b = build_briefing(store, dt.date.today())
    html = render_briefing_html(b)
    pages = pdf_pages(briefing_pdf_bytes(html))
    assert 1 <= pages <= 6, pages  # 41 pages before issue #12
    # The demo day has more than a page of each: the cut is what keeps it short.
    from asbhub.reports.briefing import DEFAULT_LIMIT

    assert b.limit == DEFAULT_LIMIT == 10
    assert b.case_review.rows.height > DEFAULT_LIMIT and b.hot_areas.height > DEFAULT_LIMIT
    # Case Review: the newly met and the not yet reviewed are listed, cut to 10.
    cr = b.case_review
    assert f"{cr.n_new} new, {cr.rows.height - cr.n_new - cr.n_in_review} met before" in html
    assert html.count("Not yet reviewed") + html.count("In Case Review") <= DEFAULT_LIMIT
    # Hot spots as places: each row is an area of touching cells with a name, not a raw cell.
    assert b.hot_areas["n_cells"].sum() == b.hotspots.height
    top = b.hot_areas.row(0, named=True)
    assert top["street"] and top["street"].startswith("On or near") and top["lsoa_name"]
    # The full briefing (limit None) is still there, and is the long one.
    full = render_briefing_html(build_briefing(store, dt.date.today(), limit=None))
    assert full.count("<tr") > 3 * html.count("<tr")
