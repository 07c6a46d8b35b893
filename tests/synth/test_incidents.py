"""The synthetic force export: NSIR mix, evening peak, Covid flags, unique references,
determinism, truth kept out of the export, and a load with zero rejects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from asbhub.ingest.inputs import expand_inputs
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest
from asbhub.synth.incidents import (
    EXPORT_COLUMNS,
    generate_force_export,
    sample_locations,
    write_force_export_csv,
)

START, END = dt.date(2020, 1, 1), dt.date(2021, 12, 31)


@pytest.fixture(scope="module")
def synth():
    return generate_force_export(START, END, seed=5, n_incidents=6000)


def test_nsir_mix_within_tolerance(synth) -> None:
    asb = synth.export.filter(pl.col("record_type") == "asb")
    share = asb["asb_category"].value_counts(normalize=True)
    got = dict(zip(share["asb_category"], share["proportion"], strict=True))
    # Seed 003 table 5.18; with ~3,000 ASB rows the binomial s.d. is at most 0.8 points.
    for name, target in (("Environmental", 0.101), ("Nuisance", 0.760), ("Personal", 0.139)):
        assert abs(got[name] - target) < 0.03, (name, got[name])
    closure = dict(zip(asb["asb_category"], asb["closure_code"], strict=True))
    assert closure == {"Environmental": "ASE", "Nuisance": "ASN", "Personal": "ASP"}


def test_evening_peak_covid_and_places(synth) -> None:
    e = synth.export
    asb = e.filter(pl.col("record_type") != "crime")
    hour = asb["occurred_from"].dt.convert_time_zone("Europe/London").dt.hour()
    evening = ((hour >= 18) & (hour < 23)).mean()
    early = ((hour >= 3) & (hour < 8)).mean()
    assert evening > 0.25 and evening > 4 * early
    day = asb["occurred_from"].dt.convert_time_zone("Europe/London").dt.date()
    covid = asb["covid"]
    assert not covid.filter(day < dt.date(2020, 3, 23)).any()
    lockdown = covid.filter((day >= dt.date(2020, 4, 1)) & (day <= dt.date(2021, 4, 30)))
    assert 0.4 < lockdown.mean() < 0.6
    assert (
        e.filter(pl.col("record_type") == "crime")["covid"].null_count()
        == e.filter(pl.col("record_type") == "crime").height
    )
    places = sample_locations()
    keys = set(places.select("latitude", "longitude").iter_rows())
    assert set(e.select("latitude", "longitude").iter_rows()) <= keys
    assert e["lpu"].null_count() == 0
    assert (e["reported_at"] >= e["occurred_from"]).all()


def test_references_unique_and_truth_kept_out(synth) -> None:
    e, truth = synth
    assert e["incident_reference"].n_unique() == e.height
    assert "person_id" not in e.columns and "household_id" not in e.columns
    assert set(e.columns) == {*EXPORT_COLUMNS, "people"}
    assert truth.height == int(e["people"].list.len().sum())
    roles = e.explode("people").drop_nulls("people").unnest("people")["role"].to_list()
    assert roles == truth["role"].to_list()
    # Repeat victims: the same true person across several incidents, written differently.
    per = truth.filter(pl.col("role") == "caller").group_by("person_id").len()
    assert per["len"].max() >= 5
    # Never the same person twice in one incident.
    assert truth.group_by("incident_reference", "person_id").len()["len"].max() == 1


def test_deterministic(tmp_path: Path) -> None:
    a = generate_force_export(dt.date(2021, 1, 1), dt.date(2021, 2, 28), seed=9, n_incidents=300)
    b = generate_force_export(dt.date(2021, 1, 1), dt.date(2021, 2, 28), seed=9, n_incidents=300)
    c = generate_force_export(dt.date(2021, 1, 1), dt.date(2021, 2, 28), seed=10, n_incidents=300)
    assert a.export.equals(b.export) and a.truth.equals(b.truth)
    pa, pb = (
        write_force_export_csv(a.export, tmp_path / "a.csv"),
        write_force_export_csv(b.export, tmp_path / "b.csv"),
    )
    assert pa.read_bytes() == pb.read_bytes()
    assert not a.export.equals(c.export)


def test_loads_with_zero_rejects(tmp_path: Path, synth) -> None:
    path = write_force_export_csv(synth.export, tmp_path / "export.csv")
    header = path.read_text("utf-8").splitlines()[0].split(",")
    assert header[: len(EXPORT_COLUMNS)] == list(EXPORT_COLUMNS)
    assert header[len(EXPORT_COLUMNS)] == "person1_role"
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    result = ingest(store, expand_inputs([path]))
    assert result.rejects == []
    assert result.totals()["rejected"] == 0
    assert result.totals()["stored"] == synth.export.height
    with store.connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM incidents_incident")
        assert cur.fetchone()[0] == synth.export.height
        cur.execute("SELECT COUNT(*) FROM incidents_person")
        assert cur.fetchone()[0] == synth.truth.height


def test_end_in_future_refused() -> None:
    with pytest.raises(ValueError, match="future"):
        generate_force_export(dt.date.today(), dt.date.today() + dt.timedelta(days=2))
