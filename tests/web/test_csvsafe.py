"""CSV cells a spreadsheet would run as formulas get a leading apostrophe; numbers don't."""

from __future__ import annotations

import csv
import io

import pytest

from asbhub.web.csvsafe import safe_cell, safe_writer


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 7700", "'+44 7700"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("-3.5", "-3.5"),
        ("-12%", "-12%"),
        ("+1,234", "+1,234"),
        ("Anti-social behaviour", "Anti-social behaviour"),
        ("", ""),
        (-2, -2),
        (None, None),
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    assert safe_cell(value) == expected


def test_safe_writer_round_trip() -> None:
    out = io.StringIO()
    safe_writer(out).writerows([["name", "n"], ["=1+1", -4], ["Erewash", 3]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "n"],
        ["'=1+1", "-4"],
        ["Erewash", "3"],
    ]
