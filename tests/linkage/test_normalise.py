"""Normalisers: UK phones, postcodes, names and nicknames, dates of birth, email, address."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from asbhub.linkage.normalise import (
    MODEL_COLUMNS,
    canonical_first_name,
    is_valid_uk_postcode,
    nickname_table,
    normalise_address,
    normalise_date_of_birth,
    normalise_email,
    normalise_first_name,
    normalise_people,
    normalise_phone,
    normalise_postcode,
    normalise_surname,
    resolve_columns,
)

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("07700900123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("447700900123", "+447700900123"),
        ("7700900123", "+447700900123"),  # leading zero lost in a spreadsheet
        ("(01632) 960123", "+441632960123"),
        ("01632-960123", "+441632960123"),
        ("020 7946 0123", "+442079460123"),
        ("07700 900123 ext. 12", "+447700900123"),
        ("+1 212 555 0100", "+12125550100"),
        ("0033 1 23 45 67 89", "+33123456789"),
        ("999", None),
        ("101", None),
        ("00000 000000", None),
        ("07777777777", "+447777777777"),  # a run after the leading 0 is a real shape
        ("n/a", None),
        ("", None),
        (None, None),
    ],
)
def test_phone(raw: str | None, expected: str | None) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("de11aa", "DE1 1AA"),
        ("DE1 1AA", "DE1 1AA"),
        (" sk17  6aa ", "SK17 6AA"),
        ("S K 1 7 6 A A", "SK17 6AA"),
        ("ec1a1bb", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("de1 oaa", "DE1 0AA"),  # letter O typed for the digit 0 of the inward code
        ("GIR 0AA", "GIR 0AA"),
        ("2119", "2119"),  # not a UK postcode: kept, cleaned, for exact comparison
        ("", None),
        (None, None),
    ],
)
def test_postcode(raw: str | None, expected: str | None) -> None:
    assert normalise_postcode(raw) == expected


def test_postcode_validation() -> None:
    assert is_valid_uk_postcode("de1 1aa") is True
    assert is_valid_uk_postcode("2119") is False
    assert is_valid_uk_postcode("QQ1 1AA") is False  # Q never starts a UK postcode
    assert normalise_postcode("2119", invalid="null") is None
    with pytest.raises(ValueError, match="invalid"):
        normalise_postcode("DE1 1AA", invalid="drop")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03/04/1985", "1985-04-03"),  # UK order
        ("3/4/1985", "1985-04-03"),
        ("1985-04-03", "1985-04-03"),
        ("1985-04-03T00:00:00", "1985-04-03"),
        ("1985-04-03 12:30:00", "1985-04-03"),
        ("19850403", "1985-04-03"),
        ("03041985", "1985-04-03"),
        ("03.04.1985", "1985-04-03"),
        ("03-04-1985", "1985-04-03"),
        ("3 Apr 1985", "1985-04-03"),
        ("3rd April 1985", "1985-04-03"),
        ("April 3, 1985", "1985-04-03"),
        ("03-Apr-85", "1985-04-03"),
        ("3/4/85", "1985-04-03"),
        ("3/4/25", "2025-04-03"),  # a two-digit year is this century unless in the future
        ("3/4/30", "1930-04-03"),
        ("12/25/1985", "1985-12-25"),  # month first only when day first is impossible
        ("31/02/1985", None),
        ("01/01/1900", None),  # placeholder
        ("2090-01-01", None),  # after today
        ("1850-05-05", None),  # before 1900
        ("unknown", None),
        (None, None),
    ],
)
def test_date_of_birth(raw: str | None, expected: str | None) -> None:
    assert normalise_date_of_birth(raw, today=TODAY) == expected


def test_names() -> None:
    assert normalise_first_name(
        ["  Dr. Zoë-Anne ", "MR JOHN", "Mary Ann", "unknown", "Seán", "D'Arcy", "", None]
    ).to_list() == ["zoe", "john", "mary", None, "sean", "darcy", None, None]
    assert normalise_surname(
        ["O'Brien-Smith Jnr", "de la Cruz", "SMITH", "n/a", "McDonald"]
    ).to_list() == ["obriensmith", "delacruz", "smith", None, "mcdonald"]


def test_nicknames() -> None:
    assert canonical_first_name(
        ["Bob", "bobby", "Liz", "Kate", "Mohammed", "Steven", "Zachary", "Xanthe"]
    ).to_list() == [
        "robert",
        "robert",
        "elizabeth",
        "catherine",
        "muhammad",
        "stephen",
        "zachary",
        "xanthe",
    ]
    table = nickname_table()
    assert len(table) > 300
    # One step to the canonical name: no chains, so lookup order does not matter.
    assert not {c for c in table.values() if table.get(c, c) != c}
    assert all(v == v.lower().strip() and v.isascii() for v in table)


def test_email_and_address() -> None:
    assert normalise_email(
        [
            " Jo.Bloggs@Example.COM ",
            "mailto:a.b@example.org",
            "none@none.com",
            "xxx@example.com",
            "bad",
            "a@b",
        ]
    ).to_list() == ["jo.bloggs@example.com", "a.b@example.org", None, None, None, None]
    assert normalise_address(
        ["Flat 2, 12 Acacia Avenue, Derby DE1 1AA", "12 St. John's Rd", "12 Saint Johns Road", "  "]
    ).to_list() == ["flat 2 12 acacia ave derby", "12 st johns rd", "12 st johns rd", None]


def test_scalar_list_and_series_shapes() -> None:
    assert normalise_phone("07700 900123") == "+447700900123"
    out = normalise_phone(pl.Series("tel", ["07700 900123"]))
    assert isinstance(out, pl.Series) and out.name == "tel"
    assert normalise_phone(["07700 900123"]).to_list() == ["+447700900123"]


def test_normalise_people_columns_and_swaps() -> None:
    raw = pl.DataFrame(
        {
            "Forename": ["Bob", "Smith"],
            "Surname": ["Smith", "Robert"],
            "DOB": ["01/02/1980", "1980-02-01"],
            "House": ["12", "12"],
            "Street": ["Acacia Avenue", "Acacia Av"],
        }
    )
    out = normalise_people(
        raw,
        columns={
            "first_name": "Forename",
            "surname": "Surname",
            "date_of_birth": "DOB",
            "address": ["House", "Street"],
        },
    )
    assert out.columns == list(MODEL_COLUMNS)
    assert out["first_name_canonical"].to_list() == ["robert", "smith"]
    # The order-free name key survives a swap of first name and surname.
    assert out["name_key"][0] == out["name_key"][1] == "robert smith"
    assert out["date_of_birth"].to_list() == ["1980-02-01", "1980-02-01"]
    assert out["address"].to_list() == ["12 acacia ave", "12 acacia ave"]
    assert out["address_numbers"].to_list() == ["12", "12"]
    assert out["phone"].null_count() == 2  # absent fields are all-null columns


def test_full_name_is_split_when_no_name_columns() -> None:
    raw = pl.DataFrame({"full_name": ["Smith, John", "Mary Ann Jones", "Cher"]})
    out = normalise_people(raw)
    assert out["first_name"].to_list() == ["john", "mary", "cher"]
    assert out["surname"].to_list() == ["smith", "jones", None]


def test_resolve_columns_errors_say_what_is_wrong() -> None:
    assert resolve_columns([" First_Name ", "SURNAME"]) == {
        "first_name": [" First_Name "],
        "surname": ["SURNAME"],
    }
    with pytest.raises(KeyError, match="not a standard column"):
        resolve_columns(["a"], {"forename": "a"})
    with pytest.raises(KeyError, match="no column 'b'"):
        resolve_columns(["a"], {"first_name": "b"})


def test_distinct_values_are_normalised_once_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """normalise_people normalises each distinct value once and joins the result back: the
    output must equal normalising every row, in order, nulls included."""
    from asbhub.linkage import normalise as module
    from asbhub.synth import generate_people

    people = generate_people(3000, seed=11)
    # Repeats (and nulls) in every column, in a shuffled order, so the join must keep order.
    frame = pl.concat([people, people.head(1000)]).sample(fraction=1.0, shuffle=True, seed=3)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0)
        .then(None)
        .otherwise(pl.col("date_of_birth"))
        .alias("date_of_birth")
    )
    once = normalise_people(frame, today=TODAY)
    monkeypatch.setattr(module, "_DISTINCT_SHARE", -1.0)  # every row on its own
    row_by_row = normalise_people(frame, today=TODAY)
    assert once.equals(row_by_row)
    # And against the one-value normalisers, for a few rows picked at random.
    for i in (0, 17, 1234, 3999):
        raw = frame.row(i, named=True)
        assert once["date_of_birth"][i] == normalise_date_of_birth(
            raw["date_of_birth"], today=TODAY
        )
        assert once["postcode"][i] == normalise_postcode(raw["postcode"])
        assert once["surname"][i] == normalise_surname(raw["surname"])
