"""The trained linkage model (saved as JSON), the household model, and what a linkage returns."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from .normalise import MODEL_COLUMNS
from .spec import DEFAULT_EXACT_KEYS, Thresholds, _logit2

__all__ = ["HouseholdModel", "LinkParameters", "LinkResult", "LinkageModel", "explain_pair"]


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
        return [
            r["blocking_rule"] if isinstance(r, dict) else str(r)
            for r in self.splink_settings["blocking_rules_to_generate_predictions"]
        ]

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
                rows.append(
                    {
                        "comparison": name,
                        "level": level,
                        "m_probability": None if null else lv.m_probability,
                        "u_probability": None if null else lv.u_probability,
                        "weight": float(lv._match_weight),
                        "household_weight": 0.0 if null else hh.get(name, {}).get(level),
                    }
                )
        return pl.DataFrame(
            rows,
            schema={
                "comparison": pl.String,
                "level": pl.String,
                "m_probability": pl.Float64,
                "u_probability": pl.Float64,
                "weight": pl.Float64,
                "household_weight": pl.Float64,
            },
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: ``{"asbhub": {...}, "splink_settings": {...}}``."""
        hh = self.household
        return {
            "asbhub": {
                "format": 1,
                "thresholds": {"link": self.thresholds.link, "review": self.thresholds.review},
                "exact_keys": [list(k) for k in self.exact_keys],
                "columns": list(self.columns),
                "household": None
                if hh is None
                else {"probability": hh.probability, "weights": hh.weights, "n_pairs": hh.n_pairs},
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
            data = json.loads(
                text if text.lstrip().startswith("{") else Path(source).read_text(encoding="utf-8")
            )
        if "splink_settings" not in data:
            if "comparisons" not in data:
                raise ValueError("not a linkage model: no 'splink_settings' or 'comparisons' key")
            data = {"splink_settings": data}
        meta = data.get("asbhub") or {}
        settings = data["splink_settings"]
        text = json.dumps(settings)
        columns = meta.get("columns") or [
            c for c in MODEL_COLUMNS if f"{c}_l" in text or f"l.{c}" in text
        ]
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
    hit = pairs.filter(
        ((pl.col("unique_id_l") == a) & (pl.col("unique_id_r") == b))
        | ((pl.col("unique_id_l") == b) & (pl.col("unique_id_r") == a))
    )
    if hit.height == 0 or hit["match_weight"][0] is None:
        raise KeyError(f"records {a!r} and {b!r} were not scored near the review threshold")
    r = hit.row(0, named=True)
    rows = [
        {
            "comparison": "prior",
            "weight": r["prior_weight"],
            "level": "one household" if r["household"] else "two records",
        }
    ]
    rows += [
        {"comparison": n, "level": r[f"{n}_level"], "weight": r[f"{n}_weight"]}
        for n in model.comparisons
    ]
    return pl.DataFrame(
        rows, schema={"comparison": pl.String, "level": pl.String, "weight": pl.Float64}
    )
