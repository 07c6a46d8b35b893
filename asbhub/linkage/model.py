"""Person linkage with Splink on DuckDB: the model, training, scoring and clustering.

:func:`link_people` normalises person records (standard columns, any may be missing), builds a
Splink model for the columns that hold data and trains it on the records themselves: u by
seeded random sampling, m by expectation maximisation (EM) on blocked pairs, the prior from
exact-key rules. It scores the blocked pairs, links pairs at or above a match probability and
pairs that share an exact key, and clusters the links into people (connected components).

Households. People living together share a surname, an address, a postcode and often a phone,
and a Fellegi-Sunter model adds those agreements up as if they were independent: a parent and a
child with no date of birth on one record would be linked. So pairs at the same address (same
postcode, same house and flat numbers) are scored by a second model trained by EM on such pairs
only, where the non-matches are the other members of the household: there, a shared surname or
phone is weak evidence and a different first name or date of birth is strong evidence. Data
without households (a benchmark of duplicated records) trains a household model close to the
main one, so nothing is assumed that the data does not show.

The result keeps, for every scored pair, the match weight and each comparison's share of it
(the level reached and its weight in bits), so a user interface can show why two records were
linked; pairs in an uncertain band of match probability form the review queue.

Blocking uses two-column (or rarer) keys only: one-column rules are the most accurate on small
data, but their pair counts grow with the square of the data. A rule whose pairs would still
exceed a budget is dropped and reported (:class:`LinkParameters`).
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .normalise import MODEL_COLUMNS, normalise_people

__all__ = [
    "DEFAULT_EXACT_KEYS",
    "HouseholdModel",
    "LinkParameters",
    "LinkResult",
    "LinkageModel",
    "Thresholds",
    "blocking_rules_for",
    "link_normalised",
    "link_people",
    "settings_for",
    "usable_columns",
]

#: Exact keys: record pairs agreeing on every column of one key are linked whatever the model
#: says. They are strict enough to be near-certain (in a million records, two people with the
#: same name, date of birth and postcode are very rare). The first also sets the prior.
DEFAULT_EXACT_KEYS: tuple[tuple[str, ...], ...] = (
    ("first_name_canonical", "surname", "date_of_birth", "postcode"),
    ("first_name_canonical", "surname", "date_of_birth", "phone"),
    ("first_name_canonical", "surname", "date_of_birth", "email"),
)

# Blocking rules; a rule is used only when all its columns hold data.
_BLOCKING_RULES: tuple[tuple[str, ...], ...] = (
    ("surname", "date_of_birth"),
    ("first_name_canonical", "date_of_birth"),
    ("postcode", "date_of_birth"),
    ("name_key", "postcode"),
    ("name_key", "birth_year"),
    ("name_key", "address_numbers"),
    ("name_key", "phone"),
    ("name_key", "email"),
    ("first_name_canonical", "postcode"),
    ("surname", "postcode"),
    ("date_of_birth", "address_numbers"),
    ("first_name_canonical", "phone"),
    ("surname", "phone"),
    ("first_name_canonical", "email"),
    ("surname", "email"),
    ("date_of_birth", "phone"),
    ("date_of_birth", "email"),
    ("address", "date_of_birth"),
    ("address", "first_name_canonical"),
    ("address", "surname"),
    ("postcode", "address_numbers"),
    ("date_of_birth", "surname_initial"),
    ("date_of_birth", "first_initial"),
    ("postcode", "surname_initial"),
    ("postcode", "first_initial"),
)

# Columns each comparison reads; a comparison is used when its first column holds data.
_COMPARISON_COLUMNS: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "first_name_canonical", "first_name_known", "surname"),
    "surname": ("surname", "first_name"),
    "date_of_birth": ("date_of_birth",),
    "postcode": ("postcode",),
    "phone": ("phone",),
    "email": ("email",),
    "address": ("address", "address_tokens", "address_numbers"),
    "location": ("postcode", "postcode_sector", "postcode_district", "address",
                 "address_tokens", "address_numbers"),
}

_MIN_NON_NULL_SHARE = 0.01  # below this share of values a column is treated as absent
_MIN_NON_NULL = 5
_BUDGET_FLOOR = 2_000_000  # pair budget per blocking rule: max(floor, per_record * n)
_BUDGET_PER_RECORD = 40
_U_MAX_PAIRS = 1e6
_EM_MAX_PAIRS = 1e6
_HOUSEHOLD_MAX_PAIRS = 300_000
# The household u prior is worth this share of the same-address pairs: where households are
# few, the "other people" class cannot wander off to model some other pattern.
_HOUSEHOLD_PRIOR_SHARE = 0.1
# At one address m for the date of birth is learnt afresh: the main model's may have counted
# fathers and sons of one name as one person with two dates of birth.
_HOUSEHOLD_FREE_M = ("date_of_birth",)
_EXACT_KEY_RECALL = 0.6  # assumed recall of the first exact key, for the prior only
# Floors on trained m and u, so no comparison swings a pair by more than about 10 bits on a
# level EM (almost) never saw among matches.
_M_FLOOR = 1e-3
_U_FLOOR = 1e-6
# Pairs are scored from this many bits below the review threshold, so re-scoring at the same
# address cannot lift a pair Splink left out into the review band.
_PREDICT_MARGIN = 4.0
# Levels of the location comparison that mean the same address (the household stratum).
_SAME_ADDRESS = ("Same postcode and address", "Same postcode and house numbers",
                 "Same address, postcode differs or missing")


@dataclass(frozen=True)
class Thresholds:
    """Match probability thresholds.

    Attributes
    ----------
    link : float
        Pairs at or above this probability are linked (same person). 0.97 held pairwise
        precision above 0.99 on a million generated records, and recall above 0.97 on them and
        on the FEBRL benchmarks (see bench/bench_linkage.py).
    review : float
        Pairs from here up to ``link`` are uncertain: the review queue.
    """

    link: float = 0.97
    review: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.review <= self.link < 1:
            raise ValueError(f"thresholds must satisfy 0 < review <= link < 1; got "
                             f"review={self.review}, link={self.link}")

    @property
    def link_weight(self) -> float:
        """``link`` as a match weight (bits)."""
        return _logit2(self.link)

    @property
    def review_weight(self) -> float:
        """``review`` as a match weight (bits)."""
        return _logit2(self.review)


def _logit2(p: float) -> float:
    return math.log2(p / (1 - p))


# --------------------------------------------------------------------------------------------
# Model specification
# --------------------------------------------------------------------------------------------


def usable_columns(records: pl.DataFrame) -> list[str]:
    """Model columns of a normalised frame with enough values to compare or block on: at least
    1% of records and at least 5 (in a file of fewer than ten records, half of them)."""
    n = records.height
    need = max(1, min(_MIN_NON_NULL, math.ceil(n / 2)), math.ceil(_MIN_NON_NULL_SHARE * n))
    counts = records.select(pl.col(c).count() for c in MODEL_COLUMNS if c in records.columns)
    return [c for c in counts.columns if counts[c][0] >= need]


def _share_uk_postcodes(records: pl.DataFrame) -> float:
    pc = records["postcode"].drop_nulls()
    return float(pc.str.contains(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$").mean()) if len(
        pc) else 0.0


def blocking_rules_for(usable: Sequence[str]) -> list[tuple[str, ...]]:
    """Blocking rules (column tuples) whose columns are all usable (``birth_year``,
    ``surname_initial`` and ``first_initial`` are derived from ``date_of_birth``, ``surname``
    and ``first_name``)."""
    have = set(usable) | {d for d, (src, _) in _DERIVED_KEYS.items() if src in usable}
    return [rule for rule in _BLOCKING_RULES if set(rule) <= have]


# Blocking keys derived from a column: name -> (column, SQL with {c} for it).
_DERIVED_KEYS = {
    "birth_year": ("date_of_birth", "substr({c}, 1, 4)"),
    "surname_initial": ("surname", "substr({c}, 1, 1)"),
    "first_initial": ("first_name", "substr({c}, 1, 1)"),
}


def key_expr(col: str) -> pl.Expr:
    """A blocking key column as a polars expression (derived keys included)."""
    if col == "birth_year":
        return pl.col("date_of_birth").str.slice(0, 4)
    if col == "surname_initial":
        return pl.col("surname").str.slice(0, 1)
    if col == "first_initial":
        return pl.col("first_name").str.slice(0, 1)
    return pl.col(col)


def rules_from_sql(sqls: Sequence[str]) -> list[tuple[str, ...]] | None:
    """The column tuples of blocking rules given as SQL, or None if any is not one of
    asbhub's own rules."""
    known = {_blocking_sql(rule): rule for rule in _BLOCKING_RULES}
    rules = [known.get(sql) for sql in sqls]
    return None if any(r is None for r in rules) else rules  # type: ignore[return-value]


def key_hashes(frame: pl.DataFrame, rules: Sequence[Sequence[str]]) -> pl.DataFrame:
    """One 64-bit hash per blocking rule per record (column ``k<i>`` for rule ``i``; null when
    a key column is null): records share a hash when they share the rule's key."""
    exprs = []
    for i, rule in enumerate(rules):
        parts = [key_expr(c) for c in rule]
        exprs.append(pl.when(pl.any_horizontal(p.is_null() for p in parts)).then(None)
                     .otherwise(pl.struct(parts).hash(seed=7)).alias(f"k{i}"))
    return frame.select(exprs) if exprs else pl.DataFrame()


def _key_sql(col: str, side: str | None) -> str:
    name = f"{side}.{col}" if side else col
    if col in _DERIVED_KEYS:
        src, sql = _DERIVED_KEYS[col]
        return sql.format(c=f"{side}.{src}" if side else src)
    return name


def _blocking_sql(rule: Sequence[str]) -> str:
    return " AND ".join(f"{_key_sql(c, 'l')} = {_key_sql(c, 'r')}" for c in rule)


def _comparisons(usable: Sequence[str], uk_postcodes: bool) -> list[Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    have = set(usable)

    def custom(name: str, levels: list[Any]) -> Any:
        return cl.CustomComparison(levels, output_column_name=name,
                                   comparison_description=name.replace("_", " ").capitalize())

    def label(level: Any, text: str) -> Any:
        return level.configure(label_for_charts=text)

    out: list[Any] = []
    if "first_name" in have:
        # Jaro-Winkler similarity counts as a typo only if one of the names is not a known
        # first name: "Andy" and "Mandy" are two names.
        def typo(t: float) -> Any:
            return cll.CustomLevel(
                f"jaro_winkler_similarity(first_name_l, first_name_r) >= {t} AND NOT "
                "(coalesce(first_name_known_l, false) AND coalesce(first_name_known_r, false))",
                label_for_charts=f"Jaro-Winkler >= {t}")

        levels = [
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name").configure(
                label_for_charts="Exact match", tf_adjustment_column="first_name"),
            label(cll.ExactMatchLevel("first_name_canonical"), "Same name through a nickname"),
            typo(0.92),
            cll.CustomLevel("(length(first_name_l) = 1 OR length(first_name_r) = 1) "
                            "AND substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1)",
                            label_for_charts="Initial agrees"),
        ]
        if "surname" in have:
            levels.append(cll.CustomLevel("first_name_l = surname_r",
                                          label_for_charts="Matches the other's surname"))
        out.append(custom("first_name", [*levels, typo(0.8), cll.ElseLevel()]))
    if "surname" in have:
        levels = [
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname").configure(label_for_charts="Exact match",
                                                     tf_adjustment_column="surname"),
            label(cll.JaroWinklerLevel("surname", 0.92), "Jaro-Winkler >= 0.92"),
        ]
        if "first_name" in have:
            levels.append(cll.CustomLevel("surname_l = first_name_r",
                                          label_for_charts="Matches the other's first name"))
        out.append(custom("surname", [*levels, label(cll.JaroWinklerLevel("surname", 0.8),
                                                     "Jaro-Winkler >= 0.8"), cll.ElseLevel()]))
    if "date_of_birth" in have:
        dob = "date_of_birth"
        out.append(custom(dob, [
            cll.NullLevel(dob),
            label(cll.ExactMatchLevel(dob), "Exact match"),
            cll.CustomLevel(
                "substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4) "
                "AND substr(date_of_birth_l, 6, 2) = substr(date_of_birth_r, 9, 2) "
                "AND substr(date_of_birth_l, 9, 2) = substr(date_of_birth_r, 6, 2)",
                label_for_charts="Day and month swapped"),
            label(cll.LevenshteinLevel(dob, 1), "One character different"),
            label(cll.AbsoluteDateDifferenceLevel(dob, input_is_string=True, threshold=1,
                                                  metric="year"), "Within a year"),
            label(cll.AbsoluteDateDifferenceLevel(dob, input_is_string=True, threshold=10,
                                                  metric="year"), "Within ten years"),
            cll.ElseLevel(),
        ]))
    if "phone" in have:
        out.append(custom("phone", [
            cll.NullLevel("phone"),
            cll.CustomLevel("phone_l = phone_r AND phone_l LIKE '+447%'",
                            label_for_charts="Exact match, mobile"),
            label(cll.ExactMatchLevel("phone"), "Exact match, other number"),
            cll.ElseLevel()]))
    if "email" in have:
        out.append(custom("email", [
            cll.NullLevel("email"),
            label(cll.ExactMatchLevel("email"), "Exact match"),
            label(cll.LevenshteinLevel("email", 2), "Up to two edits"),
            cll.CustomLevel("regexp_extract(email_l, '^[^@]+') = regexp_extract(email_r, '^[^@]+')",
                            label_for_charts="Same name before the @"),
            cll.ElseLevel()]))
    def jaccard(t: float) -> str:
        # Token sets (the tokens are distinct): |A & B| / |A | B| >= t, written with one
        # intersection and no division, as |A & B| * (1 + t) >= t * (|A| + |B|).
        return (f"len(list_intersect(address_tokens_l, address_tokens_r)) * {1 + t} >= "
                f"{t} * (len(address_tokens_l) + len(address_tokens_r))")

    same_numbers = "address_numbers_l IS NOT DISTINCT FROM address_numbers_r"
    if {"postcode", "address"} <= have:
        # One comparison for where a person lives: a postcode and an address that agree are
        # one piece of evidence, not two, and house numbers that differ within one postcode
        # mean neighbours.
        no_address = "(address_l IS NULL OR address_r IS NULL)"
        levels = [
            cll.CustomLevel("(postcode_l IS NULL OR postcode_r IS NULL) AND " + no_address
                            ).configure(is_null_level=True),
            cll.CustomLevel(f"postcode_l = postcode_r AND {same_numbers} AND {jaccard(0.5)}",
                            label_for_charts=_SAME_ADDRESS[0]),
            cll.CustomLevel(f"postcode_l = postcode_r AND {same_numbers} AND NOT {no_address}",
                            label_for_charts=_SAME_ADDRESS[1]),
            cll.CustomLevel(f"postcode_l = postcode_r AND {no_address}",
                            label_for_charts="Same postcode, one address missing"),
            cll.CustomLevel("postcode_l = postcode_r",
                            label_for_charts="Same postcode, different house numbers"),
            cll.CustomLevel(f"{same_numbers} AND {jaccard(0.5)}",
                            label_for_charts=_SAME_ADDRESS[2]),
            cll.CustomLevel(f"{jaccard(0.5)}", label_for_charts="Same street"),
        ]
        if uk_postcodes:
            levels += [
                cll.CustomLevel("postcode_sector_l = postcode_sector_r",
                                label_for_charts="Same postcode sector"),
                cll.CustomLevel("postcode_district_l = postcode_district_r",
                                label_for_charts="Same postcode district"),
            ]
        else:
            levels.append(label(cll.LevenshteinLevel("postcode", 1),
                                "Postcode one character different"))
        levels += [cll.CustomLevel(f"{jaccard(0.25)}", label_for_charts="Some address words "
                                   "shared"), cll.ElseLevel()]
        out.append(custom("location", levels))
    elif "postcode" in have:
        if uk_postcodes:
            out.append(cl.PostcodeComparison("postcode"))
        else:  # not UK postcodes: sectors and districts mean nothing
            out.append(custom("postcode", [
                cll.NullLevel("postcode"), label(cll.ExactMatchLevel("postcode"), "Exact match"),
                label(cll.LevenshteinLevel("postcode", 1), "One character different"),
                cll.ElseLevel()]))
    elif "address" in have:
        out.append(custom("address", [
            cll.NullLevel("address"),
            label(cll.ExactMatchLevel("address"), "Exact match"),
            cll.CustomLevel(f"{same_numbers} AND {jaccard(0.5)}",
                            label_for_charts="Same numbers, most words shared"),
            cll.CustomLevel(f"{jaccard(0.5)}", label_for_charts="Same street"),
            cll.CustomLevel(f"{jaccard(0.25)}", label_for_charts="Some words shared"),
            cll.ElseLevel()]))
    return out


def settings_for(usable: Sequence[str], *, uk_postcodes: bool = True,
                 blocking_rules: Sequence[Sequence[str]] | None = None) -> dict[str, Any]:
    """The untrained Splink settings dictionary for records with these usable columns.

    Parameters
    ----------
    usable : sequence of str
        Usable model columns (see :func:`usable_columns`).
    uk_postcodes : bool
        Compare postcodes by UK sector and district (otherwise exactly or with one edit).
    blocking_rules : sequence of column tuples, optional
        Default: :func:`blocking_rules_for` ``(usable)``.

    Returns
    -------
    dict
        A Splink 5 settings dictionary (DuckDB dialect) deduplicating on ``unique_id``.
    """
    from splink import SettingsCreator

    rules = blocking_rules if blocking_rules is not None else blocking_rules_for(usable)
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=_comparisons(usable, uk_postcodes),
        blocking_rules_to_generate_predictions=[{"blocking_rule": _blocking_sql(r)}
                                                for r in rules],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        max_iterations=20,
        em_convergence=0.001,
    ).create_settings_dict("duckdb")


# --------------------------------------------------------------------------------------------
# The trained model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdModel:
    """The model for pairs at the same address (see the module docstring).

    Attributes
    ----------
    probability : float
        Share of same-address pairs that are the same person, as EM estimated it.
    weights : dict
        Comparison -> level label -> weight in bits (0 for the postcode and address, which
        define the stratum).
    n_pairs : int
        Same-address pairs it was trained on.
    """

    probability: float
    weights: dict[str, dict[str, float]]
    n_pairs: int

    @property
    def prior_weight(self) -> float:
        return _logit2(self.probability)


@dataclass(frozen=True)
class LinkageModel:
    """A trained linkage model: the Splink settings dictionary (m and u probabilities, prior)
    plus the household model, thresholds and exact keys. Saved as JSON it links new records
    later without retraining (:mod:`asbhub.linkage.incremental`).

    Attributes
    ----------
    splink_settings : dict
        Splink 5 settings, as ``Linker.misc.save_model_to_json`` writes them.
    thresholds : Thresholds
    exact_keys : tuple of tuple of str
        Exact keys in use (only those whose columns are usable).
    columns : tuple of str
        Usable model columns the model was built for.
    household : HouseholdModel or None
        None when the records have no postcode and address to find households by.
    term_frequencies : dict
        Column -> value -> share of records, for the first names and surnames seen at least
        twice in training. An exact match on a common name counts for less than on a rare one
        (Splink's term frequency adjustment); storing the shares keeps scores the same when the
        model links other records later.
    """

    splink_settings: dict[str, Any]
    thresholds: Thresholds = field(default_factory=Thresholds)
    exact_keys: tuple[tuple[str, ...], ...] = DEFAULT_EXACT_KEYS
    columns: tuple[str, ...] = ()
    household: HouseholdModel | None = None
    term_frequencies: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def comparisons(self) -> list[str]:
        """Output column names of the comparisons, in order."""
        return [c["output_column_name"] for c in self.splink_settings["comparisons"]]

    @property
    def blocking_rules(self) -> list[str]:
        """Blocking rules as SQL conditions."""
        return [r["blocking_rule"] if isinstance(r, dict) else str(r)
                for r in self.splink_settings["blocking_rules_to_generate_predictions"]]

    @property
    def prior_weight(self) -> float:
        """log2 of the prior odds that two random records are the same person."""
        return _logit2(self.splink_settings["probability_two_random_records_match"])

    def level_weights(self) -> pl.DataFrame:
        """Every comparison level with its m and u probabilities and weight in bits
        (``log2(m / u)``; 0 for the null level), and its weight at the same address: the model
        card a user interface can show."""
        from splink import SettingsCreator

        settings = SettingsCreator.from_path_or_dict(self.splink_settings).get_settings("duckdb")
        hh = self.household.weights if self.household else {}
        rows = []
        for comp in settings.comparisons:
            for lv in comp.comparison_levels:
                name, null = comp.output_column_name, lv.is_null_level
                level = "Null" if null else lv.label_for_charts
                rows.append({
                    "comparison": name, "level": level,
                    "m_probability": None if null else lv.m_probability,
                    "u_probability": None if null else lv.u_probability,
                    "weight": float(lv._match_weight),
                    "household_weight": 0.0 if null else hh.get(name, {}).get(level),
                })
        return pl.DataFrame(rows, schema={
            "comparison": pl.String, "level": pl.String, "m_probability": pl.Float64,
            "u_probability": pl.Float64, "weight": pl.Float64, "household_weight": pl.Float64})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: ``{"asbhub": {...}, "splink_settings": {...}}``."""
        hh = self.household
        return {
            "asbhub": {
                "format": 1,
                "thresholds": {"link": self.thresholds.link, "review": self.thresholds.review},
                "exact_keys": [list(k) for k in self.exact_keys],
                "columns": list(self.columns),
                "household": None if hh is None else {
                    "probability": hh.probability, "weights": hh.weights, "n_pairs": hh.n_pairs},
                "term_frequencies": self.term_frequencies,
            },
            "splink_settings": self.splink_settings,
        }

    def to_json(self, path: str | Path | None = None) -> str:
        """Serialise to JSON; also write it to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=1)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, source: str | Path | Mapping[str, Any]) -> LinkageModel:
        """Load a model from JSON text, a JSON file or a dictionary. A bare Splink settings
        dictionary is accepted too (default thresholds and exact keys, no household model)."""
        if isinstance(source, Mapping):
            data = dict(source)
        else:
            text = str(source)
            data = json.loads(text if text.lstrip().startswith("{")
                              else Path(source).read_text(encoding="utf-8"))
        if "splink_settings" not in data:
            if "comparisons" not in data:
                raise ValueError("not a linkage model: no 'splink_settings' or 'comparisons' key")
            data = {"splink_settings": data}
        meta = data.get("asbhub") or {}
        settings = data["splink_settings"]
        text = json.dumps(settings)
        columns = meta.get("columns") or [c for c in MODEL_COLUMNS
                                          if f"{c}_l" in text or f"l.{c}" in text]
        hh = meta.get("household")
        return cls(
            splink_settings=settings,
            thresholds=Thresholds(**meta["thresholds"]) if meta.get("thresholds") else Thresholds(),
            exact_keys=tuple(tuple(k) for k in meta.get("exact_keys", DEFAULT_EXACT_KEYS)),
            columns=tuple(columns),
            household=HouseholdModel(**hh) if hh else None,
            term_frequencies=meta.get("term_frequencies") or {},
        )


@dataclass(frozen=True)
class LinkParameters:
    """What the linkage chose for itself, for reports and the CLI.

    Attributes
    ----------
    n_records : int
    usable_columns, comparisons, blocking_rules : tuple of str
        Columns with data; comparisons made; blocking rules used (SQL conditions).
    blocking_pair_counts : dict of str to int
        Pairs each candidate rule would generate on its own.
    dropped_blocking_rules : tuple of str
        Rules left out for exceeding ``pair_budget``.
    pair_budget : int
    uk_postcodes : bool
        Whether postcodes were compared as UK postcodes.
    trained : bool
        False when a given model was used as it was.
    training_notes : tuple of str
        Training steps that were skipped or fell back, and why.
    seconds : dict of str to float
        Time per stage.
    """

    n_records: int
    usable_columns: tuple[str, ...]
    comparisons: tuple[str, ...]
    blocking_rules: tuple[str, ...]
    blocking_pair_counts: dict[str, int]
    dropped_blocking_rules: tuple[str, ...]
    pair_budget: int
    uk_postcodes: bool
    trained: bool
    training_notes: tuple[str, ...]
    seconds: dict[str, float]


@dataclass(frozen=True, eq=False)
class LinkResult:
    """The outcome of a linkage.

    Attributes
    ----------
    records : polars.DataFrame
        One row per input record, in input order: ``unique_id``, ``cluster_id`` (the
        ``unique_id`` of the cluster's first record), ``cluster_size``, ``best_match_weight``
        (the highest match weight of any scored pair the record is in; null when none came
        near the review threshold) and ``best_match_id`` (the other record of that pair).
    pairs : polars.DataFrame
        Scored pairs near or above the review threshold, and exact-key pairs: ``unique_id_l``,
        ``unique_id_r``, ``match_weight``, ``match_probability``, ``linked``, ``exact_key``
        (the exact key shared, or null), ``household`` (scored by the household model: same
        address or postcode, or a shared landline),
        ``prior_weight`` and, per comparison, ``<name>_level`` (label of the level reached)
        and ``<name>_weight`` (bits). ``match_weight`` is ``prior_weight`` plus the comparison
        weights.
    review : polars.DataFrame
        The review queue: pairs not linked with ``review <= match_probability < link``,
        strongest first, with both records' fields side by side (``<field>_l``, ``<field>_r``).
    model : LinkageModel
    parameters : LinkParameters
    """

    records: pl.DataFrame
    pairs: pl.DataFrame
    review: pl.DataFrame
    model: LinkageModel
    parameters: LinkParameters

    @property
    def n_clusters(self) -> int:
        return int(self.records["cluster_id"].n_unique())

    def explain(self, a: Any, b: Any) -> pl.DataFrame:
        """Why records ``a`` and ``b`` scored as they did: one row for the prior and one per
        comparison, with the level reached and its weight in bits; the weights add up to the
        pair's match weight.

        Raises
        ------
        KeyError
            If the pair was not scored near or above the review threshold.
        """
        return explain_pair(self.pairs, self.model, a, b)


def explain_pair(pairs: pl.DataFrame, model: LinkageModel, a: Any, b: Any) -> pl.DataFrame:
    """See :meth:`LinkResult.explain`."""
    hit = pairs.filter(((pl.col("unique_id_l") == a) & (pl.col("unique_id_r") == b))
                       | ((pl.col("unique_id_l") == b) & (pl.col("unique_id_r") == a)))
    if hit.height == 0 or hit["match_weight"][0] is None:
        raise KeyError(f"records {a!r} and {b!r} were not scored near the review threshold")
    r = hit.row(0, named=True)
    rows = [{"comparison": "prior", "weight": r["prior_weight"],
             "level": "one household" if r["household"] else "two records"}]
    rows += [{"comparison": n, "level": r[f"{n}_level"], "weight": r[f"{n}_weight"]}
             for n in model.comparisons]
    return pl.DataFrame(rows, schema={"comparison": pl.String, "level": pl.String,
                                      "weight": pl.Float64})


# --------------------------------------------------------------------------------------------
# Linking
# --------------------------------------------------------------------------------------------


def link_people(
    records: pl.DataFrame,
    *,
    columns: Mapping[str, str | list[str]] | None = None,
    id_column: str | None = None,
    model: LinkageModel | None = None,
    thresholds: Thresholds | None = None,
    exact_keys: Sequence[Sequence[str]] = DEFAULT_EXACT_KEYS,
    seed: int = 42,
) -> LinkResult:
    """Link person records: which records are the same person.

    Parameters
    ----------
    records : polars.DataFrame
        Raw person records with standard columns (``first_name``, ``surname``,
        ``date_of_birth``, ``address``, ``postcode``, ``phone``, ``email``; any may be missing)
        or other names mapped by ``columns``.
    columns : mapping, optional
        Standard name -> column (or list of columns), see
        :func:`asbhub.linkage.normalise.normalise_people`.
    id_column : str, optional
        A column of unique record ids to report with; default the row number (from 0).
    model : LinkageModel, optional
        A trained model to use as it is; default: train one on ``records``.
    thresholds : Thresholds, optional
        Default: the model's, or :class:`Thresholds` ``()``.
    exact_keys : sequence of column tuples
        Exact keys for a newly trained model (ignored with ``model``).
    seed : int
        Seed for u estimation by random sampling.

    Returns
    -------
    LinkResult

    Raises
    ------
    ValueError
        If no column holds usable person data, or ``id_column`` is not unique.

    Examples
    --------
    >>> from asbhub.synth import generate_people
    >>> result = link_people(generate_people(2000, seed=3), id_column="record_id")
    >>> result.records.columns
    ['unique_id', 'cluster_id', 'cluster_size', 'best_match_weight', 'best_match_id']
    """
    clock = time.perf_counter()
    norm = normalise_people(records, columns=columns)
    took = time.perf_counter() - clock
    if id_column is not None:
        ids = records[id_column]
        if ids.n_unique() != ids.len() or ids.null_count():
            raise ValueError(f"id_column {id_column!r} must be unique and never empty")
        norm = norm.with_columns(ids.alias("unique_id"))
    result = link_normalised(norm, model=model, thresholds=thresholds, exact_keys=exact_keys,
                             seed=seed)
    result.parameters.seconds["normalise"] = took
    return result


@contextmanager
def quiet_splink() -> Iterator[None]:
    """Hold Splink's log at ERROR unless someone configured it: its warnings about levels EM
    never saw are expected here (such levels keep floored defaults, see training notes)."""
    log = logging.getLogger("splink")
    level = log.level
    if level == logging.NOTSET:
        log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def link_normalised(
    records: pl.DataFrame,
    *,
    model: LinkageModel | None = None,
    thresholds: Thresholds | None = None,
    exact_keys: Sequence[Sequence[str]] = DEFAULT_EXACT_KEYS,
    seed: int = 42,
) -> LinkResult:
    """:func:`link_people` on records already normalised by
    :func:`~asbhub.linkage.normalise.normalise_people` (with an optional ``unique_id`` column,
    default the row number)."""
    with quiet_splink():
        return _link_normalised(records, model, thresholds, exact_keys, seed)


def _link_normalised(records: pl.DataFrame, model: LinkageModel | None,
                     thresholds: Thresholds | None, exact_keys: Sequence[Sequence[str]],
                     seed: int) -> LinkResult:
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    ids = records["unique_id"] if "unique_id" in records.columns else None
    # Splink and the graph work on row numbers; the caller's ids come back at the end.
    frame = records.with_columns(pl.int_range(records.height, dtype=pl.Int64).alias("unique_id"))
    usable = list(model.columns) if model is not None else usable_columns(frame)
    if not usable:
        raise ValueError(
            "no usable person data: none of first_name, surname, date_of_birth, address, "
            "postcode, phone or email has values in at least 1% of records (and at least 5); "
            "map your columns to these names")
    missing = [c for c in usable if c not in frame.columns]
    if missing:
        raise ValueError(f"the model compares {', '.join(missing)}, which the records lack")
    th = thresholds or (model.thresholds if model is not None else Thresholds())
    session = _Session(frame)
    notes: list[str] = []
    counts: dict[str, int] = {}
    dropped: list[str] = []
    budget = max(_BUDGET_FLOOR, _BUDGET_PER_RECORD * frame.height)
    trained = model is None
    if model is None:
        uk = "postcode" in usable and _share_uk_postcodes(frame) >= 0.5
        rules: list[tuple[str, ...]] | None = blocking_rules_for(usable)
    else:
        uk = "sector" in json.dumps(model.splink_settings).lower()
        rules = rules_from_sql(model.blocking_rules)
    blocked = None
    if rules is not None:
        # Blocking by key hashes, every rule in one pass: the same pairs as Splink's rules
        # give, found faster.
        per_rule = session.key_groups(rules)
        for i, rule in enumerate(rules):
            counts[_blocking_sql(rule)] = per_rule.get(i, 0)
        keep = list(range(len(rules)))
        if model is None:
            keep = [i for i, r in enumerate(rules) if counts[_blocking_sql(r)] <= budget]
            dropped = [_blocking_sql(r) for i, r in enumerate(rules) if i not in keep]
            rules = [rules[i] for i in keep]
        blocked = session.register_blocked_pairs(keep)
    if model is None:
        settings = settings_for(usable, uk_postcodes=uk, blocking_rules=rules)
        keys = tuple(tuple(k) for k in exact_keys if set(k) <= set(usable))
        seconds["prepare"] = time.perf_counter() - clock
        model = session.train(settings, keys, usable, th, seed, notes, seconds)
    else:
        session.use_model(model)
    clock = time.perf_counter()
    raw = (session.predict(th.review_weight - _PREDICT_MARGIN, blocked)
           if frame.height > 1 else None)
    seconds["predict"] = time.perf_counter() - clock
    clock = time.perf_counter()
    pairs = score_pairs(raw, session.exact_key_pairs(model.exact_keys), model, th)
    records_out = cluster_pairs(frame["unique_id"], pairs)
    review = review_queue(pairs, frame, model, th)
    session.close()
    if ids is not None and not ids.equals(frame["unique_id"]):
        records_out = _map_ids(records_out, ids, ("unique_id", "cluster_id", "best_match_id"))
        pairs = _map_ids(pairs, ids, ("unique_id_l", "unique_id_r"))
        review = _map_ids(review, ids, ("unique_id_l", "unique_id_r"))
    seconds["score_and_cluster"] = time.perf_counter() - clock
    params = LinkParameters(
        n_records=frame.height, usable_columns=tuple(usable),
        comparisons=tuple(model.comparisons), blocking_rules=tuple(model.blocking_rules),
        blocking_pair_counts=counts, dropped_blocking_rules=tuple(dropped), pair_budget=budget,
        uk_postcodes=uk, trained=trained, training_notes=tuple(notes), seconds=seconds)
    return LinkResult(records=records_out, pairs=pairs, review=review, model=model,
                      parameters=params)


def _map_ids(frame: pl.DataFrame, ids: pl.Series, cols: Sequence[str]) -> pl.DataFrame:
    """Row numbers in ``cols`` -> the caller's ids."""
    lookup = pl.lit(ids)
    return frame.with_columns(
        pl.when(pl.col(c).is_null()).then(None).otherwise(lookup.gather(pl.col(c).fill_null(0)))
        .alias(c) for c in cols)


class _Session:
    """One DuckDB connection holding the records (table ``asbhub_people``) and a Splink linker
    over them."""

    def __init__(self, frame: pl.DataFrame, *, table: str = "asbhub_people") -> None:
        import duckdb
        from splink import DuckDBAPI

        self.frame = frame
        self.con = duckdb.connect()
        self.db_api = DuckDBAPI(self.con)
        self.arrow = frame.to_arrow()
        self.table_name = table
        self.table = self.db_api.register(self.arrow, table_name=table)
        self.linker: Any = None
        self._tf_tables: dict[str, Any] = {}

    def close(self) -> None:
        self.con.close()

    def _linker(self, settings: Mapping[str, Any], table: Any = None,
                term_frequencies: Mapping[str, Mapping[str, float]] | None = None,
                validate: bool = True) -> Any:
        from splink import Linker

        linker = Linker(table or self.table, copy.deepcopy(dict(settings)), log_level=None,
                        validate_settings=validate)
        for col, shares in (term_frequencies or {}).items():
            name = f"asbhub_tf_{col}"
            if name not in self._tf_tables:
                frame = pl.DataFrame({col: list(shares), f"tf_{col}": list(shares.values())},
                                     schema={col: pl.String, f"tf_{col}": pl.Float64})
                self._tf_tables[name] = self.db_api.register(frame.to_arrow(), table_name=name)
            linker.table_management.register_term_frequency_lookup(self._tf_tables[name], col)
        return linker

    def use_model(self, model: LinkageModel) -> None:
        self.linker = self._linker(model.splink_settings, term_frequencies=model.term_frequencies)

    def train(self, settings: dict[str, Any], keys: tuple[tuple[str, ...], ...],
              usable: Sequence[str], th: Thresholds, seed: int, notes: list[str],
              seconds: dict[str, float]) -> LinkageModel:
        tf = _term_frequencies(self.frame, ("first_name", "surname"))
        linker = self._linker(settings, term_frequencies=tf)
        training = linker.training
        clock = time.perf_counter()
        if keys and self.frame.height > 1:
            try:
                training.estimate_probability_two_random_records_match(
                    [" AND ".join(f"l.{c} = r.{c}" for c in keys[0])], recall=_EXACT_KEY_RECALL)
            except Exception as exc:  # noqa: BLE001 - a failed step falls back, and says so
                notes.append(f"prior left at the default: {exc}")
        else:
            notes.append("prior left at the default: no exact key has usable columns")
        seconds["prior"] = time.perf_counter() - clock
        clock = time.perf_counter()
        try:
            training.estimate_u_using_random_sampling(max_pairs=_U_MAX_PAIRS, seed=seed)
        except Exception as exc:  # noqa: BLE001
            notes.append(f"u left at defaults: {exc}")
        seconds["u"] = time.perf_counter() - clock
        clock = time.perf_counter()
        for rule in _em_rules(usable, [c["output_column_name"] for c in settings["comparisons"]]):
            try:
                training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=_EM_MAX_PAIRS, estimate_without_term_frequencies=True)
            except Exception as exc:  # noqa: BLE001
                notes.append(f"EM blocked on {rule} failed; m kept: {exc}")
        seconds["em"] = time.perf_counter() - clock
        clock = time.perf_counter()
        model = LinkageModel(splink_settings=_floor_probabilities(
            linker.misc.save_model_to_json()), thresholds=th, exact_keys=keys,
            columns=tuple(usable), term_frequencies=tf)
        self.use_model(model)
        if "location" in model.comparisons:
            try:
                model = LinkageModel(**{**model.__dict__, "household": self.train_household(model)})
            except Exception as exc:  # noqa: BLE001
                notes.append(f"no household model: {exc}")
        else:
            notes.append("no household model: needs postcode and address")
        seconds["household"] = time.perf_counter() - clock
        return model

    def train_household(self, model: LinkageModel) -> HouseholdModel | None:
        """EM on pairs at the same address (same postcode and house numbers), on a sample of
        postcodes when there are more than ``_HOUSEHOLD_MAX_PAIRS`` such pairs."""
        key = "postcode IS NOT NULL AND address_numbers IS NOT NULL"
        n_pairs = int(self.con.sql(
            f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n FROM "
            f"{self.table_name} WHERE {key} GROUP BY postcode, address_numbers)").fetchall()[0][0])
        if n_pairs < 50:
            return None
        share = min(1.0, _HOUSEHOLD_MAX_PAIRS / n_pairs)
        self.con.sql(f"CREATE OR REPLACE VIEW asbhub_household AS SELECT * FROM {self.table_name} "
                     f"WHERE {key} AND hash(postcode) % 1000000 < {int(share * 1_000_000)}")
        table = self.db_api.register("asbhub_household", table_name="asbhub_household_sample")
        settings = {**model.splink_settings, "blocking_rules_to_generate_predictions": [
            {"blocking_rule": "l.postcode = r.postcode AND l.address_numbers = r.address_numbers"}]}
        sdf = self._linker(settings, table, model.term_frequencies).inference.predict(
            warning_mode="never")
        raw = pl.from_arrow(sdf.as_pyarrow_table())
        assert isinstance(raw, pl.DataFrame)
        return _household_em(raw, model)

    def key_groups(self, rules: Sequence[Sequence[str]]) -> dict[int, int]:
        """Hash every record's key for each rule (table ``asbhub_keys``: unique_id, rule, h;
        records whose key nobody else shares left out) and count the pairs each rule gives."""
        parts = [
            f"SELECT unique_id, {i} AS rule, hash({', '.join(_key_sql(c, None) for c in rule)}) "
            f"AS h FROM {self.table_name} WHERE "
            + " AND ".join(f"{_key_sql(c, None)} IS NOT NULL" for c in rule)
            for i, rule in enumerate(rules)]
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE asbhub_keys AS WITH k AS ({' UNION ALL '.join(parts)}) "
            "SELECT k.* FROM k SEMI JOIN (SELECT rule, h FROM k GROUP BY ALL HAVING count(*) > 1) "
            "g USING (rule, h)")
        rows = self.con.sql("SELECT rule, sum(n * (n - 1) // 2) FROM (SELECT rule, h, count(*) "
                            "AS n FROM asbhub_keys GROUP BY ALL) GROUP BY rule").fetchall()
        return {int(rule): int(pairs) for rule, pairs in rows}

    def register_blocked_pairs(self, keep: Sequence[int]) -> str:
        """Pairs of records sharing the key of a kept rule, as a table in Splink's
        blocked-pairs shape."""
        rules = ", ".join(str(i) for i in keep) or "-1"
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE asbhub_blocked AS SELECT l.unique_id AS join_key_l, "
            "r.unique_id AS join_key_r, CAST(min(l.rule) AS VARCHAR) AS match_key FROM "
            "asbhub_keys l JOIN asbhub_keys r ON l.rule = r.rule AND l.h = r.h "
            f"AND l.unique_id < r.unique_id WHERE l.rule IN ({rules}) GROUP BY ALL")
        self.con.execute("DROP TABLE asbhub_keys")
        return "asbhub_blocked"

    def predict(self, threshold_weight: float, blocked: str | None = None) -> pl.DataFrame:
        if blocked is not None:
            self.linker.table_management.register_blocked_pairs_for_predict(
                self.db_api.register(blocked, table_name=f"{blocked}_pairs"))
        sdf = self.linker.inference.predict(threshold_match_weight=threshold_weight,
                                            warning_mode="never")
        out = pl.from_arrow(sdf.as_pyarrow_table())
        sdf.drop_table_from_database_and_remove_from_cache()
        assert isinstance(out, pl.DataFrame)
        return out

    def exact_key_pairs(self, keys: Sequence[Sequence[str]], new_only_from: int | None = None
                        ) -> pl.DataFrame:
        """Pairs sharing an exact key; with ``new_only_from``, only pairs whose right record
        has a row number at or above it."""
        extra = "" if new_only_from is None else f" AND r.unique_id >= {new_only_from}"
        parts = [
            f"SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r, '{'+'.join(k)}' "
            f"AS exact_key FROM {self.table_name} l JOIN {self.table_name} r ON "
            + " AND ".join(f"l.{c} = r.{c}" for c in k) + f" AND l.unique_id < r.unique_id{extra}"
            for k in keys if all(c in self.frame.columns for c in k)]
        if not parts:
            return pl.DataFrame(schema={"unique_id_l": pl.Int64, "unique_id_r": pl.Int64,
                                        "exact_key": pl.String})
        sql = (f"SELECT unique_id_l, unique_id_r, min(exact_key) AS exact_key FROM "
               f"({' UNION ALL '.join(parts)}) GROUP BY ALL")
        return pl.from_arrow(self.con.sql(sql).arrow())  # type: ignore[return-value]


def _term_frequencies(frame: pl.DataFrame, columns: Sequence[str]
                      ) -> dict[str, dict[str, float]]:
    """Share of records with each value, for values seen at least twice (a value seen once
    gets no adjustment)."""
    out = {}
    for col in columns:
        if col not in frame.columns or frame[col].count() == 0:
            continue
        counts = frame[col].drop_nulls().value_counts(name="n")
        total = counts["n"].sum()
        counts = counts.filter(pl.col("n") >= 2)
        out[col] = dict(zip(counts[col].to_list(), (counts["n"] / total).to_list(), strict=True))
    return out


def _floor_probabilities(settings: dict[str, Any]) -> dict[str, Any]:
    """Floor each level's m and u (``_M_FLOOR``, ``_U_FLOOR``) and renormalise."""
    for comp in settings["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        for key, floor in (("m_probability", _M_FLOOR), ("u_probability", _U_FLOOR)):
            if all(key in lv for lv in levels):
                values = [max(float(lv[key]), floor) for lv in levels]
                for lv, v in zip(levels, values, strict=True):
                    lv[key] = v / sum(values)
    return settings


def _em_rules(usable: Sequence[str], comparisons: Sequence[str]) -> list[str]:
    """EM blocking rules (SQL) that between them leave every comparison out of at least one
    rule: a comparison cannot be trained on pairs blocked on its own columns.
    """
    chosen: list[str] = []
    untrained = set(comparisons)
    for rule in (("first_name_canonical", "surname"), ("date_of_birth",), ("postcode",),
                 ("phone",), ("email",)):
        if not set(rule) <= set(usable):
            continue
        sql = " AND ".join(f"l.{c} = r.{c}" for c in rule)
        free = {c for c in comparisons if not set(_COMPARISON_COLUMNS[c]) & set(rule)}
        if untrained & free:
            chosen.append(sql)
            untrained -= free
        if not untrained:
            break
    return chosen


# --------------------------------------------------------------------------------------------
# Scoring, the household model, clustering
# --------------------------------------------------------------------------------------------


def _levels(model: LinkageModel) -> dict[str, tuple[list[str], dict[float, int], list[float]]]:
    """Per comparison: non-null level labels, weight (rounded) -> level index, and weights.
    Splink reports each comparison's weight, not its level; every level has its own weight, so
    the weight names the level (the more specific one if two levels ever share a weight)."""
    cached = _LEVELS_CACHE.get(id(model))
    if cached is not None and cached[0] is model:
        return cached[1]
    out: dict[str, tuple[list[str], dict[float, int], list[float]]] = {}
    for name in model.comparisons:
        out[name] = ([], {}, [])
    for row in model.level_weights().filter(pl.col("level") != "Null").iter_rows(named=True):
        labels, index, weights = out[row["comparison"]]
        index.setdefault(round(row["weight"], 6), len(labels))
        labels.append(row["level"])
        weights.append(row["weight"])
    _LEVELS_CACHE.clear()  # one model at a time is the common case; keep memory flat
    _LEVELS_CACHE[id(model)] = (model, out)
    return out


_LEVELS_CACHE: dict[int, tuple[LinkageModel, dict[str, Any]]] = {}


def _level_index(raw: pl.DataFrame, model: LinkageModel) -> pl.DataFrame:
    """Level index per comparison (-1 for null) from Splink's ``mw_<name>`` columns."""
    return raw.select(
        pl.col(f"mw_{n}").round(6).replace_strict(index, default=-1, return_dtype=pl.Int64)
        .alias(n) for n, (_, index, _) in _levels(model).items())


def _household_em(raw: pl.DataFrame, model: LinkageModel, iterations: int = 200
                  ) -> HouseholdModel | None:
    """EM on same-address pairs for the share of them that are one person and the u
    probabilities among the rest (the other members of the household).

    m stays as the main model has it (how a person's own records differ does not depend on
    where they live), which keeps EM from finding some other split when the data has few
    households; u starts from, and is pulled towards, the main model's (a prior worth a tenth
    of the pairs). The postcode and address define the stratum and carry
    no weight in it.
    """
    levels = _levels(model)
    names = [n for n in model.comparisons if n != "location"]
    if raw.height < 50 or not names:
        return None
    gamma = _level_index(raw, model)
    lw = model.level_weights().filter(pl.col("level") != "Null")

    def column(n: str, c: str) -> np.ndarray:
        return np.array(lw.filter(pl.col("comparison") == n)[c].fill_null(0.5).to_list())

    m0 = {n: column(n, "m_probability") for n in names}
    m = dict(m0)
    u0 = {n: column(n, "u_probability") for n in names}
    u = dict(u0)
    g = {n: gamma[n].to_numpy() for n in names}
    prior = max(20.0, _HOUSEHOLD_PRIOR_SHARE * raw.height)
    lam = 0.5
    for _ in range(iterations):
        logit = np.full(raw.height, math.log(lam / (1 - lam)))
        for n in names:
            ok = g[n] >= 0
            logit[ok] += np.log(m[n][g[n][ok]]) - np.log(u[n][g[n][ok]])
        p = 1 / (1 + np.exp(-np.clip(logit, -50, 50)))
        new_lam = float(np.clip(p.mean(), 1e-4, 1 - 1e-4))
        for n in names:
            ok = g[n] >= 0
            counts = np.bincount(g[n][ok], weights=1 - p[ok], minlength=len(u0[n]))
            counts = counts + prior * u0[n] + 1e-9
            u[n] = counts / counts.sum()
            if n in _HOUSEHOLD_FREE_M:
                counts = np.bincount(g[n][ok], weights=p[ok], minlength=len(m0[n]))
                counts = counts + prior * m0[n] + 1e-9
                m[n] = counts / counts.sum()
        done = abs(new_lam - lam) < 1e-7
        lam = new_lam
        if done:
            break
    weights = {n: {lab: math.log2(m[n][i] / u[n][i]) for i, lab in enumerate(levels[n][0])}
               for n in names}
    weights["location"] = dict.fromkeys(levels["location"][0], 0.0)
    return HouseholdModel(probability=lam, weights=weights, n_pairs=raw.height)


def score_pairs(raw: pl.DataFrame | None, exact: pl.DataFrame, model: LinkageModel,
                th: Thresholds) -> pl.DataFrame:
    """Turn Splink's predictions (ids are row numbers) into asbhub's pairs: level labels and
    weights per comparison, the household model for pairs in one household, exact keys, and
    ``linked``."""
    names = model.comparisons
    levels = _levels(model)
    schema = {"unique_id_l": pl.Int64, "unique_id_r": pl.Int64, "match_weight": pl.Float64,
              **{f"mw_{n}": pl.Float64 for n in names}}
    if raw is None or raw.height == 0:
        raw = pl.DataFrame(schema=schema)
    # A term frequency adjustment (common or rare name) rides on its comparison's weight.
    tf = {n: pl.col(f"mw_tf_adj_{n}").fill_null(0.0) if f"mw_tf_adj_{n}" in raw.columns
          else pl.lit(0.0) for n in names}
    base = raw.select(*[pl.col(c).cast(t) for c, t in schema.items()],
                      *[tf[n].alias(f"tf_{n}") for n in names])
    gamma = _level_index(base, model)
    out = base.select("unique_id_l", "unique_id_r").with_columns(
        *[pl.when(gamma[n] < 0).then(pl.lit("Null")).otherwise(
            pl.lit(pl.Series(levels[n][0], dtype=pl.String)).gather(gamma[n].clip(0)))
          .alias(f"{n}_level") for n in names],
        *[(base[f"mw_{n}"] + base[f"tf_{n}"]).alias(f"{n}_weight") for n in names],
        *[base[f"tf_{n}"] for n in names],
        pl.lit(model.prior_weight).alias("prior_weight"),
    )
    hh = model.household
    if hh is not None and "location" in names:
        # Scored as one household: the same address, the same postcode where one address is
        # missing, or a shared landline (a number that is not a mobile). Trained on the first.
        same = pl.col("location_level").is_in(
            [*_SAME_ADDRESS, "Same postcode, one address missing"])
        if "phone" in names:
            same = same | (pl.col("phone_level") == "Exact match, other number")
        out = out.with_columns(same.alias("household")).with_columns(
            pl.when("household").then(pl.lit(hh.prior_weight)).otherwise("prior_weight")
            .alias("prior_weight"),
            *[pl.when("household").then(pl.col(f"{n}_level").replace_strict(
                {**hh.weights[n], "Null": 0.0}, default=None, return_dtype=pl.Float64)
                + pl.col(f"tf_{n}")).otherwise(f"{n}_weight").alias(f"{n}_weight")
              for n in names if n in hh.weights],
        )
    else:
        out = out.with_columns(pl.lit(False).alias("household"))
    total = pl.sum_horizontal("prior_weight", *[f"{n}_weight" for n in names])
    out = out.with_columns(total.alias("match_weight")).with_columns(
        (1 / (1 + (2.0 ** -pl.col("match_weight").clip(-1000, 1000)))).alias("match_probability"))
    # Keep what is near or above the review threshold, then add the exact-key pairs.
    out = out.filter(pl.col("match_probability") >= th.review)
    out = out.join(exact, on=["unique_id_l", "unique_id_r"], how="full", coalesce=True)
    out = out.with_columns(
        ((pl.col("match_probability") >= th.link) | pl.col("exact_key").is_not_null())
        .fill_null(False).alias("linked"),
        pl.col("household").fill_null(False))
    return out.select(
        "unique_id_l", "unique_id_r", "match_weight", "match_probability", "linked",
        "exact_key", "household", "prior_weight",
        *[c for n in names for c in (f"{n}_level", f"{n}_weight")],
    ).sort("unique_id_l", "unique_id_r")


def cluster_pairs(ids: pl.Series, pairs: pl.DataFrame) -> pl.DataFrame:
    """Connected components of the linked pairs over records ``ids`` (row numbers 0..n-1):
    cluster id = the smallest row number in the cluster; each record's best-scoring pair."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = ids.len()
    edges = pairs.filter(pl.col("linked"))
    a, b = edges["unique_id_l"].to_numpy(), edges["unique_id_r"].to_numpy()
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    first = np.full(int(label.max()) + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first, label, np.arange(n))
    scored = pairs.filter(pl.col("match_weight").is_not_null())
    both = pl.concat([
        scored.select(pl.col("unique_id_l").alias("unique_id"),
                      pl.col("unique_id_r").alias("best_match_id"), "match_weight"),
        scored.select(pl.col("unique_id_r").alias("unique_id"),
                      pl.col("unique_id_l").alias("best_match_id"), "match_weight"),
    ])
    best = both.sort(["match_weight", "best_match_id"], descending=[True, False]).group_by(
        "unique_id", maintain_order=True).first().rename({"match_weight": "best_match_weight"})
    out = pl.DataFrame({"unique_id": np.arange(n, dtype=np.int64), "cluster_id": first[label]})
    return out.with_columns(pl.len().over("cluster_id").cast(pl.Int64).alias("cluster_size")).join(
        best, on="unique_id", how="left").select(
        "unique_id", "cluster_id", "cluster_size", "best_match_weight", "best_match_id"
    ).sort("unique_id")


def review_queue(pairs: pl.DataFrame, frame: pl.DataFrame, model: LinkageModel,
                 th: Thresholds) -> pl.DataFrame:
    """Pairs not linked with ``review <= match_probability < link``, strongest first, with both
    records' fields side by side (``frame`` holds the records by row number)."""
    band = pairs.filter((pl.col("match_probability") >= th.review) & ~pl.col("linked"))
    fields = [c for c in ("first_name", "surname", "date_of_birth", "postcode", "phone",
                          "email", "address") if c in model.columns]
    side = frame.select("unique_id", *fields)
    for s in ("l", "r"):
        band = band.join(side.rename({c: f"{c}_{s}" for c in side.columns}),
                         on=f"unique_id_{s}", how="left")
    return band.sort("match_weight", descending=True)
