"""`asbhub people link` on a store loaded the ordinary way (a synthetic force export through
`asbhub ingest`'s loader), on SQLite and on PostgreSQL."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from asbhub.cli.people import register
from tests.people.support import export_people


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="asbhub")
    register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


def _ingest(store: Any, path: Path) -> None:
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.store.loaders import ingest

    assert ingest(store, list(expand_inputs([path]))).ok


def test_people_link_full_then_nothing_new_then_reload(
    store_url: str, tmp_path: Path, capsys: Any
) -> None:
    from asbhub.store.db import open_store
    from asbhub.synth.incidents import write_force_export_csv

    with pytest.raises(ValueError, match="--model needs --full"):
        _run("people", "link", "--db", store_url, "--model", "m.json")
    store = open_store(store_url)
    with pytest.raises(ValueError, match="run `asbhub people link --full` first"):
        _run("people", "link", "--db", store_url, "--incremental")
    assert _run("people", "link", "--db", store_url) == 0
    assert "no people to link" in capsys.readouterr().out

    export, _ = export_people(220, seed=23)
    csv = write_force_export_csv(export, tmp_path / "export.csv")
    _ingest(store, csv)
    from asbhub.records.incidents.models import Person
    from asbhub.records.people.models import CandidatePair, LinkedPerson, Membership

    people = Person.objects.using(store.alias)
    n = people.count()
    assert _run("people", "link", "--db", store_url, "--json") == 0
    out = json.loads(capsys.readouterr().out)
    clusters = LinkedPerson.objects.using(store.alias).count()
    assert (out["mode"], out["people"], out["new_links"], out["trained"]) == ("full", n, n, True)
    assert out["clusters"] == clusters == out["new_clusters"] < n
    assert out["queued_pairs"] == CandidatePair.objects.using(store.alias).count()

    assert _run("people", "link", "--db", store_url) == 0
    text = capsys.readouterr().out
    assert "mode            none" in text and f"people          {n} records" in text
    assert f"clusters        {clusters} linked people" in text

    # A reload that changes an incident rewrites its people in place (same ids): the load
    # succeeds and every membership still points at a stored person.
    first = export.row(0, named=True)["incident_reference"]
    changed = export.with_columns(
        pl.when(pl.col("incident_reference") == first)
        .then(pl.lit("Changed on review"))
        .otherwise(pl.col("location_text"))
        .alias("location_text")
    )
    _ingest(store, write_force_export_csv(changed, csv))
    assert people.count() == n
    stale = Membership.objects.using(store.alias).exclude(person_id__in=people.values("pk")).count()
    assert stale == 0
    assert _run("people", "link", "--db", store_url, "--full", "--json") == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["people"], again["new_links"], again["trained"]) == (n, n, True)
    assert (
        Membership.objects.using(store.alias).exclude(person_id__in=people.values("pk")).count()
        == 0
    )
    assert Membership.objects.using(store.alias).count() == n
