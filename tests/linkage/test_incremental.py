"""Linking new records against an existing, clustered population with a saved model."""

from __future__ import annotations

import networkx as nx
import polars as pl
import pytest

from asbhub.linkage import (
    LinkageModel,
    PersonIndex,
    link_incremental,
    link_normalised,
    link_people,
    normalise_people,
    population_from,
)
from asbhub.synth import generate_people

N_RECORDS, N_NEW = 3000, 300


@pytest.fixture(scope="module")
def setup():
    people = generate_people(N_RECORDS, seed=5)
    old, new = people.head(N_RECORDS - N_NEW), people.tail(N_NEW)
    result = link_people(old, id_column="record_id")
    # The model goes through JSON, as it would between runs.
    model = LinkageModel.from_json(result.model.to_json())
    population = population_from(normalise_people(old), result, ids=old["record_id"])
    index = PersonIndex(population, model)
    added = index.link(new, id_column="record_id")
    return people, old, new, result, model, population, index, added


def test_new_records_join_the_right_people(setup) -> None:
    people, old, new, result, _, population, _, added = setup
    assert added.assignments["unique_id"].to_list() == new["record_id"].to_list()
    truth = people.select("record_id", "person_id")
    # The person each existing cluster mostly is.
    majority = (
        population.join(truth, left_on="unique_id", right_on="record_id")
        .group_by("cluster_id")
        .agg(pl.col("person_id").mode().first())
    )
    got = added.assignments.join(truth, left_on="unique_id", right_on="record_id").join(
        majority, on="cluster_id", how="left", suffix="_cluster"
    )
    seen = set(old["person_id"])
    returning = got.filter(pl.col("person_id").is_in(seen))
    right = returning.filter(pl.col("person_id") == pl.col("person_id_cluster")).height
    assert right / returning.height >= 0.95, right / returning.height
    # People not seen before mostly start new clusters (named after their first record).
    first_timers = got.filter(~pl.col("person_id").is_in(seen))
    assert first_timers["new_cluster"].mean() >= 0.95
    fresh = added.assignments.filter("new_cluster")
    assert set(fresh["cluster_id"]) <= set(new["record_id"])
    assert not set(fresh["cluster_id"]) & set(population["cluster_id"])


def test_equals_a_full_relink_apart_from_reported_merges(setup) -> None:
    people, _, _, _, model, population, _, added = setup
    norm = normalise_people(people).with_columns(people["record_id"].alias("unique_id"))
    full = link_normalised(norm, model=model)
    # Incremental clusters, with the merges it reported applied (a full re-link merges them).
    graph = nx.Graph()
    incremental = pl.concat(
        [
            population.select("unique_id", "cluster_id"),
            added.assignments.select("unique_id", "cluster_id"),
        ]
    )
    for uid, cid in incremental.iter_rows():
        graph.add_edge(("r", uid), ("c", cid))
    for row in added.merge_candidates.iter_rows(named=True):
        for other in row["other_cluster_ids"]:
            graph.add_edge(("c", row["cluster_id"]), ("c", other))
    merged = {
        uid: min(x[1] for x in comp if x[0] == "r")
        for comp in nx.connected_components(graph)
        for kind, uid in comp
        if kind == "r"
    }
    relinked = full.records.group_by("cluster_id").agg(pl.col("unique_id").min().alias("m"))
    relinked = full.records.join(relinked, on="cluster_id")
    assert {r: m for r, m in relinked.select("unique_id", "m").iter_rows()} == merged
    # The pairs scored for new records are the full re-link's pairs that involve them.
    new_ids = set(added.assignments["unique_id"])
    mine = added.pairs.select("unique_id_l", "unique_id_r", "match_weight", "linked")
    theirs = full.pairs.filter(
        pl.col("unique_id_l").is_in(new_ids) | pl.col("unique_id_r").is_in(new_ids)
    ).select(mine.columns)
    assert mine.sort("unique_id_l", "unique_id_r").equals(theirs.sort("unique_id_l", "unique_id_r"))


def test_index_grows_batch_by_batch(setup) -> None:
    people, _, new, _, model, population, _, _ = setup
    index = PersonIndex(population, model)
    first = index.link(new.head(150), id_column="record_id")
    second = index.link(new.tail(150), id_column="record_id")
    assert index.size == population.height + 150 + 150
    one_go = link_incremental(new, population, model, id_column="record_id")
    both = pl.concat([first.assignments, second.assignments])
    # Later records can join clusters that earlier records of the same batch run started.
    a = dict(both.select("unique_id", "cluster_id").iter_rows())
    b = dict(one_go.assignments.select("unique_id", "cluster_id").iter_rows())
    agree = sum(a[k] == b[k] for k in a) / len(a)
    assert agree >= 0.98
    with pytest.raises(ValueError, match="already in the population"):
        index.link(new.head(5), id_column="record_id")
    index.close()


def test_population_must_have_ids_and_clusters(setup) -> None:
    _, _, _, _, model, population, _, _ = setup
    with pytest.raises(ValueError, match="lacks column"):
        PersonIndex(population.drop("cluster_id"), model)


def test_merging_added_records_changes_nothing(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches added apart from the population and merged into it give the same
    assignments, pairs and candidates as batches merged at once."""
    from asbhub.linkage import incremental

    _, _, new, _, model, population, _, _ = setup
    batches = [new.slice(i, 60) for i in range(0, 300, 60)]

    def run(merges: bool) -> list[pl.DataFrame]:
        index = PersonIndex(population, model)
        out = [index.link(b, id_column="record_id") for b in batches]
        assert index.size == population.height + 300
        assert (index._frame.height > population.height) == merges
        index.close()
        return out

    apart = run(merges=False)
    monkeypatch.setattr(incremental, "_MERGE_AT", 0)
    merged = run(merges=True)
    for a, b in zip(apart, merged, strict=True):
        assert a.assignments.equals(b.assignments)
        assert a.pairs.equals(b.pairs)
        assert a.merge_candidates.equals(b.merge_candidates)
    # Later batches found records of earlier ones (the added part of the population).
    earlier = set(pl.concat([a.assignments for a in apart[:-1]])["unique_id"])
    last = apart[-1].pairs
    assert set(last["unique_id_l"]) & earlier


def test_taken_ids_are_refused_from_the_population_and_earlier_batches(setup) -> None:
    _, _, new, _, model, population, _, _ = setup
    index = PersonIndex(population, model)
    clash = new.head(3).with_columns(
        pl.Series("record_id", [population["unique_id"][10], 10**12, 10**12 + 1])
    )
    with pytest.raises(ValueError, match="already in the population"):
        index.link(clash, id_column="record_id")
    index.link(new.head(3), id_column="record_id")
    with pytest.raises(ValueError, match="already in the population"):
        index.link(new.slice(2, 3), id_column="record_id")
    index.close()
    # Ids that are text, not whole numbers.
    text = population.with_columns(
        pl.format("p{}", pl.col("unique_id")).alias("unique_id"),
        pl.format("p{}", pl.col("cluster_id")).alias("cluster_id"),
    )
    index = PersonIndex(text, model)
    named = new.head(2).with_columns(
        pl.Series("rid", ["p" + str(population["unique_id"][0]), "fresh"])
    )
    with pytest.raises(ValueError, match="already in the population"):
        index.link(named, id_column="rid")
    added = index.link(named.with_columns(pl.Series("rid", ["new-1", "new-2"])), id_column="rid")
    assert added.assignments["unique_id"].to_list() == ["new-1", "new-2"]
    index.close()
