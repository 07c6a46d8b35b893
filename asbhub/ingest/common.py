"""Types shared by every reader: rejects, parsed files and the errors for a wrong file.

A reader turns one input file into a :class:`ParsedFile`: the valid rows as a polars
DataFrame with typed columns, plus a :class:`Reject` for every row it could not accept.
Readers do no I/O beyond reading their input, so they can be used without a database.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl


class WrongFileError(ValueError):
    """The file as a whole is not what the reader expects (header, encoding, format).

    The message says what was found and what was expected, so the user can fix the input.
    """


@dataclass(frozen=True)
class Reject:
    """One input row that was not stored, with where it was and why."""

    file: str
    line: int
    field: str
    value: str
    reason: str

    def as_row(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass
class ParsedFile:
    """What a reader made of one file.

    ``rows`` holds the valid rows (one per input row, in file order, with a ``line`` column
    giving the physical line the row starts on). ``read`` counts every data row seen, so
    ``read == rows.height + len(rejects)`` always holds for a file that could be read.
    """

    name: str
    kind: str
    read: int
    rows: pl.DataFrame
    rejects: list[Reject] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.read != self.rows.height + len(self.rejects):
            raise AssertionError(
                f"{self.name}: {self.read} rows read but {self.rows.height} valid "
                f"+ {len(self.rejects)} rejected"
            )


@dataclass(frozen=True)
class InputFile:
    """One file to read: a path on disk or a member of a zip archive."""

    name: str
    path: Path
    member: str | None = None

    def read_bytes(self) -> bytes:
        if self.member is None:
            return self.path.read_bytes()
        with zipfile.ZipFile(self.path) as zf:
            return zf.read(self.member)

    def open_text(self) -> io.TextIOBase:
        return io.TextIOWrapper(io.BytesIO(self.read_bytes()), encoding="utf-8", newline="")


DATA_SUFFIXES = (".csv", ".jsonl", ".ndjson")


def expand_inputs(paths: list[Path]) -> Iterator[InputFile]:
    """Yield every input file under ``paths``: files, folders (recursively) and zip archives.

    Folders and archives are searched for ``.csv``, ``.jsonl`` and ``.ndjson`` files, in
    sorted order so a load is reproducible. A path that does not exist raises
    ``FileNotFoundError`` before anything is read.
    """
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file or folder")
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() == ".zip":
                    yield from _zip_members(f)
                elif f.is_file() and f.suffix.lower() in DATA_SUFFIXES:
                    yield InputFile(str(f), f)
        elif p.suffix.lower() == ".zip":
            yield from _zip_members(p)
        else:
            yield InputFile(str(p), p)


def _zip_members(path: Path) -> Iterator[InputFile]:
    try:
        with zipfile.ZipFile(path) as zf:
            names = sorted(
                n for n in zf.namelist()
                if not n.endswith("/") and n.lower().endswith(DATA_SUFFIXES)
            )
    except zipfile.BadZipFile as exc:
        raise WrongFileError(f"{path}: not a readable zip archive ({exc})") from exc
    for n in names:
        yield InputFile(f"{path}!{n}", path, n)
