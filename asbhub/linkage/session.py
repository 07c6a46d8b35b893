"""A DuckDB connection holding the records and a Splink linker over them: blocking by key
hashes, training, prediction and exact-key pairs."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import polars as pl

from .scoring import _household_em
from .spec import (
    _EM_MAX_PAIRS,
    _EXACT_KEY_RECALL,
    _HOUSEHOLD_MAX_PAIRS,
    _M_FLOOR,
    _U_FLOOR,
    _U_MAX_PAIRS,
    Thresholds,
    _em_rules,
    key_hashes,
)
from .trained import HouseholdModel, LinkageModel

__all__ = ["Session", "quiet_splink"]


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


class Session:
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
        self._key_hashes: list[Any] = []

    def close(self) -> None:
        self.con.close()

    def _linker(
        self,
        settings: Mapping[str, Any],
        table: Any = None,
        term_frequencies: Mapping[str, Mapping[str, float]] | None = None,
        validate: bool = True,
    ) -> Any:
        from splink import Linker

        linker = Linker(
            table or self.table,
            copy.deepcopy(dict(settings)),
            log_level=None,
            validate_settings=validate,
        )
        for col, shares in (term_frequencies or {}).items():
            name = f"asbhub_tf_{col}"
            if name not in self._tf_tables:
                frame = pl.DataFrame(
                    {col: list(shares), f"tf_{col}": list(shares.values())},
                    schema={col: pl.String, f"tf_{col}": pl.Float64},
                )
                self._tf_tables[name] = self.db_api.register(frame.to_arrow(), table_name=name)
            linker.table_management.register_term_frequency_lookup(self._tf_tables[name], col)
        return linker

    def use_model(self, model: LinkageModel) -> None:
        self.linker = self._linker(model.splink_settings, term_frequencies=model.term_frequencies)

    def train(
        self,
        settings: dict[str, Any],
        keys: tuple[tuple[str, ...], ...],
        usable: Sequence[str],
        th: Thresholds,
        seed: int,
        notes: list[str],
        seconds: dict[str, float],
    ) -> LinkageModel:
        tf = _term_frequencies(self.frame, ("first_name", "surname"))
        linker = self._linker(settings, term_frequencies=tf)
        training = linker.training
        clock = time.perf_counter()
        if keys and self.frame.height > 1:
            try:
                training.estimate_probability_two_random_records_match(
                    [" AND ".join(f"l.{c} = r.{c}" for c in keys[0])], recall=_EXACT_KEY_RECALL
                )
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
                    rule, max_pairs=_EM_MAX_PAIRS, estimate_without_term_frequencies=True
                )
            except Exception as exc:  # noqa: BLE001
                notes.append(f"EM blocked on {rule} failed; m kept: {exc}")
        seconds["em"] = time.perf_counter() - clock
        clock = time.perf_counter()
        model = LinkageModel(
            splink_settings=_floor_probabilities(linker.misc.save_model_to_json()),
            thresholds=th,
            exact_keys=keys,
            columns=tuple(usable),
            term_frequencies=tf,
        )
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
        n_pairs = int(
            self.con.sql(
                f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (SELECT count(*) AS n FROM "
                f"{self.table_name} WHERE {key} GROUP BY postcode, address_numbers)"
            ).fetchall()[0][0]
        )
        if n_pairs < 50:
            return None
        share = min(1.0, _HOUSEHOLD_MAX_PAIRS / n_pairs)
        self.con.sql(
            f"CREATE OR REPLACE VIEW asbhub_household AS SELECT * FROM {self.table_name} "
            f"WHERE {key} AND hash(postcode) % 1000000 < {int(share * 1_000_000)}"
        )
        table = self.db_api.register("asbhub_household", table_name="asbhub_household_sample")
        settings = {
            **model.splink_settings,
            "blocking_rules_to_generate_predictions": [
                {
                    "blocking_rule": "l.postcode = r.postcode AND l.address_numbers = r.address_numbers"
                }
            ],
        }
        sdf = self._linker(settings, table, model.term_frequencies).inference.predict(
            warning_mode="never"
        )
        raw = pl.from_arrow(sdf.as_pyarrow_table())
        assert isinstance(raw, pl.DataFrame)
        return _household_em(raw, model)

    def key_groups(self, rules: Sequence[Sequence[str]]) -> dict[int, int]:
        """Hash every record's key for each rule (kept for :meth:`register_blocked_pairs`) and
        count the pairs each rule gives."""
        hashes = key_hashes(self.frame, rules)
        self._key_hashes = []
        counts: dict[int, int] = {}
        for i in range(len(rules)):
            h = hashes[f"k{i}"]
            # 0 stands for "no key" (a null column); a real key hashing to 0 becomes 1.
            self._key_hashes.append(
                h.fill_null(0).replace(0, 1).to_numpy()
                if h.null_count() == 0
                else pl.select(pl.when(h.is_null()).then(0).when(h == 0).then(1).otherwise(h))
                .to_series()
                .to_numpy()
            )
            sizes = h.drop_nulls().value_counts(name="n")["n"].cast(pl.Int64)
            counts[i] = int((sizes * (sizes - 1) // 2).sum())
        return counts

    def register_blocked_pairs(self, keep: Sequence[int]) -> str:
        """Pairs of records sharing the key of a kept rule (each pair once, with the first
        rule that gives it), as a table in Splink's blocked-pairs shape."""
        hashes = [self._key_hashes[i] for i in keep]
        left, right, rule = [], [], []
        for pos, i in enumerate(keep):
            a, b = _pairs_sharing(hashes[pos])
            for earlier in hashes[:pos]:  # a pair an earlier rule gave is not repeated
                x = earlier[a]
                fresh = (x == 0) | (x != earlier[b])
                a, b = a[fresh], b[fresh]
            left.append(a)
            right.append(b)
            rule.append(np.full(len(a), i, dtype=np.int16))
        self._key_hashes = []
        pairs = pl.DataFrame(
            {
                "join_key_l": np.concatenate(left) if left else np.zeros(0, np.int64),
                "join_key_r": np.concatenate(right) if right else np.zeros(0, np.int64),
                "match_key": np.concatenate(rule) if rule else np.zeros(0, np.int16),
            }
        ).with_columns(
            pl.col("join_key_l", "join_key_r").cast(pl.Int64), pl.col("match_key").cast(pl.String)
        )
        self.con.register("asbhub_blocked_arrow", pairs.to_arrow())
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE asbhub_blocked AS SELECT * FROM asbhub_blocked_arrow"
        )
        self.con.unregister("asbhub_blocked_arrow")
        return "asbhub_blocked"

    def predict(self, threshold_weight: float, blocked: str | None = None) -> pl.DataFrame:
        if blocked is not None:
            self.linker.table_management.register_blocked_pairs_for_predict(
                self.db_api.register(blocked, table_name=f"{blocked}_pairs")
            )
        sdf = self.linker.inference.predict(
            threshold_match_weight=threshold_weight, warning_mode="never"
        )
        out = pl.from_arrow(sdf.as_pyarrow_table())
        sdf.drop_table_from_database_and_remove_from_cache()
        assert isinstance(out, pl.DataFrame)
        return out

    def exact_key_pairs(
        self, keys: Sequence[Sequence[str]], new_only_from: int | None = None
    ) -> pl.DataFrame:
        """Pairs sharing an exact key; with ``new_only_from``, only pairs whose right record
        has a row number at or above it."""
        extra = "" if new_only_from is None else f" AND r.unique_id >= {new_only_from}"
        parts = [
            f"SELECT l.unique_id AS unique_id_l, r.unique_id AS unique_id_r, '{'+'.join(k)}' "
            f"AS exact_key FROM {self.table_name} l JOIN {self.table_name} r ON "
            + " AND ".join(f"l.{c} = r.{c}" for c in k)
            + f" AND l.unique_id < r.unique_id{extra}"
            for k in keys
            if all(c in self.frame.columns for c in k)
        ]
        if not parts:
            return pl.DataFrame(
                schema={"unique_id_l": pl.Int64, "unique_id_r": pl.Int64, "exact_key": pl.String}
            )
        sql = (
            f"SELECT unique_id_l, unique_id_r, min(exact_key) AS exact_key FROM "
            f"({' UNION ALL '.join(parts)}) GROUP BY ALL"
        )
        # .pl(), not from_arrow(.arrow()): DuckDB 2 gives a reader, empty when nothing matches.
        pairs: pl.DataFrame = self.con.sql(sql).pl()  # duckdb types .pl() loosely
        return pairs


def _pairs_sharing(h: Any) -> tuple[Any, Any]:
    """Row-number pairs (lower first) of records with the same non-zero value in ``h``."""
    dup = pl.Series(h)
    idx = np.flatnonzero(((dup != 0) & dup.is_duplicated()).to_numpy())
    order = idx[np.argsort(h[idx], kind="stable")]
    if len(order) == 0:
        return order, order
    hs = h[order]
    start = np.flatnonzero(np.r_[True, hs[1:] != hs[:-1]])
    ends = np.r_[start[1:], len(hs)]
    pos = np.arange(len(hs))
    # Each record pairs with the records after it in its group.
    after = np.repeat(ends, np.diff(np.r_[start, len(hs)])) - pos - 1
    left = np.repeat(pos, after)
    first = np.cumsum(after) - after
    right = left + 1 + np.arange(len(left)) - np.repeat(first, after)
    a, b = order[left], order[right]
    return np.minimum(a, b), np.maximum(a, b)


def _term_frequencies(frame: pl.DataFrame, columns: Sequence[str]) -> dict[str, dict[str, float]]:
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
