"""Database URLs: ``sqlite:///path`` (the embedded default) or ``postgresql://...``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
import platformdirs


def default_db_url() -> str:
    """A SQLite file in the user's data directory (created when first used)."""
    folder = Path(platformdirs.user_data_dir("asbhub"))
    return f"sqlite:///{folder / 'asbhub.sqlite3'}"


def database_config(url: str) -> dict[str, Any]:
    """Turn a database URL into a Django ``DATABASES`` entry, with errors that say the forms.

    SQLite files get WAL journalling and a busy timeout so the web app can read while a load
    writes; the parent folder is created.
    """
    url = db_url_from(url)
    scheme = url.split(":", 1)[0].lower()
    if scheme not in ("sqlite", "postgres", "postgresql"):
        raise ValueError(
            f"unsupported database URL {url!r}; expected sqlite:///path/to/file.sqlite3 "
            "or postgresql://user:password@host:port/dbname"
        )
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"{url!r}: expected sqlite:///path/to/file.sqlite3 (three slashes)")
        if path != ":memory:":
            path = os.path.abspath(path)
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    return dj_database_url.parse(url, conn_max_age=0)


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
    if not url.startswith("sqlite:///") or url[len("sqlite:///"):] in ("", ":memory:"):
        return None
    return os.path.abspath(url[len("sqlite:///"):])
