"""Kept for code written before the loaders became a package (issue #11 item 4): the public
names of :mod:`asbhub.store.loaders`, where new code imports them from."""

from asbhub.store.loaders import (
    LOAD_LOCK_KEY,
    FileResult,
    LoadResult,
    StrictModeError,
    detect_kind,
    ingest,
    ingest_iter,
)

__all__ = [
    "LOAD_LOCK_KEY",
    "FileResult",
    "LoadResult",
    "StrictModeError",
    "detect_kind",
    "ingest",
    "ingest_iter",
]
