"""The synthetic person generator: determinism, shape, and the variation it promises."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest

from asbhub.linkage import normalise_people
from asbhub.synth import SynthConfig, generate_people, repeat_count_distribution
from asbhub.synth.people import COLUMNS, typo

N = 20_000


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    return generate_people(N, seed=3)


def test_seeded_and_deterministic() -> None:
    a, b = generate_people(2000, seed=9), generate_people(2000, seed=9)
    assert a.equals(b)
    assert not a.equals(generate_people(2000, seed=10))
    assert generate_people(0).columns == list(COLUMNS)
    with pytest.raises(ValueError):
        generate_people(-1)


def test_shape_and_ground_truth(people: pl.DataFrame) -> None:
    assert people.height == N and people.columns == list(COLUMNS)
    assert people["record_id"].to_list() == list(range(N))
    assert people["recorded_at"].is_sorted()
    assert set(people["source"].unique()) == {"incident", "roc", "partner"}
    # A person lives in one household.
    assert (
        people.group_by("person_id").agg(pl.col("household_id").n_unique())["household_id"].max()
        == 1
    )


def test_repeat_callers_have_a_heavy_tail(people: pl.DataFrame) -> None:
    counts = people.group_by("person_id").len()["len"]
    assert (counts == 1).mean() > 0.6  # most people appear once
    assert counts.max() >= 30  # and a few many times
    p = repeat_count_distribution(2.5, 100)
    assert p.sum() == pytest.approx(1.0) and (np.diff(p) < 0).all()
    assert p[0] == pytest.approx(1 / np.sum(np.arange(1, 101) ** -2.5))


def test_households_share_surname_and_address(people: pl.DataFrame) -> None:
    norm = normalise_people(people).with_columns(people["household_id"], people["person_id"])
    firsts = norm.group_by("person_id").agg(
        pl.col("household_id").first(),
        pl.col("surname").mode().first(),
        pl.col("postcode").drop_nulls().mode().first(),
    )
    multi = firsts.filter(pl.len().over("household_id") > 1).with_columns(
        pl.col("surname").mode().first().over("household_id").alias("household_surname")
    )
    # Most members share the household's surname (some have their own): the hard negatives.
    assert (multi["surname"] == multi["household_surname"]).mean() > 0.8
    # And a postcode (their usual one; households move, and records have typos).
    postcodes = (
        multi.drop_nulls("postcode").group_by("household_id").agg(pl.col("postcode").n_unique())
    )
    assert (postcodes["postcode"] == 1).mean() > 0.6


def test_variation_is_there_and_normalises(people: pl.DataFrame) -> None:
    norm = normalise_people(people)
    # Phones written in any of the formats read as UK numbers (but for typos that drop a digit).
    has_phone = people["phone"].is_not_null()
    assert norm["phone"].filter(has_phone).str.starts_with("+44").fill_null(False).mean() > 0.97
    assert people["phone"].filter(has_phone).str.contains(r"^\+44").mean() > 0.2
    assert people["phone"].filter(has_phone).str.contains(r"^0\d").mean() > 0.2
    # Dates of birth in several formats, nearly all readable.
    dob = people["date_of_birth"].drop_nulls()
    assert dob.str.contains("/").mean() > 0.3 and dob.str.contains("-").mean() > 0.1
    readable = norm["date_of_birth"].filter(people["date_of_birth"].is_not_null())
    assert readable.is_not_null().mean() > 0.99
    # Postcodes valid once normalised, though often written without a space.
    pc = norm["postcode"].drop_nulls()
    assert pc.str.contains(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$").mean() > 0.97
    assert people["postcode"].drop_nulls().str.contains(" ").mean() < 0.95
    # Missing fields near the configured rates.
    cfg = SynthConfig()
    assert people["date_of_birth"].null_count() / N == pytest.approx(cfg.dob_missing, abs=0.02)
    assert people["first_name"].null_count() / N == pytest.approx(cfg.first_name_missing, abs=0.01)
    # Nicknames: some records of a Robert say Bob, Rob or Bobby.
    names = people.with_columns(norm["first_name_canonical"])
    roberts = names.filter(pl.col("first_name_canonical") == "robert")["first_name"]
    roberts = roberts.str.to_lowercase()
    assert roberts.is_in(["bob", "rob", "bobby", "robbie", "robby"]).any()
    # Moves: some people have records at more than one postcode.
    moves = pl.DataFrame({"p": people["person_id"], "pc": norm["postcode"]}).drop_nulls()
    assert (moves.group_by("p").agg(pl.col("pc").n_unique())["pc"] > 1).sum() > 50


def test_fictional_phone_numbers() -> None:
    small = generate_people(2000, seed=4)
    digits = normalise_people(small)["phone"].drop_nulls()
    drama = (
        r"^\+44(7700900\d{3}|1632960\d{3}|(113|114|115|116|117|118|121|131|141|151|161)"
        r"4960\d{3}|1914980\d{3}|2079460\d{3})$"
    )
    # Few people: every number is in an Ofcom drama range (a few differ by a typo).
    assert digits.str.contains(drama).mean() > 0.97
    emails = small["email"].drop_nulls().str.to_lowercase()
    assert emails.str.contains(r"@(mail\.|post\.)?example\.(com|org|net)$").all()


def test_typo_is_one_keyboard_slip() -> None:
    rnd = random.Random(1)
    for word in ["Robert", "Smith", "Chesterfield"] * 20:
        out = typo(word, rnd)
        assert out != word or len(set(word)) < len(word)  # a doubled letter may look the same
        assert abs(len(out) - len(word)) <= 1
    assert typo("A", rnd) == "A"
