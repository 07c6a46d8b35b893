"""`seed_demo_people`: links whatever Person rows the demonstration loaded, or does nothing."""

from __future__ import annotations

from typing import Any

from asbhub.store.db import setup_django

setup_django()

from asbhub.demo.people import seed_demo_people  # noqa: E402
from asbhub.records.people.models import CandidatePair, LinkedPerson, Membership  # noqa: E402


def test_nothing_to_link(db: str) -> None:
    assert seed_demo_people() == {
        "mode": "none",
        "people": 0,
        "clusters": 0,
        "new_links": 0,
        "queued_pairs": 0,
        "open_pairs": 0,
    }
    assert not LinkedPerson.objects.exists()


def test_links_the_demo_people(load_people: Any, small_export: Any) -> None:
    loaded = load_people(*small_export)
    made = seed_demo_people()
    assert made["mode"] == "full"
    assert made["people"] == made["new_links"] == len(loaded.truth) == Membership.objects.count()
    assert made["clusters"] == LinkedPerson.objects.count() < len(loaded.truth)
    assert made["open_pairs"] == CandidatePair.objects.count() == made["queued_pairs"]
