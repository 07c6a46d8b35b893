"""The writer of force incident exports, inside the loader's transaction for the file.

A force export row is identified by its incident reference, not by the file it came in: exports
overlap (a weekly export repeats last week's open incidents with updates), so each row is
compared with what is stored under its reference:

* not stored yet: inserted (counted as stored);
* stored with the same ``row_hash``: left alone (counted as already stored);
* stored with another ``row_hash``: updated in place, keeping its id so that anything that
  points at the incident (a case, a PMP) still does, and its people replaced (counted as stored,
  and as updated).

Each force has one :class:`~asbhub.records.incidents.models.Source` row: kind ``force_export``,
force from the export's ``force`` column (``"force export"`` when not given) and month ``""``,
since one export spans many months and the reference, not the month, identifies a row. Its
``file`` and ``content_hash`` describe the last file that stored or updated a row of that
force, and ``rows`` counts the incidents it holds. An incident's ``line`` is its line in the
file that last stored or updated it.

A row with coordinates but no LSOA gets the LSOA its point lies in
(:meth:`asbhub.geo.AreaHierarchy.locate`, the bundled Derbyshire areas or ``$ASBHUB_AREAS``);
its location is marked ``lsoa_derived``. A point in no LSOA is stored all the same, with its
location marked ``outside_area``.

Everything is written in bulk (COPY on PostgreSQL, prepared ``executemany`` on SQLite), never
row by row through the ORM.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

from asbhub.geo.areas import AREAS_ENV_VAR, AreaHierarchy
from asbhub.ingest.common import ParsedFile
from asbhub.ingest.force_export import KIND, PERSON_FIELDS, THRIVE_COLUMNS
from asbhub.store import tables as t
from asbhub.store.loaders.base import (
    FileResult,
    Loader,
    db_datetimes,
    recount,
    stored_by_key,
)
from asbhub.store.sql import chunks as _chunks
from asbhub.store.sql import marks as _marks

__all__ = ["DEFAULT_FORCE", "INCIDENT_COLUMNS", "write_force_export"]

#: The Source force of rows whose export has no ``force`` column (or leaves it empty).
DEFAULT_FORCE = "force export"

# Incident columns written for a force export row; crime_id, outcome and context stay NULL.
INCIDENT_COLUMNS = (
    "source_id", "line", "record_type", "month", "crime_type", "reference", "reported_by",
    "location_id", "asb_category", "closure_code", "covid", "occurred_from", "occurred_to",
    "reported_at", "lpu", "snt", *THRIVE_COLUMNS, "public_report", "row_hash",
)  # fmt: skip
PERSON_COLUMNS = ("incident_id", *PERSON_FIELDS)
_DATETIMES = ("occurred_from", "occurred_to", "reported_at")


def write_force_export(loader: Loader, parsed: ParsedFile, result: FileResult) -> None:
    """Store the valid rows of a parsed force export and count what became of them.

    Parameters
    ----------
    loader : asbhub.store.loaders.base.Loader
        The loader whose transaction is open; gives the connection, ``location_ids`` and
        ``bulk_insert``.
    parsed : ParsedFile
        From :func:`asbhub.ingest.force_export.read_force_export`.
    result : asbhub.store.loaders.base.FileResult
        Updated in place: ``stored`` (inserted + updated), ``already_stored`` and ``updated``.
    """
    rows = parsed.rows
    if rows.height == 0:
        return
    conn = loader.store.connection
    rows = rows.with_columns(pl.col("force").fill_null(DEFAULT_FORCE))
    stored = stored_by_key(conn, t.INCIDENT, "reference", rows["reference"].to_list())
    rows = rows.join(stored, on="reference", how="left", maintain_order="left")
    unchanged = pl.col("_old_hash") == pl.col("row_hash")
    result.already_stored += int(rows.select(unchanged.fill_null(False).sum()).item())
    todo = rows.filter(~unchanged.fill_null(False))
    if todo.height == 0:
        return

    # Sources of the forces with something to write, described by all of that force's rows.
    sources = _source_ids(
        conn, rows.filter(pl.col("force").is_in(todo["force"].implode())), parsed.name
    )
    todo = _with_lsoa(todo)
    todo = todo.with_columns(
        pl.Series("location_id", loader.location_ids(todo), dtype=pl.Int64),
        pl.col("force").replace_strict(sources, return_dtype=pl.Int64).alias("source_id"),
        pl.col("force").alias("reported_by"),
    )
    _mark_outside(conn, todo)

    new = todo.filter(pl.col("_id").is_null())
    changed = todo.filter(pl.col("_id").is_not_null())
    if new.height:
        loader.bulk_insert(
            t.INCIDENT,
            INCIDENT_COLUMNS,
            _db_frame(conn, new, INCIDENT_COLUMNS).iter_rows(),
        )
        ids = stored_by_key(conn, t.INCIDENT, "reference", new["reference"].to_list())
        ids = ids.select("reference", "_id")
        new = new.drop("_id").join(ids, on="reference", how="left", maintain_order="left")
    if changed.height:
        _update_incidents(loader, changed)
    _insert_people(loader, new.select("_id", "people"))
    touched = set(sources.values()) | set(changed["_old_source"].drop_nulls().to_list())
    recount(conn, t.SOURCE, t.INCIDENT, sorted(touched))
    result.stored += todo.height
    result.updated += changed.height


# -- look-ups ------------------------------------------------------------------------------


def _source_ids(conn: Any, rows: pl.DataFrame, file: str) -> dict[str, int]:
    """The Source id of each force in ``rows``, created or brought up to date for ``file``."""
    now = conn.ops.adapt_datetimefield_value(datetime.now(UTC))
    ids: dict[str, int] = {}
    for (force,), group in rows.group_by("force", maintain_order=True):
        digest = hashlib.sha256("\n".join(group["row_hash"].to_list()).encode()).hexdigest()
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT id FROM {t.SOURCE} WHERE kind = %s AND force = %s AND month = %s",
                [KIND, force, ""],
            )
            found = cur.fetchall()
            if found:
                cur.execute(
                    f"UPDATE {t.SOURCE} SET content_hash = %s, file = %s, "
                    "loaded_at = %s WHERE id = %s",
                    [digest, file, now, found[0][0]],
                )
                ids[str(force)] = found[0][0]
                continue
            cur.execute(
                f"INSERT INTO {t.SOURCE} (kind, force, month, content_hash, rows, "
                "file, loaded_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [KIND, force, "", digest, 0, file, now],
            )
            cur.execute(
                f"SELECT id FROM {t.SOURCE} WHERE kind = %s AND force = %s AND month = %s",
                [KIND, force, ""],
            )
            ids[str(force)] = cur.fetchall()[0][0]
    return ids


# -- places --------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _areas_in(folder: str | None) -> AreaHierarchy:
    # Reading the LSOA polygons takes a moment: once per areas folder per process.
    return AreaHierarchy.load(folder)


def _areas() -> AreaHierarchy:
    return _areas_in(os.environ.get(AREAS_ENV_VAR) or None)


def _with_lsoa(rows: pl.DataFrame) -> pl.DataFrame:
    """Fill the LSOA of rows with coordinates but none given; flag points outside every LSOA.

    Adds ``lsoa_derived`` and ``outside_area``, the flags ``location_ids`` stores with a place.
    """
    placed = rows["easting"].is_not_null().to_numpy()
    codes = np.array(rows["lsoa_code"].to_list(), dtype=object)
    outside = np.zeros(rows.height, dtype=bool)
    if (placed & (rows["lsoa_code"].is_null().to_numpy())).any():
        # The ingest rule of asbhub.geo: keep a given code, locate a missing one, flag a miss.
        codes[placed], outside[placed] = _areas().fill_lsoa(
            codes[placed], rows["easting"].to_numpy()[placed], rows["northing"].to_numpy()[placed]
        )
    derived = rows["lsoa_code"].is_null().to_numpy() & np.array([c is not None for c in codes])
    return rows.with_columns(
        pl.Series("lsoa_code", codes.tolist(), dtype=pl.String),
        pl.Series("lsoa_derived", derived, dtype=pl.Boolean),
        pl.Series("outside_area", outside, dtype=pl.Boolean),
    )


def _mark_outside(conn: Any, rows: pl.DataFrame) -> None:
    # A place stored earlier with the same key (a data.police.uk point with no LSOA) was never
    # tested; now it has been, so say so.
    ids = rows.filter(pl.col("outside_area"))["location_id"].drop_nulls().unique().to_list()
    for chunk in _chunks(ids):
        with conn.cursor() as cur:
            cur.execute(
                f"UPDATE {t.LOCATION} SET outside_area = %s WHERE id IN "
                f"({_marks(chunk)}) AND outside_area = %s",
                [True, *chunk, False],
            )


# -- writes --------------------------------------------------------------------------------


def _update_incidents(loader: Loader, changed: pl.DataFrame) -> None:
    """Rewrite changed incidents in place, and their people (see :func:`_update_people`)."""
    conn = loader.store.connection
    frame = _db_frame(conn, changed, INCIDENT_COLUMNS).with_columns(changed["_id"].alias("id"))
    loader.update_by_id(t.INCIDENT, INCIDENT_COLUMNS, frame)
    _update_people(loader, changed.select("_id", "people"))


def _people_frame(conn: Any, incidents: pl.DataFrame) -> pl.DataFrame:
    """One row per person of ``incidents`` (``_id``, ``people``), in file order, with
    ``incident_id`` and ``ordinal`` (0, 1, ... within the incident)."""
    people = (
        incidents.explode("people")
        .filter(pl.col("people").is_not_null())
        .unnest("people")
        .rename({"_id": "incident_id"})
    )
    people = people.with_columns(pl.int_range(pl.len()).over("incident_id").alias("ordinal"))
    if conn.vendor != "postgresql":
        people = people.with_columns(pl.col("date_of_birth").cast(pl.String))
    return people


def _update_people(loader: Loader, changed: pl.DataFrame) -> None:
    """The people of changed incidents, kept in place where they can be.

    The n-th person of a changed row rewrites the n-th stored person of that incident (by
    id, which is file order), so a corrected phone number or name keeps the person's id and
    everything that points at it (PMPs, risk assessments, linkage). Surplus stored people are
    deleted; surplus new ones inserted.
    """
    conn = loader.store.connection
    ids = changed["_id"].to_list()
    old_rows: list[tuple[int, int]] = []
    for chunk in _chunks(ids):
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT incident_id, id FROM {t.PERSON} WHERE incident_id IN "
                f"({_marks(chunk)}) ORDER BY incident_id, id",
                chunk,
            )
            old_rows += cur.fetchall()
    old = pl.DataFrame(old_rows, schema={"incident_id": pl.Int64, "id": pl.Int64}, orient="row")
    old = old.with_columns(pl.int_range(pl.len()).over("incident_id").alias("ordinal"))
    new = _people_frame(conn, changed)
    if new.height == 0:
        new = pl.DataFrame(schema={"incident_id": pl.Int64, "ordinal": pl.Int64})
    new = new.with_columns(pl.col("incident_id").cast(pl.Int64), pl.col("ordinal").cast(pl.Int64))
    paired = new.join(old, on=["incident_id", "ordinal"], how="left")
    kept = paired.filter(pl.col("id").is_not_null())
    if kept.height:
        loader.update_by_id(t.PERSON, PERSON_FIELDS, kept)
    added = paired.filter(pl.col("id").is_null())
    if added.height:
        loader.bulk_insert(t.PERSON, PERSON_COLUMNS, added.select(PERSON_COLUMNS).iter_rows())
    gone = old.join(
        new.select("incident_id", "ordinal"), on=["incident_id", "ordinal"], how="anti"
    )["id"].to_list()
    for chunk in _chunks(gone):
        with conn.cursor() as cur:
            cur.execute(f"DELETE FROM {t.PERSON} WHERE id IN ({_marks(chunk)})", chunk)


def _insert_people(loader: Loader, incidents: pl.DataFrame) -> None:
    people = _people_frame(loader.store.connection, incidents)
    if people.height == 0:
        return
    loader.bulk_insert(t.PERSON, PERSON_COLUMNS, people.select(PERSON_COLUMNS).iter_rows())


def _db_frame(conn: Any, rows: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """``columns`` of ``rows`` as the database wants them (see ``base.db_datetimes``)."""
    return db_datetimes(conn, rows.select(columns), _DATETIMES)
