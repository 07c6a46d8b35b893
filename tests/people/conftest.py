"""Fixtures for the people tests: synthetic incidents with fictional people and ground truth
(:func:`asbhub.synth.incidents.generate_force_export`), stored as Person rows, and a linkage
model trained once per session on a separate synthetic export.

The people are invented by the generator (drama phone ranges, example.com emails, generated
streets); the truth says which Person rows are one fictional person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

from tests.fixtures_partners import SYNTHETIC_FORCE
from tests.people.support import Loaded, export_people, person_tuples


@pytest.fixture(scope="session")
def trained_model() -> Any:
    """A linkage model trained on 800 synthetic incidents' people (another seed than the
    data the tests link), as a force would train on its own history."""
    from asbhub.linkage import link_normalised
    from asbhub.records.people import frames

    export, _ = export_people(800, seed=101)
    norm = frames.normalised(frames.person_frame(person_tuples(export)))
    return link_normalised(norm).model


@pytest.fixture(scope="session")
def small_export() -> tuple[pl.DataFrame, pl.DataFrame]:
    """260 synthetic incidents (about 350 people) and their truth."""
    return export_people(260, seed=7)


@pytest.fixture
def load_people(db: str, police: Any) -> Callable[..., Loaded]:
    """Write incidents and their people (rows of an export) to the store."""
    from django.utils import timezone

    from asbhub.records.incidents.models import Incident, Person, Source

    def load(export: pl.DataFrame, truth: pl.DataFrame, *, label: str = "synthetic") -> Loaded:
        source, _ = Source.objects.get_or_create(
            kind="force_export",
            force=SYNTHETIC_FORCE,
            month=label,
            defaults={
                "content_hash": "0" * 64,
                "rows": export.height,
                "file": label,
                "loaded_at": timezone.now(),
            },
        )
        incidents = Incident.objects.bulk_create(
            [
                Incident(
                    source=source,
                    line=i + 2,
                    record_type=r["record_type"],
                    month=r["occurred_from"].strftime("%Y-%m"),
                    crime_type=r["crime_type"] or "Anti-social behaviour",
                    reference=r["incident_reference"],
                )
                for i, r in enumerate(
                    export.select(
                        "incident_reference", "record_type", "crime_type", "occurred_from"
                    ).iter_rows(named=True)
                )
            ]
        )
        by_ref = {inc.reference: inc for inc in incidents}
        who = {
            (r, n): p
            for r, n, p in truth.select(
                "incident_reference", "person_number", "person_id"
            ).iter_rows()
        }
        people, keys = [], []
        for ref, group in export.select("incident_reference", "people").iter_rows():
            for n, p in enumerate(group, start=1):
                dob = dt.date.fromisoformat(p["date_of_birth"]) if p["date_of_birth"] else None
                people.append(
                    Person(
                        incident=by_ref[ref],
                        role=p["role"],
                        name=p["name"],
                        date_of_birth=dob,
                        phone=p["phone"],
                        email=p["email"],
                        address=p["address"],
                        postcode=p["postcode"],
                    )
                )
                keys.append(who[(ref, n)])
        made = Person.objects.bulk_create(people)
        return Loaded(
            truth={m.pk: k for m, k in zip(made, keys, strict=True)},
            roles={m.pk: m.role for m in made},
            incidents=incidents,
        )

    return load


@pytest.fixture
def linked(load_people: Callable[..., Loaded], small_export: Any, trained_model: Any) -> Loaded:
    """The small export stored and linked in full with the trained model."""
    from asbhub.records.people import services

    loaded = load_people(*small_export)
    services.link_full(model=trained_model)
    return loaded
