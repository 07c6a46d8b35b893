"""The hotspot page and its GeoJSON, checked against an independent count of the bundled
sample made here with the csv module."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from tests.web.test_overview import page_tables, table_starting

ASB = "Anti-social behaviour"
MONTHS = ("2018-12", "2019-01", "2019-02")
GISTAR_LABELS = (
    "Hot spot, 99% confidence",
    "Hot spot, 95% confidence",
    "Hot spot, 90% confidence",
    "Not significant",
    "Cold spot, 90% confidence",
    "Cold spot, 95% confidence",
    "Cold spot, 99% confidence",
)


def located(
    rows: list, lpu_of: dict, *, lpu: str | None, crime_type: str | None, first: str, last: str
) -> int:
    return sum(
        1
        for r in rows
        if first <= r["Month"] <= last
        and r["Longitude"]
        and r["Latitude"]
        and (crime_type is None or r["Crime type"] == crime_type)
        and (lpu is None or lpu_of.get(r["LSOA code"]) == lpu)
    )


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- the page -------------------------------------------------------------------------------


def test_page_renders_with_the_form_legend_and_parameters(client) -> None:
    response = client.get("/hotspots/")
    assert response.status_code == 200
    html = response.content.decode()
    # The form: labelled selects, the method as a fieldset of radios, defaults chosen.
    for name in ("area", "crime_type", "from", "to", "cell"):
        assert re.search(rf'<label class="govuk-label[^"]*" for="id_{name}">', html), name
        select = re.search(rf'<select\b[^>]*\bname="{name}"[^>]*>', html).group(0)
        assert f'id="id_{name}"' in select and 'class="govuk-select"' in select, name
    assert html.count('type="radio" name="method"') == 4  # gistar, kde, count, emerging
    assert re.search(r'value="gistar" checked', html)
    assert re.search(r'<option value="asb" selected>Anti-social behaviour</option>', html)
    assert re.search(r'<option value="2019-02" selected>February 2019</option>', html)
    for legend in ("Choose what to map", "Method"):
        assert re.search(rf'<legend class="govuk-fieldset__legend[^"]*">{legend}</legend>', html)
    text = text_of(html)
    for label in GISTAR_LABELS:
        assert label in text, label
    assert "Parameters and counts" in text and "Benjamini-Hochberg" in text
    assert "Getis-Ord Gi* hot and cold spots: Anti-social behaviour, February 2019" in text
    assert (
        'data-geojson-url="/api/hotspots.geojson?area=&amp;crime_type=asb&amp;from=2019-02' in html
    )
    assert len(re.findall(r"<h1[ >]", html)) == 1
    # Everything the page loads comes from this server.
    for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert url.startswith("/static/"), url


def test_page_tables_agree_with_the_geojson(client) -> None:
    params = {
        "area": "",
        "crime_type": "asb",
        "from": "2019-01",
        "to": "2019-02",
        "method": "gistar",
        "cell": "500",
    }
    html = client.get("/hotspots/", params).content.decode()
    fc = json.loads(client.get("/api/hotspots.geojson", params).content)
    tables = page_tables(html)
    by_lpu = table_starting(tables, "Hot spot cells by LPU")
    assert [c[2] for c in by_lpu[0]] == [
        "LPU",
        "99%",
        "95%",
        "90%",
        "All hot spot cells",
        "Records in them",
    ]
    hot = [f["properties"] for f in fc["features"] if f["properties"]["class"] > 0]
    per_lpu = Counter(p["lpu"] or "Outside force area" for p in hot)
    shown = {row[0][2]: [int(c[2].replace(",", "")) for c in row[1:]] for row in by_lpu[1:]}
    for lpu, n in per_lpu.items():
        assert shown[lpu][3] == n, lpu
    assert shown["All"][3] == len(hot)
    assert shown["All"][4] == sum(p["count"] for p in hot)
    top = table_starting(tables, "The 20 strongest hot spots")
    first = top[1]
    best = max(hot, key=lambda p: (p["class"], p["z"]))
    assert first[3][2] == best["cell_id"]
    assert float(first[5][2]) == pytest.approx(best["z"], abs=0.01)


def test_nav_links_the_pages(client) -> None:
    html = client.get("/").content.decode()
    assert re.search(r'<nav aria-label="Main"', html)
    assert 'href="/hotspots/"' in html and 'aria-current="page">Overview' in html
    assert 'aria-current="page">Hot spots' in client.get("/hotspots/").content.decode()


@pytest.mark.parametrize("method", ["kde", "count"])
def test_other_methods_render(client, method: str) -> None:
    response = client.get("/hotspots/", {"method": method, "cell": "1000", "crime_type": "all"})
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert ("densest" if method == "kde" else "busiest") in text


# -- the data -------------------------------------------------------------------------------


def test_geojson_counts_match_an_independent_count(client, rows, lpu_of) -> None:
    params = {
        "area": "Chesterfield",
        "crime_type": "asb",
        "from": "2018-12",
        "to": "2019-01",
        "method": "gistar",
        "cell": "250",
    }
    response = client.get("/api/hotspots.geojson", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    fc = json.loads(response.content)
    stamp = fc["asbhub"]
    expected = located(
        rows, lpu_of, lpu="Chesterfield", crime_type=ASB, first="2018-12", last="2019-01"
    )
    assert expected > 100
    total = sum(f["properties"]["count"] for f in fc["features"])
    assert total == expected - stamp["data"]["excluded_strays_or_outside"]
    assert stamp["data"]["filters"] == {
        "months": ["2018-12", "2019-01"],
        "crime_types": [ASB],
        "record_types": None,
        "lpu": "Chesterfield",
        "snt": None,
        # The page's scope (issue #12): the force's recorded data.
        "force": "Derbyshire Constabulary",
        "kinds": ["force_export", "police_uk_street"],
        "real_only": True,
    }
    assert stamp["parameters"]["cell_size"] == 250 and stamp["data"]["kind"] == "store"
    assert [load["month"] for load in stamp["data"]["loads"]] == ["2018-12", "2019-01"]
    assert all(f["geometry"]["type"] == "Polygon" for f in fc["features"])


def test_all_types_force_wide_counts_every_located_record(client, rows, lpu_of) -> None:
    fc = json.loads(
        client.get(
            "/api/hotspots.geojson",
            {
                "crime_type": "all",
                "from": "2019-02",
                "to": "2019-02",
                "method": "count",
                "cell": "1000",
            },
        ).content
    )
    expected = located(rows, lpu_of, lpu=None, crime_type=None, first="2019-02", last="2019-02")
    total = sum(f["properties"]["count"] for f in fc["features"])
    assert total == expected - fc["asbhub"]["data"]["excluded_strays_or_outside"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"area": "Nowhere"}, "area"),
        ({"method": "magic"}, "method"),
        ({"cell": "7"}, "cell"),
        ({"from": "2019-02", "to": "2018-12"}, "to"),
        ({"from": "2030-01"}, "from"),
        ({"crime_type": "Piracy"}, "crime_type"),
    ],
)
def test_bad_parameters_are_a_400_with_a_message(client, params: dict, field: str) -> None:
    response = client.get("/api/hotspots.geojson", params)
    assert response.status_code == 400
    body = json.loads(response.content)
    assert field in body["fields"] and body["error"].startswith("bad parameters")
    page = client.get("/hotspots/", params)
    assert page.status_code == 400
    html = page.content.decode()
    assert "There is a problem" in html and f'href="#id_{field}' in html
    assert "<title>Error: " in html


def test_a_choice_with_no_records_says_so(client, rows, lpu_of) -> None:
    types = sorted({r["Crime type"] for r in rows} - {ASB})
    lpus = sorted(set(lpu_of.values()))
    empty = next(
        (lpu, t, m)
        for t in types
        for lpu in lpus
        for m in MONTHS
        if not any(
            r["Month"] == m and r["Crime type"] == t and lpu_of.get(r["LSOA code"]) == lpu
            for r in rows
        )
    )
    lpu, crime_type, month = empty
    params = {"area": lpu, "crime_type": crime_type, "from": month, "to": month}
    page = client.get("/hotspots/", params)
    assert page.status_code == 200
    assert "no records match the filters" in page.content.decode()
    response = client.get("/api/hotspots.geojson", params)
    assert response.status_code == 404
    assert "no records match" in json.loads(response.content)["error"]


def test_empty_store_says_there_is_nothing_to_map(empty_default_store, client) -> None:
    response = client.get("/hotspots/")
    assert response.status_code == 200
    assert "No records are loaded yet" in response.content.decode()
    assert client.get("/api/hotspots.geojson").status_code == 404
