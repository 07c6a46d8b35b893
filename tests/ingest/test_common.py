"""The CSV paths shared by the readers: the fast path only vouches for what it can prove."""

import pytest

from asbhub.ingest.common import csv_careful_table, csv_fast_table

NAMES = ["a", "b", "c"]


@pytest.mark.parametrize(
    "raw",
    [
        b"a,b,c\n1,2,3\n4,5\n",  # a short row: polars would pad it with empty strings
        b"a,b,c\n1,2,3\n4,5",  # the same at the end of a file with no final newline
        b'a,b,c\n1,"x,y",3\n4,5\n',  # a short row in a file with quotes
        b"a,b,c\n1,2,3\n\n4,5,6\n",  # a blank line
        b"a,b,c\n1,2,3\n4,5,6,7\n",  # a long row
        b'a,b,c\n1,"x\ny",3\n',  # a quoted line break: line numbers need the careful path
        b"a,b,c\n1,caf\xe9,3\n",  # not UTF-8
    ],
)
def test_fast_path_declines_what_it_cannot_vouch_for(raw: bytes) -> None:
    assert csv_fast_table(raw, NAMES) is None


def test_fast_and_careful_paths_agree_on_a_well_formed_file() -> None:
    raw = b'a,b,c\n1,"x,y",3\n4,,6\r\n7,8,"9"\n'
    fast = csv_fast_table(raw, NAMES)
    careful, rejects = csv_careful_table("f.csv", raw, NAMES)
    assert fast is not None and rejects == []
    assert (
        fast.rows()
        == careful.rows()
        == [("1", "x,y", "3", 2), ("4", "", "6", 3), ("7", "8", "9", 4)]
    )


def test_careful_path_rejects_each_bad_row_with_its_line() -> None:
    raw = b'a,b,c\n1,2,3\n4,5\n\n6,caf\xe9,8\n"9\n10",11,12\n13,14,15,16\n17,"open'
    table, rejects = csv_careful_table("f.csv", raw, NAMES, labels=["A", "B", "C"])
    assert table.rows() == [("1", "2", "3", 2), ("9\n10", "11", "12", 6)]
    got = [(r.line, r.field, r.reason.split(";")[0]) for r in rejects]
    assert got == [
        (3, "(row)", "the row has 2 fields and is truncated"),
        (5, "B", "not valid UTF-8 (byte 0xE9)"),
        (8, "(row)", "the row has 4 fields and has extra fields"),
        (9, "(row)", "the row has 2 fields and is truncated"),  # an unterminated quote at EOF
    ]
    assert rejects[1].value == "caf\ufffd"
