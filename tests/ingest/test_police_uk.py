"""The data.police.uk street-level reader, on the bundled real sample and on crafted bad files."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter

import polars as pl
import pytest

from asbhub.data import sample_paths
from asbhub.ingest import police_uk
from asbhub.ingest.common import WrongFileError, csv_fast_table

HEADER = police_uk.HEADER_TEXT
GOOD = ",2019-01,Derbyshire Constabulary,Derbyshire Constabulary,-1.377638,53.098647,On or near Mansfield Road,E01019400,Amber Valley 001A,Anti-social behaviour,,"
CRIME = "abc123,2019-01,Derbyshire Constabulary,Derbyshire Constabulary,-1.476,52.922,On or near Park Street,E01013453,Derby 013A,Burglary,Under investigation,"


def read(text: str | bytes) -> police_uk.ParsedFile:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return police_uk.read_police_uk("test.csv", raw)


def sample_members() -> dict[str, bytes]:
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.endswith(".csv")}


# -- the real sample ---------------------------------------------------------------------------


def test_real_sample_counts_match_an_independent_count() -> None:
    for name, raw in sample_members().items():
        parsed = police_uk.read_police_uk(name, raw)
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
        assert parsed.read == len(rows) and parsed.rejects == []
        expected = Counter((r["Month"], r["Crime type"]) for r in rows)
        got = Counter(parsed.rows.select("month", "crime_type").iter_rows())
        assert got == expected
        # ASB rows have no Crime ID and are typed as such; every crime row has one.
        asb = parsed.rows.filter(pl.col("record_type") == "asb")
        assert asb.height == sum(r["Crime type"] == "Anti-social behaviour" for r in rows)
        assert asb["crime_id"].null_count() == asb.height
        no_loc = sum(1 for r in rows if not r["Longitude"])
        assert parsed.rows["longitude"].null_count() == no_loc


def test_real_sample_keeps_identical_rows_each_as_an_incident() -> None:
    name, raw = next(iter(sample_members().items()))
    parsed = police_uk.read_police_uk(name, raw)
    lines = raw.decode("utf-8").splitlines()[1:]
    repeats = sum(c - 1 for c in Counter(lines).values() if c > 1)
    assert repeats > 500  # about one row in eight repeats another exactly
    assert parsed.rows.height == len(lines)
    assert parsed.rows["line"].to_list() == list(range(2, len(lines) + 2))


def test_fast_and_careful_paths_agree_on_real_data() -> None:
    name, raw = next(iter(sample_members().items()))
    fast = police_uk.read_police_uk(name, raw)
    # A blank line at the end forces the careful path; the rows must come out the same.
    careful = police_uk.read_police_uk(name, raw + b"\n\n")
    assert csv_fast_table(raw + b"\n\n", list(police_uk.FIELDS)) is None
    assert careful.rows.equals(fast.rows)
    assert careful.rejects == fast.rejects == []


# -- crafted bad files ---------------------------------------------------------------------------


def test_empty_file_is_a_wrong_file_saying_what_was_expected() -> None:
    with pytest.raises(WrongFileError, match="empty.*Crime ID,Month"):
        read("")


def test_header_only_file_has_no_rows() -> None:
    parsed = read(HEADER + "\n")
    assert parsed.read == 0 and parsed.rows.height == 0


def test_missing_column_is_named() -> None:
    header = HEADER.replace(",Context", "")
    with pytest.raises(WrongFileError, match="missing column.*'Context'"):
        read(header + "\n" + GOOD[:-1] + "\n")


def test_wrong_header_names_the_expected_one() -> None:
    with pytest.raises(WrongFileError, match="expected exactly: Crime ID,Month"):
        read("name,age\nBob,3\n")


def test_outcomes_file_is_recognised() -> None:
    header = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type"
    with pytest.raises(WrongFileError, match="outcomes file"):
        read(header + "\n")


def test_non_utf8_header_is_a_wrong_file() -> None:
    with pytest.raises(WrongFileError, match="not UTF-8"):
        read("\ufeffCrime ID".encode("utf-16"))


def test_non_utf8_row_is_rejected_and_the_rest_kept() -> None:
    bad = GOOD.replace("Mansfield Road", "Caf\xe9 Road").encode("latin-1")
    raw = (HEADER + "\n" + GOOD + "\n").encode() + bad + b"\n" + (CRIME + "\n").encode()
    parsed = read(raw)
    assert parsed.rows.height == 2 and parsed.read == 3
    (r,) = parsed.rejects
    assert (r.line, r.field) == (3, "Location")
    assert "0xE9" in r.reason and "UTF-8" in r.reason


@pytest.mark.parametrize(
    ("lon", "lat", "field", "words"),
    [
        ("abc", "53.0", "Longitude", "not a number"),
        ("-1.4", "north", "Latitude", "not a number"),
        ("-200", "53.0", "Longitude", "outside -180 to 180"),
        ("-1.4", "95", "Latitude", "outside -90 to 90"),
        ("", "53.0", "Longitude", "both coordinates or neither"),
        ("-1.4", "", "Latitude", "both coordinates or neither"),
    ],
)
def test_bad_coordinates_are_rejected_with_field_and_reason(
    lon: str, lat: str, field: str, words: str
) -> None:
    row = GOOD.replace("-1.377638,53.098647", f"{lon},{lat}")
    parsed = read(f"{HEADER}\n{GOOD}\n{row}\n")
    assert parsed.rows.height == 1
    (r,) = parsed.rejects
    assert (r.line, r.field) == (3, field)
    assert words in r.reason


@pytest.mark.parametrize("month", ["2019-13", "2019-00", "19-01", "2019/01", ""])
def test_month_that_does_not_exist_is_rejected(month: str) -> None:
    parsed = read(f"{HEADER}\n{GOOD.replace('2019-01', month)}\n{CRIME}\n")
    (r,) = parsed.rejects
    assert (r.line, r.field, r.value) == (2, "Month", month)
    assert "YYYY-MM" in r.reason
    assert parsed.rows["line"].to_list() == [3]


def test_bad_lsoa_code_is_rejected() -> None:
    parsed = read(f"{HEADER}\n{GOOD.replace('E01019400', 'Derby')}\n")
    (r,) = parsed.rejects
    assert r.field == "LSOA code" and "E01019400" in r.reason


def test_rows_without_location_or_lsoa_are_kept() -> None:
    row = ",2019-01,Derbyshire Constabulary,Derbyshire Constabulary,,,No location,,,Anti-social behaviour,,"
    parsed = read(f"{HEADER}\n{row}\n")
    assert parsed.rejects == []
    got = parsed.rows.row(0, named=True)
    assert got["longitude"] is None and got["lsoa_code"] is None
    assert got["location"] == "No location"


def test_truncated_last_line_is_rejected_and_earlier_rows_kept() -> None:
    raw = f"{HEADER}\n{GOOD}\n{CRIME}\n{GOOD[:40]}"
    parsed = read(raw)
    assert parsed.rows.height == 2
    (r,) = parsed.rejects
    assert r.line == 4 and "truncated" in r.reason and "12 fields" in r.reason


def test_truncated_inside_a_quoted_field() -> None:
    raw = f'{HEADER}\n{GOOD}\n,2019-01,Derbyshire Constabulary,Derbyshire Constabulary,-1.4,53.0,"On or near'
    parsed = read(raw)
    assert parsed.rows.height == 1 and parsed.read == 2
    assert parsed.rejects[0].line == 3


def test_row_with_extra_fields_is_rejected() -> None:
    parsed = read(f"{HEADER}\n{GOOD},extra\n{CRIME}\n")
    (r,) = parsed.rejects
    assert r.line == 2 and "13 fields" in r.reason
    assert parsed.rows.height == 1


def test_quoted_line_break_keeps_line_numbers_right() -> None:
    quoted = GOOD.replace("On or near Mansfield Road", '"On or near\nMansfield Road"')
    bad = GOOD.replace("2019-01", "2019-99")
    parsed = read(f"{HEADER}\n{quoted}\n{bad}\n")
    assert parsed.rows["line"].to_list() == [2]
    assert parsed.rows["location"][0] == "On or near\nMansfield Road"
    assert parsed.rejects[0].line == 4  # the quoted row took lines 2 and 3


def test_crlf_line_endings_and_bom() -> None:
    raw = ("\ufeff" + HEADER + "\r\n" + GOOD + "\r\n" + CRIME + "\r\n").encode()
    parsed = read(raw)
    assert parsed.rejects == [] and parsed.rows.height == 2
    assert parsed.rows["context"].to_list() == [None, None]
    assert parsed.rows["crime_id"].to_list() == [None, "abc123"]
