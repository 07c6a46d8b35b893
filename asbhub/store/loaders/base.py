"""The loaders' base: nothing lost, one transaction per file, whatever the format.

Every row read ends stored, recognised as already stored, or rejected, and each file's
summary says so: ``read == stored + already_stored + rejected``. A file is loaded in one
transaction, so an interrupted load (Ctrl-C, ``kill -9``) leaves the store as it was before
that file. Loads into one store take turns (see ``Loader._take_turn``); a load that cannot
get the database within ``ASBHUB_DB_TIMEOUT`` seconds stores nothing more and its summary
names the store and says why.

A :class:`Loader` knows no format: it is given a table of :class:`Format` (the reader of
:mod:`asbhub.ingest` and the writer of :mod:`asbhub.store.loaders`, by kind) and a function
that tells a file's kind (:mod:`asbhub.store.loaders.writers`). The writers share the
look-ups and bulk writes here: places (:meth:`Loader.location_ids`), rows already stored by
their key (:meth:`Loader.stored_by_key`), ``COPY``/``executemany`` (:meth:`Loader.bulk_insert`,
:meth:`Loader.update_by_id`) and the recount of a source table's rows (:func:`recount`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl
from django.db import OperationalError

from asbhub.geo.projection import to_bng
from asbhub.ingest.common import InputFile, ParsedFile, Reject, WrongFileError
from asbhub.store import tables as t
from asbhub.store.db import Store, busy_message, is_lock_error
from asbhub.store.sql import chunks, marks
from asbhub.store.urls import db_timeout

#: The PostgreSQL advisory lock that loads take in turn (any number; "asbh" in ASCII).
LOAD_LOCK_KEY = 0x61736268


class StrictModeError(Exception):
    """Raised inside a file's transaction to roll it back under ``--strict``."""


@dataclass
class FileResult:
    """What became of one file's rows."""

    path: str
    kind: str
    read: int = 0
    stored: int = 0
    already_stored: int = 0
    rejected: int = 0
    replaced: int = 0
    #: Force export rows whose reference was stored with other content, now updated (these
    #: are also counted in ``stored``).
    updated: int = 0
    error: str | None = None
    by_crime_type: dict[str, int] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list, repr=False)

    @property
    def accounted(self) -> bool:
        return self.read == self.stored + self.already_stored + self.rejected

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("rejects")
        d.pop("by_crime_type")
        return d


@dataclass
class LoadResult:
    """The summary of a whole ``asbhub ingest`` run."""

    files: list[FileResult] = field(default_factory=list)

    @property
    def rejects(self) -> list[Reject]:
        return [r for f in self.files for r in f.rejects]

    def totals(self) -> dict[str, int]:
        keys = ("read", "stored", "already_stored", "rejected", "replaced", "updated")
        return {k: sum(getattr(f, k) for f in self.files) for k in keys}

    def by_crime_type(self) -> dict[str, int]:
        c: Counter[str] = Counter()
        for f in self.files:
            c.update(f.by_crime_type)
        return dict(sorted(c.items()))

    @property
    def ok(self) -> bool:
        """Every row accounted for and no file failed."""
        return all(f.accounted and f.error is None for f in self.files)

    def as_json(self) -> dict[str, Any]:
        return {
            "files": [f.as_dict() for f in self.files],
            "totals": self.totals(),
            "by_crime_type": self.by_crime_type(),
            "ok": self.ok,
        }


#: A writer: stores a parsed file's valid rows inside the loader's open transaction and
#: counts what became of them in the file's result (``stored``, ``already_stored``, ...).
Writer = Callable[["Loader", ParsedFile, FileResult], None]


@dataclass(frozen=True)
class Format:
    """One kind of input file: how it is read (into rows and rejects) and written."""

    kind: str
    read: Callable[[str, bytes], ParsedFile]
    write: Writer


class Loader:
    """Loads files one at a time, each in its own transaction, by the formats given.

    Parameters
    ----------
    store : Store
        Where to load.
    formats : mapping of str to Format
        By kind (:data:`asbhub.store.loaders.writers.WRITERS`).
    detect : callable
        ``(file name, bytes) -> kind``: which format a file is.
    """

    def __init__(
        self,
        store: Store,
        formats: Mapping[str, Format],
        detect: Callable[[str, bytes], str],
    ) -> None:
        self.store = store
        self.formats = formats
        self.detect = detect
        self._locations: pl.DataFrame | None = None
        #: Why the database could not be had, once a file found it busy past the timeout.
        self._busy: str | None = None

    def load_file(self, src: InputFile, strict: bool) -> FileResult:
        try:
            raw = src.read_bytes()
        except WrongFileError as exc:
            # An archive member not read (an archive inside it, over a cap, damaged): the
            # file fails by name, so its rows are never skipped silently.
            return FileResult(src.name, "archive member", error=str(exc))
        kind = self.detect(src.name, raw)
        try:
            parsed = self.formats[kind].read(src.name, raw)
        except WrongFileError as exc:
            n = _count_data_lines(src.name, raw)
            reject = Reject(src.name, 1, "(file)", "", str(exc))
            return FileResult(src.name, kind, read=n, rejected=n, error=str(exc), rejects=[reject])
        result = FileResult(
            src.name, kind, read=parsed.read, rejected=len(parsed.rejects), rejects=parsed.rejects
        )
        result.by_crime_type = _crime_type_counts(parsed.rows)
        if self._busy is not None:
            # The database could not be had for an earlier file: do not wait again per file.
            return self._not_loaded(result, self._busy)
        saved_cache = self._locations
        try:
            with self.store.atomic():
                self._take_turn()
                self.formats[kind].write(self, parsed, result)
                if strict and parsed.rejects:
                    raise StrictModeError
        except StrictModeError:
            self._locations = saved_cache
            result.stored = result.already_stored = result.replaced = result.updated = 0
            result.rejected = result.read
            result.by_crime_type = {}
            result.error = (
                f"--strict: {len(parsed.rejects)} row(s) rejected, so nothing from "
                "this file was stored"
            )
        except OperationalError as exc:
            self._locations = saved_cache
            if not is_lock_error(exc):
                raise
            self._busy = busy_message(self.store, exc)
            return self._not_loaded(result, self._busy)
        except BaseException:
            # The transaction rolled back: forget locations cached during it.
            self._locations = saved_cache
            raise
        return result

    def _take_turn(self) -> None:
        """Wait for any other load to finish, then bring the place cache up to date.

        On SQLite the transaction began with ``BEGIN IMMEDIATE`` and so already holds the
        write lock (waiting up to the busy timeout). On PostgreSQL a transaction-scoped
        advisory lock makes loads take turns, waiting up to ``ASBHUB_DB_TIMEOUT`` seconds:
        two loads at once would otherwise insert the same places or months and one would fail
        on a unique key.
        """
        conn = self.store.connection
        if conn.vendor == "postgresql":
            with conn.cursor() as cur:
                cur.execute(f"SET LOCAL lock_timeout = '{max(1, int(db_timeout() * 1000))}ms'")
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOAD_LOCK_KEY])
        if self._locations is None:
            return
        # Another process may have stored places since they were cached (ids only grow, and
        # loads take turns, so every place another load added has a larger id than ours).
        known = self._locations["id"].max() if self._locations.height else 0
        with conn.cursor() as cur:
            cur.execute(f"SELECT key, id FROM {t.LOCATION} WHERE id > %s", [known or 0])
            added = pl.DataFrame(
                cur.fetchall(), schema={"key": pl.String, "id": pl.Int64}, orient="row"
            )
        if added.height:
            self._locations = pl.concat([self._locations, added], rechunk=False)

    @staticmethod
    def _not_loaded(result: FileResult, reason: str) -> FileResult:
        result.stored = result.already_stored = result.replaced = result.updated = 0
        result.rejected = result.read
        result.by_crime_type = {}
        result.error = reason
        result.rejects = [Reject(result.path, 1, "(file)", "", reason)]
        return result

    # -- shared by the writers -------------------------------------------------------------

    def location_ids(self, rows: pl.DataFrame) -> list[int | None]:
        """The location id of each row, inserting the places not stored yet.

        ``rows`` needs longitude, latitude, location, lsoa_code and lsoa_name columns, and
        may carry lsoa_derived and outside_area flags. A row with no place at all gets None.
        """
        has_place = (
            pl.col("longitude").is_not_null()
            | pl.col("location").is_not_null()
            | pl.col("lsoa_code").is_not_null()
        )
        keyed = rows.with_columns(_location_key().alias("key"), has_place.alias("_has_place"))
        cache = self._location_cache()
        joined = keyed.select("key", "_has_place").join(
            cache, on="key", how="left", maintain_order="left"
        )
        missing = joined.filter(pl.col("_has_place") & pl.col("id").is_null())["key"].unique()
        if missing.len():
            new = keyed.filter(pl.col("key").is_in(missing.implode()))
            new = new.unique("key", keep="first", maintain_order=True)
            self._insert_locations(new)
            joined = keyed.select("key", "_has_place").join(
                self._location_cache(), on="key", how="left", maintain_order="left"
            )
        ids = joined.select(pl.when(pl.col("_has_place")).then(pl.col("id")))
        return ids.to_series().to_list()

    def _insert_locations(self, new: pl.DataFrame) -> None:
        e, n = to_bng(new["longitude"].to_numpy(), new["latitude"].to_numpy())
        new = new.with_columns(
            pl.Series("easting", e).fill_nan(None),
            pl.Series("northing", n).fill_nan(None),
            pl.col("location").fill_null("").alias("description"),
        )
        for flag in ("lsoa_derived", "outside_area"):
            if flag not in new.columns:
                new = new.with_columns(pl.lit(False).alias(flag))
        cols = [
            "key",
            "longitude",
            "latitude",
            "easting",
            "northing",
            "description",
            "lsoa_code",
            "lsoa_name",
            "lsoa_derived",
            "outside_area",
        ]
        cur = self.store.connection.cursor()
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t.LOCATION}")
        before = cur.fetchall()[0][0]
        self.bulk_insert(t.LOCATION, cols, new.select(cols).iter_rows())
        cur.execute(f"SELECT key, id FROM {t.LOCATION} WHERE id > %s", [before])
        added = pl.DataFrame(
            cur.fetchall(), schema={"key": pl.String, "id": pl.Int64}, orient="row"
        )
        self._locations = pl.concat([self._location_cache(), added], rechunk=False)

    def _location_cache(self) -> pl.DataFrame:
        # Every stored place, read once per run: joining against it beats asking per file.
        if self._locations is None:
            cur = self.store.connection.cursor()
            cur.execute(f"SELECT key, id FROM {t.LOCATION}")
            self._locations = pl.DataFrame(
                cur.fetchall(), schema={"key": pl.String, "id": pl.Int64}, orient="row"
            )
        return self._locations

    def bulk_insert(
        self, table: str, columns: tuple[str, ...] | list[str], rows: Iterable[tuple[Any, ...]]
    ) -> None:
        """Insert many rows fast: COPY on PostgreSQL, a prepared executemany on SQLite."""
        conn = self.store.connection
        col_sql = ", ".join(columns)
        if conn.vendor == "postgresql":
            with (
                conn.cursor() as cur,
                cur.cursor.copy(f"COPY {table} ({col_sql}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {table} ({col_sql}) VALUES ({marks(columns)})", rows)

    def update_by_id(
        self, table: str, columns: tuple[str, ...] | list[str], frame: pl.DataFrame
    ) -> None:
        """Rewrite rows of ``table`` in place: ``frame`` holds ``id`` and ``columns``.

        On PostgreSQL one UPDATE ... FROM a COPY-filled temporary table (executemany of
        100,000 UPDATEs costs a round trip each: measured 11 s against under 2 s); on SQLite a
        prepared executemany, which is in-process and fast.
        """
        conn = self.store.connection
        if conn.vendor == "postgresql":
            cols = ", ".join(columns)
            temp = f"_update_{table}"
            with conn.cursor() as cur:
                cur.execute(
                    f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
                    f"SELECT id, {cols} FROM {table} WITH NO DATA"
                )
            self.bulk_insert(temp, ["id", *columns], frame.select(["id", *columns]).iter_rows())
            sets = ", ".join(f"{c} = u.{c}" for c in columns)
            with conn.cursor() as cur:
                cur.execute(f"UPDATE {table} AS t SET {sets} FROM {temp} AS u WHERE t.id = u.id")
                cur.execute(f"DROP TABLE {temp}")
            return
        sets = ", ".join(f"{c} = %s" for c in columns)
        with conn.cursor() as cur:
            cur.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s",
                frame.select([*columns, "id"]).iter_rows(),
            )


def stored_by_key(conn: Any, table: str, key: str, values: list[str]) -> pl.DataFrame:
    """The rows of ``table`` already stored under these keys (the dedupe of a writer whose
    rows are identified by a key, not by the file they came in).

    Returns
    -------
    polars.DataFrame
        ``key`` (the column named so), ``_id``, ``_old_hash`` (its ``row_hash``) and
        ``_old_source`` (its ``source_id``), one row per stored key.
    """
    schema = {key: pl.String, "_id": pl.Int64, "_old_hash": pl.String, "_old_source": pl.Int64}
    found: list[tuple[Any, ...]] = []
    sql = f"SELECT {key}, id, row_hash, source_id FROM {table} WHERE {key} "
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(sql + "= ANY(%s)", [values])
            found = cur.fetchall()
        else:
            for chunk in chunks(values):
                cur.execute(sql + f"IN ({marks(chunk)})", chunk)
                found.extend(cur.fetchall())
    return pl.DataFrame(found, schema=schema, orient="row")


def recount(conn: Any, table: str, rows_table: str, source_ids: list[int]) -> None:
    """Set ``rows`` of these sources in ``table`` to the rows of ``rows_table`` that point at
    each (by ``source_id``)."""
    for chunk in chunks(source_ids):
        with conn.cursor() as cur:
            cur.execute(
                f"UPDATE {table} SET rows = (SELECT COUNT(*) FROM {rows_table} r "
                f"WHERE r.source_id = {table}.id) WHERE id IN ({marks(chunk)})",
                chunk,
            )


def db_datetimes(conn: Any, frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """``frame`` with its date-time ``columns`` as the database wants them.

    SQLite gets date-times as Django writes them there (naive UTC text, microseconds only
    when not zero) so ORM look-ups compare equal; PostgreSQL takes aware datetimes as they are.
    """
    if conn.vendor == "postgresql":
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).dt.microsecond() == 0)
        .then(pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S"))
        .otherwise(pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
        .alias(c)
        for c in columns
        if c in frame.columns
    )


def _location_key() -> pl.Expr:
    return pl.concat_str(
        [
            pl.col(c).cast(pl.String).fill_null("")
            for c in ("longitude", "latitude", "location", "lsoa_code", "lsoa_name")
        ],
        separator="|",
    )


def _crime_type_counts(rows: pl.DataFrame) -> dict[str, int]:
    if rows.height == 0 or "crime_type" not in rows.columns:
        return {}
    vc = rows["crime_type"].value_counts()
    return {str(k): int(v) for k, v in vc.iter_rows()}


def _count_data_lines(name: str, raw: bytes) -> int:
    """Rows in a file that could not be read: its non-blank lines, less a CSV header."""
    lines = sum(1 for ln in raw.splitlines() if ln.strip())
    header = 0 if name.lower().endswith((".jsonl", ".ndjson")) else 1
    return max(lines - header, 0)
