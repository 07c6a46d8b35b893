"""The pure helpers between Person rows and the engine: frames, best pairs, replayed
decisions."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import polars as pl
import pytest

from asbhub.records.people.frames import Partition, best_in_cluster, breakdown, person_frame


def test_person_frame_blanks_are_null_and_every_column_is_there() -> None:
    frame = person_frame([(7, "Avery Testperson", dt.date(1970, 1, 2), " ", "", "1 Road", None)])
    assert frame.columns == [
        "unique_id",
        "full_name",
        "date_of_birth",
        "phone",
        "email",
        "address",
        "postcode",
    ]
    assert frame.row(0) == (7, "Avery Testperson", "1970-01-02", None, None, "1 Road", None)
    assert person_frame([]).height == 0


def _pairs(rows: list[tuple[int, int, float | None, bool, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "unique_id_l": pl.Int64,
            "unique_id_r": pl.Int64,
            "match_weight": pl.Float64,
            "linked": pl.Boolean,
            "exact_key": pl.String,
        },
        orient="row",
    ).with_columns(
        pl.lit(-8.0).alias("prior_weight"),
        pl.lit(False).alias("household"),
        pl.lit("Exact match").alias("dob_level"),
        (pl.col("match_weight") + 8).alias("dob_weight"),
    )


def test_best_in_cluster_against_brute_force() -> None:
    rnd = random.Random(5)
    records = list(range(12))
    cluster = {r: r % 3 for r in records}
    rows = []
    for a, b in itertools.combinations(records, 2):
        if rnd.random() < 0.5:
            w = None if rnd.random() < 0.1 else round(rnd.uniform(-5, 20), 3)
            rows.append((a, b, w, w is None or w >= 5, "phone" if w is None else None))
    best = best_in_cluster(_pairs(rows), cluster, records, ["dob"])
    for r in records:
        mine = [
            (b if a == r else a, w, linked)
            for a, b, w, linked, _ in rows
            if r in (a, b) and cluster[a] == cluster[b]
        ]
        if not mine:
            assert r not in best
            continue
        # Linked first, then the highest weight (no weight last), then the lowest id.
        want = sorted(mine, key=lambda m: (not m[2], m[1] is None, -(m[1] or 0), m[0]))[0]
        assert (best[r].other, best[r].match_weight) == (want[0], want[1])
        if want[1] is None:
            assert best[r].breakdown == [] and best[r].exact_key == "phone"
        else:
            assert sum(x["weight"] for x in best[r].breakdown) == pytest.approx(want[1])


def test_breakdown_adds_up() -> None:
    row = {
        "match_weight": 3.5,
        "prior_weight": -10.0,
        "household": True,
        "a_level": "Exact match",
        "a_weight": 9.0,
        "b_level": None,
        "b_weight": None,
        "c_level": "Else",
        "c_weight": 4.5,
    }
    out = breakdown(row, ["a", "b", "c"])
    assert out[0] == {"comparison": "prior", "level": "one household", "weight": -10.0}
    assert out[2] == {"comparison": "b", "level": "Null", "weight": 0.0}
    assert sum(r["weight"] for r in out) == 3.5


def test_partition_replays_merges_and_splits() -> None:
    p = Partition({1: "a", 2: "a", 3: "b", 4: "c", 5: "c"})
    p.merge([3, 4])
    assert p.cluster_of[3] == p.cluster_of[4] == p.cluster_of[5] == "b"
    assert p.moved == {4, 5}
    p.isolate(1)
    assert p.cluster_of[1] == ("split", 1) and p.members["a"] == {2}
    p.isolate(2)  # alone already: nothing changes
    assert p.cluster_of[2] == "a" and 2 not in p.moved
    p.merge([1, 99])  # a record the engine does not know is ignored
    assert p.cluster_of[1] == ("split", 1)
    assert {frozenset(m) for m in p.members.values()} == {
        frozenset({1}),
        frozenset({2}),
        frozenset({3, 4, 5}),
    }
