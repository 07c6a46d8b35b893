"""Issue #12, "Done when": each person's first five minutes after ``make demo``, in Chromium,
with every figure checked against SQL on the server's database.

- The council officer (``demo.erewash``) opens a plan their council is a partner on, through
  the live partnership agreement DEMO-ISA-001: the page names the agreement, withholds nothing,
  and its figures (linked incidents, actions, partners) are the database's. A partner on the
  same plan whose agreement does not cover personal details (``demo.fire``, DEMO-ISA-002) is
  told what is withheld and why ONCE, in one note, not under every part.
- The analyst (``demo.analyst``) downloads the hot spot page's GeoJSON through the browser: its
  cells' counts are the published records of the latest real month binned on the stamp's own
  grid by SQL, its stamp lists no synthetic load.
- The Commissioner's office (``demo.opcc``): every table of the dashboard equals the same
  table of the scrutiny report that ``asbhub report scrutiny`` writes for the same month, and
  the totals are the SQL counts.
- One figure, one answer: the ASB records of the latest real month of the force are the same
  number on the overview, the hot spot page, its GeoJSON, the dashboard, the report, the API's
  incident list and ``asbhub hotspots``; and the 12 months' ASB the same in every section of
  the dashboard and report that counts it.

Screenshots go to ``$ASBHUB_SCREENSHOTS`` when it names a folder.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import LiveServer, assert_accessible, query_db, sign_in

pytestmark = pytest.mark.browser

FORCE = "Derbyshire Constabulary"
ASB = "Anti-social behaviour"
EREWASH = "Erewash Borough Council"
FIRE = "Derbyshire Fire and Rescue Service"
SHOTS = os.environ.get("ASBHUB_SCREENSHOTS")
#: The scope every real figure counts (docs/scope.md), as SQL on incidents_source ``s``.
REAL = (
    "s.kind IN ('police_uk_street', 'force_export') AND s.force = ? "
    "AND UPPER(s.force) NOT LIKE 'SYNTHETIC%'"
)
#: Every table of a page or report: id -> rows of cell texts (header row included).
TABLES_JS = """() => Object.fromEntries([...document.querySelectorAll("table[id^='table-']")]
  .map(t => [t.id, [...t.querySelectorAll('tr')]
    .map(r => [...r.querySelectorAll('th,td')].map(c => c.innerText.trim()))]))"""


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"first-minutes-{name}.png"), full_page=True)


def _n(text: str) -> int:
    return int(text.strip().replace(",", ""))


def _asbhub(live_server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ASBHUB_FORCE"}
    return subprocess.run(
        [sys.executable, "-m", "asbhub.cli", *args, "--db", live_server.db],
        env={**env, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def _latest_real_month(live_server: LiveServer) -> str:
    return query_db(
        live_server,
        f"SELECT MAX(i.month) FROM incidents_incident i JOIN incidents_source s "
        f"ON s.id = i.source_id WHERE {REAL}",
        (FORCE,),
    )[0][0]


def _asb_count(live_server: LiveServer, first: str, last: str) -> int:
    return query_db(
        live_server,
        "SELECT COUNT(*) FROM incidents_incident i JOIN incidents_source s "
        f"ON s.id = i.source_id WHERE {REAL} AND i.crime_type = ? AND i.month BETWEEN ? AND ?",
        (FORCE, ASB, first, last),
    )[0][0]


def _month_back(month: str, n: int) -> str:
    y, m = int(month[:4]), int(month[5:7]) - n
    while m < 1:
        y, m = y - 1, m + 12
    return f"{y:04d}-{m:02d}"


def _label(month: str) -> str:
    names = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    return f"{names[int(month[5:7]) - 1]} {month[:4]}"


def _sign_out(page: Any) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "button", name=re.compile("^Sign out")
    ).click()
    page.wait_for_load_state()


def _open_plan(page: Any, href: str, label: str) -> None:
    page.goto(href)
    assert_accessible(page, f"{label}: why do you need this plan")
    page.get_by_label("Managing an ASB case or problem-solving plan").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "purpose=" in page.url


def _after(page: Any, heading: str, level: int = 3) -> Any:
    return page.locator(f"xpath=//h{level}[normalize-space()='{heading}']/following-sibling::*[1]")


@pytest.fixture(scope="module")
def month(live_server: LiveServer) -> str:
    found = _latest_real_month(live_server)
    assert found and re.fullmatch(r"\d{4}-\d{2}", found)
    return found


@pytest.fixture(scope="module")
def report_tables(browser: Any, live_server: LiveServer, month: str, tmp_path_factory: Any):
    """The tables of ``asbhub report scrutiny`` for the latest real month, as the page reads
    its own (read in Chromium from the file the command wrote), and the command's stderr."""
    out = tmp_path_factory.mktemp("scrutiny")
    proc = _asbhub(
        live_server, "report", "scrutiny", "--period", month, "--no-pdf", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    html = out / f"scrutiny-{month}.html"
    assert html.exists(), proc.stdout + proc.stderr
    reader = browser.new_page()
    try:
        reader.goto(html.as_uri())
        tables = reader.evaluate(TABLES_JS)
        text = reader.locator("body").inner_text()
    finally:
        reader.close()
    return {"tables": tables, "text": text, "stderr": proc.stderr}


# -- the council officer ----------------------------------------------------------------------


def test_council_officer_opens_a_shared_plan_and_withheld_is_said_once(
    page: Any, live_server: LiveServer
) -> None:
    rows = query_db(
        live_server,
        "SELECT p.id, p.reference, p.victim, p.offender FROM cases_pmp p "
        "JOIN cases_pmp_partner_agencies x ON x.pmp_id = p.id "
        "JOIN partners_agency a ON a.id = x.agency_id WHERE a.name = ? "
        "AND p.id IN (SELECT x2.pmp_id FROM cases_pmp_partner_agencies x2 "
        "JOIN partners_agency a2 ON a2.id = x2.agency_id WHERE a2.name = ?) "
        "AND p.victim <> '' ORDER BY p.id",
        (EREWASH, FIRE),
    )
    assert rows, "the demo has no plan shared with both the council and the fire service"
    pk, reference, victim, offender = rows[0]

    sign_in(page, live_server, "demo.erewash")
    page.goto("/pmps/")
    assert_accessible(page, "plans, council officer")
    row = page.get_by_role("row").filter(has_text=reference)
    assert row.count() == 1
    href = row.get_by_role("link").first.get_attribute("href")
    _open_plan(page, href, "council officer")
    assert_accessible(page, "council officer: the plan")
    _shot(page, "council-plan")
    main = page.locator("main").inner_text()
    # Through the live partnership agreement: named, and nothing withheld.
    assert "under DEMO-ISA-001" in page.locator("#shared-by").inner_text()
    assert page.locator("#withheld").count() == 0 and "Withheld" not in main
    assert _after(page, "Victim").inner_text().strip() == victim.strip()
    assert _after(page, "Offender").inner_text().strip() == offender.strip()
    # The plan's figures are the database's.
    partners = sorted(
        r[0]
        for r in query_db(
            live_server,
            "SELECT a.name FROM cases_pmp_partner_agencies x JOIN partners_agency a "
            "ON a.id = x.agency_id WHERE x.pmp_id = ?",
            (pk,),
        )
    )
    shown = page.locator(".govuk-summary-list__row", has_text="Partner agencies").locator("dd")
    assert sorted(shown.inner_text().split(", ")) == partners
    linked = query_db(
        live_server,
        "SELECT i.id, i.reference, i.crime_type, i.month FROM cases_pmpincident l "
        "JOIN incidents_incident i ON i.id = l.incident_id WHERE l.pmp_id = ? ORDER BY i.id",
        (pk,),
    )
    assert len(linked) >= 10
    items = _after(page, "Linked incidents", level=2).locator("li").all_inner_texts()
    assert items == [f"{ref or i}: {ct}, {m}" for i, ref, ct, m in linked]
    actions = query_db(live_server, "SELECT COUNT(*) FROM cases_pmpaction WHERE pmp_id = ?", (pk,))[
        0
    ][0]
    assert page.locator("table[aria-labelledby='actions-heading'] tbody tr").count() == actions

    # A partner on the same plan whose agreement (DEMO-ISA-002) covers no personal details.
    _sign_out(page)
    sign_in(page, live_server, "demo.fire")
    _open_plan(page, href, "fire service officer")
    assert_accessible(page, "fire service officer: the plan")
    _shot(page, "fire-plan")
    main = page.locator("main").inner_text()
    note = page.locator("#withheld")
    assert note.count() == 1
    assert main.count("DEMO-ISA-002") == 1, "the reason is said more than once"
    assert main.count("are not covered by") == 1
    for part in ("Victim", "Offender"):
        assert _after(page, part).inner_text().startswith("Withheld")
    assert victim.strip() not in main and offender.strip() not in main
    # Incident summaries are shared under DEMO-ISA-002: the linked incidents are listed.
    items = _after(page, "Linked incidents", level=2).locator("li").all_inner_texts()
    assert len(items) == len(linked)


# -- the analyst's GeoJSON --------------------------------------------------------------------


def test_analyst_downloads_the_hot_spot_geojson_and_it_matches_sql(
    page: Any, live_server: LiveServer, month: str
) -> None:
    sign_in(page, live_server, "demo.analyst")
    page.goto("/hotspots/")
    page.wait_for_load_state()
    assert page.locator("#id_from").input_value() == month
    # The map has drawn its cells (what an analyst looks at before downloading them).
    page.locator("#hotspot-map-status").filter(has_text="Hover over a cell").wait_for()
    assert_accessible(page, "hot spots")
    _shot(page, "hotspots")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the cells as GeoJSON").click()
    download = info.value
    assert download.suggested_filename.endswith(".geojson")
    geojson = json.loads(Path(download.path()).read_text(encoding="utf-8"))

    stamp = geojson["asbhub"]
    assert stamp["scope"] == {
        "force": FORCE,
        "kinds": ["force_export", "police_uk_street"],
        "synthetic": False,
    }
    loads = stamp["data"]["loads"]
    assert loads and all(ld["force"] == FORCE for ld in loads), loads
    assert all(ld["month"] in (month, None) for ld in loads)
    # Bin the month's published ASB on the stamp's own grid, by SQL and arithmetic.
    grid = stamp["parameters"]["grid"]
    x0, y0, size, nx, ny = grid["x0"], grid["y0"], grid["cell_size"], grid["nx"], grid["ny"]
    points = query_db(
        live_server,
        "SELECT l.easting, l.northing FROM incidents_incident i JOIN incidents_source s "
        "ON s.id = i.source_id JOIN incidents_location l ON l.id = i.location_id "
        f"WHERE {REAL} AND i.crime_type = ? AND i.month = ? AND l.easting IS NOT NULL",
        (FORCE, ASB, month),
    )
    expected: dict[tuple[int, int], int] = {}
    for e, n in points:
        col, row = math.floor((e - x0) / size), math.floor((n - y0) / size)
        if 0 <= col < nx and 0 <= row < ny:
            expected[(row, col)] = expected.get((row, col), 0) + 1
    features = geojson["features"]
    counted = {
        (f["properties"]["row"], f["properties"]["col"]): f["properties"]["count"]
        for f in features
        if f["properties"]["count"] > 0
    }
    assert counted == expected
    assert sum(counted.values()) == _asb_count(live_server, month, month) == len(points)
    # The rest of the features are empty cells the test classes hot or cold, each saying so.
    empty = [f["properties"] for f in features if f["properties"]["count"] == 0]
    assert len(features) == len(expected) + len(empty)
    assert all(p["class"] != 0 for p in empty)
    assert all(p["note"] for p in empty if p["class"] > 0)
    # The page's own figures say the same.
    details = page.locator("dt:text-is('Records') + dd").inner_text()
    assert details.startswith(f"{len(points):,} matching; {sum(counted.values()):,} mapped")
    hot = sum(1 for f in features if f["properties"]["class"] > 0)
    found = page.locator("dt:text-is('Found') + dd").inner_text()
    assert found.startswith(f"{hot:,} hot spot cells"), found


# -- the Commissioner's office ----------------------------------------------------------------


def test_commissioners_dashboard_equals_the_report_and_sql(
    page: Any, live_server: LiveServer, month: str, report_tables: dict[str, Any]
) -> None:
    sign_in(page, live_server, "demo.opcc")
    page.goto("/scrutiny/dashboard/")
    page.wait_for_load_state()
    assert page.locator("#id_period").input_value() == month
    heading = page.get_by_role("heading", level=2).first.inner_text()
    assert heading.startswith(f"Neighbourhood crime and anti-social behaviour: {FORCE}")
    assert_accessible(page, "dashboard")
    _shot(page, "dashboard")
    dashboard = page.evaluate(TABLES_JS)
    report = report_tables["tables"]
    assert len(dashboard) >= 8
    assert sorted(dashboard) == sorted(report)
    for table_id, rows in dashboard.items():
        assert rows == report[table_id], table_id
    # The report names the same force and scope, and leaves the synthetic force out.
    assert f"records: {FORCE} (" in report_tables["stderr"]
    assert "synthetic data, --force NAME counts it" in report_tables["stderr"]
    assert f"{FORCE}: published police.uk records and force exports" in report_tables["text"]
    # The totals are the SQL counts of the scope.
    year = _asb_count(live_server, _month_back(month, 11), month)
    by_type = dashboard["table-asb-by-type"]
    assert by_type[-1][0] == "Total" and _n(by_type[-1][-1]) == year
    monthly = dashboard["table-monthly"]
    col = monthly[0].index("ASB incidents")
    assert sum(_n(r[col]) for r in monthly[1:]) == year
    for first_cell, *cells in monthly[1:]:
        m = next(
            _month_back(month, k) for k in range(12) if _label(_month_back(month, k)) == first_cell
        )
        assert _n(cells[col - 1]) == _asb_count(live_server, m, m), first_cell


# -- one figure, one answer -------------------------------------------------------------------


def test_one_figure_has_one_answer_everywhere(
    page: Any,
    live_server: LiveServer,
    month: str,
    report_tables: dict[str, Any],
    tmp_path: Path,
) -> None:
    """The same period, area and scope: the same number on every page, file and command."""
    n_month = _asb_count(live_server, month, month)
    n_year = _asb_count(live_server, _month_back(month, 11), month)
    n_quarter = _asb_count(live_server, _month_back(month, 2), month)
    every = query_db(
        live_server,
        "SELECT COUNT(*) FROM incidents_incident WHERE crime_type = ? AND month = ?",
        (ASB, month),
    )[0][0]
    assert every > n_month > 0, "the demo store mixes synthetic rows into the real month"
    seen: dict[str, int] = {}

    # The overview (public).
    page.goto("/")
    table = page.locator("#by-type-caption").locator("xpath=..")
    headers = table.locator("thead th").all_inner_texts()
    row = table.locator("tbody tr", has=page.locator("th", has_text=ASB)).last
    seen["overview"] = _n(row.locator("td").all_inner_texts()[headers.index(_label(month)) - 1])

    # The hot spot page and its GeoJSON (the analyst).
    sign_in(page, live_server, "demo.analyst")
    page.goto("/hotspots/")
    page.locator("#hotspot-map-status").filter(has_text="Hover over a cell").wait_for()
    records = page.locator("dt:text-is('Records') + dd").inner_text()
    seen["hot spot page"] = _n(records.split(" matching")[0])
    href = page.get_by_role("link", name="Download the cells as GeoJSON").get_attribute("href")
    geo = page.request.get(href)
    assert geo.ok, geo.text()
    seen["hot spot GeoJSON"] = sum(f["properties"]["count"] for f in geo.json()["features"])

    # The API's incident list, with the analyst's token.
    token = _asbhub(live_server, "api", "token", "create", "--user", "demo.analyst")
    assert token.returncode == 0, token.stderr
    secret = token.stdout.strip().splitlines()[-1]
    api = page.request.get(
        "/api/v1/incidents",
        params={"month": month, "crime_type": ASB, "limit": 1},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert api.ok, api.text()
    body = api.json()
    assert body["scope"]["force"] == FORCE and body["scope"]["synthetic"] is False
    seen["API /incidents"] = body["count"]

    # `asbhub hotspots` on the same store.
    cli = _asbhub(
        live_server,
        "hotspots",
        "--month",
        month,
        "--crime-type",
        "asb",
        "--method",
        "count",
        "--out",
        str(tmp_path / "hotspots.csv"),
    )
    assert cli.returncode == 0, cli.stderr
    seen["asbhub hotspots"] = _n(re.search(r"records\s+([\d,]+) matching", cli.stdout).group(1))

    # The dashboard and the report, month by month.
    _sign_out(page)
    sign_in(page, live_server, "demo.opcc")
    page.goto(f"/scrutiny/dashboard/?period={month}&area=")
    dashboard = page.evaluate(TABLES_JS)
    for name, tables in (("dashboard", dashboard), ("report", report_tables["tables"])):
        monthly = tables["table-monthly"]
        col = monthly[0].index("ASB incidents")
        cells = next(r for r in monthly[1:] if r[0] == _label(month))
        seen[f"{name} table-monthly"] = _n(cells[col])
    assert seen == dict.fromkeys(seen, n_month), seen

    # The 12 months to the month, in every section that counts them, and the quarter mapped.
    year: dict[str, int] = {}
    for name, tables in (("dashboard", dashboard), ("report", report_tables["tables"])):
        year[f"{name} by type"] = _n(tables["table-asb-by-type"][-1][-1])
        year[f"{name} by LPU"] = _n(tables["table-asb-by-lpu"][-1][-1])
        change = {r[0]: r for r in tables["table-force-change"][1:]}
        year[f"{name} force comparison"] = _n(change[FORCE][2])
        summary = {r[0]: r[1] for r in tables["table-hotspot-summary"][1:]}
        mapped = sum(
            _n(v)
            for k, v in summary.items()
            if k.startswith(("ASB incidents mapped", "Left out", "Outside"))
        )
        assert mapped == n_quarter, (name, summary)
    assert year == dict.fromkeys(year, n_year), year
