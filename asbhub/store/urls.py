"""Database URLs: ``sqlite:///path`` (the embedded default) or ``postgresql://...``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import dj_database_url
import platformdirs


def default_db_url() -> str:
    """A SQLite file in the user's data directory (created when first used)."""
    folder = Path(platformdirs.user_data_dir("asbhub"))
    return f"sqlite:///{folder / 'asbhub.sqlite3'}"


#: Seconds a writer waits for another to finish before giving up (``ASBHUB_DB_TIMEOUT``).
DEFAULT_DB_TIMEOUT = 30.0


def db_timeout() -> float:
    """How long a writer waits for the database: ``$ASBHUB_DB_TIMEOUT`` seconds, default 30.

    SQLite uses it as its busy timeout; on PostgreSQL a load waits this long for another
    load's lock (:mod:`asbhub.store.loaders`).
    """
    raw = os.environ.get("ASBHUB_DB_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_DB_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(
            f"ASBHUB_DB_TIMEOUT={raw!r}: expected a number of seconds (e.g. 30 or "
            "120); unset it for the default of 30"
        )
    return value


def database_config(url: str) -> dict[str, Any]:
    """Turn a database URL into a Django ``DATABASES`` entry, with errors that say the forms.

    SQLite files get WAL journalling, so the web app can read while a load writes, and
    ``BEGIN IMMEDIATE`` transactions with a busy timeout, so writers wait their turn: a
    deferred transaction that read first cannot take the write lock once another connection
    has written (SQLite answers "database is locked" at once, whatever the timeout), which lost
    residents' reports under load. The parent folder is created.
    """
    url = db_url_from(url)
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("sqlite", "postgres", "postgresql"):
        raise ValueError(
            f"unsupported database URL {url!r}; expected sqlite:///path/to/file.sqlite3 "
            "or postgresql://user:password@host:port/dbname"
        )
    if scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"{url!r}: expected sqlite:///path/to/file.sqlite3 (three slashes)")
        if path != ":memory:":
            path = os.path.abspath(path)
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                # Every transaction.atomic() takes the write lock as it begins, waiting up to
                # the busy timeout for another writer to finish (see db_timeout()).
                "transaction_mode": "IMMEDIATE",
                "timeout": db_timeout(),
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    # dj_database_url types its answer as a TypedDict; Django reads it as the plain dict it is
    return cast("dict[str, Any]", dj_database_url.parse(url, conn_max_age=0))


# -- plain file paths (issue #12 item 5): `--db store.sqlite3` means a SQLite file -----------


def db_url_from(text: str) -> str:
    """A database URL from what a user typed: a URL as given, a plain file path as SQLite.

    ``store.sqlite3``, ``./data/asbhub.db`` or ``/srv/asbhub.sqlite3`` become
    ``sqlite:///<absolute path>``; anything with ``://`` (or starting ``sqlite:`` or
    ``postgres``) is left for :func:`database_config` to check.
    """
    if "://" in text or text.lower().startswith(("sqlite:", "postgres")):
        return text
    return f"sqlite:///{os.path.abspath(os.path.expanduser(text))}"


def sqlite_path(url: str) -> str | None:
    """The absolute file path of a ``sqlite:///`` URL (None for other URLs and ``:memory:``)."""
    url = db_url_from(url)
    if not url.startswith("sqlite:///") or url[len("sqlite:///") :] in ("", ":memory:"):
        return None
    return os.path.abspath(url[len("sqlite:///") :])
