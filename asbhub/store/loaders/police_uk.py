"""The writer of data.police.uk street files: one source per force and month.

A force's month is one loaded unit (:class:`~asbhub.records.incidents.models.Source`, kind
``police_uk_street``), described by the digest of its rows. Loading the same month again:

* the same content: nothing written (every row counted as already stored);
* other content (a re-publication): the month's rows are replaced; the rows of the new file
  that were stored before count as already stored, the rest as stored, and the old rows not
  in the new file as ``replaced``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import polars as pl

from asbhub.ingest import police_uk
from asbhub.ingest.common import ParsedFile
from asbhub.store import tables as t
from asbhub.store.loaders.base import FileResult, Loader

__all__ = ["write_police_uk"]


def write_police_uk(loader: Loader, parsed: ParsedFile, result: FileResult) -> None:
    """Store the valid rows of a parsed data.police.uk file, by force and month, and count
    what became of them in ``result``."""
    rows = parsed.rows
    if rows.height == 0:
        return
    rows = rows.with_columns(_row_text(rows).alias("_text"))
    for (force, month), group in rows.group_by(["falls_within", "month"], maintain_order=True):
        stored, already, replaced = _write_force_month(
            loader, parsed, str(force), str(month), group
        )
        result.stored += stored
        result.already_stored += already
        result.replaced += replaced


def _write_force_month(
    loader: Loader, parsed: ParsedFile, force: str, month: str, group: pl.DataFrame
) -> tuple[int, int, int]:
    digest = hashlib.sha256("\n".join(group["_text"].to_list()).encode()).hexdigest()
    cur = loader.store.connection.cursor()
    cur.execute(
        f"SELECT id, content_hash, rows FROM {t.SOURCE} WHERE kind = %s AND force = %s "
        "AND month = %s",
        [police_uk.KIND, force, month],
    )
    found = cur.fetchall()
    now = datetime.now(UTC)
    if found and found[0][1] == digest:
        return 0, group.height, 0
    if found:
        source_id, old_rows = found[0][0], found[0][2]
        matched = _matched_rows(group["_text"], _police_uk_texts(loader, source_id))
        cur.execute(f"DELETE FROM {t.INCIDENT} WHERE source_id = %s", [source_id])
        cur.execute(
            f"UPDATE {t.SOURCE} SET content_hash = %s, rows = %s, file = %s, "
            "loaded_at = %s WHERE id = %s",
            [digest, group.height, parsed.name, now, source_id],
        )
    else:
        old_rows = matched = 0
        cur.execute(
            f"INSERT INTO {t.SOURCE} (kind, force, month, content_hash, rows, file, "
            "loaded_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [police_uk.KIND, force, month, digest, group.height, parsed.name, now],
        )
        cur.execute(
            f"SELECT id FROM {t.SOURCE} WHERE kind = %s AND force = %s AND month = %s",
            [police_uk.KIND, force, month],
        )
        source_id = cur.fetchall()[0][0]
    location_ids = loader.location_ids(group)
    columns = (
        "source_id",
        "line",
        "record_type",
        "month",
        "crime_type",
        "crime_id",
        "reported_by",
        "location_id",
        "outcome",
        "context",
    )
    n = group.height
    data = zip(
        [source_id] * n,
        group["line"].to_list(),
        group["record_type"].to_list(),
        group["month"].to_list(),
        group["crime_type"].to_list(),
        group["crime_id"].to_list(),
        group["reported_by"].to_list(),
        location_ids,
        group["outcome"].to_list(),
        group["context"].to_list(),
        strict=True,
    )
    loader.bulk_insert(t.INCIDENT, columns, data)
    return n - matched, matched, old_rows - matched


def _police_uk_texts(loader: Loader, source_id: int) -> pl.Series:
    cur = loader.store.connection.cursor()
    cur.execute(
        "SELECT i.crime_id, i.month, i.reported_by, s.force, l.longitude, l.latitude, "
        "l.description, l.lsoa_code, l.lsoa_name, i.crime_type, i.outcome, i.context "
        f"FROM {t.INCIDENT} i JOIN {t.SOURCE} s ON s.id = i.source_id "
        f"LEFT JOIN {t.LOCATION} l ON l.id = i.location_id WHERE i.source_id = %s",
        [source_id],
    )
    names = [
        "crime_id",
        "month",
        "reported_by",
        "falls_within",
        "longitude",
        "latitude",
        "location",
        "lsoa_code",
        "lsoa_name",
        "crime_type",
        "outcome",
        "context",
    ]
    old = pl.DataFrame(
        cur.fetchall(),
        schema=names,
        orient="row",
        schema_overrides={"longitude": pl.Float64, "latitude": pl.Float64},
    )
    old = old.with_columns(pl.col("location").replace("", None))
    return old.select(_row_text(old).alias("_text")).to_series()


def _row_text(df: pl.DataFrame) -> pl.Expr:
    """One string per row holding every published field: equal rows give equal strings."""
    parts = []
    for f in police_uk.FIELDS:
        c = pl.col(f)
        if df.schema[f] != pl.String:
            c = c.cast(pl.String)
        parts.append(c.fill_null(""))
    return pl.concat_str(parts, separator="\x1f")


def _matched_rows(new: pl.Series, old: pl.Series) -> int:
    """How many rows of ``new`` also stand in ``old``, counting repeats (a multiset meet)."""
    a = new.value_counts(name="n_new")
    b = old.rename(new.name).value_counts(name="n_old")
    both = a.join(b, on=new.name, how="inner")
    return int(both.select(pl.min_horizontal("n_new", "n_old").sum()).item() or 0)
