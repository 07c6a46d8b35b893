"""The overview page, its CSV tables and the ASB GeoJSON, checked against an independent count
of the bundled sample made here with the csv module."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from html.parser import HTMLParser

import pytest

from asbhub.data import sample_paths
from asbhub.domain.dates import months_between
from asbhub.geo import bundled_areas_folder

LATEST = "2019-02"
MONTHS = ["2018-12", "2019-01", "2019-02"]
MONTH_HEADERS = ["Dec 2018", "Jan 2019", "Feb 2019"]
ASB = "Anti-social behaviour"
# Derbyshire's LSOA polygons span lon -2.034..-1.161, lat 52.697..53.538 (from
# lsoa_bng.geojson); about a kilometre of margin allows for police.uk's "on or near" points.
DERBYSHIRE_BOX = (-2.05, 52.68, -1.14, 53.55)


# -- independent references ----------------------------------------------------------------


def sample_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith(".csv"):
                rows += csv.DictReader(io.StringIO(zf.read(name).decode("utf-8-sig")))
    return rows


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return sample_rows()


def lpu_by_lsoa() -> dict[str, str]:
    with (bundled_areas_folder() / "areas.csv").open(encoding="utf-8", newline="") as fh:
        return {r["lsoa_code"]: r["lpu"] for r in csv.DictReader(fh)}


def expected_area(row: dict[str, str], lookup: dict[str, str]) -> str:
    code = row["LSOA code"].strip()
    if not code:
        return "No location"
    return lookup.get(code, "Outside force area")


# -- reading the page as a user agent would --------------------------------------------------


class Tables(HTMLParser):
    """Every table on a page: its caption, and each row as (cell tag, scope, text) triples."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td") and self.tables:
            self._cell = [tag, a.get("scope"), ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("th", "td") and self._cell is not None:
            self._cell[2] = " ".join(self._cell[2].split())
            self.tables[-1]["rows"][-1].append(tuple(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell[2] += data


def page_tables(html: str) -> dict[str, list[list[tuple]]]:
    parser = Tables()
    parser.feed(html)
    return {" ".join(t["caption"].split()): t["rows"] for t in parser.tables}


def table_starting(tables: dict, prefix: str) -> list[list[tuple]]:
    matches = [rows for caption, rows in tables.items() if caption.startswith(prefix)]
    assert len(matches) == 1, f"one table captioned {prefix!r}; captions: {list(tables)}"
    return matches[0]


def as_int(text: str) -> int:
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", text), f"{text!r} is not a count"
    return int(text.replace(",", ""))


def body_rows(table: list[list[tuple]]) -> dict[str, list[int]]:
    """Row header text -> the numbers in that row (header row skipped)."""
    out = {}
    for row in table[1:]:
        header, *cells = row
        assert header[0] == "th" and header[1] == "row"
        out[header[2]] = [as_int(c[2]) for c in cells]
    return out


@pytest.fixture(scope="module")
def overview_html(sample_store) -> str:
    from django.test import Client

    response = Client(HTTP_HOST="127.0.0.1").get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode("utf-8")


# -- the tables ------------------------------------------------------------------------------


def test_month_and_type_table_matches_an_independent_count(overview_html: str, rows: list) -> None:
    table = table_starting(page_tables(overview_html), "Records loaded by month")
    # Issue #12 item 7: the total first, then the newest month first, so neither hides
    # behind a scroll however many months are loaded.
    assert [c[2] for c in table[0]] == ["Type", "Total", *MONTH_HEADERS[::-1]]
    shown = body_rows(table)
    by_cell = Counter((r["Month"], r["Crime type"]) for r in rows)
    crime_types = sorted({r["Crime type"] for r in rows})
    assert len(crime_types) == 14
    for crime_type in crime_types:
        expected = [by_cell[(m, crime_type)] for m in MONTHS[::-1]]
        assert shown[crime_type] == [sum(expected), *expected], crime_type
    crime = [sum(by_cell[(m, t)] for t in crime_types if t != ASB) for m in MONTHS[::-1]]
    assert shown["Crime, all types"] == [sum(crime), *crime]
    by_month = Counter(r["Month"] for r in rows)
    assert shown["All records"] == [len(rows), *(by_month[m] for m in MONTHS[::-1])]
    assert len(rows) == 23_677


def test_area_table_puts_every_row_in_one_lpu_or_outside(overview_html: str, rows: list) -> None:
    lookup = lpu_by_lsoa()
    expected: dict[str, Counter] = {}
    for r in rows:
        kind = "asb" if r["Crime type"] == ASB else "crime"
        area = expected.setdefault(expected_area(r, lookup), Counter())
        area[kind] += 1
        area["latest_asb"] += kind == "asb" and r["Month"] == LATEST
    table = table_starting(page_tables(overview_html), "Records loaded by Local Policing Unit")
    assert [c[2] for c in table[0]] == ["LPU", "ASB", "Crime", "All records", "ASB, Feb 2019"]
    shown = body_rows(table)
    lpus = sorted(set(lookup.values()))
    assert len(lpus) == 11
    # All eleven LPUs in order, then the rows that are in none.
    assert list(shown)[:11] == lpus
    assert "Outside force area" in shown and expected["Outside force area"]["asb"] > 0
    for area, c in expected.items():
        assert shown[area] == [c["asb"], c["crime"], c["asb"] + c["crime"], c["latest_asb"]], area
    n_asb = sum(c["asb"] for c in expected.values())
    n_latest = sum(c["latest_asb"] for c in expected.values())
    assert shown["All areas"] == [n_asb, len(rows) - n_asb, len(rows), n_latest]


def test_summary_shows_rows_months_force_and_last_file(overview_html: str, rows: list) -> None:
    text = " ".join(re.sub(r"<[^>]+>", " ", overview_html).split())
    assert f"Records loaded {len(rows):,}" in text
    n_asb = sum(r["Crime type"] == ASB for r in rows)
    assert f"Anti-social behaviour {n_asb:,}; Crime {len(rows) - n_asb:,}" in text
    assert "Months covered 3 December 2018 to February 2019 Force" in text
    assert "Force Derbyshire Constabulary" in text
    # The last file loaded, named without the folders of the machine that loaded it.
    assert "2019-02-derbyshire-street.csv (in police-uk-derbyshire-2018-12-to-2019-02.zip)" in text
    assert str(sample_paths()[0].parent) not in overview_html


# -- CSV downloads ---------------------------------------------------------------------------


def get_csv(client, table: str) -> list[list[str]]:
    response = client.get("/", {"format": "csv", "table": table})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def test_csv_of_month_and_type_matches(client, rows: list) -> None:
    got = get_csv(client, "types")
    assert got[0] == ["record_type", "crime_type", *MONTHS, "total"]
    by_cell = Counter((r["Month"], r["Crime type"]) for r in rows)
    expected = []
    for crime_type in sorted({r["Crime type"] for r in rows}, key=lambda t: (t != ASB, t)):
        counts = [by_cell[(m, crime_type)] for m in MONTHS]
        kind = "asb" if crime_type == ASB else "crime"
        expected.append([kind, crime_type, *map(str, counts), str(sum(counts))])
    assert got[1:] == expected
    assert sum(int(r[-1]) for r in got[1:]) == len(rows)


def test_csv_of_areas_matches_the_page(client, overview_html: str, rows: list) -> None:
    got = get_csv(client, "areas")
    assert got[0] == ["lpu", "asb", "crime", "total", f"asb_{LATEST}"]
    shown = body_rows(table_starting(page_tables(overview_html), "Records loaded by Local"))
    shown.pop("All areas")
    assert {r[0]: [int(v) for v in r[1:]] for r in got[1:]} == shown
    assert sum(int(r[3]) for r in got[1:]) == len(rows)


def test_unknown_csv_table_or_format_is_not_found(client) -> None:
    assert client.get("/", {"format": "csv", "table": "nope"}).status_code == 404
    assert client.get("/", {"format": "xlsx"}).status_code == 404


# -- the map ---------------------------------------------------------------------------------


def test_geojson_has_every_latest_asb_row_with_coordinates(client, rows: list) -> None:
    response = client.get("/api/incidents/latest-asb.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    fc = json.loads(response.content)
    assert fc["type"] == "FeatureCollection" and fc["month"] == LATEST
    latest = [r for r in rows if r["Month"] == LATEST and r["Crime type"] == ASB]
    placed = [r for r in latest if r["Longitude"] and r["Latitude"]]
    assert len(placed) == 3142
    assert len(fc["features"]) == len(placed)
    assert fc["without_position"] == len(latest) - len(placed)
    # The same points, as a multiset: each incident is its own feature even at a shared point.
    got = Counter(
        (
            f["geometry"]["coordinates"][0],
            f["geometry"]["coordinates"][1],
            f["properties"]["location"],
        )
        for f in fc["features"]
    )
    want = Counter((float(r["Longitude"]), float(r["Latitude"]), r["Location"]) for r in placed)
    assert got == want
    west, south, east, north = DERBYSHIRE_BOX
    for f in fc["features"]:
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert west <= lon <= east and south <= lat <= north, f
        assert f["properties"]["month"] == LATEST
        assert f["properties"]["crime_type"] == ASB


def test_map_is_set_up_without_a_cdn_and_with_outlines(overview_html: str) -> None:
    from django.contrib.staticfiles import finders

    # Everything the page loads comes from this server: no CDN.
    for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', overview_html):
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is not a static file"
    assert 'data-points-url="/api/incidents/latest-asb.geojson"' in overview_html
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in overview_html
    outlines = json.loads(
        re.search(
            r'<script id="lpu-outlines" type="application/json">(.*?)</script>', overview_html, re.S
        ).group(1)
    )
    assert sorted(f["properties"]["lpu"] for f in outlines["features"]) == sorted(
        set(lpu_by_lsoa().values())
    )
    # Reprojected to WGS84: the outlines' extent is Derbyshire's.
    coords = [xy for f in outlines["features"] for xy in _flatten(f["geometry"]["coordinates"])]
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    west, south, east, north = DERBYSHIRE_BOX
    assert west <= min(lons) < -2.0 and -1.2 < max(lons) <= east
    assert south <= min(lats) < 52.72 and 53.5 < max(lats) <= north


def _flatten(coords: list) -> list:
    if coords and isinstance(coords[0], (int, float)):
        return [coords]
    return [xy for c in coords for xy in _flatten(c)]


def test_tiles_can_be_turned_off(client) -> None:
    from django.test import override_settings

    with override_settings(ASBHUB_TILE_URL=""):
        html = client.get("/").content.decode()
    assert 'data-tile-url=""' in html


def test_page_structure_is_accessible(overview_html: str) -> None:
    assert re.search(r'<html\b[^>]*\blang="en-GB"', overview_html)
    # The skip link is the body's first link, and lands on the main content.
    body = overview_html.split("<body", 1)[1]
    first_link = re.search(r"<a\b[^>]*>[^<]*</a>", body).group(0)
    assert 'href="#main"' in first_link and ">Skip to main content</a>" in first_link
    assert re.search(r'<main\b[^>]*\bid="main"', overview_html)
    assert len(re.findall(r"<h1[ >]", overview_html)) == 1
    # Every data cell holds a count: each is marked numeric, so it is right-aligned in
    # figures of equal width. Row headers (area and type names) are not.
    cells = re.findall(r"<td\b[^>]*>", overview_html)
    assert len(cells) > 100
    assert all("govuk-table__cell--numeric" in c for c in cells), cells[:3]
    assert not re.search(r'<th\b[^>]*scope="row"[^>]*--numeric', overview_html)
    tables = page_tables(overview_html)
    assert len(tables) == 2 and all(tables)  # both tables captioned
    for rows in tables.values():
        for row in rows:
            for tag, scope, _ in row:
                assert tag == "td" or scope in ("col", "row")
    text = " ".join(overview_html.split())
    for attribution in (
        "Contains public sector information licensed under the <a",
        "Open Government Licence v3.0",
        "Source: Office for National Statistics",
        "Contains OS data &copy; Crown copyright and database right 2025",
    ):
        assert attribution in text


# -- an empty store --------------------------------------------------------------------------


def test_empty_store_page_says_how_to_load_data(empty_default_store, client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No data loaded yet" in html
    assert "asbhub ingest PATH" in html and "make demo" in html
    assert "<table" not in html and "leaflet.js" not in html
    fc = json.loads(client.get("/api/incidents/latest-asb.geojson").content)
    assert fc == {"type": "FeatureCollection", "month": None, "without_position": 0, "features": []}
    assert get_csv(client, "types") == [["record_type", "crime_type", "total"]]


def test_sample_is_back_after_the_empty_store_test(client) -> None:
    assert "No data loaded yet" not in client.get("/").content.decode()


def test_months_covered_are_ranges_not_every_missing_month(client) -> None:
    """Issue #12 item 7: a gap of years shows as two ranges and a count, not 85 month names."""
    from asbhub.records.incidents.models import Incident, Source

    source = Source.objects.create(
        kind="synthetic",
        force="Derbyshire Constabulary",
        month="2026-06",
        content_hash="x",
        rows=2,
        file="synthetic",
        loaded_at="2026-07-01T00:00:00Z",
    )
    for line, month in enumerate(("2026-06", "2026-07"), start=1):
        Incident.objects.create(
            source=source, line=line, record_type="ASB", month=month, crime_type=ASB
        )
    text = " ".join(re.sub(r"<[^>]+>", " ", client.get("/").content.decode()).split())
    gap = len(months_between("2019-03", "2026-05"))
    assert gap == 87
    assert (
        f"Months covered 5 December 2018 to February 2019; June 2026 to July 2026 "
        f"({gap} months between with no records) Force"
    ) in text
    assert "April 2019" not in text
