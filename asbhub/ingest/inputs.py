"""Finding the input files: folders, zip archives, and which files are sources at all.

Above the readers (it asks each reader whether a header is its own), below the loaders, so
``asbhub.ingest.common`` need not import the readers that import it.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from asbhub.ingest import calls, force_export, police_uk
from asbhub.ingest.common import InputFile
from asbhub.ingest.errors import WrongFileError

if TYPE_CHECKING:
    from asbhub.ingest.archives import ZipLimits


DATA_SUFFIXES = (".csv", ".jsonl", ".ndjson")


def expand_inputs(
    paths: list[Path], limits: ZipLimits | None = None, skipped: list[dict[str, str]] | None = None
) -> Iterator[InputFile]:
    """Yield every input file under ``paths``: files, folders (recursively) and zip archives.

    Folders and archives are searched for ``.csv``, ``.jsonl`` and ``.ndjson`` files, in
    sorted order so a load is reproducible. A path that does not exist raises
    ``FileNotFoundError`` before anything is read. An archive member over a cap of ``limits``
    (default: :meth:`ZipLimits.from_env`) raises :class:`ArchiveLimitError` when it is
    reached; an archive inside an archive is yielded ``refused``, never skipped.

    A file found in a folder that is not a source asbhub loads (a lookup table, a shapefile,
    an outcomes file: see :func:`skip_reason`) is skipped, and appended to ``skipped`` as
    ``{"path": ..., "reason": ...}``. A file named directly is always read, so a file of
    unknown shape is an error that names what was expected.
    """
    from asbhub.ingest.archives import ZipLimits

    limits = limits or ZipLimits.from_env()
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file():
                    continue
                if f.suffix.lower() == ".zip":
                    yield from _zip_members(f, limits)
                    continue
                reason = skip_reason(f)
                if reason is None:
                    yield InputFile(str(f), f)
                elif skipped is not None:
                    skipped.append({"path": str(f), "reason": reason})
        elif p.suffix.lower() == ".zip":
            yield from _zip_members(p, limits)
        else:
            yield InputFile(str(p), p)


def skip_reason(path: Path) -> str | None:
    """Why a file found in a folder is not loaded, or None when it looks like a source.

    Sources are data.police.uk street-level files, force exports (CSV, JSON Lines) and call
    logs, told by their header. A CSV whose header is damaged but still mostly street-level
    columns, or whose name ends ``-street.csv``, counts as a source, so its reader explains
    what is wrong rather than the file being passed over.
    """
    suffix = path.suffix.lower()
    if suffix not in DATA_SUFFIXES:
        return (
            f"not a data file ({suffix or 'no ending'}); asbhub loads .csv, .jsonl, "
            ".ndjson and .zip files"
        )
    if suffix != ".csv":
        return None
    with path.open("rb") as fh:
        first = fh.read(65536).split(b"\n", 1)[0]
    line = first.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    if not line or path.name.lower().endswith("-street.csv"):
        return None
    if (
        police_uk.header_matches(line)
        or calls.header_matches(line)
        or force_export.header_matches(line)
    ):
        return None
    names = [n.strip() for n in next(csv.reader([line]), [])]
    for marker, what in police_uk.OTHER_POLICE_UK_FILES.items():
        if marker in names:
            return f"{what}, which asbhub does not load"
    if sum(n in police_uk.COLUMNS for n in names) * 2 >= len(police_uk.COLUMNS):
        return None
    shown = ",".join(names[:6]) + (",..." if len(names) > 6 else "")
    return (
        f"not a source asbhub loads (header {shown}); expected a data.police.uk "
        "street-level file, a force export or a call log"
    )


def _zip_members(path: Path, limits: ZipLimits) -> Iterator[InputFile]:
    from asbhub.ingest.archives import ARCHIVE_SUFFIXES, check_member, nested_archive_message

    try:
        with zipfile.ZipFile(path) as zf:
            infos = sorted((i for i in zf.infolist() if not i.is_dir()), key=lambda i: i.filename)
    except zipfile.BadZipFile as exc:
        raise WrongFileError(f"{path}: not a readable zip archive ({exc})") from exc
    members: list[InputFile] = []
    for info in infos:
        n = info.filename
        if n.lower().endswith(DATA_SUFFIXES):
            check_member(path, info, limits)
            members.append(InputFile(f"{path}!{n}", path, n, limits))
        elif n.lower().endswith(ARCHIVE_SUFFIXES):
            members.append(
                InputFile(f"{path}!{n}", path, n, limits, refused=nested_archive_message(path, n))
            )
    yield from members
