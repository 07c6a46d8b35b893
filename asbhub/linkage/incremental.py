"""Link new person records against an existing, clustered population without re-linking it.

A trained :class:`~asbhub.linkage.model.LinkageModel` (saved as JSON) and the population it
clustered (normalised records with ``unique_id`` and ``cluster_id``) are all that is needed.
:meth:`PersonIndex.link` compares each new record only with the existing records that share a
blocking key with it (Splink's ``predict_between``) and with the other new records, scores the
pairs as a full linkage would, and assigns each new record:

- to the existing cluster it links to most strongly (its best match weight), or
- with the new records it links to, to the cluster one of them joined, or
- to a new cluster (id: its own ``unique_id``, or that of the first record of its group).

Existing clusters are never merged or split: cluster ids stay stable, which a system of record
needs. When new records link to more than one existing cluster, a full re-link would have
merged those clusters; such cases are reported in ``merge_candidates`` for a person to decide.
Apart from them, the assignment equals a full re-link's with the same model (the scores of two
records do not depend on the other records: the model uses no term frequencies).

>>> from asbhub.synth import generate_people
>>> from asbhub.linkage import link_people, normalise_people
>>> from asbhub.linkage.incremental import PersonIndex, population_from
>>> people = generate_people(1200, seed=4)
>>> old, new = people.head(1000), people.tail(200)
>>> result = link_people(old, id_column="record_id")
>>> index = PersonIndex(population_from(normalise_people(old), result,
...                                     ids=old["record_id"]), result.model)
>>> added = index.link(new, id_column="record_id")
>>> added.assignments.height
200
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from .normalise import MODEL_COLUMNS, normalise_people
from .scoring import _map_ids, review_queue, score_pairs
from .session import Session, quiet_splink
from .spec import _PREDICT_MARGIN, key_hashes, rules_from_sql
from .trained import LinkageModel, LinkResult

__all__ = ["IncrementalResult", "PersonIndex", "link_incremental", "population_from"]

# Records added batch by batch are merged into the population's contiguous frame once there
# are more than this many of them (or a twentieth of the population).
_MERGE_AT = 10_000


@dataclass(frozen=True, eq=False)
class IncrementalResult:
    """New records linked against a population.

    Attributes
    ----------
    assignments : polars.DataFrame
        One row per new record, in input order: ``unique_id``, ``cluster_id``,
        ``new_cluster`` (no existing cluster), ``best_match_weight`` and ``best_match_id`` (its
        strongest scored pair, with an existing or a new record).
    pairs : polars.DataFrame
        Scored pairs involving a new record, as in :attr:`LinkResult.pairs`.
    review : polars.DataFrame
        The review queue among those pairs.
    merge_candidates : polars.DataFrame
        ``cluster_id`` (where the new records went) and ``other_cluster_ids`` (existing
        clusters they also link to, which a full re-link would have merged), with the new
        records involved (``unique_ids``).
    seconds : dict of str to float
    """

    assignments: pl.DataFrame
    pairs: pl.DataFrame
    review: pl.DataFrame
    merge_candidates: pl.DataFrame
    seconds: dict[str, float]


def population_from(
    normalised: pl.DataFrame, result: LinkResult, ids: pl.Series | None = None
) -> pl.DataFrame:
    """The clustered population of a linkage, ready for a :class:`PersonIndex`:
    ``normalised`` (from :func:`~asbhub.linkage.normalise.normalise_people`, in the same order
    as the linked records) with ``unique_id`` and ``cluster_id``.

    ``ids`` are the record ids the linkage reported with (its ``id_column``); default the row
    number.
    """
    uid = ids if ids is not None else pl.Series(np.arange(normalised.height, dtype=np.int64))
    out = normalised.select(c for c in MODEL_COLUMNS if c in normalised.columns).with_columns(
        uid.alias("unique_id")
    )
    return out.join(
        result.records.select("unique_id", "cluster_id"),
        on="unique_id",
        how="left",
        maintain_order="left",
    )


class PersonIndex:
    """A clustered population that new records are linked against.

    The population stays in memory as a polars frame, with a hash of each record's key for
    every blocking rule. A batch of new records first picks out the existing records that share
    a key with one of them (a hash look-up per rule, no join), and only those go to Splink: the
    cost of a batch follows its size and the number of candidates, hardly the population's.

    Parameters
    ----------
    population : polars.DataFrame
        Normalised records (the model's columns) with ``unique_id`` and ``cluster_id``, e.g.
        from :func:`population_from`.
    model : LinkageModel
        The model that clustered them (or a model loaded with
        :meth:`LinkageModel.from_json`).
    """

    def __init__(self, population: pl.DataFrame, model: LinkageModel) -> None:
        missing = [
            c for c in ("unique_id", "cluster_id", *model.columns) if c not in population.columns
        ]
        if missing:
            raise ValueError(
                f"population lacks column(s) {', '.join(missing)}; build it with population_from()"
            )
        self.model = model
        self._columns = [c for c in MODEL_COLUMNS if c in population.columns]
        # Contiguous columns: a batch gathers its candidates by row number. Records added
        # later are kept apart (``_added``) and merged in now and then, so a batch never copies
        # the population.
        self._ids = population["unique_id"].rechunk()
        self._clusters = population["cluster_id"].rechunk()
        self._frame = (
            population.select(self._columns)
            .with_columns(pl.int_range(population.height, dtype=pl.Int64).alias("unique_id"))
            .rechunk()
        )
        self._added = self._frame.head(0)
        self._taken = _IdSet(self._ids)
        self._rules = rules_from_sql(model.blocking_rules)
        # Per blocking rule, the key hashes sorted with their row numbers, in a few segments
        # (each batch adds one; they are merged now and then): a batch finds its candidates by
        # binary search, without touching the rest of the population.
        self._index: list[list[tuple[np.ndarray, np.ndarray]]] = []
        if self._rules is not None:
            keys = key_hashes(self._frame, self._rules)
            self._index = [[_segment(keys[c], self._frame["unique_id"])] for c in keys.columns]
        # One Splink linker for every batch, built on table ``asbhub_batch``: each batch
        # replaces the table's data (candidates and new records) and its blocked pairs.
        self._session = Session(self._frame.head(0), table="asbhub_batch")
        self._session.use_model(model)
        self._batch = 0
        from scipy.sparse import csgraph  # noqa: F401 - loaded with the index, not per batch

        if self._rules is not None:
            self._predict(
                pl.DataFrame(schema={"join_key_l": pl.Int64, "join_key_r": pl.Int64}),
                self._frame.head(0),
            )  # Splink builds its SQL once, here, not per batch

    def _predict(self, blocked: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
        """Splink's scores for the ``blocked`` pairs of ``records`` (candidates and new)."""
        session = self._session
        cut = self.model.thresholds.review_weight - _PREDICT_MARGIN
        session.con.register("asbhub_batch", records.to_arrow())
        session.con.register(
            "asbhub_batch_pairs", blocked.with_columns(pl.lit("0").alias("match_key")).to_arrow()
        )
        linker = session.linker
        linker.table_management.register_blocked_pairs_for_predict(
            session.db_api.table_to_splink_dataframe("asbhub_batch_pairs", "asbhub_batch_pairs")
        )
        out = _fetch(linker.inference.predict(threshold_match_weight=cut, warning_mode="never"))
        session.con.unregister("asbhub_batch_pairs")
        return out

    @property
    def size(self) -> int:
        """Records in the population."""
        return self._frame.height + self._added.height

    @property
    def population(self) -> pl.DataFrame:
        """The population's ids and clusters, new records included."""
        return pl.DataFrame({"unique_id": self._ids, "cluster_id": self._clusters})

    def close(self) -> None:
        self._session.close()

    def link(
        self,
        records: pl.DataFrame,
        *,
        columns: Mapping[str, str | list[str]] | None = None,
        id_column: str | None = None,
        normalised: bool = False,
    ) -> IncrementalResult:
        """Link new records and add them to the population.

        Parameters
        ----------
        records : polars.DataFrame
            Raw person records (standard columns, or mapped by ``columns``), or with
            ``normalised=True`` the output of ``normalise_people`` (with an optional
            ``unique_id``).
        id_column : str, optional
            A column of unique record ids (default: continue the population's row numbers,
            which suits a population whose ids are row numbers).

        Returns
        -------
        IncrementalResult
        """
        with quiet_splink():
            return self._link(records, columns, id_column, normalised)

    def _link(
        self,
        records: pl.DataFrame,
        columns: Mapping[str, str | list[str]] | None,
        id_column: str | None,
        normalised: bool,
    ) -> IncrementalResult:
        seconds: dict[str, float] = {}
        clock = time.perf_counter()
        n_old, n_new = self.size, records.height
        new = records if normalised else normalise_people(records, columns=columns)
        if id_column is not None:
            ids = records[id_column]
        elif "unique_id" in new.columns:
            ids = new["unique_id"]
        else:
            ids = pl.Series(np.arange(n_old, n_old + n_new, dtype=np.int64))
        ids = ids.alias("unique_id")
        if ids.n_unique() != n_new or ids.null_count() or self._taken.any_of(ids):
            raise ValueError(
                "new record ids must be unique, never empty and not already in the population"
            )
        for c in self._columns:
            if c not in new.columns:
                new = new.with_columns(pl.lit(None, dtype=self._frame[c].dtype).alias(c))
        new = new.select(self._columns).with_columns(
            pl.int_range(n_old, n_old + n_new, dtype=pl.Int64).alias("unique_id")
        )
        new_keys = None if self._rules is None else key_hashes(new, self._rules)
        seconds["normalise"] = time.perf_counter() - clock
        clock = time.perf_counter()
        session = self._session
        th = self.model.thresholds
        cut = th.review_weight - _PREDICT_MARGIN
        self._batch += 1
        batch = f"asbhub_batch_{self._batch}"
        if self._rules is not None and new_keys is not None:
            # The pairs Splink's blocking rules would give, found from the key hashes; Splink
            # then scores just those pairs.
            lefts, rights, long = [], [], []
            rows = new["unique_id"].to_numpy()
            for i, (segments, c) in enumerate(zip(self._index, new_keys.columns, strict=True)):
                h = new_keys[c]
                ok = h.is_not_null().to_numpy()
                # drop_nulls before to_numpy: a UInt64 column with nulls comes out as float64,
                # which loses the low bits of a 64-bit hash (and the match with it).
                q, q_rows = h.drop_nulls().to_numpy().astype(np.uint64), rows[ok]
                long.append(pl.DataFrame({"rule": np.full(len(q), i), "h": q, "r": q_rows}))
                for sorted_keys, key_rows in segments:
                    lo = np.searchsorted(sorted_keys, q, "left")
                    n = np.searchsorted(sorted_keys, q, "right") - lo
                    total = int(n.sum())
                    if total:
                        starts = np.repeat(lo - (np.cumsum(n) - n), n)
                        lefts.append(key_rows[starts + np.arange(total)])
                        rights.append(np.repeat(q_rows, n))
            # Pairs among the new records: one join over every rule.
            new_long = pl.concat(long)
            within = new_long.join(new_long.rename({"r": "l"}), on=["rule", "h"]).filter(
                pl.col("l") < pl.col("r")
            )
            none = [np.zeros(0, np.int64)]
            found = [
                pl.DataFrame(
                    {
                        "join_key_l": np.concatenate(lefts or none),
                        "join_key_r": np.concatenate(rights or none),
                    }
                ),
                within.select(pl.col("l").alias("join_key_l"), pl.col("r").alias("join_key_r")),
            ]
            blocked = pl.concat([f.cast(pl.Int64) for f in found]).unique()
            old_rows = blocked.filter(pl.col("join_key_l") < n_old)["join_key_l"].unique().sort()
            candidates = self._rows(old_rows.to_numpy())
            seconds["candidates"] = time.perf_counter() - clock
            clock = time.perf_counter()
            raw = [self._predict(blocked, pl.concat([candidates, new]))]
            exact = self._exact_pairs("asbhub_batch", n_old)
        else:  # rules asbhub does not know: Splink blocks the whole population
            candidates = pl.concat([self._frame, self._added])
            seconds["candidates"] = 0.0
            old_table = session.db_api.register(candidates.to_arrow(), table_name=f"{batch}_old")
            new_table = session.db_api.register(new.to_arrow(), table_name=f"{batch}_new")
            inference = session.linker.inference
            raw = [
                _fetch(
                    inference.predict_between(
                        old_table, new_table, threshold_match_weight=cut, warning_mode="never"
                    )
                )
            ]
            if n_new > 1:
                raw.append(
                    _fetch(
                        inference.predict_within(
                            new_table, threshold_match_weight=cut, warning_mode="never"
                        )
                    )
                )
            session.con.sql(
                f"CREATE OR REPLACE VIEW {batch} AS SELECT * FROM {batch}_old "
                f"UNION ALL SELECT * FROM {batch}_new"
            )
            exact = self._exact_pairs(batch, n_old)
            session.con.sql(f"DROP VIEW {batch}")
            session.con.unregister(f"{batch}_old")
            session.con.unregister(f"{batch}_new")
        seconds["predict"] = time.perf_counter() - clock
        clock = time.perf_counter()
        raws = [r for r in raw if r.height]
        pairs = score_pairs(
            pl.concat(raws, how="diagonal_relaxed") if raws else None, exact, self.model, th
        )
        assignments, merges = self._assign(pairs, n_old, n_new, ids)
        review = review_queue(pairs, pl.concat([candidates, new]), self.model, th)
        lookup = self._lookup(ids)
        pairs = _map_ids(pairs, lookup, ("unique_id_l", "unique_id_r"))
        review = _map_ids(review, lookup, ("unique_id_l", "unique_id_r"))
        # The new records join the population for the next batch.
        self._ids = lookup
        self._clusters.append(assignments["cluster_id"].cast(self._clusters.dtype))
        self._taken.add(ids)
        self._added = pl.concat([self._added, new])
        if self._added.height > max(_MERGE_AT, self._frame.height // 20):
            self._frame = pl.concat([self._frame, self._added]).rechunk()
            self._added = self._frame.head(0)
            self._ids, self._clusters = self._ids.rechunk(), self._clusters.rechunk()
        if new_keys is not None:
            for segments, c in zip(self._index, new_keys.columns, strict=True):
                segments.append(_segment(new_keys[c], new["unique_id"]))
                if len(segments) > 16:
                    merged, row_ids = (np.concatenate(x) for x in zip(*segments, strict=True))
                    order = np.argsort(merged, kind="stable")
                    segments[:] = [(merged[order], row_ids[order])]
        seconds["assign"] = time.perf_counter() - clock
        return IncrementalResult(
            assignments=assignments,
            pairs=pairs,
            review=review,
            merge_candidates=merges,
            seconds=seconds,
        )

    def _rows(self, rows: np.ndarray) -> pl.DataFrame:
        """Population records by row number (ascending)."""
        n = self._frame.height
        split = int(np.searchsorted(rows, n))
        return pl.concat([self._frame[rows[:split]], self._added[rows[split:] - n]])

    def _lookup(self, ids: pl.Series) -> pl.Series:
        """Record ids by row number, the new records' included (without copying the
        population's)."""
        lookup = self._ids.clone()
        lookup.append(ids.cast(self._ids.dtype))
        if lookup.n_chunks() > 16:
            lookup = lookup.rechunk()
        return lookup

    def _exact_pairs(self, table: str, first_new: int) -> pl.DataFrame:
        """Pairs sharing an exact key in ``table`` of which at least one record is new."""
        parts = []
        for key in self.model.exact_keys:
            if not all(c in self._columns for c in key):
                continue
            on = " AND ".join(f"l.{c} = r.{c}" for c in key)
            parts.append(
                f"SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r, "
                f"'{'+'.join(key)}' AS exact_key FROM {table} l JOIN {table} r ON {on} "
                f"AND l.unique_id < r.unique_id AND r.unique_id >= {first_new}"
            )
        if not parts:
            return pl.DataFrame(
                schema={"unique_id_l": pl.Int64, "unique_id_r": pl.Int64, "exact_key": pl.String}
            )
        sql = (
            f"SELECT unique_id_l, unique_id_r, min(exact_key) AS exact_key FROM "
            f"({' UNION ALL '.join(parts)}) GROUP BY ALL"
        )
        # .pl(), not from_arrow(.arrow()): DuckDB 2 gives a reader, empty when nothing matches.
        pairs: pl.DataFrame = self._session.con.sql(sql).pl()  # duckdb types .pl() loosely
        return pairs

    def _assign(
        self, pairs: pl.DataFrame, n_old: int, n_new: int, ids: pl.Series
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Best existing cluster per group of linked new records, else a new cluster."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        linked = pairs.filter(pl.col("linked"))
        # Exact-key pairs may have no score: they rank above any scored pair.
        weight = pl.col("match_weight").fill_null(float("inf"))
        within = linked.filter(pl.col("unique_id_l") >= n_old)
        a = within["unique_id_l"].to_numpy() - n_old
        b = within["unique_id_r"].to_numpy() - n_old
        _, group = connected_components(
            coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n_new, n_new)),
            directed=False,
        )
        between = linked.filter(pl.col("unique_id_l") < n_old).select(
            (pl.col("unique_id_r") - n_old).alias("new_row"),
            pl.col("unique_id_l").alias("row"),
            weight.alias("w"),
        )
        between = between.with_columns(self._clusters.gather(between["row"]).alias("cluster_id"))
        between = between.with_columns(
            pl.lit(pl.Series(group)).gather(pl.col("new_row")).alias("group")
        )
        per_group = between.group_by("group", "cluster_id").agg(pl.col("w").max())
        best = (
            per_group.sort(["w", "cluster_id"], descending=[True, False])
            .group_by("group", maintain_order=True)
            .agg(pl.col("cluster_id").first(), pl.col("cluster_id").alias("all"))
        )
        first_of_group = (
            pl.DataFrame({"group": group, "row": np.arange(n_new)})
            .group_by("group")
            .agg(pl.col("row").min())
        )
        out = (
            pl.DataFrame({"group": group, "row": np.arange(n_new)})
            .join(best.select("group", "cluster_id"), on="group", how="left")
            .join(first_of_group.rename({"row": "first"}), on="group", how="left")
        )
        new_cluster = out["cluster_id"].is_null()
        # A new cluster is named after its first new record.
        cluster_id = pl.select(
            pl.coalesce(pl.lit(out["cluster_id"]), pl.lit(ids.gather(out["first"])))
        ).to_series()
        # Each new record's best scored pair.
        scored = pairs.filter(pl.col("match_weight").is_not_null())
        ends = (
            pl.concat(
                [
                    scored.select(
                        pl.col("unique_id_r").alias("u"),
                        pl.col("unique_id_l").alias("o"),
                        "match_weight",
                    ),
                    scored.filter(pl.col("unique_id_l") >= n_old).select(
                        pl.col("unique_id_l").alias("u"),
                        pl.col("unique_id_r").alias("o"),
                        "match_weight",
                    ),
                ]
            )
            .sort(["match_weight", "o"], descending=[True, False])
            .group_by("u", maintain_order=True)
            .first()
        )
        lookup = self._lookup(ids)
        assignments = (
            pl.DataFrame(
                {
                    "unique_id": ids,
                    "cluster_id": cluster_id,
                    "new_cluster": new_cluster,
                    "u": np.arange(n_old, n_old + n_new),
                }
            )
            .join(ends, on="u", how="left")
            .with_columns(
                pl.when(pl.col("o").is_null())
                .then(None)
                .otherwise(pl.lit(lookup).gather(pl.col("o").fill_null(0)))
                .alias("best_match_id"),
            )
            .select(
                "unique_id",
                "cluster_id",
                "new_cluster",
                pl.col("match_weight").alias("best_match_weight"),
                "best_match_id",
            )
        )
        members = (
            pl.DataFrame({"group": group, "unique_id": ids})
            .group_by("group")
            .agg(pl.col("unique_id").alias("unique_ids"))
        )
        merges = (
            best.filter(pl.col("all").list.len() > 1)
            .select("group", "cluster_id", pl.col("all").list.slice(1).alias("other_cluster_ids"))
            .join(members, on="group", how="left")
            .drop("group")
        )
        return assignments, merges


class _IdSet:
    """The population's record ids, to refuse a new record whose id is taken: whole-number ids
    sorted once (a batch checks by binary search), others hashed per batch."""

    def __init__(self, ids: pl.Series) -> None:
        self._numeric = ids.dtype.is_integer()
        self._sorted = np.sort(ids.to_numpy()) if self._numeric else None
        self._others = ids if not self._numeric else ids.head(0)

    def any_of(self, ids: pl.Series) -> bool:
        if (
            self._others.len()
            and ids.is_in(self._others.cast(ids.dtype, strict=False).implode()).any()
        ):
            return True
        if self._sorted is None or not len(self._sorted):
            return False
        if not ids.dtype.is_integer():
            return False
        values = ids.to_numpy().astype(self._sorted.dtype, copy=False)
        at = np.searchsorted(self._sorted, values).clip(max=len(self._sorted) - 1)
        return bool((self._sorted[at] == values).any())

    def add(self, ids: pl.Series) -> None:
        self._others = pl.concat([self._others, ids.cast(self._others.dtype, strict=False)])


def _segment(hashes: pl.Series, rows: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Non-null key hashes sorted, with their row numbers."""
    ok = hashes.is_not_null().to_numpy()
    keys = hashes.drop_nulls().to_numpy().astype(np.uint64)  # no float64 round trip
    ids = rows.to_numpy()[ok].astype(np.int64)
    order = np.argsort(keys, kind="stable")
    return keys[order], ids[order]


def _fetch(sdf: Any) -> pl.DataFrame:
    out = pl.from_arrow(sdf.as_pyarrow_table())
    sdf.drop_table_from_database_and_remove_from_cache()
    assert isinstance(out, pl.DataFrame)
    return out


def link_incremental(
    records: pl.DataFrame, population: pl.DataFrame, model: LinkageModel, **kwargs: Any
) -> IncrementalResult:
    """Link new ``records`` against ``population`` with ``model`` in one call (see
    :meth:`PersonIndex.link` for the keyword arguments). To link batch after batch, keep a
    :class:`PersonIndex` instead: it holds the population in DuckDB between batches."""
    index = PersonIndex(population, model)
    try:
        return index.link(records, **kwargs)
    finally:
        index.close()
