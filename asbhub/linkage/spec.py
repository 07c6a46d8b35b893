"""The linkage model's specification: thresholds, which columns are usable, blocking rules and
their keys, and the Splink comparisons and settings built from them (no training, no data)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import polars as pl

from .normalise import MODEL_COLUMNS

__all__ = [
    "DEFAULT_EXACT_KEYS",
    "Thresholds",
    "blocking_rules_for",
    "key_expr",
    "key_hashes",
    "rules_from_sql",
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
    "location": (
        "postcode",
        "postcode_sector",
        "postcode_district",
        "address",
        "address_tokens",
        "address_numbers",
    ),
}

_MIN_NON_NULL_SHARE = 0.01  # below this share of values a column is treated as absent
_MIN_NON_NULL = 5
_BUDGET_FLOOR = 2_000_000  # pair budget per blocking rule: max(floor, per_record * n)
_BUDGET_PER_RECORD = 40
_U_MAX_PAIRS = 1e6
# Pairs per EM rule (Splink samples records to about this many). 3e5 (was 1e6) gave pairwise
# precision 0.9913 and recall 0.9859 on bench/bench_linkage.py's million records, EM 3.6 s.
_EM_MAX_PAIRS = 3e5
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
_SAME_ADDRESS = (
    "Same postcode and address",
    "Same postcode and house numbers",
    "Same address, postcode differs or missing",
)


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
            raise ValueError(
                f"thresholds must satisfy 0 < review <= link < 1; got "
                f"review={self.review}, link={self.link}"
            )

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
    # cast: polars types Series.mean() as any Python literal; on a boolean series it is a float
    return (
        float(cast(float, pc.str.contains(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$").mean()))
        if len(pc)
        else 0.0
    )


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
        exprs.append(
            pl.when(pl.any_horizontal(p.is_null() for p in parts))
            .then(None)
            .otherwise(pl.struct(parts).hash(seed=7))
            .alias(f"k{i}")
        )
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
        return cl.CustomComparison(
            levels,
            output_column_name=name,
            comparison_description=name.replace("_", " ").capitalize(),
        )

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
                label_for_charts=f"Jaro-Winkler >= {t}",
            )

        levels = [
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name").configure(
                label_for_charts="Exact match", tf_adjustment_column="first_name"
            ),
            label(cll.ExactMatchLevel("first_name_canonical"), "Same name through a nickname"),
            typo(0.92),
            cll.CustomLevel(
                "(length(first_name_l) = 1 OR length(first_name_r) = 1) "
                "AND substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1)",
                label_for_charts="Initial agrees",
            ),
        ]
        if "surname" in have:
            levels.append(
                cll.CustomLevel(
                    "first_name_l = surname_r", label_for_charts="Matches the other's surname"
                )
            )
        out.append(custom("first_name", [*levels, typo(0.8), cll.ElseLevel()]))
    if "surname" in have:
        levels = [
            cll.NullLevel("surname"),
            cll.ExactMatchLevel("surname").configure(
                label_for_charts="Exact match", tf_adjustment_column="surname"
            ),
            label(cll.JaroWinklerLevel("surname", 0.92), "Jaro-Winkler >= 0.92"),
        ]
        if "first_name" in have:
            levels.append(
                cll.CustomLevel(
                    "surname_l = first_name_r", label_for_charts="Matches the other's first name"
                )
            )
        out.append(
            custom(
                "surname",
                [
                    *levels,
                    label(cll.JaroWinklerLevel("surname", 0.8), "Jaro-Winkler >= 0.8"),
                    cll.ElseLevel(),
                ],
            )
        )
    if "date_of_birth" in have:
        dob = "date_of_birth"
        out.append(
            custom(
                dob,
                [
                    cll.NullLevel(dob),
                    label(cll.ExactMatchLevel(dob), "Exact match"),
                    cll.CustomLevel(
                        "substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4) "
                        "AND substr(date_of_birth_l, 6, 2) = substr(date_of_birth_r, 9, 2) "
                        "AND substr(date_of_birth_l, 9, 2) = substr(date_of_birth_r, 6, 2)",
                        label_for_charts="Day and month swapped",
                    ),
                    label(cll.LevenshteinLevel(dob, 1), "One character different"),
                    label(
                        cll.AbsoluteDateDifferenceLevel(
                            dob, input_is_string=True, threshold=1, metric="year"
                        ),
                        "Within a year",
                    ),
                    label(
                        cll.AbsoluteDateDifferenceLevel(
                            dob, input_is_string=True, threshold=10, metric="year"
                        ),
                        "Within ten years",
                    ),
                    cll.ElseLevel(),
                ],
            )
        )
    if "phone" in have:
        out.append(
            custom(
                "phone",
                [
                    cll.NullLevel("phone"),
                    cll.CustomLevel(
                        "phone_l = phone_r AND phone_l LIKE '+447%'",
                        label_for_charts="Exact match, mobile",
                    ),
                    label(cll.ExactMatchLevel("phone"), "Exact match, other number"),
                    cll.ElseLevel(),
                ],
            )
        )
    if "email" in have:
        out.append(
            custom(
                "email",
                [
                    cll.NullLevel("email"),
                    label(cll.ExactMatchLevel("email"), "Exact match"),
                    label(cll.LevenshteinLevel("email", 2), "Up to two edits"),
                    cll.CustomLevel(
                        "regexp_extract(email_l, '^[^@]+') = regexp_extract(email_r, '^[^@]+')",
                        label_for_charts="Same name before the @",
                    ),
                    cll.ElseLevel(),
                ],
            )
        )

    def jaccard(t: float) -> str:
        # Token sets (the tokens are distinct): |A & B| / |A | B| >= t, written with one
        # intersection and no division, as |A & B| * (1 + t) >= t * (|A| + |B|).
        return (
            f"len(list_intersect(address_tokens_l, address_tokens_r)) * {1 + t} >= "
            f"{t} * (len(address_tokens_l) + len(address_tokens_r))"
        )

    same_numbers = "address_numbers_l IS NOT DISTINCT FROM address_numbers_r"
    if {"postcode", "address"} <= have:
        # One comparison for where a person lives: a postcode and an address that agree are
        # one piece of evidence, not two, and house numbers that differ within one postcode
        # mean neighbours.
        no_address = "(address_l IS NULL OR address_r IS NULL)"
        levels = [
            cll.CustomLevel(
                "(postcode_l IS NULL OR postcode_r IS NULL) AND " + no_address
            ).configure(is_null_level=True),
            cll.CustomLevel(
                f"postcode_l = postcode_r AND {same_numbers} AND {jaccard(0.5)}",
                label_for_charts=_SAME_ADDRESS[0],
            ),
            cll.CustomLevel(
                f"postcode_l = postcode_r AND {same_numbers} AND NOT {no_address}",
                label_for_charts=_SAME_ADDRESS[1],
            ),
            cll.CustomLevel(
                f"postcode_l = postcode_r AND {no_address}",
                label_for_charts="Same postcode, one address missing",
            ),
            cll.CustomLevel(
                "postcode_l = postcode_r", label_for_charts="Same postcode, different house numbers"
            ),
            cll.CustomLevel(
                f"{same_numbers} AND {jaccard(0.5)}", label_for_charts=_SAME_ADDRESS[2]
            ),
            cll.CustomLevel(f"{jaccard(0.5)}", label_for_charts="Same street"),
        ]
        if uk_postcodes:
            levels += [
                cll.CustomLevel(
                    "postcode_sector_l = postcode_sector_r", label_for_charts="Same postcode sector"
                ),
                cll.CustomLevel(
                    "postcode_district_l = postcode_district_r",
                    label_for_charts="Same postcode district",
                ),
            ]
        else:
            levels.append(
                label(cll.LevenshteinLevel("postcode", 1), "Postcode one character different")
            )
        levels += [
            cll.CustomLevel(f"{jaccard(0.25)}", label_for_charts="Some address words shared"),
            cll.ElseLevel(),
        ]
        out.append(custom("location", levels))
    elif "postcode" in have:
        if uk_postcodes:
            out.append(cl.PostcodeComparison("postcode"))
        else:  # not UK postcodes: sectors and districts mean nothing
            out.append(
                custom(
                    "postcode",
                    [
                        cll.NullLevel("postcode"),
                        label(cll.ExactMatchLevel("postcode"), "Exact match"),
                        label(cll.LevenshteinLevel("postcode", 1), "One character different"),
                        cll.ElseLevel(),
                    ],
                )
            )
    elif "address" in have:
        out.append(
            custom(
                "address",
                [
                    cll.NullLevel("address"),
                    label(cll.ExactMatchLevel("address"), "Exact match"),
                    cll.CustomLevel(
                        f"{same_numbers} AND {jaccard(0.5)}",
                        label_for_charts="Same numbers, most words shared",
                    ),
                    cll.CustomLevel(f"{jaccard(0.5)}", label_for_charts="Same street"),
                    cll.CustomLevel(f"{jaccard(0.25)}", label_for_charts="Some words shared"),
                    cll.ElseLevel(),
                ],
            )
        )
    return out


def settings_for(
    usable: Sequence[str],
    *,
    uk_postcodes: bool = True,
    blocking_rules: Sequence[Sequence[str]] | None = None,
) -> dict[str, Any]:
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
        blocking_rules_to_generate_predictions=[{"blocking_rule": _blocking_sql(r)} for r in rules],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        max_iterations=20,
        em_convergence=0.001,
    ).create_settings_dict("duckdb")


# --------------------------------------------------------------------------------------------
# The trained model
# --------------------------------------------------------------------------------------------


def _em_rules(usable: Sequence[str], comparisons: Sequence[str]) -> list[str]:
    """EM blocking rules (SQL) that between them leave every comparison out of at least one
    rule: a comparison cannot be trained on pairs blocked on its own columns.
    """
    chosen: list[str] = []
    untrained = set(comparisons)
    for rule in (
        ("first_name_canonical", "surname"),
        ("date_of_birth",),
        ("postcode",),
        ("phone",),
        ("email",),
    ):
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
