"""Helpers for the people tests: import them from here (the fixtures are in conftest.py and
are found by name)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

START, END = dt.date(2023, 1, 1), dt.date(2024, 12, 31)


@dataclass(frozen=True)
class Loaded:
    """Person rows written to the store: pk -> true person, and pk -> role."""

    truth: dict[int, int]
    roles: dict[int, str]
    incidents: list[Any]


def export_people(n_incidents: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A synthetic export (incidents with a ``people`` list) and its truth."""
    from asbhub.synth.incidents import generate_force_export

    export, truth = generate_force_export(START, END, seed=seed, n_incidents=n_incidents)
    return export, truth


def person_tuples(export: pl.DataFrame) -> list[tuple[Any, ...]]:
    """The export's people as ``(pk, name, dob, phone, email, address, postcode)`` rows with
    made-up pks (for training a model outside the store)."""
    rows = []
    for people in export["people"].to_list():
        for p in people:
            dob = dt.date.fromisoformat(p["date_of_birth"]) if p["date_of_birth"] else None
            rows.append(
                (len(rows) + 1, p["name"], dob, p["phone"], p["email"], p["address"], p["postcode"])
            )
    return rows


def partition(mapping: dict[int, Any]) -> set[frozenset[int]]:
    """Record -> cluster as a set of clusters (each a frozenset of records): ids aside."""
    groups: dict[Any, set[int]] = {}
    for rec, key in mapping.items():
        groups.setdefault(key, set()).add(rec)
    return {frozenset(g) for g in groups.values()}
