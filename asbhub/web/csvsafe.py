"""CSV downloads that a spreadsheet cannot be tricked into running.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel and LibreOffice (OWASP "CSV injection"); typed text (an agency's name, a
crime type from a force's export, a question) could start that way. Such a cell gets a
leading apostrophe, which spreadsheets show as text. Numbers, including negative ones and
percentages written as text, are left alone: a number cannot be a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

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
