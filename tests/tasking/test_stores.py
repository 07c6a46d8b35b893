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
    from asbhub.web.cases.models import ThresholdRule

    ThresholdRule.objects.using(store.alias).create(area="High Peak", complaints=2)
    b = build_briefing(store, dt.date(2021, 3, 15))
    assert sorted(b.case_review.rows["name"].to_list()) == [
        "Alice Threshold", "Dan Newflag", "Gus Arearule", "Kim Alone"]
    assert b.parameters["case_review_rules"]["High Peak"].startswith("2 complaints")
    assert b.synthetic == (FORCE,)          # "Synthetic ..." in any case: the banner shows
    assert b.high_risk["reference"].to_list() == ["R-1"]
    pack = build_weekly(store, "Erewash", dt.date(2021, 3, 14))
    assert weekly_csv_rows(pack)[-1] == ["total", "Erewash", 2, "1.25"]
