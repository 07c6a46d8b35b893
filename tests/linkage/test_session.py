"""Blocking by key hashes (:class:`asbhub.linkage.session.Session`) against the blocking rules
evaluated as SQL on the records themselves."""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl
import pytest

from asbhub.linkage import normalise_people
from asbhub.linkage.session import Session, _pairs_sharing
from asbhub.linkage.spec import _blocking_sql, blocking_rules_for, usable_columns
from asbhub.synth import generate_people


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    norm = normalise_people(generate_people(3000, seed=5))
    return norm.with_columns(pl.int_range(norm.height, dtype=pl.Int64).alias("unique_id"))


def _sql_pairs(frame: pl.DataFrame, rules: list[tuple[str, ...]]) -> pl.DataFrame:
    """Every pair each rule gives, by a self-join on the rule's SQL condition."""
    con = duckdb.connect()
    con.register("people", frame.drop("address_tokens").to_arrow())
    union = " UNION ALL ".join(
        f"SELECT l.unique_id AS a, r.unique_id AS b, {i} AS rule FROM people l JOIN people r "
        f"ON {_blocking_sql(rule)} AND l.unique_id < r.unique_id"
        for i, rule in enumerate(rules)
    )
    return con.sql(union).pl()


def test_blocked_pairs_are_the_rules_pairs_once_each(frame: pl.DataFrame) -> None:
    rules = blocking_rules_for(usable_columns(frame))
    expected = _sql_pairs(frame, rules)
    session = Session(frame)
    counts = session.key_groups(rules)
    by_rule = expected.group_by("rule").len()
    assert {r: n for r, n in by_rule.iter_rows()} == {r: n for r, n in counts.items() if n}
    keep = [i for i in range(len(rules)) if i % 3 != 1]  # a rule dropped changes the pairs
    table = session.register_blocked_pairs(keep)
    got = session.con.sql(f"SELECT * FROM {table}").pl()
    session.close()
    first = (
        expected.filter(pl.col("rule").is_in(keep))
        .group_by("a", "b")
        .agg(pl.col("rule").min())
        .sort("a", "b")
    )
    got = got.select(
        pl.col("join_key_l").alias("a"),
        pl.col("join_key_r").alias("b"),
        pl.col("match_key").cast(pl.Int32).alias("rule"),
    ).sort("a", "b")
    assert got.height == first.height > 1000
    assert got.equals(first.with_columns(pl.col("rule").cast(pl.Int32)))


def test_pairs_sharing_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    h = rng.integers(0, 40, size=300).astype(np.uint64)  # 0 means no key
    a, b = _pairs_sharing(h)
    brute = {
        (i, j) for i in range(len(h)) for j in range(i + 1, len(h)) if h[i] != 0 and h[i] == h[j]
    }
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == brute
    assert len(a) == len(brute)
    empty = _pairs_sharing(np.arange(1, 10, dtype=np.uint64))
    assert len(empty[0]) == len(empty[1]) == 0
