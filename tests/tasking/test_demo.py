"""`asbhub demo`'s synthetic incidents: labelled SYNTHETIC, loaded through the normal ingest
path with no rejects, dated around the sample's latest month and up to yesterday, so today's
briefing has content; loading them again stores nothing new."""

from __future__ import annotations

import datetime as dt

import pytest

from asbhub.reports.briefing import build_briefing, render_briefing_html
from asbhub.store.db import open_store
from asbhub.web.tasking.demo import DEMO_FORCE, N_AROUND_SAMPLE, N_RECENT, seed_demo_incidents


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}")
    result, info = seed_demo_incidents(store)
    return store, result, info


def test_loaded_with_no_rejects_and_labelled_synthetic(seeded) -> None:  # noqa: ANN001
    store, result, info = seeded
    totals = result.totals()
    assert totals["read"] == totals["stored"] == N_RECENT + N_AROUND_SAMPLE
    assert totals["rejected"] == 0 and not result.rejects
    assert "SYNTHETIC" in DEMO_FORCE and info["force"] == DEMO_FORCE
    with store.connection.cursor() as cur:
        cur.execute("SELECT DISTINCT s.force FROM incidents_incident i "
                    "JOIN incidents_source s ON s.id = i.source_id")
        assert [r[0] for r in cur.fetchall()] == [DEMO_FORCE]
        cur.execute("SELECT COUNT(*) FROM incidents_person")
        assert cur.fetchone()[0] > N_RECENT


def test_dated_around_the_sample_and_up_to_yesterday(seeded) -> None:  # noqa: ANN001
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


def test_todays_briefing_has_content_and_the_banner(seeded) -> None:  # noqa: ANN001
    store, _, _ = seeded
    b = build_briefing(store, dt.date.today())
    assert b.n_incidents > 0 and b.synthetic == (DEMO_FORCE,)
    assert b.repeat_victims.n_repeat > 0 and b.case_review.rows.height > 0
    assert b.hotspots is not None, b.hotspot_note        # enough months with data
    assert "SYNTHETIC DATA" in render_briefing_html(b)
    # Sample-period briefing too: dated incidents beside the open data.
    assert build_briefing(store, dt.date(2019, 2, 15)).n_incidents > 0


def test_seeding_again_stores_nothing_new(seeded) -> None:  # noqa: ANN001
    store, _, _ = seeded
    again, _ = seed_demo_incidents(store)
    totals = again.totals()
    assert totals["stored"] == 0 and totals["already_stored"] == N_RECENT + N_AROUND_SAMPLE
