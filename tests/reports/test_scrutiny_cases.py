"""The scrutiny report's sections WITH data: PMPs by LPU (5.34), powers (5.36), ASB Case
Reviews (5.39), 999/101 call handling from a synthetic call log, and the case study built from
a stored PMP over the real sample. Each figure is checked against counts worked out by hand
from the invented records and against a brute-force count of the stored rows made here with
sqlite3 alone, without the report's code or the case services it calls.

Every person, plan and application is invented (synthetic test data)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from asbhub.analysis import InterventionCounts, evaluate_intervention
from asbhub.data import sample_paths
from asbhub.geo import AreaHierarchy
from asbhub.ingest.inputs import expand_inputs
from asbhub.reports import PmpCaseStudy, build_scrutiny, render_html
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest

PERIOD = "2019-02"
ASB = "Anti-social behaviour"
WHEN = datetime(2025, 1, 1, tzinfo=UTC)
SECRET_VICTIM = "Synthetic Victimname at number 3"
SECRET_OFFENDER = "Invented Offendername"
D = dt.date


def _at(day: dt.date) -> dt.datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    """The real sample, a small synthetic call log, and invented plans, powers and reviews."""
    from asbhub.synth import generate_calls, write_calls_csv

    folder = tmp_path_factory.mktemp("report-cases")
    s = open_store(f"sqlite:///{folder / 'store.sqlite3'}")
    calls = write_calls_csv(
        generate_calls(D(2017, 4, 1), D(2019, 2, 28), seed=7, scale=0.01), folder / "calls.csv"
    )
    assert ingest(s, expand_inputs([*sample_paths(), calls])).ok
    _cases(s.alias)
    return s


def _cases(a: str) -> None:
    from asbhub.records.cases import services
    from asbhub.records.cases.models import (
        CaseReview,
        Pmp,
        Power,
        PowerEvent,
        ProblemType,
    )
    from asbhub.records.partners.models import Agency

    police = Agency.objects.using(a).create(name="Synthetic Test Constabulary", kind="police")
    problem = ProblemType.objects.using(a).first()

    def plan(lpu: str, opened: dt.date, closed: dt.date | None = None, **kw: Any) -> Any:
        pmp = services.create_pmp(
            owner_agency=police,
            opened_at=_at(opened),
            title="Test plan",
            problem_type=problem,
            lpu=lpu,
            using=a,
            **kw,
        )
        if closed:
            Pmp.objects.using(a).filter(pk=pmp.pk).update(closed_at=_at(closed), stage="closed")
        return pmp

    plan("Erewash", D(2018, 5, 1))  # opened in the 12 months, open
    plan("Erewash", D(2018, 6, 1), closed=D(2018, 9, 1))  # opened and closed in them
    plan("Erewash", D(2017, 1, 1))  # opened before, still open
    plan("High Peak", D(2019, 2, 28))  # last day of the period
    plan("High Peak", D(2019, 3, 1))  # after: not counted
    plan("Chesterfield", D(2017, 6, 1), closed=D(2018, 1, 1))  # closed before: neither

    def power(kind: str, **kw: Any) -> Any:
        return Power.objects.using(a).create(
            kind=kind, owner_agency=police, premises="1 Invented Road", **kw
        )

    power("cpw", issued_on=D(2018, 4, 2))
    power("cpw", issued_on=D(2019, 2, 28))
    power("cpw", issued_on=D(2018, 2, 28))  # before the 12 months
    cpn = power("cpn", issued_on=D(2018, 7, 1))
    PowerEvent.objects.using(a).create(power=cpn, kind="fpn", on=D(2018, 8, 1))
    power(
        "injunction",
        age_band="over_18",
        applied_on=D(2018, 5, 1),
        granted_on=D(2018, 6, 1),
        power_of_arrest=True,
    )
    power("cbo", age_band="under_18", applied_on=D(2018, 10, 1))

    def review(area: str, received: dt.date, **kw: Any) -> None:
        # Written directly: services.create_case_review works out the decision date from the
        # bundled bank holidays, which do not go back to the sample's years (2018-19).
        n = CaseReview.objects.using(a).count() + 1
        CaseReview.objects.using(a).create(
            reference=f"ACR-TEST-{n:04d}",
            owner_agency=police,
            area=area,
            received_on=received,
            decision_due=received + dt.timedelta(days=14),
            applicant_name="Synthetic Applicant",
            **kw,
        )

    review("Erewash", D(2018, 5, 1), decision="not_met")
    review("Erewash", D(2018, 9, 1), decision="not_met")
    review("High Peak", D(2018, 11, 1), decision="not_met")
    review(
        "South Derbyshire",
        D(2019, 1, 10),
        decision="met",
        meeting_on=D(2019, 2, 1),
        recommendations="Invented recommendation",
    )
    review("South Derbyshire", D(2019, 2, 20))  # not yet decided
    review("Erewash", D(2019, 3, 5), decision="met")  # after the period


@pytest.fixture(scope="module")
def report(store):
    return build_scrutiny(store, PERIOD, generated_at=WHEN)


#: Table 5.34 worked out by hand from the plans of ``_cases``: LPU -> (opened, open at the end).
HAND_PMPS = {"Erewash": (2, 2), "High Peak": (1, 1)}
#: Table 5.36 worked out by hand from the powers of ``_cases``: every cell not listed is 0.
HAND_POWERS = {
    (
        "powers-community-protection-notices",
        "Number of Community Protection Warning letters issued",
    ): 2,
    ("powers-community-protection-notices", "Number of Community Protection Notices issued"): 1,
    ("powers-community-protection-notices", "Number of FPNs issued for breach of CPN"): 1,
    ("powers-civil-injunctions-asb-only-over-18s", "Number of injunctions applied for"): 1,
    ("powers-civil-injunctions-asb-only-over-18s", "Number of injunctions granted"): 1,
    (
        "powers-civil-injunctions-asb-only-over-18s",
        "Number of injunctions granted with power of arrest attached",
    ): 1,
    (
        "powers-criminal-behaviour-orders-under-18s",
        "Number of Criminal Behaviour Orders applied for",
    ): 1,
}


def _pmps_by_lpu_counted(store) -> dict[str, tuple[int, int]]:
    """Table 5.34 counted from the database file with sqlite3 alone (not the case services):
    a plan counts by the day it opened and closed on the force's local calendar."""
    path = store.url.removeprefix("sqlite:///")
    uk = ZoneInfo("Europe/London")
    start, end = D(2018, 3, 1), D(2019, 2, 28)

    def day(stamp: str | None) -> dt.date | None:
        if stamp is None:
            return None
        return datetime.fromisoformat(stamp).replace(tzinfo=UTC).astimezone(uk).date()

    out: Counter = Counter()
    opened_: Counter = Counter()
    with sqlite3.connect(path) as conn:
        for lpu, opened_at, closed_at in conn.execute(
            "SELECT lpu, opened_at, closed_at FROM cases_pmp"
        ):
            opened, closed = day(opened_at), day(closed_at)
            opened_[lpu] += start <= opened <= end
            out[lpu] += opened <= end and (closed is None or closed > end)
    return {lpu: (opened_[lpu], out[lpu]) for lpu in opened_ if opened_[lpu] or out[lpu]}


def test_pmps_by_lpu_equal_a_count_of_the_stored_plans(report, store) -> None:
    t = report.section("pmps").table("pmps-by-lpu")
    shown = {r[0]: (r[1], r[2]) for r in t.rows if r[0] != "Total" and (r[1] or r[2])}
    assert shown == _pmps_by_lpu_counted(store) == HAND_PMPS
    # Worked out by hand from the plans above.
    assert t.cell("Erewash", "PMPs opened") == 2
    assert t.cell("Erewash", "PMPs open at the end of the period") == 2
    assert t.cell("High Peak", "PMPs opened") == 1
    assert t.cell("Chesterfield", "PMPs open at the end of the period") == 0
    assert t.cell("Total", "PMPs opened") == 3


def _powers_counted(store) -> tuple[int, int]:
    """Uses of powers (a power's first step, and each event) in the 12 months, counted from
    the database file with sqlite3 alone."""
    path = store.url.removeprefix("sqlite:///")
    lo, hi = "2018-03-01", "2019-02-28"
    with sqlite3.connect(path) as conn:
        (powers,) = conn.execute(
            "SELECT count(*) FROM cases_power WHERE COALESCE(issued_on, applied_on) BETWEEN ? AND ?",
            (lo, hi),
        ).fetchone()
        (events,) = conn.execute(
            'SELECT count(*) FROM cases_powerevent WHERE "on" BETWEEN ? AND ?', (lo, hi)
        ).fetchone()
    return powers, events


def test_powers_equal_the_register(report, store) -> None:
    s = report.section("powers")
    cells = {(t.id, row[0]): row[1] for t in s.tables for row in t.rows}
    assert {k: v for k, v in cells.items() if v} == HAND_POWERS
    # The hand table against the register itself: two warning letters, a notice and two
    # applications start five uses in the period (the 2018-02 letter is before it), and the
    # one fixed penalty is the one event.
    assert _powers_counted(store) == (5, 1)
    cpn = s.table("powers-community-protection-notices")
    assert cpn.cell("Number of Community Protection Warning letters issued", "Number") == 2
    assert cpn.cell("Number of FPNs issued for breach of CPN", "Number") == 1
    inj = s.table("powers-civil-injunctions-asb-only-over-18s")
    assert inj.cell("Number of injunctions granted with power of arrest attached", "Number") == 1


def test_case_reviews_by_area_and_outcome(report, store) -> None:
    t = report.section("case-reviews").table("case-reviews")
    assert t.columns[:5] == [
        "Area",
        "Applications received",
        "Threshold met",
        "Threshold not met",
        "Not yet decided",
    ]
    assert t.rows == [
        ["Erewash", 2, 0, 2, 0, 0, 0],
        ["High Peak", 1, 0, 1, 0, 0, 0],
        ["South Derbyshire", 2, 1, 0, 1, 1, 1],
        ["Total", 5, 1, 3, 1, 1, 1],
    ]
    lpu = build_scrutiny(store, PERIOD, "erewash", generated_at=WHEN)
    assert lpu.section("case-reviews").table("case-reviews").rows[0] == [
        "Erewash",
        2,
        0,
        2,
        0,
        0,
        0,
    ]


def _calls_by_fy(store) -> dict[str, Counter]:
    """999 calls per financial year, counted from the database file with sqlite3 alone."""
    path = store.url.removeprefix("sqlite:///")
    uk = ZoneInfo("Europe/London")
    out: dict[str, Counter] = {}
    with sqlite3.connect(path) as conn:
        for channel, queued, abandoned, wait in conn.execute(
            "SELECT channel, queued_at, abandoned, wait_seconds FROM contact_call"
        ):
            if channel != "999":
                continue
            when = datetime.fromisoformat(queued).replace(tzinfo=UTC).astimezone(uk)
            fy = when.year if when.month >= 4 else when.year - 1
            c = out.setdefault(f"{fy}/{(fy + 1) % 100:02d}", Counter())
            c["calls"] += 1
            c["abandoned"] += bool(abandoned)
            c["within"] += (not abandoned) and wait <= 10
    return out


def test_call_handling_equals_a_count_of_the_stored_calls(report, store) -> None:
    s = report.section("call-handling")
    assert s.no_data is None
    t = s.table("calls-999-year")
    expected = _calls_by_fy(store)
    assert {r[0] for r in t.rows} == set(expected) == {"2017/18", "2018/19"}
    for label, c in expected.items():
        assert t.cell(label, "Calls") == c["calls"] > 0
        assert t.cell(label, "Abandoned") == c["abandoned"]
        assert t.cell(label, "Longer than target") == c["calls"] - c["within"]
        assert t.cell(label, "% abandoned") == pytest.approx(100 * c["abandoned"] / c["calls"])
    assert s.table("calls-101-year").rows  # the 101 line is reported too


# --------------------------------------------------------------------------------------------
# Case study from a stored PMP
# --------------------------------------------------------------------------------------------


def _busiest_lsoa(store) -> str:
    from django.db.models import Count

    from asbhub.records.incidents.models import Incident

    return (
        Incident.objects.using(store.alias)
        .filter(crime_type=ASB, month="2019-01")
        .exclude(location__lsoa_code=None)
        .values_list("location__lsoa_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "location__lsoa_code")[0][0]
    )


@pytest.fixture(scope="module")
def case_plan(store):
    from asbhub.records.cases import services
    from asbhub.records.cases.models import ProblemType
    from asbhub.records.incidents.models import Location
    from asbhub.records.partners.models import Agency

    a = store.alias
    code = _busiest_lsoa(store)
    lpu = AreaHierarchy.load().lpu_for([code])[0]
    pmp = services.create_pmp(
        owner_agency=Agency.objects.using(a).get(name="Synthetic Test Constabulary"),
        opened_at=_at(D(2018, 12, 1)),
        title="Youths gathering at the shops (test plan)",
        problem_type=ProblemType.objects.using(a).first(),
        lpu=lpu,
        area="Invented precinct",
        victim=SECRET_VICTIM,
        offender=SECRET_OFFENDER,
        using=a,
    )
    pmp.locations.set(Location.objects.using(a).filter(lsoa_code=code)[:3])
    return pmp, code, lpu


def _brute_counts(store, code: str, lpu: str, buffer_m: float) -> dict[str, Counter]:
    """Counts per area and month from the stored rows, the areas drawn here from the bundled
    files with the csv and json modules and shapely's distance (not the report's masks)."""
    import shapely
    from shapely.geometry import Point, shape

    from asbhub.records.incidents.models import Incident

    folder = AreaHierarchy.load().folder
    with (folder / "areas.csv").open(newline="", encoding="utf-8") as fh:
        in_lpu = {r["lsoa_code"] for r in csv.DictReader(fh) if r["lpu"] == lpu}
    with (folder / "lsoa_bng.geojson").open(encoding="utf-8") as fh:
        poly = next(
            shape(f["geometry"])
            for f in json.load(fh)["features"]
            if f["properties"]["lsoa_code"] == code
        )
    out = {"R": Counter(), "B": Counter(), "C": Counter()}
    rows = (
        Incident.objects.using(store.alias)
        .filter(crime_type=ASB)
        .values_list("location__lsoa_code", "location__easting", "location__northing", "month")
    )
    for lsoa, x, y, month in rows:
        if x is None or y is None:
            continue
        if lsoa == code:
            out["R"][month] += 1
        elif shapely.distance(poly, Point(x, y)) <= buffer_m:
            out["B"][month] += 1
        elif lsoa in in_lpu:
            out["C"][month] += 1
    return out


def test_case_study_from_a_stored_pmp_equals_brute_force(store, case_plan) -> None:
    pmp, code, lpu = case_plan
    r = build_scrutiny(
        store,
        PERIOD,
        generated_at=WHEN,
        case_study=PmpCaseStudy(pmp.reference, start="2019-01", before_months=1, buffer_m=400),
    )
    s = r.section("case-study")
    b = _brute_counts(store, code, lpu, 400)
    assert b["R"]["2018-12"] > 0 and b["B"]["2018-12"] > 0 and b["C"]["2019-02"] > 0
    counts = InterventionCounts(
        response_before=b["R"]["2018-12"],
        response_after=b["R"]["2019-02"],
        buffer_before=b["B"]["2018-12"],
        buffer_after=b["B"]["2019-02"],
        control_before=b["C"]["2018-12"],
        control_after=b["C"]["2019-02"],
        before_days=31,
        after_days=28,
    )
    ev = evaluate_intervention(counts)
    t = s.table("case-counts")
    assert t.rows[0][:3] == ["Response area", counts.response_before, counts.response_after]
    assert t.cell("Buffer (displacement) area", "Before") == counts.buffer_before
    assert t.cell("Control area", "After") == counts.control_after
    assert t.cell("Response area", "% change") == pytest.approx(ev.response_change.percent)
    e = s.table("case-evaluation")
    rr = e.cell("Rate ratio (response against control)", "Value")
    assert rr == pytest.approx(ev.rate_ratio.value)
    reading = e.cell("Rate ratio (response against control)", "Reading")
    assert f"CI {ev.rate_ratio.ci_low:.2f} to {ev.rate_ratio.ci_high:.2f}" in reading
    assert e.cell("Rate ratio (buffer against control)", "Value") == pytest.approx(
        ev.buffer_rate_ratio.value
    )
    assert e.cell("Total net effect (events prevented)", "Value") == pytest.approx(
        ev.net_effect.total
    )
    wdq = e.cell("Weighted Displacement Quotient", "Value")
    assert wdq == (None if ev.wdq.wdq is None else pytest.approx(ev.wdq.wdq))
    monthly = s.table("case-monthly")
    assert monthly.cell("Jan 2019", "Response area") == b["R"]["2019-01"]  # shown, not counted
    assert s.parameters["response_lsoas"] == [code]
    assert s.parameters["buffer_m"] == 400 and s.parameters["before_months"] == [
        "2018-12",
        "2018-12",
    ]
    html = render_html(r)
    assert f"Case study: {pmp.reference}" in html
    assert "--case-study" in html and "--case-start 2019-01" in html  # rebuild command
    # The plan's analysis triangle names people: never in a report for the public.
    assert SECRET_VICTIM not in html and SECRET_OFFENDER not in html


def test_case_study_errors_say_what_to_give(store, case_plan) -> None:
    pmp, _, _ = case_plan
    with pytest.raises(ValueError, match="--case-start"):
        build_scrutiny(store, PERIOD, case_study=PmpCaseStudy(pmp.reference))
    with pytest.raises(ValueError, match="PMP-2024-0007"):
        build_scrutiny(store, PERIOD, case_study=PmpCaseStudy("PMP-1999-9999", start="2019-01"))
    with pytest.raises(ValueError, match="load those months"):
        build_scrutiny(store, PERIOD, case_study=PmpCaseStudy(pmp.reference, start="2016-01"))


def test_cli_writes_the_report_with_the_case_study(store, case_plan, tmp_path: Path) -> None:
    from asbhub.cli import main

    pmp, _, _ = case_plan
    assert (
        main(
            [
                "report",
                "scrutiny",
                "--period",
                PERIOD,
                "--db",
                store.url,
                "--out",
                str(tmp_path),
                "--no-pdf",
                "--case-study",
                pmp.reference,
                "--case-start",
                "2019-01",
                "--case-months",
                "1",
            ]
        )
        == 0
    )
    html = (tmp_path / "scrutiny-2019-02.html").read_text(encoding="utf-8")
    assert f"Case study: {pmp.reference}" in html and "Rate ratio" in html
    assert not (tmp_path / "scrutiny-2019-02.pdf").exists()


@pytest.mark.postgres
def test_case_sections_on_postgresql(pg_url: str) -> None:
    """The same plans, powers and reviews in a real PostgreSQL store give the same tables
    (its booleans and dates are not SQLite's)."""
    s = open_store(pg_url)
    _cases(s.alias)
    r = build_scrutiny(s, PERIOD, generated_at=WHEN)
    assert r.section("case-reviews").table("case-reviews").rows[-1] == ["Total", 5, 1, 3, 1, 1, 1]
    assert {
        row[0]: (row[1], row[2])
        for row in r.section("pmps").table("pmps-by-lpu").rows
        if row[0] != "Total" and (row[1] or row[2])
    } == HAND_PMPS
    powers = r.section("powers")
    cells = {(t.id, row[0]): row[1] for t in powers.tables for row in t.rows}
    assert {k: v for k, v in cells.items() if v} == HAND_POWERS
    assert r.section("hotspots").no_data  # no incidents loaded: said in words
