"""Pure helpers between the store's Person rows and :mod:`asbhub.linkage`: frames in, frames
and plain Python out. No Django here, so each step can be checked on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

#: Person fields read from the store, in order (``pk`` first).
PERSON_FIELDS = ("pk", "name", "date_of_birth", "phone", "email", "address", "postcode")

#: The store's Person fields -> the linkage's standard columns.
STANDARD_OF = {
    "name": "full_name",
    "date_of_birth": "date_of_birth",
    "phone": "phone",
    "email": "email",
    "address": "address",
    "postcode": "postcode",
}


def person_frame(rows: Iterable[Sequence[Any]]) -> pl.DataFrame:
    """Person rows ``(pk, name, date_of_birth, phone, email, address, postcode)`` as a frame of
    the linkage's standard columns with ``unique_id`` = the row's pk. Blank text is null (an
    empty phone is no evidence); every standard column is present even when all null, so a
    saved model always finds the columns it compares.
    """
    data: dict[str, list[Any]] = {c: [] for c in ("unique_id", *STANDARD_OF.values())}
    for row in rows:
        values = dict(zip(PERSON_FIELDS, row, strict=True))
        data["unique_id"].append(int(values["pk"]))
        for field, col in STANDARD_OF.items():
            v = values[field]
            if isinstance(v, dt.date):
                v = v.isoformat()
            v = (str(v).strip() or None) if v is not None else None
            data[col].append(v)
    schema = {"unique_id": pl.Int64, **dict.fromkeys(STANDARD_OF.values(), pl.String)}
    return pl.DataFrame(data, schema=schema)


def normalised(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`asbhub.linkage.normalise_people` of a :func:`person_frame`, ``unique_id`` kept."""
    from asbhub.linkage import normalise_people

    return normalise_people(frame.drop("unique_id")).with_columns(frame["unique_id"])


def breakdown(row: Mapping[str, Any], comparisons: Sequence[str]) -> list[dict[str, Any]]:
    """Why a scored pair scored as it did: the prior, then each comparison with the level
    reached and its weight in bits (they add up to the pair's match weight). Empty for a pair
    linked by an exact key alone, which Splink did not score near the review threshold."""
    if row.get("match_weight") is None:
        return []
    out = [
        {
            "comparison": "prior",
            "level": "one household" if row.get("household") else "two records",
            "weight": float(row["prior_weight"]),
        }
    ]
    for name in comparisons:
        weight = row.get(f"{name}_weight")
        out.append(
            {
                "comparison": name,
                "level": row.get(f"{name}_level") or "Null",
                "weight": 0.0 if weight is None else float(weight),
            }
        )
    return out


@dataclass(frozen=True)
class BestPair:
    """A record's strongest pair with another record of its own cluster."""

    other: int
    match_weight: float | None
    exact_key: str | None
    breakdown: list[dict[str, Any]]


def best_in_cluster(
    pairs: pl.DataFrame,
    cluster_of: Mapping[int, Any],
    records: Iterable[int],
    comparisons: Sequence[str],
) -> dict[int, BestPair]:
    """For each of ``records``, its strongest pair whose other record is in the same cluster.

    Linked pairs come first (they are what joined the cluster), then by match weight, highest
    first (an exact-key pair with no score after the scored ones), then the other id. Records
    with no such pair (alone in their cluster) are left out.
    """
    wanted = set(records)
    if pairs.height == 0 or not wanted:
        return {}
    both = pl.concat(
        [
            pairs.rename({"unique_id_l": "me", "unique_id_r": "other"}),
            pairs.rename({"unique_id_r": "me", "unique_id_l": "other"}),
        ],
        how="diagonal_relaxed",
    ).filter(pl.col("me").is_in(list(wanted)))
    ids = list(wanted | set(both["other"].to_list()))
    lookup = pl.DataFrame(
        {"id": ids, "cluster": [str(cluster_of.get(i)) for i in ids]},
        schema={"id": pl.Int64, "cluster": pl.String},
    )
    both = (
        both.join(lookup.rename({"id": "me", "cluster": "c_me"}), on="me")
        .join(lookup.rename({"id": "other", "cluster": "c_other"}), on="other")
        .filter(pl.col("c_me") == pl.col("c_other"))
        .sort(
            ["me", "linked", "match_weight", "other"],
            descending=[False, True, True, False],
            nulls_last=True,
        )
    )
    out = {}
    for row in both.group_by("me", maintain_order=True).first().iter_rows(named=True):
        out[int(row["me"])] = BestPair(
            other=int(row["other"]),
            match_weight=row["match_weight"],
            exact_key=row.get("exact_key"),
            breakdown=breakdown(row, comparisons),
        )
    return out


def method_of(best: BestPair | None, link_weight: float) -> str:
    """``single``, ``probabilistic`` or ``exact_key`` (see :class:`~.models.LinkMethod`)."""
    if best is None:
        return "single"
    if best.match_weight is not None and best.match_weight >= link_weight:
        return "probabilistic"
    return "exact_key" if best.exact_key else "probabilistic"


class Partition:
    """Record -> cluster key, with the manual decisions replayed on top of the engine's clusters.

    Keys are any hashable; :meth:`merge` keeps the first key, :meth:`isolate` gives the record
    the key ``("split", record)``.
    """

    def __init__(self, cluster_of: Mapping[int, Any]) -> None:
        self.cluster_of: dict[int, Any] = dict(cluster_of)
        self.members: dict[Any, set[int]] = {}
        for rec, key in self.cluster_of.items():
            self.members.setdefault(key, set()).add(rec)
        self.moved: set[int] = set()

    def merge(self, records: Iterable[int]) -> None:
        """Put every known record of ``records`` (and their clusters) in one cluster."""
        keys = []
        for rec in records:
            key = self.cluster_of.get(rec)
            if key is not None and key not in keys:
                keys.append(key)
        if len(keys) < 2:
            return
        target = self.members[keys[0]]
        for key in keys[1:]:
            for rec in self.members.pop(key):
                self.cluster_of[rec] = keys[0]
                target.add(rec)
                self.moved.add(rec)

    def isolate(self, record: int) -> None:
        """Take ``record`` out of its cluster into one of its own."""
        key = self.cluster_of.get(record)
        if key is None or len(self.members[key]) == 1:
            return
        self.members[key].discard(record)
        new = ("split", record)
        self.cluster_of[record] = new
        self.members[new] = {record}
        self.moved.add(record)
