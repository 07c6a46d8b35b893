"""Splink's predictions turned into asbhub's pairs: level labels and weights per comparison,
the household model (trained and applied), clustering and the review queue."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from .spec import _HOUSEHOLD_FREE_M, _HOUSEHOLD_PRIOR_SHARE, _SAME_ADDRESS, Thresholds
from .trained import HouseholdModel, LinkageModel

__all__ = ["cluster_pairs", "review_queue", "score_pairs"]


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
        pl.col(f"mw_{n}").round(6).replace_strict(index, default=-1, return_dtype=pl.Int64).alias(n)
        for n, (_, index, _) in _levels(model).items()
    )


def _household_em(
    raw: pl.DataFrame, model: LinkageModel, iterations: int = 200
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
            tally = np.bincount(g[n][ok], weights=1 - p[ok], minlength=len(u0[n]))
            counts = tally + prior * u0[n] + 1e-9
            u[n] = counts / counts.sum()
            if n in _HOUSEHOLD_FREE_M:
                tally = np.bincount(g[n][ok], weights=p[ok], minlength=len(m0[n]))
                counts = tally + prior * m0[n] + 1e-9
                m[n] = counts / counts.sum()
        done = abs(new_lam - lam) < 1e-7
        lam = new_lam
        if done:
            break
    weights = {
        n: {lab: math.log2(m[n][i] / u[n][i]) for i, lab in enumerate(levels[n][0])} for n in names
    }
    weights["location"] = dict.fromkeys(levels["location"][0], 0.0)
    return HouseholdModel(probability=lam, weights=weights, n_pairs=raw.height)


def score_pairs(
    raw: pl.DataFrame | None, exact: pl.DataFrame, model: LinkageModel, th: Thresholds
) -> pl.DataFrame:
    """Turn Splink's predictions (ids are row numbers) into asbhub's pairs: level labels and
    weights per comparison, the household model for pairs in one household, exact keys, and
    ``linked``."""
    names = model.comparisons
    levels = _levels(model)
    schema = {
        "unique_id_l": pl.Int64,
        "unique_id_r": pl.Int64,
        "match_weight": pl.Float64,
        **{f"mw_{n}": pl.Float64 for n in names},
    }
    if raw is None or raw.height == 0:
        raw = pl.DataFrame(schema=schema)
    # A term frequency adjustment (common or rare name) rides on its comparison's weight.
    tf = {
        n: pl.col(f"mw_tf_adj_{n}").fill_null(0.0)
        if f"mw_tf_adj_{n}" in raw.columns
        else pl.lit(0.0)
        for n in names
    }
    base = raw.select(
        *[pl.col(c).cast(t) for c, t in schema.items()], *[tf[n].alias(f"tf_{n}") for n in names]
    )
    # Weights and the household flag from level numbers first, level labels only for the
    # pairs kept: most scored pairs fall below the review threshold.
    gamma = _level_index(base, model)
    out = pl.concat(
        [base.select("unique_id_l", "unique_id_r"), gamma.select(pl.all().name.prefix("g_"))],
        how="horizontal",
    ).with_columns(
        *[(base[f"mw_{n}"] + base[f"tf_{n}"]).alias(f"{n}_weight") for n in names],
        *[base[f"tf_{n}"] for n in names],
        pl.lit(model.prior_weight).alias("prior_weight"),
    )
    hh = model.household
    if hh is not None and "location" in names:
        # Scored as one household: the same address, the same postcode where one address is
        # missing, or a shared landline (a number that is not a mobile). Trained on the first.
        same = _level_in(levels, "location", [*_SAME_ADDRESS, "Same postcode, one address missing"])
        if "phone" in names:
            same = same | _level_in(levels, "phone", ["Exact match, other number"])
        out = out.with_columns(same.alias("household")).with_columns(
            pl.when("household")
            .then(pl.lit(hh.prior_weight))
            .otherwise("prior_weight")
            .alias("prior_weight"),
            *[
                pl.when("household")
                .then(
                    pl.when(pl.col(f"g_{n}") < 0)
                    .then(0.0)
                    .otherwise(
                        pl.lit(
                            pl.Series(
                                [hh.weights[n].get(lab) for lab in levels[n][0]], dtype=pl.Float64
                            )
                        ).gather(pl.col(f"g_{n}").clip(0))
                    )
                    + pl.col(f"tf_{n}")
                )
                .otherwise(f"{n}_weight")
                .alias(f"{n}_weight")
                for n in names
                if n in hh.weights
            ],
        )
    else:
        out = out.with_columns(pl.lit(False).alias("household"))
    total = pl.sum_horizontal("prior_weight", *[f"{n}_weight" for n in names])
    out = out.with_columns(total.alias("match_weight")).with_columns(
        (1 / (1 + (2.0 ** -pl.col("match_weight").clip(-1000, 1000)))).alias("match_probability")
    )
    # Keep what is near or above the review threshold, then add the exact-key pairs.
    out = out.filter(pl.col("match_probability") >= th.review)
    out = out.with_columns(
        pl.when(pl.col(f"g_{n}") < 0)
        .then(pl.lit("Null"))
        .otherwise(
            pl.lit(pl.Series(levels[n][0], dtype=pl.String)).gather(pl.col(f"g_{n}").clip(0))
        )
        .alias(f"{n}_level")
        for n in names
    )
    out = out.join(exact, on=["unique_id_l", "unique_id_r"], how="full", coalesce=True)
    out = out.with_columns(
        ((pl.col("match_probability") >= th.link) | pl.col("exact_key").is_not_null())
        .fill_null(False)
        .alias("linked"),
        pl.col("household").fill_null(False),
    )
    return out.select(
        "unique_id_l",
        "unique_id_r",
        "match_weight",
        "match_probability",
        "linked",
        "exact_key",
        "household",
        "prior_weight",
        *[c for n in names for c in (f"{n}_level", f"{n}_weight")],
    ).sort("unique_id_l", "unique_id_r")


def _level_in(levels: dict[str, Any], name: str, labels: Sequence[str]) -> pl.Expr:
    """Whether comparison ``name`` reached one of the levels ``labels`` (by level number)."""
    wanted = [i for i, lab in enumerate(levels[name][0]) if lab in labels]
    return pl.col(f"g_{name}").is_in(wanted)


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
    both = pl.concat(
        [
            scored.select(
                pl.col("unique_id_l").alias("unique_id"),
                pl.col("unique_id_r").alias("best_match_id"),
                "match_weight",
            ),
            scored.select(
                pl.col("unique_id_r").alias("unique_id"),
                pl.col("unique_id_l").alias("best_match_id"),
                "match_weight",
            ),
        ]
    )
    # The strongest pair per record (the lower id on a tie), without sorting every pair.
    best = (
        both.filter(pl.col("match_weight") == pl.col("match_weight").max().over("unique_id"))
        .group_by("unique_id")
        .agg(pl.col("best_match_id").min(), pl.col("match_weight").first())
        .rename({"match_weight": "best_match_weight"})
    )
    out = pl.DataFrame({"unique_id": np.arange(n, dtype=np.int64), "cluster_id": first[label]})
    return (
        out.with_columns(pl.len().over("cluster_id").cast(pl.Int64).alias("cluster_size"))
        .join(best, on="unique_id", how="left")
        .select("unique_id", "cluster_id", "cluster_size", "best_match_weight", "best_match_id")
        .sort("unique_id")
    )


def review_queue(
    pairs: pl.DataFrame, frame: pl.DataFrame, model: LinkageModel, th: Thresholds
) -> pl.DataFrame:
    """Pairs not linked with ``review <= match_probability < link``, strongest first, with both
    records' fields side by side (``frame`` holds the records by row number)."""
    band = pairs.filter((pl.col("match_probability") >= th.review) & ~pl.col("linked"))
    fields = [
        c
        for c in ("first_name", "surname", "date_of_birth", "postcode", "phone", "email", "address")
        if c in model.columns
    ]
    side = frame.select("unique_id", *fields)
    for s in ("l", "r"):
        band = band.join(
            side.rename({c: f"{c}_{s}" for c in side.columns}), on=f"unique_id_{s}", how="left"
        )
    return band.sort("match_weight", descending=True)


def _map_ids(frame: pl.DataFrame, ids: pl.Series, cols: Sequence[str]) -> pl.DataFrame:
    """Row numbers in ``cols`` -> the caller's ids."""
    lookup = pl.lit(ids)
    return frame.with_columns(
        pl.when(pl.col(c).is_null())
        .then(None)
        .otherwise(lookup.gather(pl.col(c).fill_null(0)))
        .alias(c)
        for c in cols
    )
