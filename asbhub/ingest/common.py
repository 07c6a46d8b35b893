"""Types shared by every reader: rejects, parsed files and the errors for a wrong file.

A reader turns one input file into a :class:`ParsedFile`: the valid rows as a polars
DataFrame with typed columns, plus a :class:`Reject` for every row it could not accept.
Readers do no I/O beyond reading their input, so they can be used without a database.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

# Re-exported: readers and callers import it from here (defined in errors.py to avoid a circle).
from asbhub.ingest.errors import WrongFileError as WrongFileError

if TYPE_CHECKING:
    from asbhub.ingest.archives import ZipLimits


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
    """One file to read: a path on disk or a member of a zip archive.

    A member is read under ``limits`` (see :mod:`asbhub.ingest.archives`); ``refused`` says
    why a member is not read at all (an archive inside the archive), and reading it raises
    :class:`WrongFileError` with that message.
    """

    name: str
    path: Path
    member: str | None = None
    limits: ZipLimits | None = None
    refused: str | None = None

    def read_bytes(self) -> bytes:
        if self.refused is not None:
            raise WrongFileError(self.refused)
        if self.member is None:
            return self.path.read_bytes()
        from asbhub.ingest.archives import ZipLimits, read_member

        return read_member(self.path, self.member, self.limits or ZipLimits.from_env())

    def open_text(self) -> io.TextIOBase:
        return io.TextIOWrapper(io.BytesIO(self.read_bytes()), encoding="utf-8", newline="")


# -- CSV parsing shared by the readers -----------------------------------------------------------
#
# Two paths give the same rows: a fast one with polars for well-formed files, and a careful one
# with the csv module, taken whenever the fast one cannot vouch for every line (bytes that are
# not UTF-8, ragged or truncated rows, quoted line breaks, blank lines).

_QUOTED = r'"(?:[^"]|"")*"'


def csv_fast_table(raw: bytes, names: list[str]) -> pl.DataFrame | None:
    """Parse a CSV (header first) with polars, or None when the careful path must decide.

    The columns come back as strings named ``names``, with a ``line`` column: the line each
    row is on, which is its index + 2 since the fast path only takes files with one physical
    line per row.
    """
    if b"\x00" in raw:
        return None  # the careful path rejects each row holding a NUL byte, with its field
    try:
        # polars checks the bytes are UTF-8 and fails on a row with too many fields.
        df = pl.read_csv(
            raw,
            infer_schema=False,
            empty_string_is_null=False,
            raise_if_empty=False,
            new_columns=names,
        )
    except Exception:  # noqa: BLE001 - any parse trouble: the careful path explains it per row
        return None
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    if df.height != lines - 1 or df.width != len(names):
        return None
    # polars pads a short row (and reads a blank line as a row) with empty strings, so count
    # fields ourselves. With no quotes, no line has more commas than the header (polars would
    # have failed), so the total settles it.
    if b'"' not in raw:
        if raw.count(b",") != (len(names) - 1) * lines:
            return None
    else:
        text = pl.Series(raw.decode("utf-8").rstrip("\r\n").split("\n"))
        fields = text.str.replace_all(_QUOTED, "").str.count_matches(",") + 1
        if (fields != len(names)).any():
            return None
    return df.with_columns(pl.int_range(2, df.height + 2, dtype=pl.Int64).alias("line"))


def csv_careful_table(
    name: str,
    raw: bytes,
    names: list[str],
    labels: list[str] | None = None,
    again: str = "get a fresh copy",
) -> tuple[pl.DataFrame, list[Reject]]:
    """Parse a CSV (header first) row by row with the csv module; faults become rejects.

    ``labels`` name the columns in rejects as the file does (default: ``names``); ``again``
    tells the user how to replace a truncated file. Blank lines are not rows. A row's line is
    the line it starts on, so quoted line breaks keep later line numbers right.
    """
    labels = labels or names
    reader = csv.reader(io.StringIO(raw.decode("utf-8", errors="surrogateescape"), newline=""))
    rows: list[list[str]] = []
    lines: list[int] = []
    rejects: list[Reject] = []
    next(reader, None)  # the header, already checked by the reader
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rejects.append(
                Reject(
                    name,
                    start,
                    "(row)",
                    "",
                    f"the row cannot be read as CSV ({exc}); the file may be truncated: {again}",
                )
            )
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not row:
            continue
        bad = next((i for i, v in enumerate(row) if _has_surrogate(v)), None)
        if bad is not None:
            label = labels[bad] if bad < len(labels) else f"column {bad + 1}"
            value = row[bad]
            byte = next(ord(ch) - 0xDC00 for ch in value if "\udc80" <= ch <= "\udcff")
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            rejects.append(
                Reject(
                    name,
                    line,
                    label,
                    shown,
                    f"not valid UTF-8 (byte 0x{byte:02X}); expected UTF-8 text",
                )
            )
            continue
        nul = next((i for i, v in enumerate(row) if "\x00" in v), None)
        if nul is not None:
            label = labels[nul] if nul < len(labels) else f"column {nul + 1}"
            rejects.append(
                Reject(
                    name,
                    line,
                    label,
                    row[nul][:200],
                    "contains a NUL byte (0x00), which text never holds; the "
                    f"file may be damaged or not plain text: {again}",
                )
            )
            continue
        if len(row) != len(names):
            what = "is truncated" if len(row) < len(names) else "has extra fields"
            rejects.append(
                Reject(
                    name,
                    line,
                    "(row)",
                    ",".join(row)[:200],
                    f"the row has {len(row)} fields and {what}; expected "
                    f"{len(names)} fields, one per header column: {','.join(labels)}",
                )
            )
            continue
        rows.append(row)
        lines.append(line)
    data = {n: [r[i] for r in rows] for i, n in enumerate(names)}
    df = pl.DataFrame(data, schema={n: pl.String for n in names})
    return df.with_columns(pl.Series("line", lines, dtype=pl.Int64)), rejects


def _has_surrogate(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)
