"""The daily briefing from synthetic incidents loaded into a SQLite store: counts by LPU and
repeat victims against independent counts of the export and its ground truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from asbhub.ingest.common import expand_inputs
from asbhub.reports.briefing import (
    INTERIM_PERSON_KEY,
    build_briefing,
    interim_person_key,
    render_briefing_html,
)
from asbhub.store.db import open_store
from asbhub.store.load import ingest
from asbhub.synth.incidents import generate_force_export, write_force_export_csv

DAY = dt.date(2021, 3, 15)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    tmp = tmp_path_factory.mktemp("briefing")
    synth = generate_force_export(dt.date(2020, 9, 1), dt.date(2021, 3, 31), seed=11,
                                  n_incidents=2500)
    path = write_force_export_csv(synth.export, tmp / "export.csv")
    store = open_store(f"sqlite:///{tmp / 'store.sqlite3'}")
    assert ingest(store, expand_inputs([path])).totals()["rejected"] == 0
    return store, synth


def _local_day(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone("Europe/London").dt.date()


def test_counts_by_lpu_match_the_export(loaded) -> None:  # noqa: ANN001
    store, synth = loaded
    since = DAY - dt.timedelta(days=3)
    b = build_briefing(store, DAY, since=since)
    e = synth.export.with_columns(_local_day("occurred_from").alias("d"))
    e = e.filter((pl.col("d") >= since) & (pl.col("d") < DAY))
    expect = {}
    for lpu, rtype in e.select("lpu", "record_type").iter_rows():
        expect.setdefault(lpu, {"crime": 0, "asb": 0, "roc": 0})[rtype] += 1
    got = {r["lpu"]: {k: r[k] for k in ("crime", "asb", "roc")}
           for r in b.incidents_by_lpu.iter_rows(named=True)}
    assert got == expect
    assert b.n_incidents == e.height > 0


def test_repeat_victims_match_an_independent_count(loaded) -> None:  # noqa: ANN001
    store, synth = loaded
    b = build_briefing(store, DAY)
    assert b.person_key_name == INTERIM_PERSON_KEY
    as_of = DAY - dt.timedelta(days=1)
    # Independently: the export's people, keyed the same way, counted with plain Python.
    rows = synth.export.with_columns(_local_day("occurred_from").alias("d")).explode(
        "people").drop_nulls("people").unnest("people")
    counts: dict[str, set[str]] = {}
    for r in rows.iter_rows(named=True):
        qualifies = r["role"] == "victim" and r["record_type"] in ("crime", "asb") or (
            r["role"] == "caller" and r["record_type"] == "asb")
        key = interim_person_key(r["name"], r["date_of_birth"] or None, r["postcode"] or None)
        if qualifies and key and 0 <= (as_of - r["d"]).days < 365:
            counts.setdefault(key, set()).add(r["incident_reference"])
    expect = {k: len(v) for k, v in counts.items() if len(v) >= 2}
    got = dict(b.repeat_victims.table.select("person_key", "n_incidents").iter_rows())
    assert got == expect
    assert len(expect) > 10


def test_interim_key_against_ground_truth(loaded) -> None:  # noqa: ANN001
    """The interim key finds most of the true repeat victims (it is not linkage)."""
    store, synth = loaded
    b = build_briefing(store, DAY)
    as_of = DAY - dt.timedelta(days=1)
    e = synth.export.with_columns(_local_day("occurred_from").alias("d")).select(
        "incident_reference", "record_type", "d")
    t = synth.truth.join(e, on="incident_reference")
    t = t.filter(((pl.col("role") == "victim") & pl.col("record_type").is_in(["crime", "asb"]))
                 | ((pl.col("role") == "caller") & (pl.col("record_type") == "asb")))
    t = t.filter((pl.col("d") <= as_of) & (pl.col("d") > as_of - dt.timedelta(days=365)))
    true_repeats = t.group_by("person_id").agg(pl.col("incident_reference").n_unique())
    n_true = true_repeats.filter(pl.col("incident_reference") >= 2).height
    assert n_true > 0
    # Spelling variation splits some people: the interim key finds fewer, but not far fewer.
    assert 0.3 * n_true <= b.repeat_victims.n_repeat <= 1.2 * n_true


def test_linkage_hook_and_html(loaded, tmp_path: Path) -> None:  # noqa: ANN001
    store, _ = loaded
    with store.connection.cursor() as cur:
        cur.execute("SELECT id FROM incidents_person")
        ids = [r[0] for r in cur.fetchall()]
    # Every person row its own cluster: nobody repeats.
    b = build_briefing(store, DAY, person_key={i: i for i in ids})
    assert b.person_key_name == "linkage clusters"
    assert b.repeat_victims.n_repeat == 0
    html = render_briefing_html(build_briefing(store, DAY))
    for heading in ("Incidents by Local Policing Unit", "Repeat victims, new or rising",
                    "Repeat locations", "Emerging hot spots",
                    "Problem Management Plans due or overdue for review", "OFFICIAL-SENSITIVE"):
        assert heading in html
    assert "interim" in html


def test_since_must_be_before_date(loaded) -> None:  # noqa: ANN001
    store, _ = loaded
    with pytest.raises(ValueError, match="before"):
        build_briefing(store, DAY, since=DAY)
