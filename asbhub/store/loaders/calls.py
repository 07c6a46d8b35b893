"""The writer of call logs: one transaction per file, every row accounted for.

A call is identified by its ``call_id``, not by the file it came in: logs overlap (a daily
export may repeat yesterday's late calls), so each valid row is compared with what is stored
under its id:

* not stored yet: inserted (counted as stored);
* stored with the same ``row_hash``: left alone (counted as already stored);
* stored with another ``row_hash``: updated in place, keeping its id (counted as stored, and
  as updated).

So ``read == stored + already_stored + rejected`` for every file, as for incidents. Each file
that stores or updates a call has a :class:`~asbhub.records.contact.models.CallSource` row (by the
file's name); a call points at the file that last stored or updated it, and ``rows`` counts
the calls each file holds now. Everything is written in bulk (COPY on PostgreSQL, prepared
``executemany`` on SQLite), never row by row through the ORM.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import polars as pl

from asbhub.ingest import calls
from asbhub.ingest.common import ParsedFile
from asbhub.store import tables as t
from asbhub.store.loaders.base import FileResult, Loader, db_datetimes, recount, stored_by_key

__all__ = ["CALL_COLUMNS", "write_calls"]

TABLE = t.CALL
SOURCE_TABLE = t.CALL_SOURCE
#: Call columns written for a row, in this order.
CALL_COLUMNS = (
    "source_id", "line", "call_id", "channel", "queued_at", "answered_at", "ended_at",
    "abandoned", "transferred_to", "force", "wait_seconds", "row_hash",
)  # fmt: skip


def write_calls(loader: Loader, parsed: ParsedFile, result: FileResult) -> None:
    """Store the valid rows of a parsed call log and count what became of them.

    Parameters
    ----------
    loader : asbhub.store.loaders.base.Loader
        The loader whose transaction is open; gives the connection and ``bulk_insert``.
    parsed : ParsedFile
        From :func:`asbhub.ingest.calls.read_calls`.
    result : asbhub.store.loaders.base.FileResult
        Updated in place: ``stored`` (inserted + updated), ``already_stored`` and ``updated``.
    """
    rows = parsed.rows
    if rows.height == 0:
        return
    conn = loader.store.connection
    stored = stored_by_key(conn, TABLE, "call_id", rows["call_id"].to_list())
    rows = rows.join(stored, on="call_id", how="left", maintain_order="left")
    unchanged = (pl.col("_old_hash") == pl.col("row_hash")).fill_null(False)
    result.already_stored += int(rows.select(unchanged.sum()).item())
    todo = rows.filter(~unchanged)
    if todo.height == 0:
        return
    source_id = _source_id(conn, parsed)
    todo = todo.with_columns(pl.lit(source_id, dtype=pl.Int64).alias("source_id"))
    new = todo.filter(pl.col("_id").is_null())
    changed = todo.filter(pl.col("_id").is_not_null())
    if new.height:
        loader.bulk_insert(TABLE, CALL_COLUMNS, _db_frame(conn, new).iter_rows())
    if changed.height:
        _update_calls(loader, changed)
    touched = {source_id, *changed["_old_source"].drop_nulls().to_list()}
    recount(conn, SOURCE_TABLE, TABLE, sorted(touched))
    result.stored += todo.height
    result.updated += changed.height


def _source_id(conn: Any, parsed: ParsedFile) -> int:
    """The CallSource id of the file, created or brought up to date."""
    digest = hashlib.sha256("\n".join(parsed.rows["row_hash"].to_list()).encode()).hexdigest()
    now = conn.ops.adapt_datetimefield_value(datetime.now(UTC))
    with conn.cursor() as cur:
        cur.execute(f"SELECT id FROM {SOURCE_TABLE} WHERE file = %s", [parsed.name])
        found = cur.fetchall()
        if found:
            cur.execute(
                f"UPDATE {SOURCE_TABLE} SET content_hash = %s, loaded_at = %s WHERE id = %s",
                [digest, now, found[0][0]],
            )
            return int(found[0][0])
        cur.execute(
            f"INSERT INTO {SOURCE_TABLE} (file, content_hash, rows, loaded_at) "
            "VALUES (%s, %s, %s, %s)",
            [parsed.name, digest, 0, now],
        )
        cur.execute(f"SELECT id FROM {SOURCE_TABLE} WHERE file = %s", [parsed.name])
        return int(cur.fetchall()[0][0])


def _update_calls(loader: Loader, changed: pl.DataFrame) -> None:
    """Rewrite changed calls in place, keeping their ids."""
    frame = _db_frame(loader.store.connection, changed).with_columns(changed["_id"].alias("id"))
    loader.update_by_id(TABLE, CALL_COLUMNS, frame)


def _db_frame(conn: Any, rows: pl.DataFrame) -> pl.DataFrame:
    """The call columns as the database wants them (see ``base.db_datetimes``)."""
    return db_datetimes(conn, rows.select(CALL_COLUMNS), calls.DATETIME_COLUMNS)
