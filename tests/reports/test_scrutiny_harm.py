"""The scrutiny report shows harm beside the neighbourhood crime counts when the deployment
names a harm weights file (issue #16 item 3); the figures equal counts x weights from the
sample read with the csv module."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from asbhub.analysis import harm_rows
from asbhub.data import sample_paths
from asbhub.ingest.inputs import expand_inputs
from asbhub.reports import build_scrutiny
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest

COLUMN = "12 months to Feb 2019"


def test_harm_table_equals_counts_times_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    ingest(store, expand_inputs(sample_paths()))
    weights = tmp_path / "harm.csv"
    weights.write_text(
        "crime_type,weight,source\nBurglary,40,test\nRobbery,365,test\nDrugs,2,test\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ASBHUB_HARM_WEIGHTS", str(weights))
    report = build_scrutiny(store, "2019-02", generated_at=datetime(2025, 1, 1, tzinfo=UTC))
    section = report.section("neighbourhood-crime")
    harm = section.table("neighbourhood-harm")
    rows: list[dict[str, str]] = []
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        for name in sorted(zf.namelist()):
            rows += csv.DictReader(io.TextIOWrapper(zf.open(name), "utf-8-sig"))
    n = Counter(r["Crime type"] for r in rows)
    assert harm.cell("Burglary", COLUMN) == 40 * n["Burglary"]
    assert harm.cell("Robbery", COLUMN) == 365 * n["Robbery"]
    assert harm.cell("Drugs", "Weight") == 2.0
    # Types without a weight are named, show n/a and are left out of the total.
    unweighted = [r[0] for r in harm.rows if r[1] is None and r[0] != "Total of these"]
    assert unweighted and all(t in harm.caption for t in unweighted)
    assert (
        harm.cell("Total of these", COLUMN)
        == 40 * n["Burglary"] + 365 * n["Robbery"] + 2 * n["Drugs"]
    )
    monkeypatch.delenv("ASBHUB_HARM_WEIGHTS")
    plain = build_scrutiny(store, "2019-02", generated_at=datetime(2025, 1, 1, tzinfo=UTC))
    assert [t.id for t in plain.section("neighbourhood-crime").tables] == ["neighbourhood-crime"]


def test_harm_rows_by_hand() -> None:
    rows, missing = harm_rows(
        [["Burglary", 2, "no data"], ["Drugs", 1, 4], ["Total", 3, 4]],
        {"Burglary": 10.0, "Drugs": 0.5},
    )
    assert missing == []
    assert rows == [
        ["Burglary", 10.0, 20.0, "no data"],
        ["Drugs", 0.5, 0.5, 2.0],
        ["Total", None, 20.5, 2.0],
    ]
