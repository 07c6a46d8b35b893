"""The table of writers: for each kind of input file, its reader and its writer.

Adding a format is one row here (a reader in :mod:`asbhub.ingest`, a writer module beside this
one) and, when its files can be told apart by their first line, one test in
:func:`detect_kind`.
"""

from __future__ import annotations

from asbhub.ingest import calls, force_export, police_uk
from asbhub.store.loaders.base import Format
from asbhub.store.loaders.calls import write_calls
from asbhub.store.loaders.force_export import write_force_export
from asbhub.store.loaders.police_uk import write_police_uk

__all__ = ["WRITERS", "detect_kind"]

#: Every format ``asbhub ingest`` loads, by kind.
WRITERS: dict[str, Format] = {
    police_uk.KIND: Format(police_uk.KIND, police_uk.read_police_uk, write_police_uk),
    force_export.KIND: Format(
        force_export.KIND, force_export.read_force_export, write_force_export
    ),
    calls.KIND: Format(calls.KIND, calls.read_calls, write_calls),
}


def detect_kind(name: str, raw: bytes) -> str:
    """Which reader a file needs, from its name and first line."""
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
