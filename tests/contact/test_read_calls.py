"""The call log reader: the documented example, every validation rule with its line, wrong files."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from asbhub.ingest.calls import (
    COLUMNS,
    EXPECTED_HEADER,
    KIND,
    header_matches,
    read_calls,
)
from asbhub.ingest.common import ParsedFile, WrongFileError

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "call-logs.md"

# A valid answered 999 call; tests override fields to make it invalid one way at a time.
BASE: dict[str, str] = {
    "call_id": "999-20220201-000001",
    "channel": "999",
    "queued_at": "2022-02-01T09:14:03",
    "answered_at": "2022-02-01T09:14:09",
    "ended_at": "2022-02-01T09:17:40",
    "abandoned": "false",
    "transferred_to": "",
    "force": "Derbyshire Constabulary",
}
ABANDONED = {"answered_at": "", "ended_at": "2022-02-01T09:14:30", "abandoned": "true"}


def row(**overrides: str) -> dict[str, str]:
    return {**BASE, **overrides}


def to_csv(rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r.get(c, "") for c in columns])
    return buf.getvalue().encode("utf-8")


def doc_example() -> bytes:
    text = DOC.read_text(encoding="utf-8")
    return re.search(r"```csv\n(.*?)```", text, re.S).group(1).encode("utf-8")


def one_reject(parsed: ParsedFile):
    """The single reject of a file whose good first row is followed by one bad row."""
    assert parsed.rows["line"].to_list() == [2], parsed.rows
    assert len(parsed.rejects) == 1, parsed.rejects
    return parsed.rejects[0]


# -- the documented example --------------------------------------------------------------------


def test_doc_example_reads_with_every_value() -> None:
    parsed = read_calls("example.csv", doc_example())
    assert (parsed.kind, parsed.read, parsed.rejects) == (KIND, 8, [])
    r = {x["call_id"]: x for x in parsed.rows.iter_rows(named=True)}
    assert list(r) == [
        "999-20220201-000001",
        "999-20220201-000002",
        "TRI-20220201-000001",
        "101-20220201-000001",
        "101-20220201-000002",
        "999-20220601-000001",
        "WEB-20220601-000001",
        "101-20220601-000001",
    ]
    assert parsed.rows["line"].to_list() == list(range(2, 10))

    first = r["999-20220201-000001"]
    # February: UK local time is GMT.
    assert (
        first["channel"],
        first["queued_at"],
        first["answered_at"],
        first["ended_at"],
        first["abandoned"],
        first["transferred_to"],
        first["force"],
        first["wait_seconds"],
    ) == (
        "999",
        datetime(2022, 2, 1, 9, 14, 3, tzinfo=UTC),
        datetime(2022, 2, 1, 9, 14, 9, tzinfo=UTC),
        datetime(2022, 2, 1, 9, 17, 40, tzinfo=UTC),
        False,
        None,
        "Derbyshire Constabulary",
        6.0,
    )

    lost = r["999-20220201-000002"]
    assert (lost["abandoned"], lost["answered_at"], lost["wait_seconds"]) == (True, None, 11.0)
    triage = r["TRI-20220201-000001"]
    assert (triage["channel"], triage["transferred_to"], triage["wait_seconds"]) == (
        "triage",
        "control room",
        34.0,
    )
    leg = r["101-20220201-000001"]
    assert leg["queued_at"] == triage["ended_at"] and leg["wait_seconds"] == 212.0
    assert r["101-20220201-000002"]["wait_seconds"] == 75.0

    ten = r["999-20220601-000001"]  # +01:00 given, fractions of a second kept
    assert ten["queued_at"] == datetime(2022, 6, 1, 21, 59, 58, 250_000, tzinfo=UTC)
    assert ten["wait_seconds"] == 10.0
    web = r["WEB-20220601-000001"]
    assert (web["channel"], web["force"], web["queued_at"]) == (
        "online",
        None,
        datetime(2022, 6, 1, 21, 59, tzinfo=UTC),
    )
    summer = r["101-20220601-000001"]  # June, naive: BST, an hour ahead of UTC
    assert summer["queued_at"] == datetime(2022, 6, 1, 9, 0, tzinfo=UTC)
    assert (summer["abandoned"], summer["wait_seconds"]) == (True, 270.0)


def test_doc_shows_the_header_the_reader_expects() -> None:
    assert f"```text\n{EXPECTED_HEADER}\n```" in DOC.read_text(encoding="utf-8")


def test_header_matches() -> None:
    assert header_matches(EXPECTED_HEADER)
    assert header_matches("\ufeffCall ID,Channel,Queued At")
    assert not header_matches("Crime ID,Month,Reported by,Falls within")
    assert not header_matches("incident_reference,record_type,occurred_from,reported_at")


# -- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2022-02-01T09:14:03", datetime(2022, 2, 1, 9, 14, 3, tzinfo=UTC)),
        ("2022-02-01 09:14", datetime(2022, 2, 1, 9, 14, tzinfo=UTC)),
        ("2022-07-01T09:14:03", datetime(2022, 7, 1, 8, 14, 3, tzinfo=UTC)),
        ("2022-07-01T09:14:03.5", datetime(2022, 7, 1, 8, 14, 3, 500_000, tzinfo=UTC)),
        ("2022-07-01T09:14:03,25Z", datetime(2022, 7, 1, 9, 14, 3, 250_000, tzinfo=UTC)),
        ("2022-07-01T09:14:03-0130", datetime(2022, 7, 1, 10, 44, 3, tzinfo=UTC)),
        # The repeated October hour: the first (BST) one.
        ("2022-10-30T01:30:00", datetime(2022, 10, 30, 0, 30, tzinfo=UTC)),
    ],
)
def test_datetime_forms(written: str, expected: datetime) -> None:
    parsed = read_calls(
        "c.csv", to_csv([row(queued_at=written, answered_at="", ended_at=written, abandoned="1")])
    )
    assert parsed.rejects == []
    assert parsed.rows["queued_at"].to_list() == [expected]
    assert parsed.rows["wait_seconds"].to_list() == [0.0]


def test_values_are_case_insensitive_and_trimmed() -> None:
    parsed = read_calls(
        "c.csv",
        to_csv(
            [
                row(channel=" TRIAGE ", abandoned="No", transferred_to=" control room "),
                row(call_id="b", channel="Online", abandoned="0"),
                row(call_id="c", channel="101", **{**ABANDONED, "abandoned": "YES"}),
            ]
        ),
    )
    assert parsed.rejects == []
    assert parsed.rows["channel"].to_list() == ["triage", "online", "101"]
    assert parsed.rows["abandoned"].to_list() == [False, False, True]
    assert parsed.rows["transferred_to"].to_list() == ["control room", None, None]


def test_header_names_ignore_case_spaces_and_order() -> None:
    columns = ("Abandoned", "Ended At", "Answered-At", " queued_at ", "CHANNEL", "Call ID")
    parsed = read_calls(
        "c.csv",
        to_csv(
            [
                {
                    "Abandoned": "false",
                    "Ended At": BASE["ended_at"],
                    "Answered-At": BASE["answered_at"],
                    " queued_at ": BASE["queued_at"],
                    "CHANNEL": "999",
                    "Call ID": "x",
                }
            ],
            columns,
        ),
    )
    assert parsed.rejects == []
    assert parsed.rows.row(0, named=True)["wait_seconds"] == 6.0
    assert parsed.rows["force"].to_list() == [None]  # optional column left out


def test_row_hash_is_of_content_not_form() -> None:
    a = read_calls("a.csv", to_csv([row()])).rows["row_hash"][0]
    b = read_calls(
        "b.csv",
        to_csv(
            [
                row(
                    queued_at="2022-02-01 09:14:03.000Z",
                    channel=" 999",
                    abandoned="no",
                    answered_at="2022-02-01T09:14:09+00:00",
                )
            ]
        ),
    ).rows["row_hash"][0]
    assert a == b


@pytest.mark.parametrize(
    "change",
    [
        {"channel": "101"},
        {"queued_at": "2022-02-01T09:14:02"},
        {"answered_at": "2022-02-01T09:14:10"},
        {"ended_at": "2022-02-01T09:17:41"},
        {"transferred_to": "control room"},
        {"force": "Nottinghamshire Police"},
        {"call_id": "999-20220201-000002"},
        ABANDONED,
    ],
)
def test_row_hash_changes_with_content(change: dict[str, str]) -> None:
    a = read_calls("a.csv", to_csv([row()])).rows["row_hash"][0]
    b = read_calls("b.csv", to_csv([row(**change)]))
    assert b.rejects == [] and b.rows["row_hash"][0] != a


# -- every rule, with its line -------------------------------------------------------------------

LONG = "x" * 101
FUTURE = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")

RULES = [
    ({"call_id": "a\x00b"}, "call_id", "NUL"),
    ({"transferred_to": "a\x00b"}, "transferred_to", "NUL"),
    ({"call_id": ""}, "call_id", "empty; expected the telephony system's call id"),
    ({"call_id": "x" * 65}, "call_id", "longer than 64 characters"),
    ({"call_id": "a\tb"}, "call_id", "control character"),
    ({"channel": "112"}, "channel", "not a channel; expected 999, 101, triage, online"),
    ({"channel": ""}, "channel", "not a channel"),
    ({"queued_at": ""}, "queued_at", "empty; expected when the call reached the queue"),
    ({"queued_at": "01/02/2022 09:14"}, "queued_at", "not a date-time; expected ISO 8601"),
    ({"queued_at": "2022-02-30T09:14:03"}, "queued_at", "not a real date, time or UTC offset"),
    ({"queued_at": "2022-02-01T25:14:03"}, "queued_at", "not a real date, time or UTC offset"),
    ({"queued_at": "2022-02-01T09:14:03+15:00"}, "queued_at", "not a real date, time or UTC"),
    (
        {
            "queued_at": "2022-03-27T01:30:00",
            "answered_at": "2022-03-27T03:30:00",
            "ended_at": "2022-03-27T03:40:00",
        },
        "queued_at",
        "does not exist in the UK",
    ),
    ({"queued_at": "1899-12-31T23:59:00Z"}, "queued_at", "before 1 January 2000"),
    (
        {"queued_at": FUTURE, "answered_at": FUTURE, "ended_at": FUTURE},
        "queued_at",
        "before 1 January 2000",
    ),
    ({"answered_at": "soon"}, "answered_at", "not a date-time"),
    ({"ended_at": ""}, "ended_at", "empty; expected when the call ended"),
    ({"ended_at": "2022-13-01T00:00"}, "ended_at", "not a real date"),
    ({"abandoned": ""}, "abandoned", "empty; expected true, false, yes, no, 1 or 0"),
    ({"abandoned": "maybe"}, "abandoned", "not a yes/no value"),
    ({"transferred_to": LONG}, "transferred_to", "longer than 100 characters"),
    ({"force": LONG}, "force", "longer than 100 characters"),
    (
        {"abandoned": "true"},
        "answered_at",
        "given, but abandoned is true: an abandoned call was never answered",
    ),
    (
        {"answered_at": ""},
        "answered_at",
        "empty, but abandoned is false: a call that was not abandoned was answered",
    ),
    (
        {"answered_at": "2022-02-01T09:14:02"},
        "answered_at",
        "earlier than queued_at 2022-02-01T09:14:03",
    ),
    (
        {"ended_at": "2022-02-01T09:14:08"},
        "ended_at",
        "earlier than answered_at 2022-02-01T09:14:09",
    ),
    (
        {**ABANDONED, "ended_at": "2022-02-01T09:14:00"},
        "ended_at",
        "earlier than queued_at 2022-02-01T09:14:03",
    ),
    (
        {"ended_at": "2022-02-02T09:14:04"},
        "ended_at",
        "24.0 hours after queued_at 2022-02-01T09:14:03; expected a call shorter than 24 hours",
    ),
    (
        {**ABANDONED, "transferred_to": "control room"},
        "transferred_to",
        "given, but the call was abandoned",
    ),
]


@pytest.mark.parametrize(("overrides", "field", "reason"), RULES)
def test_rule(overrides: dict[str, str], field: str, reason: str) -> None:
    bad = row(call_id="bad-1") | overrides
    parsed = read_calls("calls.csv", to_csv([row(), bad]))
    r = one_reject(parsed)
    assert (r.file, r.line, r.field) == ("calls.csv", 3, field)
    assert r.value == bad[field].strip()
    assert reason in r.reason, r.reason


def test_boundaries_are_accepted() -> None:
    """Answered the instant it is queued, ended as answered, and exactly 24 hours long."""
    parsed = read_calls(
        "c.csv",
        to_csv(
            [
                row(call_id="a", answered_at=BASE["queued_at"]),
                row(call_id="b", ended_at=BASE["answered_at"]),
                row(call_id="c", ended_at="2022-02-02T09:14:03"),
                row(call_id="d", **{**ABANDONED, "ended_at": BASE["queued_at"]}),
            ]
        ),
    )
    assert parsed.rejects == []
    assert parsed.rows["wait_seconds"].to_list() == [0.0, 6.0, 6.0, 0.0]


def test_duplicate_call_id_rejects_the_later_rows() -> None:
    parsed = read_calls(
        "c.csv", to_csv([row(), row(call_id="other"), row(channel="101"), row(channel="bogus")])
    )
    assert parsed.rows["call_id"].to_list() == [BASE["call_id"], "other"]
    assert [(r.line, r.field) for r in parsed.rejects] == [(4, "call_id"), (5, "call_id")]
    assert all("already on line 2 of this file" in r.reason for r in parsed.rejects)


def test_first_problem_only() -> None:
    parsed = read_calls(
        "c.csv", to_csv([row(), row(call_id="z", channel="bad", queued_at="", abandoned="maybe")])
    )
    assert [r.field for r in parsed.rejects] == ["channel"]


def test_read_counts_every_row() -> None:
    rows = [row(call_id=f"c{i}") for i in range(6)]
    rows[1]["channel"] = "fax"
    rows[4]["abandoned"] = "?"
    parsed = read_calls("c.csv", to_csv(rows))
    assert (parsed.read, parsed.rows.height, len(parsed.rejects)) == (6, 4, 2)
    assert [r.line for r in parsed.rejects] == [3, 6]


# -- the careful path: what polars cannot vouch for -----------------------------------------------


def test_quoted_line_breaks_blank_lines_and_ragged_rows_keep_line_numbers() -> None:
    good = to_csv([row(call_id="a", force="Derbyshire\nConstabulary"), row(call_id="b")])
    lines = good.decode().split("\n")
    raw = (
        "\n".join(
            [
                lines[0],
                lines[1],
                lines[2],  # lines 2-3: one row with a quoted line break
                "",  # line 4: blank, not a row
                "c,999,2022-02-01T09:00:00",  # line 5: too few fields
                lines[3],  # line 6: row b
                "d,999," + ",".join(["x"] * 7),  # line 7: too many fields
                "e,101,2022-02-01T09:00:00,,2022-02-01T09:01:00,true,,Caf\xe9",  # line 8
            ]
        ).encode("utf-8")
        + b"\ne,999,2022-02-01T09:00:00,,2022-02-01T09:00:05,true,,\xff\n"
    )
    parsed = read_calls("c.csv", raw)
    assert parsed.rows["call_id"].to_list() == ["b", "e"]
    assert parsed.rows["line"].to_list() == [6, 8]
    assert parsed.rows["force"].to_list() == ["Derbyshire Constabulary", "Caf\xe9"]
    assert [(r.line, r.field) for r in parsed.rejects] == [
        (2, "force"),
        (5, "(row)"),
        (7, "(row)"),
        (9, "force"),
    ]
    # A line break inside a field is a control character: no column may hold one.
    assert parsed.rejects[0].value == "Derbyshire\nConstabulary"
    assert "control character" in parsed.rejects[0].reason
    assert "has 3 fields and is truncated" in parsed.rejects[1].reason
    assert "has extra fields" in parsed.rejects[2].reason
    assert "not valid UTF-8 (byte 0xFF)" in parsed.rejects[3].reason
    assert parsed.read == 6


def test_fast_and_careful_paths_agree() -> None:
    rows = [row(call_id=f"c{i}") for i in range(4)] + [row(call_id="bad", channel="x")]
    fast = read_calls("c.csv", to_csv(rows))
    # A trailing blank line sends the same rows down the careful path.
    careful = read_calls("c.csv", to_csv(rows) + b"\n")
    assert fast.rows.equals(careful.rows)
    assert fast.rejects == careful.rejects


def test_crlf_and_byte_order_mark() -> None:
    raw = b"\xef\xbb\xbf" + to_csv([row()]).replace(b"\n", b"\r\n")
    parsed = read_calls("c.csv", raw)
    assert parsed.rejects == [] and parsed.rows["force"].to_list() == ["Derbyshire Constabulary"]


def test_header_only_is_an_empty_log() -> None:
    parsed = read_calls("c.csv", (EXPECTED_HEADER + "\n").encode())
    assert (parsed.read, parsed.rows.height, parsed.rejects) == (0, 0, [])


# -- wrong files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "the file is empty; expected a call log"),
        (b"  \n\n", "the file is empty"),
        ("call_id,channel".encode("utf-16"), "the file is UTF-16 text; expected UTF-8"),
        (b"call_id,chann\xe9l\n", "line 1 is not UTF-8 text (byte 0xE9 at position 14)"),
        (b'{"call_id": "a"}\n', "line 1 is JSON, not a CSV header"),
        (
            b"call_id,channel,queued_at,answered_at,ended_at\n",
            "missing required column(s): abandoned",
        ),
        (
            b"call_id,channel,queued_at,answerd_at,ended_at,abandoned\n",
            "missing required column(s): answered_at; unexpected column(s): 'answerd_at' "
            "(did you mean 'answered_at'?)",
        ),
        (
            b"call_id,channel,queued_at,answered_at,ended_at,abandoned,notes\n",
            "unexpected column(s): 'notes'",
        ),
        (
            b"call_id,channel,queued_at,answered_at,ended_at,abandoned,Channel\n",
            "repeated column(s): channel",
        ),
        (
            b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
            b"LSOA name,Crime type,Last outcome category,Context\n",
            "missing required column(s): call_id, channel, queued_at",
        ),
    ],
)
def test_wrong_file(raw: bytes, message: str) -> None:
    with pytest.raises(WrongFileError) as exc:
        read_calls("wrong.csv", raw)
    text = str(exc.value)
    assert text.startswith("wrong.csv: ") and message in text, text


def test_wrong_header_error_gives_the_full_header() -> None:
    with pytest.raises(WrongFileError, match=re.escape(EXPECTED_HEADER)):
        read_calls("wrong.csv", b"call_id\n")
