"""Load input files into the store: nothing lost, one transaction per file.

Every row read ends stored, recognised as already stored, or rejected, and each file's
summary says so: ``read == stored + already_stored + rejected``. A file is loaded in one
transaction, so an interrupted load (Ctrl-C, ``kill -9``) leaves the store as it was before
that file. Loads into one store take turns (see ``_Loader._take_turn``); a load that cannot
get the database within ``ASBHUB_DB_TIMEOUT`` seconds stores nothing more and its summary
names the store and says why.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from django.db import OperationalError

from asbhub.geo.projection import to_bng
from asbhub.ingest import calls, police_uk
from asbhub.ingest.common import InputFile, ParsedFile, Reject, WrongFileError
from asbhub.store import tables as t
from asbhub.store.db import Store, busy_message, is_lock_error
from asbhub.store.sql import CHUNK, chunks, marks  # noqa: F401 - the loaders' helpers
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


def ingest(store: Store, inputs: Iterable[InputFile], strict: bool = False) -> LoadResult:
    """Load every input file; see :func:`ingest_iter`."""
    return LoadResult(list(ingest_iter(store, inputs, strict=strict)))


def ingest_iter(
    store: Store, inputs: Iterable[InputFile], strict: bool = False
) -> Iterator[FileResult]:
    """Load files one by one, yielding each file's result as soon as it is committed.

    Parameters
    ----------
    store : Store
        Where to load (see :func:`asbhub.store.db.open_store`).
    inputs : iterable of InputFile
        From :func:`asbhub.ingest.inputs.expand_inputs`.
    strict : bool
        Any rejected row fails its file: nothing of that file is stored.
    """
    loader = _Loader(store)
    for src in inputs:
        yield loader.load_file(src, strict)


def detect_kind(name: str, raw: bytes) -> str:
    """Which reader a file needs, from its name and first line."""
    from asbhub.ingest import force_export

    if name.lower().endswith((".jsonl", ".ndjson")):
        return force_export.KIND
    first = raw[:4096].split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    if police_uk.header_matches(first):
        return police_uk.KIND
    if calls.header_matches(first):
        return calls.KIND
    if force_export.header_matches(first):
        return force_export.KIND
    # Let the police.uk reader explain the header: it names missing and unexpected columns
    # and recognises the other files of a data.police.uk download.
    return police_uk.KIND


class _Loader:
    def __init__(self, store: Store) -> None:
        self.store = store
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
        kind = detect_kind(src.name, raw)
        try:
            parsed = self._read(src.name, raw, kind)
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
                self._write(parsed, result)
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

    def _read(self, name: str, raw: bytes, kind: str) -> ParsedFile:
        if kind == calls.KIND:
            return calls.read_calls(name, raw)
        if kind == police_uk.KIND:
            return police_uk.read_police_uk(name, raw)
        from asbhub.ingest import force_export

        return force_export.read_force_export(name, raw)

    def _write(self, parsed: ParsedFile, result: FileResult) -> None:
        if parsed.kind == calls.KIND:
            from asbhub.store import load_calls

            return load_calls.write_calls(self, parsed, result)
        if parsed.kind == police_uk.KIND:
            self._write_police_uk(parsed, result)
        else:
            from asbhub.store import load_export

            load_export.write_force_export(self, parsed, result)

    # -- data.police.uk ---------------------------------------------------------------------

    def _write_police_uk(self, parsed: ParsedFile, result: FileResult) -> None:
        rows = parsed.rows
        if rows.height == 0:
            return
        rows = rows.with_columns(_row_text(rows).alias("_text"))
        for (force, month), group in rows.group_by(["falls_within", "month"], maintain_order=True):
            stored, already, replaced = self._write_force_month(
                parsed, str(force), str(month), group
            )
            result.stored += stored
            result.already_stored += already
            result.replaced += replaced

    def _write_force_month(
        self, parsed: ParsedFile, force: str, month: str, group: pl.DataFrame
    ) -> tuple[int, int, int]:
        digest = hashlib.sha256("\n".join(group["_text"].to_list()).encode()).hexdigest()
        cur = self.store.connection.cursor()
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
            matched = _matched_rows(group["_text"], self._police_uk_texts(source_id))
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
        location_ids = self.location_ids(group)
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
        self.bulk_insert(t.INCIDENT, columns, data)
        return n - matched, matched, old_rows - matched

    def _police_uk_texts(self, source_id: int) -> pl.Series:
        cur = self.store.connection.cursor()
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


def _row_text(df: pl.DataFrame) -> pl.Expr:
    """One string per row holding every published field: equal rows give equal strings."""
    parts = []
    for f in police_uk.FIELDS:
        c = pl.col(f)
        if df.schema[f] != pl.String:
            c = c.cast(pl.String)
        parts.append(c.fill_null(""))
    return pl.concat_str(parts, separator="\x1f")


def _location_key() -> pl.Expr:
    return pl.concat_str(
        [
            pl.col(c).cast(pl.String).fill_null("")
            for c in ("longitude", "latitude", "location", "lsoa_code", "lsoa_name")
        ],
        separator="|",
    )


def _matched_rows(new: pl.Series, old: pl.Series) -> int:
    """How many rows of ``new`` also stand in ``old``, counting repeats (a multiset meet)."""
    a = new.value_counts(name="n_new")
    b = old.rename(new.name).value_counts(name="n_old")
    both = a.join(b, on=new.name, how="inner")
    return int(both.select(pl.min_horizontal("n_new", "n_old").sum()).item() or 0)


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
