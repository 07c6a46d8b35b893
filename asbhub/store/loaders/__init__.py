"""Load input files into the store: nothing lost, one transaction per file.

- :mod:`~asbhub.store.loaders.base`: the one loader (a transaction per file, rejects,
  ``--strict``, taking turns, places, bulk writes, the dedupe by key), and the results;
- one writer per format: :mod:`~asbhub.store.loaders.police_uk`,
  :mod:`~asbhub.store.loaders.force_export`, :mod:`~asbhub.store.loaders.calls`;
- :mod:`~asbhub.store.loaders.writers`: the table of formats and how a file's kind is told.

(The submodules' names are this package's attributes: ``asbhub.store.loaders.calls`` is the
writer module, so the call-log reader is imported here by another name.)

Every row read ends stored, recognised as already stored, or rejected:
``read == stored + already_stored + rejected`` for every file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from asbhub.ingest.calls import KIND as CALL_LOG
from asbhub.ingest.common import InputFile
from asbhub.store.db import Store
from asbhub.store.loaders.base import (
    LOAD_LOCK_KEY,
    FileResult,
    Format,
    Loader,
    LoadResult,
    StrictModeError,
)
from asbhub.store.loaders.force_export import DEFAULT_FORCE
from asbhub.store.loaders.writers import WRITERS, detect_kind

__all__ = [
    "DEFAULT_FORCE",
    "LOAD_LOCK_KEY",
    "WRITERS",
    "FileResult",
    "Format",
    "LoadResult",
    "Loader",
    "StrictModeError",
    "detect_kind",
    "ingest",
    "ingest_iter",
    "load_calls",
    "load_calls_iter",
]


def ingest(store: Store, inputs: Iterable[InputFile], strict: bool = False) -> LoadResult:
    """Load every input file; see :func:`ingest_iter`."""
    return LoadResult(list(ingest_iter(store, inputs, strict=strict)))


def ingest_iter(
    store: Store, inputs: Iterable[InputFile], strict: bool = False
) -> Iterator[FileResult]:
    """Load files one by one, each by the format its name and first line say, yielding each
    file's result as soon as it is committed.

    Parameters
    ----------
    store : Store
        Where to load (see :func:`asbhub.store.db.open_store`).
    inputs : iterable of InputFile
        From :func:`asbhub.ingest.inputs.expand_inputs`.
    strict : bool
        Any rejected row fails its file: nothing of that file is stored.
    """
    loader = Loader(store, WRITERS, detect_kind)
    for src in inputs:
        yield loader.load_file(src, strict)


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
    """As :func:`load_calls`, yielding each file's result as soon as it is committed: every
    file is read as a call log, whatever its header."""
    loader = Loader(store, WRITERS, lambda name, raw: CALL_LOG)
    for src in inputs:
        result = loader.load_file(src, strict)
        result.kind = CALL_LOG
        yield result
