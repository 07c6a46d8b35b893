"""The force incident export reader: both formats, every validation rule, lines, wrong files.

Every person here is synthetic: obviously invented names, Ofcom's drama numbers (01632 960xxx)
and example.org addresses.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from asbhub.geo.projection import from_bng, to_bng
from asbhub.ingest.common import ParsedFile, WrongFileError
from asbhub.ingest.force_export import (
    COLUMNS,
    EXPECTED_HEADER,
    KIND,
    REQUIRED_COLUMNS,
    header_matches,
    read_force_export,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
DOC = ROOT / "docs" / "force-export.md"
PERSON_FIELDS = ("role", "name", "date_of_birth", "phone", "email", "address", "postcode")

# A valid ASB incident; tests override fields to make it invalid one way at a time.
BASE: dict[str, object] = {
    "incident_reference": "TST-0001",
    "force": "Derbyshire Constabulary",
    "record_type": "asb",
    "asb_category": "Nuisance",
    "closure_code": "ASN",
    "covid": "no",
    "occurred_from": "2021-03-01T14:30",
    "reported_at": "2021-03-01T14:45",
    "latitude": "52.92017",
    "longitude": "-1.49699",
    "location_text": "Abbey Street, Derby",
    "lpu": "Derby West",
    "people": [{"role": "caller", "name": "Alice Example", "phone": "01632 960001"}],
}


def row(**overrides: object) -> dict[str, object]:
    out = dict(BASE)
    out.update(overrides)
    return {k: v for k, v in out.items() if v is not None}


def to_csv(rows: list[dict[str, object]], columns: list[str] | None = None) -> bytes:
    """Rows as a CSV export, people as numbered column groups."""
    most = max((len(r.get("people") or []) for r in rows), default=0)
    if columns is None:
        seen = {k for r in rows for k in r if k != "people"}
        columns = [c for c in COLUMNS if c in seen or c in REQUIRED_COLUMNS]
        columns += [f"person{k}_{f}" for k in range(1, most + 1) for f in PERSON_FIELDS]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        flat = {k: v for k, v in r.items() if k != "people"}
        for k, person in enumerate(r.get("people") or [], start=1):
            flat.update({f"person{k}_{f}": v for f, v in person.items()})
        w.writerow(["" if flat.get(c) is None else str(flat.get(c)) for c in columns])
    return buf.getvalue().encode("utf-8")


def to_jsonl(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode("utf-8")


def read(rows: list[dict[str, object]], fmt: str) -> ParsedFile:
    if fmt == "csv":
        return read_force_export("export.csv", to_csv(rows))
    return read_force_export("export.jsonl", to_jsonl(rows))


def one_reject(parsed: ParsedFile):
    assert parsed.rows.height == 0, parsed.rows
    assert len(parsed.rejects) == 1, parsed.rejects
    return parsed.rejects[0]


FORMATS = ["csv", "jsonl"]


# -- the examples --------------------------------------------------------------------------


def test_examples_read_identically_in_both_formats() -> None:
    a = read_force_export("s.csv", (EXAMPLES / "force-export-sample.csv").read_bytes())
    b = read_force_export("s.jsonl", (EXAMPLES / "force-export-sample.jsonl").read_bytes())
    assert a.kind == b.kind == KIND
    assert (a.read, a.rejects, b.read, b.rejects) == (6, [], 6, [])
    assert a.rows.drop("line").equals(b.rows.drop("line"))
    assert a.rows["line"].to_list() == [2, 3, 4, 5, 6, 7]
    assert b.rows["line"].to_list() == [1, 2, 3, 4, 5, 6]


def test_examples_typed_values() -> None:
    rows = read_force_export("s.jsonl", (EXAMPLES / "force-export-sample.jsonl").read_bytes()).rows
    r = {x["reference"]: x for x in rows.iter_rows(named=True)}

    first = r["DBY-21-000101"]
    assert (
        first["record_type"],
        first["crime_type"],
        first["asb_category"],
        first["closure_code"],
        first["covid"],
    ) == ("asb", "Anti-social behaviour", "N", "ASN", True)
    # January: UK local time is GMT.
    assert first["occurred_from"] == datetime(2021, 1, 9, 21, 40, tzinfo=UTC)
    assert first["month"] == "2021-01"
    assert (first["lsoa_code"], first["lsoa_name"], first["lpu"], first["snt"]) == (
        "E01013453",
        None,
        "Derby West",
        "SW03",
    )
    assert first["thrive_engagement"] == "medium" and first["public_report"] is False
    e, n = to_bng(-1.49699, 52.92017)
    assert first["easting"] == pytest.approx(float(e), abs=0.01)
    assert first["northing"] == pytest.approx(float(n), abs=0.01)
    assert first["people"] == [
        {
            "role": "caller",
            "name": "Alice Example",
            "date_of_birth": date(1971, 5, 14),
            "phone": "01632 960001",
            "email": "alice.example@example.org",
            "address": "1 Sample Row, Derby",
            "postcode": "DE22 9ZZ",
        }
    ]

    roc = r["DBY-21-000102"]
    assert (roc["record_type"], roc["asb_category"], roc["covid"]) == ("roc", "P", False)
    assert roc["occurred_from"] is None
    assert roc["reported_at"] == datetime(2021, 4, 3, 9, 5, tzinfo=UTC)  # +01:00 given
    assert roc["month"] == "2021-04"  # from reported_at
    lon, lat = from_bng(429800, 360186)
    assert (roc["easting"], roc["northing"]) == (429800.0, 360186.0)
    assert roc["longitude"] == pytest.approx(float(lon), abs=1e-6)
    assert roc["latitude"] == pytest.approx(float(lat), abs=1e-6)
    assert [p["role"] for p in roc["people"]] == ["caller", "victim"]
    assert roc["people"][1]["postcode"] == "DE4 9ZZ"  # de49zz normalised
    assert roc["people"][0]["date_of_birth"] is None and roc["people"][0]["email"] == ""

    crime = r["DBY-21-000103"]
    assert (crime["crime_type"], crime["asb_category"], crime["covid"]) == (
        "Criminal damage and arson",
        None,
        None,
    )
    assert crime["month"] == "2021-06"  # 23:30Z on 18 June is 00:30 BST on the 19th: still June

    # The repeated October hour: the first (BST) occurrence.
    assert r["DBY-21-000105"]["occurred_from"] == datetime(2021, 10, 31, 0, 30, tzinfo=UTC)
    assert r["DBY-21-000104"]["people"] == []
    assert r["DBY-21-000104"]["public_report"] is True
    assert r["DBY-21-000105"]["longitude"] is None


def test_docs_show_the_example_files_exactly() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for name, lang in (("force-export-sample.csv", "csv"), ("force-export-sample.jsonl", "json")):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        assert f"```{lang}\n{text}```" in doc, f"docs/force-export.md is out of step with {name}"
    header_block = re.search(r"The full header, with one person group:\n\n```text\n(.*)\n```", doc)
    assert header_block and header_block.group(1) == EXPECTED_HEADER


def test_example_people_are_synthetic() -> None:
    for name in ("force-export-sample.csv", "force-export-sample.jsonl"):
        parsed = read_force_export(name, (EXAMPLES / name).read_bytes())
        people = parsed.rows.explode("people").unnest("people").drop_nulls("role")
        assert people.height == 8
        phones = [p for p in people["phone"].to_list() if p]
        assert all(
            re.sub(r"\D", "", p).endswith(tuple(f"1632960{i:03d}" for i in range(1000)))
            for p in phones
        ), phones
        assert all(e.endswith("@example.org") for e in people["email"].to_list() if e)


# -- typed values --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2021-03-01T14:30", datetime(2021, 3, 1, 14, 30, tzinfo=UTC)),  # GMT
        ("2021-07-01 14:30:15", datetime(2021, 7, 1, 13, 30, 15, tzinfo=UTC)),  # BST
        ("2021-07-01", datetime(2021, 6, 30, 23, 0, tzinfo=UTC)),  # local midnight
        ("2021-07-01T14:30:00Z", datetime(2021, 7, 1, 14, 30, tzinfo=UTC)),
        ("2021-07-01t14:30:00z", datetime(2021, 7, 1, 14, 30, tzinfo=UTC)),
        ("2021-07-01T14:30:00+02:00", datetime(2021, 7, 1, 12, 30, tzinfo=UTC)),
        ("2021-07-01T14:30-0130", datetime(2021, 7, 1, 16, 0, tzinfo=UTC)),
        ("2021-07-01T14:30:00+01", datetime(2021, 7, 1, 13, 30, tzinfo=UTC)),
        ("2021-07-01T14:30:00.25Z", datetime(2021, 7, 1, 14, 30, 0, 250000, tzinfo=UTC)),
        ("2021-10-31T01:30", datetime(2021, 10, 31, 0, 30, tzinfo=UTC)),  # repeated hour: BST
    ],
)
def test_datetime_forms(fmt: str, written: str, expected: datetime) -> None:
    parsed = read([row(occurred_from=written, reported_at=None)], fmt)
    assert parsed.rejects == []
    assert parsed.rows["occurred_from"][0] == expected


def test_month_is_uk_local() -> None:
    # 23:30 UTC on 31 July is 00:30 BST on 1 August.
    parsed = read([row(occurred_from="2021-07-31T23:30:00Z")], "csv")
    assert parsed.rows["month"].to_list() == ["2021-08"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_values_are_case_insensitive_and_trimmed(fmt: str) -> None:
    parsed = read(
        [
            row(
                record_type=" ASB ",
                asb_category="personal",
                closure_code="asp",
                covid="YES",
                thrive_risk="High",
                public_report="1",
                lsoa_code="e01013453",
                people=[{"role": "Victim", "postcode": " s40  9zz "}],
            )
        ],
        fmt,
    )
    assert parsed.rejects == []
    r = parsed.rows.row(0, named=True)
    assert (
        r["record_type"],
        r["asb_category"],
        r["closure_code"],
        r["covid"],
        r["thrive_risk"],
        r["public_report"],
        r["lsoa_code"],
    ) == ("asb", "P", "ASP", True, "high", True, "E01013453")
    assert r["people"][0]["role"] == "victim" and r["people"][0]["postcode"] == "S40 9ZZ"


def test_json_types_and_strings_agree() -> None:
    typed = read_force_export(
        "a.jsonl",
        to_jsonl([row(latitude=52.92017, longitude=-1.49699, covid=True, public_report=False)]),
    )
    texts = read_force_export("b.jsonl", to_jsonl([row(covid="true", public_report="0")]))
    assert typed.rows.drop("line").equals(texts.rows.drop("line"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_closure_code_alone_or_force_own_code(fmt: str) -> None:
    parsed = read(
        [
            row(incident_reference="A", asb_category=None, closure_code="ASE"),
            row(incident_reference="B", asb_category="Personal", closure_code="ASB12"),
        ],
        fmt,
    )
    assert parsed.rejects == []
    assert parsed.rows.select("asb_category", "closure_code").rows() == [
        ("E", "ASE"),
        ("P", "ASB12"),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_crime_row(fmt: str) -> None:
    parsed = read(
        [
            row(
                record_type="crime",
                crime_type="Burglary",
                asb_category=None,
                closure_code=None,
                covid="yes",
            )
        ],
        fmt,
    )
    assert parsed.rejects == []
    r = parsed.rows.row(0, named=True)
    assert (r["crime_type"], r["asb_category"], r["closure_code"], r["covid"]) == (
        "Burglary",
        None,
        None,
        True,
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_asb_crime_type_may_be_given(fmt: str) -> None:
    parsed = read([row(crime_type="anti-social behaviour")], fmt)
    assert parsed.rejects == [] and parsed.rows["crime_type"][0] == "Anti-social behaviour"


@pytest.mark.parametrize("fmt", FORMATS)
def test_both_coordinate_pairs_within_50_m(fmt: str) -> None:
    e, n = to_bng(-1.49699, 52.92017)
    parsed = read([row(easting=f"{float(e) + 30:.1f}", northing=f"{float(n):.1f}")], fmt)
    assert parsed.rejects == []
    r = parsed.rows.row(0, named=True)
    # Each pair is kept as given.
    assert (r["latitude"], r["longitude"]) == (52.92017, -1.49699)
    assert r["easting"] == pytest.approx(float(e) + 30, abs=0.05)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_location_at_all(fmt: str) -> None:
    parsed = read([row(latitude=None, longitude=None, location_text=None)], fmt)
    assert parsed.rejects == []
    r = parsed.rows.row(0, named=True)
    assert (r["longitude"], r["latitude"], r["easting"], r["northing"], r["location"]) == (
        None,
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_person_group_is_no_person(fmt: str) -> None:
    people = [
        {"role": "caller", "name": "Alice Example"},
        {f: "" for f in PERSON_FIELDS},
        {"role": "witness"},
    ]
    parsed = read([row(people=people)], fmt)
    assert parsed.rejects == []
    assert [p["role"] for p in parsed.rows["people"][0]] == ["caller", "witness"]


def test_person_columns_may_be_partial_and_skip_numbers() -> None:
    raw = (
        b"incident_reference,record_type,asb_category,occurred_from,reported_at,"
        b"person2_role,person2_name,person5_role,person5_phone\n"
        b"R1,asb,N,2021-03-01,,victim,Bob Specimen,witness,01632 960002\n"
    )
    parsed = read_force_export("x.csv", raw)
    assert parsed.rejects == []
    assert parsed.rows["people"][0].to_list() == [
        {
            "role": "victim",
            "name": "Bob Specimen",
            "date_of_birth": None,
            "phone": "",
            "email": "",
            "address": "",
            "postcode": "",
        },
        {
            "role": "witness",
            "name": "",
            "date_of_birth": None,
            "phone": "01632 960002",
            "email": "",
            "address": "",
            "postcode": "",
        },
    ]


def test_header_names_ignore_case_and_spaces() -> None:
    raw = (
        b"\xef\xbb\xbfIncident Reference, Record-Type ,ASB_Category,Occurred_From,"
        b"Reported_At\nR1,asb,Nuisance,2021-03-01T10:00,\n"
    )
    parsed = read_force_export("x.csv", raw)
    assert parsed.rejects == [] and parsed.rows["reference"].to_list() == ["R1"]


# -- row hash --------------------------------------------------------------------------------


def test_row_hash_is_of_content_not_form() -> None:
    a = read([row(occurred_from="2021-03-01T14:30", covid="no", latitude="52.92017")], "csv")
    b = read(
        [row(occurred_from="2021-03-01 14:30:00+00:00", covid="FALSE", latitude="52.920170")],
        "jsonl",
    )
    assert a.rows["row_hash"].to_list() == b.rows["row_hash"].to_list()
    assert re.fullmatch(r"[0-9a-f]{64}", a.rows["row_hash"][0])


@pytest.mark.parametrize(
    "change",
    [
        {"covid": "yes"},
        {"occurred_from": "2021-03-01T14:31"},
        {"location_text": "Abbey Street, Derby DE22"},
        {"thrive_harm": "low"},
        {"people": [{"role": "caller", "name": "Alice Example", "phone": "01632 960009"}]},
        {
            "people": [
                {"role": "caller", "name": "Alice Example", "phone": "01632 960001"},
                {"role": "victim", "name": "Bob Specimen"},
            ]
        },
        {"people": []},
    ],
)
def test_row_hash_changes_with_content(change: dict[str, object]) -> None:
    a = read([row()], "csv").rows["row_hash"][0]
    b = read([row(**change)], "csv").rows["row_hash"][0]
    assert a != b


# -- one reject per bad row ------------------------------------------------------------------

FUTURE = "2999-01-01T00:00"
# (overrides, field, part of the reason)
ROW_RULES: list[tuple[dict[str, object], str, str]] = [
    ({"incident_reference": ""}, "incident_reference", "empty; expected the force's"),
    ({"incident_reference": "R" * 65}, "incident_reference", "longer than 64"),
    ({"incident_reference": "A\tB"}, "incident_reference", "control character"),
    ({"force": "F" * 101}, "force", "longer than 100"),
    ({"record_type": "incident"}, "record_type", "expected crime, asb"),
    ({"record_type": ""}, "record_type", "not a record type"),
    (
        {"record_type": "crime", "asb_category": None, "closure_code": None},
        "crime_type",
        "a crime row needs its crime type",
    ),
    (
        {
            "record_type": "crime",
            "crime_type": "Anti-social behaviour",
            "asb_category": None,
            "closure_code": None,
        },
        "crime_type",
        "give the row record_type asb",
    ),
    ({"crime_type": "Burglary"}, "crime_type", "an asb or roc row has no crime type"),
    (
        {"record_type": "crime", "crime_type": "Burglary", "closure_code": None},
        "asb_category",
        "a crime row has no ASB category",
    ),
    ({"asb_category": "Loud"}, "asb_category", "expected Personal, Nuisance or Environmental"),
    (
        {"record_type": "crime", "crime_type": "Burglary", "asb_category": None},
        "closure_code",
        "a crime row has no ASB closure code",
    ),
    ({"closure_code": "ASN-EXTENDED"}, "closure_code", "longer than 10"),
    (
        {"asb_category": None, "closure_code": None},
        "asb_category",
        "an asb or roc row needs its NSIR category",
    ),
    (
        {"record_type": "roc", "asb_category": "", "closure_code": ""},
        "asb_category",
        "needs its NSIR category",
    ),
    ({"asb_category": None, "closure_code": "XYZ"}, "closure_code", "not a known closure code"),
    (
        {"asb_category": "Personal", "closure_code": "ASN"},
        "closure_code",
        "disagrees with asb_category Personal",
    ),
    ({"covid": "maybe"}, "covid", "expected true, false, yes, no, 1, 0 or empty"),
    ({"occurred_from": "01/03/2021 14:30"}, "occurred_from", "not a date-time; expected ISO"),
    ({"occurred_from": "2021-02-30T10:00"}, "occurred_from", "not a real date"),
    ({"occurred_from": "2021-03-01T25:00"}, "occurred_from", "not a real date"),
    ({"occurred_from": "2021-03-01T10:00+15:00"}, "occurred_from", "UTC offset"),
    ({"occurred_from": "2021-03-28T01:30"}, "occurred_from", "does not exist in the UK"),
    ({"occurred_from": "1899-12-31T23:00Z"}, "occurred_from", "before 1 January 2000"),
    ({"reported_at": FUTURE}, "reported_at", "before 1 January 2000"),
    ({"occurred_to": "2021-03-01T14:00"}, "occurred_to", "earlier than occurred_from"),
    ({"occurred_to": "yesterday"}, "occurred_to", "not a date-time"),
    ({"occurred_from": "", "reported_at": ""}, "occurred_from", "and so is reported_at"),
    ({"latitude": ""}, "latitude", "empty while longitude is given"),
    ({"longitude": ""}, "longitude", "empty while latitude is given"),
    ({"latitude": "52,92"}, "latitude", "not a number"),
    ({"longitude": "west"}, "longitude", "not a number"),
    (
        {"latitude": "-1.49699", "longitude": "52.92017"},
        "latitude",
        "did you swap latitude and longitude",
    ),
    ({"longitude": "12.5"}, "longitude", "outside -9.01 to 2.01"),
    ({"easting": "433918"}, "northing", "empty while easting is given"),
    ({"northing": "335980"}, "easting", "empty while northing is given"),
    ({"easting": "43E", "northing": "335980"}, "easting", "not a number"),
    ({"easting": "433918", "northing": "1400000"}, "northing", "outside 0 to 1.3e+06"),
    ({"easting": "-5", "northing": "335980"}, "easting", "outside 0 to 700000"),
    ({"easting": "434000", "northing": "335980"}, "easting", "m apart"),
    ({"lsoa_code": "E0101345"}, "lsoa_code", "expected a letter and 8 digits"),
    ({"lpu": "L" * 101}, "lpu", "longer than 100"),
    ({"snt": "S" * 101}, "snt", "longer than 100"),
    ({"thrive_threat": "severe"}, "thrive_threat", "not a THRIVE grade"),
    ({"thrive_engagement": "3"}, "thrive_engagement", "expected low, medium, high"),
    ({"public_report": "online"}, "public_report", "expected true, false"),
    ({"location_text": "Abbey\x00Street"}, "location_text", "NUL"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    ROW_RULES,
    ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(ROW_RULES)],
)
def test_row_rules(fmt: str, overrides: dict[str, object], field: str, reason: str) -> None:
    good = row(incident_reference="GOOD-1")
    bad = row(**overrides)
    parsed = read([good, bad], fmt)
    assert parsed.read == 2
    assert parsed.rows["reference"].to_list() == ["GOOD-1"]
    [rej] = parsed.rejects
    assert (rej.file, rej.line, rej.field) == (f"export.{fmt}", 3 if fmt == "csv" else 2, field), (
        rej
    )
    assert reason in rej.reason, rej.reason
    value = overrides.get(field, bad.get(field))
    assert rej.value == ("" if value is None else str(value).strip()), rej


def test_pair_gap_reason_gives_the_distance() -> None:
    e, n = to_bng(-1.49699, 52.92017)
    parsed = read([row(easting=f"{float(e) + 120:.1f}", northing=f"{float(n):.1f}")], "csv")
    assert "are 120 m apart" in one_reject(parsed).reason


PERSON_RULES: list[tuple[dict[str, str], str, str]] = [
    ({"role": "", "name": "Alice Example"}, "role", "a person needs a role"),
    ({"role": "bystander"}, "role", "expected caller, victim, witness or suspect"),
    ({"date_of_birth": "14/05/1971"}, "date_of_birth", "expected YYYY-MM-DD"),
    ({"date_of_birth": "1971-02-29"}, "date_of_birth", "not a real date"),
    ({"date_of_birth": "2999-01-01"}, "date_of_birth", "in the future"),
    ({"date_of_birth": "1850-01-01"}, "date_of_birth", "before 1900"),
    ({"phone": "call 01632 960001"}, "phone", "not a phone number"),
    ({"phone": "01632"}, "phone", "not 7 to 15 digits"),
    ({"phone": "0" * 16}, "phone", "not 7 to 15 digits"),
    ({"email": "alice.example.org"}, "email", "not an email address"),
    ({"email": "alice@example"}, "email", "not an email address"),
    ({"postcode": "DERBY"}, "postcode", "not a UK postcode"),
    ({"postcode": "DE1 2A"}, "postcode", "not a UK postcode"),
    ({"name": "Alice\x00Example"}, "name", "NUL"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("person", "field", "reason"),
    PERSON_RULES,
    ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(PERSON_RULES)],
)
def test_person_rules(fmt: str, person: dict[str, str], field: str, reason: str) -> None:
    caller = {"role": "caller", "name": "Alice Example"}
    bad = {"role": "witness", "name": "Bob Specimen", **person}
    parsed = read([row(people=[caller, bad])], fmt)
    rej = one_reject(parsed)
    expected_field = f"person2_{field}" if fmt == "csv" else f"people[1].{field}"
    assert (rej.line, rej.field, rej.value) == (
        2 if fmt == "csv" else 1,
        expected_field,
        person[field].strip(),
    )
    assert reason in rej.reason, rej.reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_first_problem_only(fmt: str) -> None:
    # Three problems: the reject names the first, in column order, and the person's last.
    parsed = read([row(record_type="x", covid="maybe", people=[{"role": "nobody"}])], fmt)
    assert one_reject(parsed).field == "record_type"
    parsed = read([row(covid="maybe", people=[{"role": "nobody"}])], fmt)
    assert one_reject(parsed).field == "covid"


@pytest.mark.parametrize("fmt", FORMATS)
def test_first_bad_person_is_named(fmt: str) -> None:
    people = [{"role": "caller"}, {"role": "victim", "phone": "x"}, {"role": "nobody"}]
    rej = one_reject(read([row(people=people)], fmt))
    assert rej.field == ("person2_phone" if fmt == "csv" else "people[1].phone")


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicate_reference_rejects_the_later_row(fmt: str) -> None:
    rows = [
        row(incident_reference="DUP"),
        row(incident_reference="OTHER"),
        row(incident_reference="DUP", covid="yes"),
    ]
    parsed = read(rows, fmt)
    assert parsed.rows["reference"].to_list() == ["DUP", "OTHER"]
    assert parsed.rows["covid"].to_list() == [False, False]
    [rej] = parsed.rejects
    first, later = (2, 4) if fmt == "csv" else (1, 3)
    assert (rej.line, rej.field, rej.value) == (later, "incident_reference", "DUP")
    assert f"already on line {first} of this file" in rej.reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_read_counts_every_row(fmt: str) -> None:
    rows = [
        row(incident_reference=f"R{i}", covid="maybe" if i % 3 == 0 else "no") for i in range(10)
    ]
    parsed = read(rows, fmt)
    assert (parsed.read, parsed.rows.height, len(parsed.rejects)) == (10, 6, 4)
    offset = 2 if fmt == "csv" else 1
    assert [r.line for r in parsed.rejects] == [0 + offset, 3 + offset, 6 + offset, 9 + offset]


# -- line numbers and the careful CSV path ---------------------------------------------------


def test_csv_quoted_line_breaks_keep_line_numbers() -> None:
    rows = [
        row(incident_reference="A", people=[{"role": "victim", "address": "1 Sample Row\nDerby"}]),
        row(incident_reference="B", covid="maybe"),
        row(incident_reference="C", location_text="Abbey Street\r\nDerby"),
        row(incident_reference="D", thrive_harm="huge"),
    ]
    parsed = read(rows, "csv")
    assert parsed.rows["reference"].to_list() == ["A", "C"]
    assert parsed.rows["line"].to_list() == [2, 5]
    assert [(r.line, r.field) for r in parsed.rejects] == [(4, "covid"), (7, "thrive_harm")]
    assert parsed.rows["people"][0][0]["address"] == "1 Sample Row\nDerby"


def test_csv_ragged_rows_and_bad_bytes() -> None:
    good = to_csv([row(incident_reference="A")])
    header, line = good.decode().splitlines()
    raw = "\n".join(
        [
            header,
            line,
            line.replace("A,", "B,", 1) + ",extra",
            ",".join(line.replace("A,", "C,", 1).split(",")[:3]),
            "",
            line.replace("A,", "D,", 1).replace("Abbey", "Abb\udce9y"),
            line.replace("A,", "E,", 1),
        ]
    ).encode("utf-8", "surrogateescape")
    parsed = read_force_export("x.csv", raw)
    assert parsed.rows["reference"].to_list() == ["A", "E"]
    assert parsed.rows["line"].to_list() == [2, 7]
    got = [(r.line, r.field) for r in parsed.rejects]
    assert got == [(3, "(row)"), (4, "(row)"), (6, "location_text")]
    assert "has extra fields" in parsed.rejects[0].reason
    assert "is truncated" in parsed.rejects[1].reason
    assert "byte 0xE9" in parsed.rejects[2].reason
    assert parsed.read == 5


def test_csv_unterminated_quote() -> None:
    good = to_csv([row(incident_reference="A")]).decode()
    raw = (good + 'B,"Derbyshire Constabulary,asb\n').encode()
    parsed = read_force_export("x.csv", raw)
    assert parsed.rows["reference"].to_list() == ["A"]
    assert [r.line for r in parsed.rejects] == [3]


def test_jsonl_lines_and_row_faults() -> None:
    lines = [
        json.dumps(row(incident_reference="A")),
        "",
        "[1, 2]",
        '{"incident_reference": "B", ',
        json.dumps(row(incident_reference="C", colour="red")),
        json.dumps(row(incident_reference="D", lpu={"name": "Derby West"})),
        json.dumps(row(incident_reference="E", people={"role": "caller"})),
        json.dumps(row(incident_reference="F", people=["Alice Example"])),
        json.dumps(row(incident_reference="G", people=[{"role": "caller", "mobile": "1"}])),
        json.dumps(row(incident_reference="H", person1_role="caller")),
        "   ",
        json.dumps(row(incident_reference="I")),
        "42",
        "null",
    ]
    parsed = read_force_export("x.jsonl", "\r\n".join(lines).encode())
    assert parsed.rows["reference"].to_list() == ["A", "I"]
    assert parsed.rows["line"].to_list() == [1, 12]
    got = {r.line: (r.field, r.reason) for r in parsed.rejects}
    assert sorted(got) == [3, 4, 5, 6, 7, 8, 9, 10, 13, 14]
    assert got[3] == ("(row)", "the line holds an array; expected one JSON object per line")
    assert got[4][0] == "(row)" and got[4][1].startswith("not valid JSON")
    assert got[5][0] == "colour" and "not a force export field" in got[5][1]
    assert got[6][0] == "lpu" and "not a JSON object" in got[6][1]
    assert got[7][0] == "people" and "list of person objects" in got[7][1]
    assert got[8][0] == "people[0]"
    assert got[9][0] == "people[0].mobile"
    assert got[10][0] == "person1_role" and "people go in a 'people' list" in got[10][1]
    assert "holds a number" in got[13][1] and "holds null" in got[14][1]
    assert parsed.read == 12


def test_jsonl_bad_bytes_after_the_first_line_are_row_rejects() -> None:
    raw = to_jsonl([row(incident_reference="A")]) + b'{"incident_reference": "B\xff"}\n'
    parsed = read_force_export("x.jsonl", raw)
    assert parsed.rows.height == 1
    [rej] = parsed.rejects
    assert (rej.line, rej.field) == (2, "(row)") and "byte 0xFF" in rej.reason


def test_jsonl_lone_surrogate_is_rejected() -> None:
    raw = b'{"incident_reference": "A\\ud800", "record_type": "asb"}\n'
    rej = one_reject(read_force_export("x.jsonl", raw))
    assert rej.field == "incident_reference" and "surrogate" in rej.reason


# -- wrong files -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["x.csv", "x.jsonl"])
@pytest.mark.parametrize("raw", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(name: str, raw: bytes) -> None:
    with pytest.raises(WrongFileError, match="the file is empty; expected a force export"):
        read_force_export(name, raw)


@pytest.mark.parametrize("name", ["x.csv", "x.jsonl"])
def test_utf16_file(name: str) -> None:
    raw = "incident_reference,record_type\n".encode("utf-16")
    with pytest.raises(WrongFileError, match="UTF-16 text; expected UTF-8"):
        read_force_export(name, raw)


def test_header_not_utf8() -> None:
    raw = "incident_reference,record_type,occurred_from,reported_at,lpu£\n".encode("cp1252")
    with pytest.raises(
        WrongFileError,
        match=r"line 1 is not UTF-8 text \(byte 0xA3 at "
        r"position 61\).*'CSV UTF-8'",
    ):
        read_force_export("x.csv", raw)


def test_jsonl_first_line_not_utf8() -> None:
    raw = '{"incident_reference": "Caf\u00e9"}\n'.encode("cp1252")
    with pytest.raises(WrongFileError, match="line 1 is not UTF-8 text.*JSON Lines"):
        read_force_export("x.jsonl", raw)


def test_header_missing_required_columns() -> None:
    raw = b"incident_reference,asb_category,lpu\nR1,Nuisance,Derby West\n"
    with pytest.raises(WrongFileError) as err:
        read_force_export("x.csv", raw)
    msg = str(err.value)
    assert "missing required column(s): record_type, occurred_from, reported_at" in msg
    assert EXPECTED_HEADER in msg


def test_header_unknown_and_repeated_columns() -> None:
    raw = (
        b"incident_reference,record_type,occurred_from,reported_at,thrive_treat,colour,"
        b"lpu,LPU,person1_mobile\n"
    )
    with pytest.raises(WrongFileError) as err:
        read_force_export("x.csv", raw)
    msg = str(err.value)
    assert "'thrive_treat' (did you mean 'thrive_threat'?)" in msg
    assert "'colour'" in msg and "'person1_mobile'" in msg
    assert "repeated column(s): lpu" in msg


def test_jsonl_in_a_csv_file_and_csv_in_a_jsonl_file() -> None:
    with pytest.raises(WrongFileError, match="must be named .jsonl"):
        read_force_export("x.csv", to_jsonl([row()]))
    with pytest.raises(WrongFileError, match="looks like a CSV header.*must be named .csv"):
        read_force_export("x.jsonl", to_csv([row()]))


def test_header_only_is_an_empty_export() -> None:
    parsed = read_force_export(
        "x.csv", b"incident_reference,record_type,occurred_from,reported_at\n"
    )
    assert (parsed.read, parsed.rows.height, parsed.rejects) == (0, 0, [])
    assert "people" in parsed.rows.columns and "row_hash" in parsed.rows.columns


def test_header_matches() -> None:
    assert header_matches(EXPECTED_HEADER)
    assert header_matches("\ufeffIncident Reference,lpu")  # reaches the reader to be explained
    assert header_matches("record_type,asb_category")
    assert not header_matches(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,"
        "Location,LSOA code,LSOA name,Crime type,Last outcome category,"
        "Context"
    )
    assert not header_matches("name,address,postcode")
    assert not header_matches('"unclosed')
