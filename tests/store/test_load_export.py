"""Loading force exports: identity by reference, updates, people, LSOA by point, counts.

Each test runs on a SQLite file and, marked ``postgres``, on a fresh PostgreSQL database (the
``store_url`` fixture in tests/conftest.py). Every person here is synthetic.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from asbhub.ingest.inputs import expand_inputs
from asbhub.store.db import Store, open_store
from asbhub.store.loaders import DEFAULT_FORCE, FileResult, ingest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CSV = ROOT / "docs" / "examples" / "force-export-sample.csv"
SAMPLE_JSONL = ROOT / "docs" / "examples" / "force-export-sample.jsonl"

HEADER = (
    "incident_reference,force,record_type,crime_type,asb_category,closure_code,covid,"
    "occurred_from,reported_at,latitude,longitude,easting,northing,location_text,"
    "lsoa_code,person1_role,person1_name,person1_phone,person2_role,person2_name"
)


@pytest.fixture
def store(store_url: str):
    s = open_store(store_url)
    yield s
    s.close()


def models():
    from asbhub.records.incidents.models import Incident, Location, Person, Source

    return Incident, Location, Person, Source


def load(store: Store, path: Path, strict: bool = False) -> FileResult:
    [result] = ingest(store, list(expand_inputs([path])), strict=strict).files
    assert result.accounted, result
    return result


def counts(r: FileResult) -> tuple[int, int, int, int, int]:
    return r.read, r.stored, r.already_stored, r.rejected, r.updated


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def people_of(store: Store, reference: str) -> list[tuple[str, str]]:
    _, _, Person, _ = models()
    qs = Person.objects.using(store.alias).filter(incident__reference=reference).order_by("id")
    return list(qs.values_list("role", "name"))


def test_sample_is_stored(store: Store) -> None:
    Incident, Location, Person, Source = models()
    r = load(store, SAMPLE_CSV)
    assert counts(r) == (6, 6, 0, 0, 0) and r.error is None
    assert r.by_crime_type == {"Anti-social behaviour": 5, "Criminal damage and arson": 1}

    inc = {i.reference: i for i in Incident.objects.using(store.alias).select_related("location")}
    assert sorted(inc) == [f"DBY-21-00010{i}" for i in range(1, 7)]
    first = inc["DBY-21-000101"]
    assert (
        first.record_type,
        first.month,
        first.crime_type,
        first.asb_category,
        first.closure_code,
        first.covid,
        first.public_report,
    ) == ("asb", "2021-01", "Anti-social behaviour", "N", "ASN", True, False)
    assert first.occurred_from == datetime(2021, 1, 9, 21, 40, tzinfo=UTC)
    assert first.occurred_to == datetime(2021, 1, 9, 22, 15, tzinfo=UTC)
    assert first.reported_at == datetime(2021, 1, 9, 21, 52, tzinfo=UTC)
    assert (first.lpu, first.snt, first.thrive_engagement, first.thrive_threat) == (
        "Derby West",
        "SW03",
        "medium",
        "low",
    )
    assert (first.reported_by, first.line, first.crime_id) == ("Derbyshire Constabulary", 2, None)
    assert len(first.row_hash) == 64
    assert inc["DBY-21-000102"].occurred_from is None
    assert inc["DBY-21-000103"].covid is None

    # LSOAs: given, found by point-in-polygon, none (no point), outside every LSOA.
    places = {
        ref: (i.location.lsoa_code, i.location.lsoa_derived, i.location.outside_area)
        for ref, i in inc.items()
    }
    assert places == {
        "DBY-21-000101": ("E01013453", False, False),
        "DBY-21-000102": ("E01019626", True, False),  # Matlock, grid only
        "DBY-21-000103": ("E01033387", True, False),  # Chesterfield
        "DBY-21-000104": ("E01019717", True, False),  # Buxton
        "DBY-21-000105": ("E01019661", False, False),  # LSOA and text, no point
        "DBY-21-000106": (None, False, True),  # Sheffield: kept and flagged
    }
    matlock = inc["DBY-21-000102"].location
    assert (matlock.easting, matlock.northing) == (
        pytest.approx(429800, abs=0.5),
        pytest.approx(360186, abs=0.5),
    )
    assert inc["DBY-21-000105"].location.description == "Station Road, Ilkeston"
    assert inc["DBY-21-000105"].location.longitude is None

    assert Person.objects.using(store.alias).count() == 8
    assert people_of(store, "DBY-21-000102") == [
        ("caller", "Bob Specimen"),
        ("victim", "Carol Specimen"),
    ]
    carol = Person.objects.using(store.alias).get(name="Carol Specimen")
    assert (carol.date_of_birth, carol.postcode, carol.phone, carol.email) == (
        date(1948, 11, 2),
        "DE4 9ZZ",
        "",
        "",
    )
    assert people_of(store, "DBY-21-000104") == []

    [src] = Source.objects.using(store.alias).all()
    assert (src.kind, src.force, src.month, src.rows, src.file) == (
        "force_export",
        "Derbyshire Constabulary",
        "",
        6,
        str(SAMPLE_CSV),
    )
    assert {i.source_id for i in inc.values()} == {src.id}


def test_datetimes_match_orm_lookups(store: Store) -> None:
    Incident, *_ = models()
    load(store, SAMPLE_JSONL)
    qs = Incident.objects.using(store.alias)
    assert (
        qs.get(occurred_from=datetime(2021, 6, 18, 23, 30, tzinfo=UTC)).reference == "DBY-21-000103"
    )
    summer = qs.filter(
        reported_at__gte=datetime(2021, 6, 1, tzinfo=UTC),
        reported_at__lt=datetime(2021, 9, 1, tzinfo=UTC),
    )
    assert sorted(summer.values_list("reference", flat=True)) == ["DBY-21-000103", "DBY-21-000104"]


def test_reload_stores_nothing(store: Store) -> None:
    Incident, Location, Person, Source = models()
    load(store, SAMPLE_CSV)
    before = (
        Incident.objects.using(store.alias).count(),
        Location.objects.using(store.alias).count(),
        Person.objects.using(store.alias).count(),
    )
    assert counts(load(store, SAMPLE_CSV)) == (6, 0, 6, 0, 0)
    # The same incidents as JSON Lines are the same content.
    assert counts(load(store, SAMPLE_JSONL)) == (6, 0, 6, 0, 0)
    after = (
        Incident.objects.using(store.alias).count(),
        Location.objects.using(store.alias).count(),
        Person.objects.using(store.alias).count(),
    )
    assert before == after == (6, 6, 8)
    assert Source.objects.using(store.alias).get().file == str(SAMPLE_CSV)


def test_changed_row_updates_in_place_and_replaces_people(store: Store, tmp_path: Path) -> None:
    Incident, _, Person, Source = models()
    load(store, SAMPLE_JSONL)
    old = Incident.objects.using(store.alias).get(reference="DBY-21-000101")
    lines = SAMPLE_JSONL.read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[0])
    changed.update(
        covid=False,
        thrive_risk="high",
        people=[
            {"role": "victim", "name": "Ivy Fabricated", "phone": "01632 960010"},
            {"role": "witness", "name": "Jack Pretend"},
        ],
    )
    new = {
        "incident_reference": "DBY-21-000107",
        "record_type": "asb",
        "asb_category": "E",
        "reported_at": "2022-01-05T09:00",
        "force": "Derbyshire Constabulary",
        "people": [{"role": "caller", "name": "Kim Imaginary"}],
    }
    path = write(tmp_path, "week2.jsonl", [lines[1], json.dumps(changed), json.dumps(new)])

    r = load(store, path)
    assert counts(r) == (3, 2, 1, 0, 1)
    upd = Incident.objects.using(store.alias).get(reference="DBY-21-000101")
    assert upd.id == old.id
    assert (upd.covid, upd.thrive_risk, upd.line) == (False, "high", 2)
    assert upd.row_hash != old.row_hash
    assert upd.occurred_from == old.occurred_from and upd.location_id == old.location_id
    assert people_of(store, "DBY-21-000101") == [
        ("victim", "Ivy Fabricated"),
        ("witness", "Jack Pretend"),
    ]
    assert not Person.objects.using(store.alias).filter(name="Alice Example").exists()
    assert people_of(store, "DBY-21-000107") == [("caller", "Kim Imaginary")]
    assert Person.objects.using(store.alias).count() == 8 - 1 + 2 + 1
    assert Incident.objects.using(store.alias).count() == 7
    src = Source.objects.using(store.alias).get()
    assert (src.rows, src.file) == (7, str(path))

    # Loading the first file again puts the first version back: an update, nothing new.
    assert counts(load(store, SAMPLE_JSONL)) == (6, 1, 5, 0, 1)
    assert people_of(store, "DBY-21-000101") == [("caller", "Alice Example")]
    assert Incident.objects.using(store.alias).get(reference="DBY-21-000101").covid is True


def test_counts_add_up_with_rejects(store: Store, tmp_path: Path) -> None:
    Incident, *_ = models()
    path = write(
        tmp_path,
        "mixed.csv",
        [
            HEADER,
            "R1,,asb,,Nuisance,,,2021-03-01T10:00,,,,,,,,caller,Alice Example,01632 960001,,",
            "R2,,asb,,Loud,,,2021-03-01T10:00,,,,,,,,,,,,",
            "R3,,crime,Burglary,,,,2021-03-02T10:00,,52.92017,-1.49699,,,,,victim,Bob Specimen,,,",
            "R1,,asb,,Nuisance,,,2021-03-01T11:00,,,,,,,,,,,,",
            "R4,,roc,,,ASE,yes,,2021-03-03T10:00,,,429800,360186,,,caller,Carol Specimen,x,,",
            "R5,,roc,,,ASE,yes,,2021-03-03T10:00,,,429800,360186,,,,,,,",
        ],
    )
    r = load(store, path)
    assert counts(r) == (6, 3, 0, 3, 0)
    assert [(x.line, x.field) for x in r.rejects] == [
        (3, "asb_category"),
        (5, "incident_reference"),
        (6, "person1_phone"),
    ]
    assert sorted(Incident.objects.using(store.alias).values_list("reference", flat=True)) == [
        "R1",
        "R3",
        "R5",
    ]
    assert counts(load(store, path)) == (6, 0, 3, 3, 0)


def test_strict_stores_nothing_from_a_file_with_a_reject(store: Store, tmp_path: Path) -> None:
    Incident, _, Person, Source = models()
    path = write(
        tmp_path,
        "strict.csv",
        [
            HEADER,
            "R1,,asb,,Nuisance,,,2021-03-01T10:00,,,,,,,,caller,Alice Example,,,",
            "R2,,asb,,Nuisance,,maybe,2021-03-01T10:00,,,,,,,,,,,,",
        ],
    )
    r = load(store, path, strict=True)
    assert counts(r) == (2, 0, 0, 2, 0)
    assert r.error and "--strict" in r.error
    assert Incident.objects.using(store.alias).count() == 0
    assert Person.objects.using(store.alias).count() == 0
    assert Source.objects.using(store.alias).count() == 0
    assert counts(load(store, SAMPLE_CSV, strict=True)) == (6, 6, 0, 0, 0)


def test_strict_counts_no_update_when_rolled_back(store: Store, tmp_path: Path) -> None:
    Incident, *_ = models()
    load(store, SAMPLE_JSONL)
    lines = SAMPLE_JSONL.read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[0]) | {"covid": False}
    bad = json.loads(lines[1]) | {"incident_reference": "NEW-1", "covid": "maybe"}
    path = write(tmp_path, "strict.jsonl", [json.dumps(changed), json.dumps(bad)])
    r = load(store, path, strict=True)
    assert counts(r) == (2, 0, 0, 2, 0)
    assert Incident.objects.using(store.alias).get(reference="DBY-21-000101").covid is True


def test_wrong_file_is_one_failure(store: Store, tmp_path: Path) -> None:
    Incident, *_ = models()
    path = write(
        tmp_path,
        "wrong.csv",
        ["incident_reference,asb_category,lpu", "R1,Nuisance,Derby West", "R2,Personal,Erewash"],
    )
    r = load(store, path)
    assert counts(r) == (2, 0, 0, 2, 0)
    assert "missing required column(s): record_type, occurred_from, reported_at" in r.error
    assert Incident.objects.using(store.alias).count() == 0


def test_point_in_polygon(store: Store, tmp_path: Path) -> None:
    Incident, *_ = models()
    path = write(
        tmp_path,
        "points.csv",
        [
            HEADER,
            # Derby by latitude/longitude, Bakewell by the grid, both without an LSOA.
            "P1,,asb,,N,,,2021-03-01T10:00,,52.92017,-1.49699,,,,,,,,,",
            "P2,,asb,,N,,,2021-03-01T10:00,,,,421734,368598,,,,,,,",
            # Nottingham: outside Derbyshire's LSOAs; kept, flagged.
            "P3,,asb,,N,,,2021-03-01T10:00,,52.9548,-1.1505,,,,,,,,,",
            # An LSOA given is kept as given, even where the point says otherwise.
            "P4,,asb,,N,,,2021-03-01T10:00,,52.9548,-1.1505,,,,E01013453,,,,,",
            # No point: nothing to locate, nothing to flag.
            "P5,,asb,,N,,,2021-03-01T10:00,,,,,,Market Place,,,,,,",
            "P6,,asb,,N,,,2021-03-01T10:00,,,,,,,,,,,,",
        ],
    )
    assert counts(load(store, path)) == (6, 6, 0, 0, 0)
    got = {}
    for i in Incident.objects.using(store.alias).select_related("location"):
        loc = i.location
        got[i.reference] = (
            None if loc is None else (loc.lsoa_code, loc.lsoa_derived, loc.outside_area)
        )
    assert got == {
        "P1": ("E01013453", True, False),
        "P2": ("E01019600", True, False),
        "P3": (None, False, True),
        "P4": ("E01013453", False, False),
        "P5": (None, False, False),
        "P6": None,
    }


def test_export_without_force_column(store: Store, tmp_path: Path) -> None:
    Incident, _, _, Source = models()
    path = write(
        tmp_path,
        "noforce.csv",
        [
            "incident_reference,record_type,asb_category,occurred_from,reported_at",
            "N1,asb,Nuisance,2021-03-01T10:00,",
        ],
    )
    assert counts(load(store, path)) == (1, 1, 0, 0, 0)
    src = Source.objects.using(store.alias).get()
    assert (src.kind, src.force, src.month, src.rows) == ("force_export", DEFAULT_FORCE, "", 1)
    assert Incident.objects.using(store.alias).get().reported_by == DEFAULT_FORCE


def test_reference_moving_to_another_force_recounts_both(store: Store, tmp_path: Path) -> None:
    Incident, _, _, Source = models()
    load(store, SAMPLE_CSV)
    lines = SAMPLE_CSV.read_text(encoding="utf-8").splitlines()
    moved = lines[1].replace("Derbyshire Constabulary", "Nottinghamshire Police")
    path = write(tmp_path, "moved.csv", [lines[0], moved])
    assert counts(load(store, path)) == (1, 1, 0, 0, 1)
    rows = dict(Source.objects.using(store.alias).values_list("force", "rows"))
    assert rows == {"Derbyshire Constabulary": 5, "Nottinghamshire Police": 1}
    inc = Incident.objects.using(store.alias).get(reference="DBY-21-000101")
    assert (inc.source.force, inc.reported_by) == (
        "Nottinghamshire Police",
        "Nottinghamshire Police",
    )


def test_many_rows_in_chunks(store: Store, tmp_path: Path) -> None:
    # More rows than one statement's parameter limit, so every chunked path runs.
    Incident, Location, Person, Source = models()
    n = 2_100

    def export(version: int) -> list[str]:
        out = [HEADER]
        for i in range(n):
            covid = "yes" if version == 2 and i % 2 else "no"
            out.append(
                f"M{i:05d},,asb,,Nuisance,,{covid},2021-03-01T10:{i % 60:02d},,,,"
                f"{430000 + i},{336000 + i},,,caller,Caller {i} Example,"
                f"01632 960{i % 1000:03d},victim,Victim {i} Example"
            )
        return out

    first = write(tmp_path, "one.csv", export(1))
    assert counts(load(store, first)) == (n, n, 0, 0, 0)
    assert Person.objects.using(store.alias).count() == 2 * n
    second = write(tmp_path, "two.csv", export(2))
    assert counts(load(store, second)) == (n, n // 2, n - n // 2, 0, n // 2)
    assert Incident.objects.using(store.alias).filter(covid=True).count() == n // 2
    assert Person.objects.using(store.alias).count() == 2 * n
    assert (
        Incident.objects.using(store.alias).filter(location__lsoa_derived=True).count()
        + Incident.objects.using(store.alias).filter(location__outside_area=True).count()
        == n
    )
    assert Source.objects.using(store.alias).get().rows == n


def test_zip_of_exports(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(SAMPLE_CSV, folder / "a.csv")
    shutil.copy(SAMPLE_JSONL, folder / "b.jsonl")
    archive = shutil.make_archive(str(tmp_path / "exports"), "zip", folder)
    result = ingest(store, list(expand_inputs([Path(archive)])))
    assert [counts(f) for f in result.files] == [(6, 6, 0, 0, 0), (6, 0, 6, 0, 0)]
    assert result.totals()["updated"] == 0 and result.ok


def test_reload_keeps_people_that_cases_point_at(store: Store, tmp_path: Path) -> None:
    """A corrected row keeps its people's ids (a PMP links the victim), updates their details,
    and drops a person the source no longer has."""
    from django.utils import timezone

    from asbhub.records.cases.models import Pmp, PmpPerson, ProblemType
    from asbhub.records.partners.models import Agency

    _, _, Person, _ = models()
    first = write(
        tmp_path,
        "v1.csv",
        [
            HEADER,
            "R1,,asb,,Nuisance,,,2021-03-01T10:00,,,,,,,,victim,Dana Madeup,01632 960100,"
            "witness,Eli Notreal",
        ],
    )
    assert counts(load(store, first)) == (1, 1, 0, 0, 0)
    victim = Person.objects.using(store.alias).get(name="Dana Madeup")
    police = Agency.objects.using(store.alias).create(name="Synthetic Police", kind="police")
    pmp = Pmp.objects.using(store.alias).create(
        reference="PMP-T-1",
        title="Synthetic plan",
        lpu="Erewash",
        owner_agency=police,
        problem_type=ProblemType.objects.using(store.alias).first(),
        opened_at=timezone.now(),
    )
    PmpPerson.objects.using(store.alias).create(pmp=pmp, person=victim, role="victim")

    second = write(
        tmp_path,
        "v2.csv",
        [
            HEADER,
            "R1,,asb,,Nuisance,,,2021-03-01T10:00,,,,,,,,victim,Dana Madeup,01632 960199,,",
        ],
    )
    assert counts(load(store, second)) == (1, 1, 0, 0, 1)
    again = Person.objects.using(store.alias).get(name="Dana Madeup")
    assert (again.id, again.phone) == (victim.id, "01632 960199")
    assert not Person.objects.using(store.alias).filter(name="Eli Notreal").exists()
    assert PmpPerson.objects.using(store.alias).get(pmp=pmp).person_id == victim.id
    assert people_of(store, "R1") == [("victim", "Dana Madeup")]
