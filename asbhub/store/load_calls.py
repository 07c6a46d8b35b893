"""Load call logs into the store: one transaction per file, every row accounted for.

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
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import polars as pl

from asbhub.ingest import calls
from asbhub.ingest.common import InputFile, ParsedFile
from asbhub.store import tables as t
from asbhub.store.db import Store
from asbhub.store.load import FileResult, _Loader
from asbhub.store.load import chunks as _chunks
from asbhub.store.load import marks as _marks

TABLE = t.CALL
SOURCE_TABLE = t.CALL_SOURCE
#: Call columns written for a row, in this order.
CALL_COLUMNS = (
    "source_id", "line", "call_id", "channel", "queued_at", "answered_at", "ended_at",
    "abandoned", "transferred_to", "force", "wait_seconds", "row_hash",
)  # fmt: skip
# SQLite's default limit on bound parameters is 999 in older builds; stay under it.


def load_calls(store: Store, inputs: Iterable[InputFile], strict: bool = False) -> list[FileResult]:
    """Load call log files, one transaction per file.

    Parameters
    ----------
    store : Store
        Where to load (see :func:`asbhub.store.db.open_store`).
    inputs : iterable of InputFile
        From :func:`asbhub.ingest.inputs.expand_inputs`.
    strict : bool
        Any rejected row fails its file: nothing of that file is stored.

    Returns
    -------
    list of FileResult
        One per file, in order, with ``kind`` ``"call_log"``: ``read``, ``stored`` (inserted
        and updated), ``already_stored``, ``rejected`` and ``updated``, the rejects, and
        ``error`` when the file as a whole could not be read (then every data line counts as
        rejected) or ``strict`` refused it. ``read == stored + already_stored + rejected``.
    """
    return list(load_calls_iter(store, inputs, strict=strict))


def load_calls_iter(
    store: Store, inputs: Iterable[InputFile], strict: bool = False
) -> Iterator[FileResult]:
    """As :func:`load_calls`, yielding each file's result as soon as it is committed."""
    loader = _CallLoader(store)
    for src in inputs:
        result = loader.load_file(src, strict)
        result.kind = calls.KIND
        yield result


class _CallLoader(_Loader):
    """The incident loader's per-file transaction, rollback and ``--strict`` handling, reading
    every file as a call log."""

    def _read(self, name: str, raw: bytes, kind: str) -> ParsedFile:
        return calls.read_calls(name, raw)

    def _write(self, parsed: ParsedFile, result: FileResult) -> None:
        write_calls(self, parsed, result)


def write_calls(loader: _Loader, parsed: ParsedFile, result: FileResult) -> None:
    """Store the valid rows of a parsed call log and count what became of them.

    Parameters
    ----------
    loader : asbhub.store.load._Loader
        The loader whose transaction is open; gives the connection and ``bulk_insert``.
    parsed : ParsedFile
        From :func:`asbhub.ingest.calls.read_calls`.
    result : asbhub.store.load.FileResult
        Updated in place: ``stored`` (inserted + updated), ``already_stored`` and ``updated``.
    """
    rows = parsed.rows
    if rows.height == 0:
        return
    conn = loader.store.connection
    stored = _stored_calls(conn, rows["call_id"].to_list())
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
    _recount_sources(conn, sorted(touched))
    result.stored += todo.height
    result.updated += changed.height


def _stored_calls(conn: Any, call_ids: list[str]) -> pl.DataFrame:
    """id, row_hash and source of each call id already stored."""
    schema = {
        "call_id": pl.String,
        "_id": pl.Int64,
        "_old_hash": pl.String,
        "_old_source": pl.Int64,
    }
    found: list[tuple[Any, ...]] = []
    sql = f"SELECT call_id, id, row_hash, source_id FROM {TABLE} WHERE call_id "
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(sql + "= ANY(%s)", [call_ids])
            found = cur.fetchall()
        else:
            for chunk in _chunks(call_ids):
                cur.execute(sql + f"IN ({_marks(chunk)})", chunk)
                found.extend(cur.fetchall())
    return pl.DataFrame(found, schema=schema, orient="row")


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


def _update_calls(loader: _Loader, changed: pl.DataFrame) -> None:
    """Rewrite changed calls in place, keeping their ids."""
    frame = _db_frame(loader.store.connection, changed).with_columns(changed["_id"].alias("id"))
    loader.update_by_id(TABLE, CALL_COLUMNS, frame)


def _recount_sources(conn: Any, source_ids: list[int]) -> None:
    for chunk in _chunks(source_ids):
        with conn.cursor() as cur:
            cur.execute(
                f"UPDATE {SOURCE_TABLE} SET rows = (SELECT COUNT(*) FROM {TABLE} c "
                f"WHERE c.source_id = {SOURCE_TABLE}.id) "
                f"WHERE id IN ({_marks(chunk)})",
                chunk,
            )


def _db_frame(conn: Any, rows: pl.DataFrame) -> pl.DataFrame:
    """The call columns as the database wants them.

    SQLite gets date-times as Django writes them there (naive UTC text, microseconds only
    when not zero) so ORM look-ups compare equal; PostgreSQL takes aware datetimes as they are.
    """
    out = rows.select(CALL_COLUMNS)
    if conn.vendor == "postgresql":
        return out
    return out.with_columns(
        pl.when(pl.col(c).dt.microsecond() == 0)
        .then(pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S"))
        .otherwise(pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
        .alias(c)
        for c in calls.DATETIME_COLUMNS
    )
