"""The briefing's Case Review flags and the weekly pack give the same answers on SQLite and on
PostgreSQL (the SQL of asbhub.reports.briefing_data on both databases)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from asbhub.reports.briefing import build_briefing
from asbhub.reports.weekly import build_weekly, weekly_csv_rows
from asbhub.store.db import open_store
from tests.tasking.crafted import FORCE, case_review_rows, load


def test_same_answers_on_both_databases(store_url: str, tmp_path: Path) -> None:
    store = open_store(store_url)
    load(store, case_review_rows(), tmp_path)
    from asbhub.records.cases.models import ThresholdRule

    ThresholdRule.objects.using(store.alias).create(area="High Peak", complaints=2)
    b = build_briefing(store, dt.date(2021, 3, 15))
    assert sorted(b.case_review.rows["name"].to_list()) == [
        "Alice Threshold",
        "Dan Newflag",
        "Gus Arearule",
        "Kim Alone",
    ]
    assert b.parameters["case_review_rules"]["High Peak"].startswith("2 complaints")
    assert b.synthetic == (FORCE,)  # "Synthetic ..." in any case: the banner shows
    assert b.high_risk["reference"].to_list() == ["R-1"]
    pack = build_weekly(store, "Erewash", dt.date(2021, 3, 14))
    assert weekly_csv_rows(pack)[-1] == ["total", "Erewash", 2, "1.25"]


def test_repeat_perpetrators_and_addresses_on_both_databases(
    store_url: str, tmp_path: Path
) -> None:
    from tests.tasking.crafted import repeat_rows

    store = open_store(store_url)
    load(store, repeat_rows(), tmp_path)
    b = build_briefing(store, dt.date(2021, 3, 15))
    rows = b.repeat_perpetrator_rows
    assert sorted(zip(rows["name"], rows["n_incidents"], rows["new"], strict=True)) == [
        ("Pat Persistent", 3, True),
        ("Quinn Rising", 4, False),
    ]
    rows = b.repeat_address_rows
    assert sorted(
        zip(rows["address"], rows["postcode"], rows["n_incidents"], strict=True), key=str
    ) == [("12 Station Rd", "DE7 5AA", 3), ("3 Mill Lane", "DE7 6BB", 4), ("8 Elm Street", None, 3)]
