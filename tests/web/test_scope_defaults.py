"""Scope and defaults (issue #12 items 2 and 3) on the bundled sample plus synthetic rows.

As ``asbhub demo`` does, synthetic ASB incidents are added under the SYNTHETIC force on the
sample's real places: 133 in February 2019 (so the month holds 3,275 ASB records against the
3,142 published, as the issue found) and a thin tail in the last two calendar months; a
resident's report is added under the real force's name. Every figure checked here is compared
with a count made in SQL on the published rows alone.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from asbhub.demo.tasking import DEMO_FORCE
from asbhub.store.db import Store
from asbhub.store.scope import (
    Scope,
    default_force,
    default_scope,
    is_synthetic_force,
    latest_complete_month,
)

ASB = "Anti-social behaviour"
FORCE = "Derbyshire Constabulary"
PUBLISHED_FEB_2019_ASB = 3142  # the sample's February 2019 ASB rows, as published
SYNTHETIC_FEB_2019 = 133
SYNTHETIC_TAIL = 53


def _sql(query: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with connections["default"].cursor() as cur:
        cur.execute(query, list(params))
        return cur.fetchall()


def _tail_months() -> tuple[str, str]:
    """The previous and the current calendar month, as 'YYYY-MM'."""
    today = timezone.localdate()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}", f"{today.year:04d}-{today.month:02d}"


def _add(kind: str, force: str, month_rows: list[tuple[str, int]]) -> None:
    """A loaded unit of ASB incidents on the sample's February 2019 ASB places."""
    from asbhub.records.incidents.models import Incident, Source

    places = [
        r[0]
        for r in _sql(
            "SELECT i.location_id FROM incidents_incident i WHERE i.month = '2019-02' "
            "AND i.crime_type = %s AND i.location_id IS NOT NULL ORDER BY i.id LIMIT 200",
            [ASB],
        )
    ]
    source = Source.objects.using("default").create(
        kind=kind,
        force=force,
        month="",
        content_hash="0" * 64,
        rows=sum(n for _, n in month_rows),
        file=f"{kind}-test.csv",
        loaded_at=datetime.now(UTC),
    )
    line = 1
    for month, n in month_rows:
        for k in range(n):
            line += 1
            Incident.objects.using("default").create(
                source=source,
                line=line,
                record_type="asb",
                month=month,
                crime_type=ASB,
                location_id=places[k % len(places)],
                reported_by=force,
            )


@pytest.fixture
def mixed(sample_store: Store, db: str) -> Store:
    """The sample plus synthetic rows (Feb 2019 and the last two months), rolled back after."""
    previous, current = _tail_months()
    _add(
        "force_export",
        DEMO_FORCE,
        [("2019-02", SYNTHETIC_FEB_2019), (previous, SYNTHETIC_TAIL - 5), (current, 5)],
    )
    return Store("the asbhub web app's database", "default")


@pytest.fixture
def web(mixed: Store) -> Any:
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1")


def _published_asb(month: str) -> int:
    return int(
        _sql(
            "SELECT COUNT(*) FROM incidents_incident i JOIN incidents_source s ON s.id = i.source_id "
            "WHERE s.kind = 'police_uk_street' AND i.crime_type = %s AND i.month = %s",
            [ASB, month],
        )[0][0]
    )


def _published_located_asb(month: str) -> int:
    return int(
        _sql(
            "SELECT COUNT(*) FROM incidents_incident i JOIN incidents_source s ON s.id = i.source_id "
            "JOIN incidents_location l ON l.id = i.location_id WHERE s.kind = 'police_uk_street' "
            "AND i.crime_type = %s AND i.month = %s AND l.easting IS NOT NULL",
            [ASB, month],
        )[0][0]
    )


# -- the scope ------------------------------------------------------------------------------


def test_the_mixed_store_holds_what_the_issue_found(mixed: Store) -> None:
    every = int(
        _sql(
            "SELECT COUNT(*) FROM incidents_incident WHERE month = '2019-02' AND crime_type = %s",
            [ASB],
        )[0][0]
    )
    assert _published_asb("2019-02") == PUBLISHED_FEB_2019_ASB
    assert every == PUBLISHED_FEB_2019_ASB + SYNTHETIC_FEB_2019 == 3275


def test_default_scope_is_the_force_with_most_published_records(
    mixed: Store, monkeypatch: Any
) -> None:
    monkeypatch.setattr("django.conf.settings.ASBHUB_FORCE", None, raising=False)
    monkeypatch.delenv("ASBHUB_FORCE", raising=False)
    assert default_force(mixed) == FORCE
    scope = default_scope(mixed)
    assert scope == Scope(FORCE) and not scope.synthetic
    assert scope.describe() == (
        f"{FORCE}: published police.uk records and force exports; synthetic data left out"
    )
    # The setting wins, even over a force with more rows.
    monkeypatch.setattr("django.conf.settings.ASBHUB_FORCE", "Leicestershire Police", raising=False)
    assert default_scope(mixed).force == "Leicestershire Police"
    assert is_synthetic_force(DEMO_FORCE) and is_synthetic_force(" synthetic x")


def test_latest_complete_month_skips_the_synthetic_tail(mixed: Store) -> None:
    today = timezone.localdate()
    assert latest_complete_month(mixed, default_scope(mixed), today) == "2019-02"
    # Asked for the synthetic data itself, the current month is still not complete.
    synthetic = Scope(DEMO_FORCE, synthetic=True)
    assert latest_complete_month(mixed, synthetic, today) == _tail_months()[0]


# -- the hotspot page -------------------------------------------------------------------------


def test_hotspots_open_on_the_latest_real_month_and_say_their_scope(web: Any) -> None:
    html = web.get("/hotspots/").content.decode()
    assert re.search(r'<option value="2019-02" selected>February 2019</option>', html)
    previous, current = _tail_months()
    # The synthetic tail's months are not offered.
    assert f'<option value="{previous}"' not in html and f'<option value="{current}"' not in html
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert (
        f"Data: {FORCE}: published police.uk records and force exports; synthetic data left out."
    ) in text


def test_hotspot_counts_leave_synthetic_rows_out(web: Any) -> None:
    params = {
        "area": "",
        "crime_type": "asb",
        "from": "2019-02",
        "to": "2019-02",
        "method": "count",
        "cell": "500",
    }
    fc = json.loads(web.get("/api/hotspots.geojson", params).content)
    data = fc["asbhub"]["data"]
    assert data["records_matching"] == PUBLISHED_FEB_2019_ASB
    mapped = sum(f["properties"]["count"] for f in fc["features"])
    assert mapped == _published_located_asb("2019-02") - data["excluded_strays_or_outside"]
    assert fc["asbhub"]["scope"] == {
        "force": FORCE,
        "kinds": ["force_export", "police_uk_street"],
        "synthetic": False,
    }


def test_too_few_records_get_no_gistar_classes(web: Any) -> None:
    from asbhub.records.incidents.selectors import area_hierarchy

    # The sample's rarest crime type in one LPU and month: a handful of records.
    rare = _sql(
        "SELECT crime_type FROM incidents_incident WHERE month = '2019-02' "
        "GROUP BY crime_type ORDER BY COUNT(*), crime_type LIMIT 1"
    )[0][0]
    lpu_of = dict(area_hierarchy().lsoa.select("lsoa_code", "lpu").iter_rows())
    per_lpu: dict[str, int] = {}
    for (code,) in _sql(
        "SELECT l.lsoa_code FROM incidents_incident i JOIN incidents_location l "
        "ON l.id = i.location_id WHERE i.month = '2019-02' "
        "AND i.crime_type = %s AND l.easting IS NOT NULL",
        [rare],
    ):
        if code in lpu_of:
            per_lpu[lpu_of[code]] = per_lpu.get(lpu_of[code], 0) + 1
    lpu, n = min(per_lpu.items(), key=lambda kv: (kv[1], kv[0]))
    assert 0 < n < 30
    params = {
        "area": lpu,
        "crime_type": rare,
        "from": "2019-02",
        "to": "2019-02",
        "method": "gistar",
        "cell": "auto",
    }
    html = web.get("/hotspots/", params).content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Too few records to test for hot spots: only" in text
    assert "Gi* needs at least 30 records in at least 10 cells" in text
    assert "Try a wider period: December 2018 to February 2019" in text
    fc = json.loads(web.get("/api/hotspots.geojson", params).content)
    assert fc["asbhub"]["method"] == "count"
    assert fc["asbhub"]["gistar_refused"].startswith("only ")
    assert not any("Hot spot" in f["properties"]["class_label"] for f in fc["features"])


def test_a_hot_cell_with_no_record_says_its_neighbours_make_it_hot(web: Any) -> None:
    params = {
        "area": "",
        "crime_type": "asb",
        "from": "2018-12",
        "to": "2019-02",
        "method": "gistar",
        "cell": "100",
    }
    fc = json.loads(web.get("/api/hotspots.geojson", params).content)
    props = [f["properties"] for f in fc["features"]]
    empty_hot = [p for p in props if p["class"] > 0 and p["count"] == 0]
    assert empty_hot, "the sample at 100 m has hot cells with no record of their own"
    assert {p["note"] for p in empty_hot} == {"No records here: hot because of its neighbours"}
    assert {p["note"] for p in props if p["count"] > 0 or p["class"] <= 0} == {""}


# -- the scrutiny report and dashboard --------------------------------------------------------


def test_the_report_keeps_its_force_and_leaves_synthetic_data_out(mixed: Store) -> None:
    from asbhub.reports import build_scrutiny

    previous, _ = _tail_months()
    # Only synthetic rows in the report's year: the force is still the deployment's.
    assert build_scrutiny(mixed, previous).force == FORCE
    report = build_scrutiny(mixed, "2019-02")
    assert report.force == FORCE
    comparison = report.section("force-comparison")
    header = comparison.tables[0].columns
    assert not any(is_synthetic_force(c) for c in header), header
    assert comparison.scope.endswith("synthetic data left out")
    for s in report.sections:
        assert FORCE in s.scope or s.id == "force-comparison", s.id
    by_type = report.section("asb-by-type")
    published = sum(_published_asb(m) for m in ("2018-12", "2019-01", "2019-02"))
    totals = [row for t in by_type.tables for row in t.rows if row[0] == "Total"]
    assert totals and totals[0][-1] == published, totals
    # Section 1 maps the same records (its three months are all the sample holds): mapped,
    # left out and outside the force's LSOAs add up to the published count.
    summary = report.section("hotspots").table("hotspot-summary")
    parts = [
        summary.cell(m, "Value")
        for m in (
            "ASB incidents mapped",
            "Left out (no place, or far from the rest)",
            "Outside the LSOAs mapped (not mapped)",
        )
    ]
    assert sum(parts) == published, parts


def test_the_dashboard_opens_on_the_latest_real_month_and_names_its_force(
    web: Any,
    make_agency: Any,
    make_user: Any,
) -> None:
    user = make_user(
        "pcc.scope",
        make_agency("Office of the PCC", kind="commissioner"),
        role="commissioner_viewer",
    )
    web.force_login(user)
    html = web.get("/scrutiny/dashboard/").content.decode()
    assert re.search(r'<option value="2019-02" selected', html), "default period"
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert f"Neighbourhood crime and anti-social behaviour: {FORCE}, Feb 2019" in text
    # Every section names its scope; the incident sections the force and its kinds of data.
    scoped = f"Scope: {FORCE}: published police.uk records and force exports; synthetic data"
    assert text.count(scoped) >= 6
    assert (
        "Scope: every force loaded: published police.uk records and force exports; "
        "synthetic data left out" in text
    )


# -- the overview -----------------------------------------------------------------------------


def test_overview_counts_the_published_month_and_says_synthetic_is_left_out(web: Any) -> None:
    import csv
    import io

    table = list(
        csv.reader(io.StringIO(web.get("/", {"format": "csv", "table": "types"}).content.decode()))
    )
    header = table[0]
    asb = next(r for r in table[1:] if r[0] == "asb" and r[1] == ASB)
    assert int(asb[header.index("2019-02")]) == _published_asb("2019-02") == 3142
    previous, current = _tail_months()
    assert previous not in header and current not in header
    areas = list(
        csv.reader(io.StringIO(web.get("/", {"format": "csv", "table": "areas"}).content.decode()))
    )
    published = int(
        _sql(
            "SELECT COUNT(*) FROM incidents_incident i JOIN incidents_source s "
            "ON s.id = i.source_id WHERE s.kind = 'police_uk_street'"
        )[0][0]
    )
    col = areas[0].index("total")
    assert sum(int(r[col]) for r in areas[1:]) == published
    html = web.get("/").content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert f"SYNTHETIC {SYNTHETIC_FEB_2019 + SYNTHETIC_TAIL} synthetic records" in text


def test_overview_forces_box_leaves_the_synthetic_force_out_and_says_so(web: Any) -> None:
    """Issue #12 item 2: the Forces box names the real forces only, and says how many
    synthetic sources (and records) are left out; the last load shown is a real one."""
    html = web.get("/").content.decode()
    box = html[html.index("<dt>Force") : html.index("<dt>Last load")]
    text = " ".join(re.sub(r"<[^>]+>", " ", box).split())
    synthetic = int(
        _sql(
            "SELECT COUNT(*) FROM incidents_incident i JOIN incidents_source s "
            "ON s.id = i.source_id WHERE UPPER(s.force) LIKE 'SYNTHETIC%'"
        )[0][0]
    )
    assert synthetic == SYNTHETIC_FEB_2019 + SYNTHETIC_TAIL
    assert text == (
        f"Force Derbyshire Constabulary; left out: 1 synthetic source ({synthetic} records)"
    )
    last = html[html.index("<dt>Last load") :]
    assert "SYNTHETIC" not in last[: last.index("</dd>")]


def test_force_comparison_over_uneven_months_says_so(mixed: Store) -> None:
    """Issue #12 item 2: another force loaded for one month of the three Derbyshire has is
    compared only with the months said: the section names the months it lacks, and the
    synthetic force is still not a column."""
    from asbhub.reports import build_scrutiny

    _add("police_uk_street", "Leicestershire Police", [("2019-02", 40)])
    comparison = build_scrutiny(mixed, "2019-02").section("force-comparison")
    header = comparison.tables[0].columns
    assert "Leicestershire Police" in header and FORCE in header
    assert not any(is_synthetic_force(c) for c in header), header
    notes = " ".join(comparison.notes)
    assert "Force months missing: Leicestershire Police: 2018-12, 2019-01" in notes, notes
    assert FORCE + ":" not in notes.split("Force months missing")[-1]
