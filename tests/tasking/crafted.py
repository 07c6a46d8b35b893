"""Hand-made force export rows with synthetic (invented) people on real data.police.uk points,
for tests that need to know exactly what each person did and when.

:func:`incident` describes one row; :func:`load` writes the rows as the documented force
export CSV and loads them through the normal ingest path (``asbhub ingest``'s), failing the
test if any row is rejected.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from asbhub.ingest.inputs import expand_inputs
from asbhub.store.db import Store
from asbhub.store.loaders import ingest
from asbhub.synth.incidents import EXPORT_COLUMNS, PERSON_FIELDS, sample_locations
from asbhub.synth.incidents import write_force_export_csv as _write

LOCAL = ZoneInfo("Europe/London")
FORCE = "Synthetic Test Constabulary"
_CATEGORY = {"N": "Nuisance", "P": "Personal", "E": "Environmental"}


@cache
def places(lpu: str) -> list[dict[str, Any]]:
    """Real points of the bundled sample in ``lpu``, in a fixed order."""
    frame = (
        sample_locations()
        .filter(pl.col("lpu") == lpu)
        .sort("latitude", "longitude", "location_text")
    )
    return list(frame.iter_rows(named=True))


def person(
    role: str, name: str, dob: str = "", postcode: str = "", address: str = ""
) -> dict[str, str]:
    """A synthetic person of an incident."""
    return {
        "role": role,
        "name": name,
        "date_of_birth": dob,
        "phone": "",
        "email": "",
        "address": address,
        "postcode": postcode,
    }


def incident(
    ref: str,
    occurred: dt.datetime,
    *,
    record_type: str = "asb",
    reported: dt.datetime | None = None,
    lpu: str = "Erewash",
    place: int = 0,
    people: list[dict[str, str]] | None = None,
    category: str = "N",
    crime_type: str | None = None,
    risk: str | None = None,
    force: str = FORCE,
) -> dict[str, Any]:
    """One export row; naive times are UK local time."""

    def aware(t: dt.datetime | None) -> dt.datetime | None:
        return None if t is None else (t if t.tzinfo else t.replace(tzinfo=LOCAL))

    where = places(lpu)[place]
    asb = record_type != "crime"
    return {
        "incident_reference": ref,
        "force": force,
        "record_type": record_type,
        "crime_type": None if asb else (crime_type or "Criminal damage and arson"),
        "asb_category": _CATEGORY[category] if asb else None,
        "closure_code": None,
        "covid": None,
        "occurred_from": aware(occurred),
        "occurred_to": None,
        "reported_at": aware(reported or occurred + dt.timedelta(minutes=20)),
        "latitude": where["latitude"],
        "longitude": where["longitude"],
        "easting": None,
        "northing": None,
        "location_text": where["location_text"],
        "lsoa_code": where["lsoa_code"],
        "lpu": where["lpu"],
        "snt": where["snt"],
        "thrive_threat": None,
        "thrive_harm": None,
        "thrive_risk": risk,
        "thrive_investigation": None,
        "thrive_vulnerability": None,
        "thrive_engagement": None,
        "public_report": False,
        "people": people or [],
    }


def export_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """The rows as :func:`asbhub.synth.incidents.generate_force_export` returns an export."""
    when = pl.Datetime("us", "Europe/London")
    schema: dict[str, Any] = {c: pl.String for c in EXPORT_COLUMNS}
    schema.update(
        {
            "occurred_from": when,
            "occurred_to": when,
            "reported_at": when,
            "latitude": pl.Float64,
            "longitude": pl.Float64,
            "easting": pl.Float64,
            "northing": pl.Float64,
            "covid": pl.Boolean,
            "public_report": pl.Boolean,
            "people": pl.List(pl.Struct({f: pl.String for f in PERSON_FIELDS})),
        }
    )
    return pl.DataFrame(rows, schema=schema)


def load(
    store: Store, rows: list[dict[str, Any]], folder: Path, name: str = "crafted.csv"
) -> pl.DataFrame:
    """Write ``rows`` as a force export CSV in ``folder`` and load it: zero rejects."""
    frame = export_frame(rows)
    path = _write(frame, folder / name)
    result = ingest(store, expand_inputs([path]))
    totals = result.totals()
    assert totals["rejected"] == 0, [r.as_row() for r in result.rejects][:5]
    assert totals["read"] == len(rows)
    return frame


def case_review_rows() -> list[dict[str, Any]]:
    """People around the ASB Case Review threshold for a briefing on Monday 15 March 2021
    (checked as of 14 March; the previous briefing's check was as of 11 March).

    Met under the default rule: Alice (victim, three complaints, met by 11 March) and Dan
    (caller, third complaint on 13 March). Not met: Bob (one complaint reported 40 days late),
    Carol (one complaint too old), Erin (the third is a crime), Fay (a suspect). Gus (High
    Peak) has two: met only under a two-complaint rule. Hana, Ivan and Jo complain once each
    about the same Amber Valley place, Kim three times about another: a rule counting people
    flags the first place, the default rule flags Kim. One high risk incident on 13 March.
    """

    def at(day: str, hour: int = 18) -> dt.datetime:
        return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00")

    def complaints(
        who: dict[str, str],
        days: list[str],
        prefix: str,
        lpu: str = "Erewash",
        place: int = 0,
        late: dict[int, int] | None = None,
        record_type: str = "asb",
    ) -> list[dict]:
        out = []
        for k, day in enumerate(days):
            happened = at(day)
            reported = happened + dt.timedelta(days=(late or {}).get(k, 0), minutes=30)
            out.append(
                incident(
                    f"{prefix}-{k}",
                    happened,
                    reported=reported,
                    lpu=lpu,
                    place=place,
                    record_type=record_type,
                    people=[who],
                )
            )
        return out

    alice = person("victim", "Alice Threshold", "1970-01-01")
    bob = person("caller", "Bob Latereport", "1971-02-02")
    carol = person("victim", "Carol Oldcase", "1972-03-03")
    dan = person("caller", "Dan Newflag", "1973-04-04")
    erin = person("victim", "Erin Crimevictim", "1974-05-05")
    fay = person("suspect", "Fay Suspect", "1975-06-06")
    gus = person("victim", "Gus Arearule", "1976-07-07")
    rows = (
        complaints(alice, ["2020-10-01", "2020-12-01", "2021-03-01"], "A")
        + complaints(bob, ["2020-11-01", "2020-12-01", "2021-01-05"], "B", late={2: 40})
        + complaints(carol, ["2020-08-01", "2020-12-01", "2021-02-01"], "C")
        + complaints(dan, ["2021-01-10", "2021-02-10", "2021-03-13"], "D")
        + complaints(erin, ["2021-01-10", "2021-02-10"], "E")
        + complaints(erin, ["2021-03-01"], "E2", record_type="crime")
        + complaints(fay, ["2021-01-10", "2021-02-10", "2021-03-01"], "F")
        + complaints(gus, ["2021-02-01", "2021-03-01"], "G", lpu="High Peak")
    )
    # Amber Valley counts people about one place: three people at place 0 meet it; one
    # person complaining three times at place 1 does not.
    for k, name in enumerate(("Hana Neighbour", "Ivan Neighbour", "Jo Neighbour")):
        rows += complaints(
            person("caller", name, f"198{k}-01-01"),
            [f"2021-02-0{k + 1}"],
            f"H{k}",
            lpu="Amber Valley",
            place=0,
        )
    rows += complaints(
        person("victim", "Kim Alone", "1985-05-05"),
        ["2021-01-05", "2021-02-05", "2021-03-05"],
        "K",
        lpu="Amber Valley",
        place=1,
    )
    rows.append(
        incident(
            "R-1",
            dt.datetime(2021, 3, 13, 22),
            risk="high",
            people=[person("victim", "Rita Highrisk", "1990-09-09")],
        )
    )
    return rows


def repeat_rows() -> list[dict[str, Any]]:
    """Repeat perpetrators and victims' repeat addresses around a briefing on Monday 15 March
    2021 (window to 14 March; the previous briefing's to 11 March), all in High Peak.

    Perpetrators (suspects, three in 12 months): Pat (third on 13 March: new), Quinn (four,
    three by 11 March: rising), Ros (three by January: a repeat, neither new nor rising). Not
    repeats: Sam (two), Tess (one of three is over 12 months old), Uma (three records of
    contact). Addresses (the victim's home, or the ASB caller's): 12 Station Road DE7 5AA
    written three ways by two victims (third on 13 March: new), 3 Mill Lane DE7 6BB (four,
    three by 11 March: rising), 8 Elm Street with no postcode (an ASB caller, three: new). Not
    repeats: 3 Mill Lane with another postcode (two), a witness's address and a crime
    caller's address (their roles do not count).
    """

    def at(day: str) -> dt.datetime:
        return dt.datetime.fromisoformat(f"{day}T19:00")

    def each(
        who: dict[str, str], days: list[str], prefix: str, record_type: str = "asb", place: int = 0
    ) -> list[dict[str, Any]]:
        return [
            incident(
                f"{prefix}-{k}",
                at(day),
                record_type=record_type,
                lpu="High Peak",
                place=place,
                people=[who],
            )
            for k, day in enumerate(days)
        ]

    def home(role: str, name: str, dob: str, address: str, postcode: str = "") -> dict[str, str]:
        return person(role, name, dob, postcode, address)

    rows = (
        each(
            person("suspect", "Pat Persistent", "1980-02-02"),
            ["2021-01-05", "2021-02-05", "2021-03-13"],
            "P",
        )
        + each(
            person("suspect", "Quinn Rising", "1981-03-03"),
            ["2020-06-01", "2020-09-01", "2020-12-01", "2021-03-12"],
            "Q",
            "crime",
        )
        + each(
            person("suspect", "Ros Steady", "1982-04-04"),
            ["2020-11-01", "2020-12-01", "2021-01-01"],
            "S",
        )
        + each(person("suspect", "Sam Twice", "1983-05-05"), ["2021-02-01", "2021-03-13"], "T")
        + each(
            person("suspect", "Tess Old", "1984-06-06"),
            ["2020-03-01", "2021-01-01", "2021-03-13"],
            "U",
        )
        + each(
            person("suspect", "Uma Contact", "1985-07-07"),
            ["2021-02-01", "2021-02-15", "2021-03-13"],
            "W",
            "roc",
        )
    )
    rows += each(
        home("victim", "Vera Home", "1990-01-01", "12 Station Road", "DE7 5AA"),
        ["2021-01-10"],
        "V",
        "crime",
        1,
    )
    rows += each(
        home("victim", "Vera Home", "1990-01-01", "12 station rd.", "DE7 5AA"),
        ["2021-02-10"],
        "V2",
        "crime",
        2,
    )
    rows += each(
        home("victim", "Walt Home", "1991-02-02", "12 Station Rd", "de7 5aa"),
        ["2021-03-13"],
        "V3",
        "crime",
        3,
    )
    rows += each(
        home("victim", "Xena Mill", "1992-03-03", "3 Mill Lane", "DE7 6BB"),
        ["2020-10-01", "2020-11-01", "2020-12-01", "2021-03-12"],
        "X",
        "crime",
        4,
    )
    rows += each(
        home("victim", "Yves Mill", "1993-04-04", "3 Mill Lane", "DE56 1CC"),
        ["2021-01-01", "2021-02-01"],
        "Y",
        "crime",
        5,
    )
    rows += each(
        home("caller", "Zoe Elm", "1994-05-05", "8 Elm Street"),
        ["2021-01-02", "2021-02-02", "2021-03-13"],
        "Z",
        "asb",
        6,
    )
    rows += each(
        home("witness", "Wyn Watch", "1995-06-06", "1 Oak Close", "DE7 7CC"),
        ["2021-01-03", "2021-02-03", "2021-03-13"],
        "O",
        "asb",
        7,
    )
    rows += each(
        home("caller", "Cal Crime", "1996-07-07", "2 Ash Way", "DE7 8DD"),
        ["2021-01-04", "2021-02-04", "2021-03-13"],
        "C",
        "crime",
        8,
    )
    return rows
