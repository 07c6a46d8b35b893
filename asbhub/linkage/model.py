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

The work is split over modules: :mod:`.spec` (thresholds, usable columns, blocking rules,
Splink settings), :mod:`.trained` (the saved model and the result types), :mod:`.session`
(DuckDB and Splink: blocking, training, prediction), :mod:`.scoring` (weights per comparison,
the household model, clustering, the review queue). This module links; every name the
package exported from here before the split is still importable from here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence

import polars as pl

from .normalise import normalise_people
from .scoring import _map_ids, cluster_pairs, review_queue, score_pairs
from .session import Session, quiet_splink
from .spec import (
    _BUDGET_FLOOR,
    _BUDGET_PER_RECORD,
    _PREDICT_MARGIN,
    DEFAULT_EXACT_KEYS,
    Thresholds,
    _blocking_sql,
    _share_uk_postcodes,
    blocking_rules_for,
    key_expr,
    key_hashes,
    rules_from_sql,
    settings_for,
    usable_columns,
)
from .trained import HouseholdModel, LinkageModel, LinkParameters, LinkResult, explain_pair

_Session = Session  # the name incremental linking and older callers import

__all__ = [
    "DEFAULT_EXACT_KEYS",
    "HouseholdModel",
    "LinkParameters",
    "LinkResult",
    "LinkageModel",
    "Thresholds",
    "blocking_rules_for",
    "cluster_pairs",
    "explain_pair",
    "key_expr",
    "key_hashes",
    "link_normalised",
    "link_people",
    "quiet_splink",
    "review_queue",
    "rules_from_sql",
    "score_pairs",
    "settings_for",
    "usable_columns",
]


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
    result = link_normalised(
        norm, model=model, thresholds=thresholds, exact_keys=exact_keys, seed=seed
    )
    result.parameters.seconds["normalise"] = took
    return result


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


def _link_normalised(
    records: pl.DataFrame,
    model: LinkageModel | None,
    thresholds: Thresholds | None,
    exact_keys: Sequence[Sequence[str]],
    seed: int,
) -> LinkResult:
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
            "map your columns to these names"
        )
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
    raw = session.predict(th.review_weight - _PREDICT_MARGIN, blocked) if frame.height > 1 else None
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
        n_records=frame.height,
        usable_columns=tuple(usable),
        comparisons=tuple(model.comparisons),
        blocking_rules=tuple(model.blocking_rules),
        blocking_pair_counts=counts,
        dropped_blocking_rules=tuple(dropped),
        pair_budget=budget,
        uk_postcodes=uk,
        trained=trained,
        training_notes=tuple(notes),
        seconds=seconds,
    )
    return LinkResult(
        records=records_out, pairs=pairs, review=review, model=model, parameters=params
    )
