"""CSV files that a spreadsheet cannot be tricked into running: every CSV asbhub writes.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel and LibreOffice (OWASP "CSV injection"); typed text (an agency's name, a
crime type from a force's export, a question) could start that way. Such a cell gets a
leading apostrophe, which spreadsheets show as text. Numbers, including negative ones and
percentages written as text, are left alone: a number cannot be a formula.

The web downloads, ``asbhub ingest``'s rejects file, the weekly pack's CSV and the analysis
and linkage CSVs all write through :func:`safe_writer` (rows) or :func:`safe_frame` (a polars
table). Only the synthetic input files (``asbhub synth-*``) are written as is: they are made to
be loaded back unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

import polars as pl

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, with a leading apostrophe if it is text a spreadsheet would run."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_STARTS):
        return value
    try:
        float(value.replace(",", "").rstrip("%"))
    except ValueError:
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, fileobj: Any) -> None:
        self._writer = csv.writer(fileobj)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_writer(fileobj: Any) -> SafeWriter:
    return SafeWriter(fileobj)


def safe_frame(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with every text cell passed through :func:`safe_cell`, for ``write_csv``.

    Examples
    --------
    >>> safe_frame(pl.DataFrame({"a": ["=1+1", "-2.5", "@SUM(A1)", "plain"]}))["a"].to_list()
    ["'=1+1", '-2.5', "'@SUM(A1)", 'plain']
    """
    risky = [c for c, t in df.schema.items() if t == pl.String]
    if not risky:
        return df
    exprs = []
    for c in risky:
        col = pl.col(c)
        starts = col.str.contains(r"^[=+\-@\t\r]").fill_null(False)
        number = (
            col.str.replace_all(",", "")
            .str.strip_suffix("%")
            .cast(pl.Float64, strict=False)
            .is_not_null()
        )
        exprs.append(pl.when(starts & ~number).then(pl.lit("'") + col).otherwise(col).alias(c))
    return df.with_columns(exprs)
