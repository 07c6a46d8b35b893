"""Open the store behind a database URL: Django set up once, one connection alias per URL.

The CLI opens one store per process; tests open several (SQLite files and PostgreSQL) in one
process, which is why each URL gets its own alias rather than replacing ``default``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from asbhub.store.urls import database_config, db_timeout, default_db_url

#: The PostgreSQL advisory lock that migrations take in turn ("asbm" in ASCII).
MIGRATE_LOCK_KEY = 0x6173626D


class StoreBusyError(ValueError):
    """Another writer held the database past ``ASBHUB_DB_TIMEOUT`` (a ValueError, so the CLI
    prints its one-line message and exits non-zero rather than showing a traceback)."""


def is_lock_error(exc: BaseException) -> bool:
    """True if ``exc`` says another connection held the database (not any other failure)."""
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlstate", None) == "55P03":  # PostgreSQL lock_not_available
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text


def busy_message(store: Store, exc: BaseException | None = None) -> str:
    """One line naming the store, why it could not be written, and what to do."""
    why = f" ({str(exc).strip().splitlines()[0]})" if exc is not None and str(exc).strip() else ""
    return (
        f"the database {display_url(store.url)} was busy with another writer for "
        f"{db_timeout():g} s{why}, so nothing more was stored; run the load again when "
        "the other finishes, or set ASBHUB_DB_TIMEOUT to wait longer"
    )


def display_url(url: str) -> str:
    """``url`` without any password it carries."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return url


def advisory_xact_lock(connection: Any, name: str) -> None:
    """Wait for, then hold until the transaction ends, a PostgreSQL advisory lock named by
    ``name`` (a text, hashed by the server), so writers that need the same name take turns."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


def database_answers(connection: Any) -> bool:
    """Whether ``connection`` answers a trivial query (``SELECT 1``) rightly: the health
    check's probe (``/healthz``, issue #18). A database error propagates to the caller."""
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        return bool(cur.fetchone() == (1,))


def sqlite_file_tables(path: str) -> set[str]:
    """The tables of the SQLite file at ``path``, read without Django and without writing
    (``mode=ro``); raises :class:`sqlite3.DatabaseError` when the file is not SQLite."""
    import sqlite3
    from pathlib import Path

    con = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def setup_django(db_url: str | None = None) -> None:
    """Configure Django once per process; ``db_url`` becomes the ``default`` database."""
    import django
    from django.conf import settings

    if db_url:
        os.environ["ASBHUB_DB"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asbhub.web.settings")
    if not settings.configured or not _apps_ready():
        django.setup()


def _apps_ready() -> bool:
    from django.apps import apps

    return apps.ready


@dataclass(frozen=True)
class Store:
    """A database that holds asbhub's tables, reached through a Django connection alias."""

    url: str
    alias: str

    @property
    def connection(self):  # noqa: ANN201 - Django's connection type
        from django.db import connections

        return connections[self.alias]

    @property
    def vendor(self) -> str:
        return self.connection.vendor

    def upgrade(self, verbosity: int = 0) -> None:
        """Create or migrate the tables (``asbhub db upgrade``).

        Processes that open a new store at once (two ``asbhub ingest`` runs) take turns:
        each decides which migrations to apply before applying them, so without turns the
        second would try to create the tables again and fail.
        """
        from django.core.management import call_command

        with self._migration_turn():
            call_command("migrate", database=self.alias, interactive=False, verbosity=verbosity)

    @contextlib.contextmanager
    def _migration_turn(self) -> Iterator[None]:
        # PostgreSQL: a session advisory lock (held across migrate's own transactions). SQLite:
        # an flock on a file beside the database (where there is fcntl); SQLite's own lock
        # cannot be held across migrate, which writes through this same file.
        conn = self.connection
        tries = max(1, int(db_timeout() / 0.1))
        if conn.vendor == "postgresql":
            conn.ensure_connection()
            with conn.cursor() as cur:
                for _ in range(tries):
                    cur.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATE_LOCK_KEY])
                    if cur.fetchone()[0]:
                        break
                    time.sleep(0.1)
                else:
                    raise StoreBusyError(busy_message(self))
            try:
                yield
            finally:
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_unlock(%s)", [MIGRATE_LOCK_KEY])
            return
        name = str(conn.settings_dict["NAME"])
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no turns, as before
            fcntl = None  # type: ignore[assignment]  # no turns without it: see the check below
        if fcntl is None or name == ":memory:" or "mode=memory" in name:
            yield
            return
        with open(name + ".migrate-lock", "a") as fh:
            for _ in range(tries):
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    time.sleep(0.1)
            else:
                raise StoreBusyError(busy_message(self))
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def atomic(self):  # noqa: ANN201
        from django.db import transaction

        return transaction.atomic(using=self.alias)

    def close(self) -> None:
        self.connection.close()


def open_store(url: str | None = None, upgrade: bool = True) -> Store:
    """Open (and by default create or migrate) the store at ``url``.

    Parameters
    ----------
    url : str, optional
        ``sqlite:///path`` or ``postgresql://...``; default: ``$ASBHUB_DB`` or a SQLite file in
        the user's data directory.
    upgrade : bool
        Run migrations first, so a new file or an empty database is ready to load.
    """
    from django.conf import settings
    from django.db import connections

    url = url or os.environ.get("ASBHUB_DB") or default_db_url()
    setup_django()
    wanted, default = database_config(url), settings.DATABASES["default"]
    # Django fills in defaults for ``default``: the same database is the same engine and name.
    if all(
        str(wanted.get(k) or "") == str(default.get(k) or "")
        for k in ("ENGINE", "NAME", "HOST", "PORT", "USER")
    ):
        alias = "default"
    else:
        alias = "store_" + hashlib.sha1(url.encode()).hexdigest()[:10]
        if alias not in connections.settings:
            connections.settings[alias] = connections.configure_settings(
                {"default": database_config(url)}
            )["default"]
    store = Store(url, alias)
    if upgrade:
        from django.db import OperationalError

        try:
            store.upgrade()
        except OperationalError as exc:
            if not is_lock_error(exc):
                raise
            raise StoreBusyError(busy_message(store, exc)) from exc
    return store
