"""The few helpers every SQL statement of the store is written with.

Statements are written once, with ``%s`` placeholders, and run through a Django connection's
cursor, which adapts them to the backend (``?`` for SQLite, ``%s`` for psycopg): so
:func:`marks` is the one placeholder helper, for SQLite and PostgreSQL alike. Values that the
two backends store differently (SQLite keeps date-times as naive UTC text and dates as ISO
text; PostgreSQL keeps aware values) are turned into one form by :func:`db_instant`,
:func:`db_date`, :func:`utc` and :func:`as_date`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

__all__ = [
    "CHUNK",
    "as_date",
    "chunks",
    "db_date",
    "db_instant",
    "execute",
    "fetch",
    "in_list",
    "marks",
    "table_exists",
    "utc",
]

#: Values per ``IN (...)`` list: under SQLite's old 999-parameter limit.
CHUNK = 900


def marks(values: Sequence[Any] | int) -> str:
    """One ``%s`` placeholder per value (or ``values`` of them), comma-separated.

    >>> marks(["a", "b", "c"])
    '%s, %s, %s'
    >>> marks(2)
    '%s, %s'
    """
    n = values if isinstance(values, int) else len(values)
    return ", ".join(["%s"] * n)


def in_list(column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
    """``column IN (%s, ...)`` and its parameters: one placeholder per value.

    Portable between SQLite and PostgreSQL; a force has a few hundred LSOAs at most, far below
    either's limit on parameters (longer lists go through :func:`chunks`).

    >>> in_list("s.kind", ["force_export", "police_uk_street"])
    ('s.kind IN (%s, %s)', ['force_export', 'police_uk_street'])
    """
    params = list(values)
    return f"{column} IN ({marks(params)})", params


def chunks(values: list[Any]) -> Iterator[list[Any]]:
    """``values`` in lists of at most :data:`CHUNK`.

    >>> [len(c) for c in chunks(list(range(1000)))]
    [900, 100]
    """
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def fetch(connection: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of one statement on a Django connection."""
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return list(cur.fetchall())


def execute(connection: Any, sql: str, params: Sequence[Any] = ()) -> None:
    """Run one statement that returns no rows on a Django connection."""
    with connection.cursor() as cur:
        cur.execute(sql, list(params))


def table_exists(connection: Any, name: str) -> bool:
    """Whether the database has a table of this name (another app's tables may not exist yet)."""
    with connection.cursor() as cur:
        return name in connection.introspection.table_names(cur)


def db_instant(vendor: str, instant: dt.datetime) -> Any:
    """An instant as the database compares it: naive UTC text for SQLite, aware otherwise.

    >>> db_instant("sqlite", dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC))
    '2026-01-02 03:04:00'
    """
    value = instant.astimezone(dt.UTC)
    if vendor == "sqlite":
        return value.replace(tzinfo=None).isoformat(sep=" ")
    return value


def db_date(vendor: str, day: dt.date) -> Any:
    """A date as the database compares it: ISO text for SQLite, a date otherwise."""
    return day.isoformat() if vendor == "sqlite" else day


def utc(value: Any) -> dt.datetime | None:
    """A stored date-time as a UTC-aware datetime (SQLite hands back naive UTC or text).

    >>> utc("2026-01-02 03:04:00")
    datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.timezone.utc)
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def as_date(value: Any) -> dt.date | None:
    """A stored date as a date (SQLite hands back ISO text).

    >>> as_date("2026-01-02")
    datetime.date(2026, 1, 2)
    """
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value if isinstance(value, dt.date) else None
