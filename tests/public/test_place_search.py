"""Issue #12 item 7: a resident finds a place by street, neighbourhood or town name.

Every place offered is checked against the bundled sample read here with the csv module (not
asbhub's loader), and the areas against the mapping file; residents' own reports are never
offered as places.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from typing import Any

import pytest

from asbhub.data import sample_paths
from asbhub.geo import bundled_areas_folder
from asbhub.geo.places import Place, area_places, search


def _sample_streets(words: str) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(description, LSOA name) -> points of sample rows whose location contains ``words``."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for path in sample_paths():
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if not name.endswith(".csv"):
                    continue
                with z.open(name) as raw:
                    for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")):
                        if (
                            words.lower() in row["Location"].lower()
                            and row["Latitude"]
                            and row["LSOA code"]
                        ):
                            out.setdefault((row["Location"], row["LSOA name"]), []).append(
                                (float(row["Latitude"]), float(row["Longitude"]))
                            )
    return out


def _areas() -> list[dict[str, str]]:
    with open(bundled_areas_folder() / "areas.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_search_ranks_same_name_then_prefix_then_word_then_inside() -> None:
    def street(name: str) -> Place:
        return Place.street(f"On or near {name}", "X 001A", None, 53.0, -1.5, "E0")

    found = search(
        "market",
        [
            street("Old Market Street"),
            street("Supermarket"),
            street("Market"),
            street("Market Place"),
            street("Park Lane"),
        ],
    )
    assert [p.name for p in found] == ["Market", "Market Place", "Old Market Street", "Supermarket"]
    assert search("m", [street("Market")]) == []


def test_area_places_are_weighted_by_points() -> None:
    places = area_places(
        [
            ("A", "Abbey", "Derby", "Derby West"),
            ("B", "Abbey", "Derby", "Derby West"),
            ("C", None, "Erewash", "Erewash"),
        ],
        {"A": (53.0, -1.0, 1), "B": (54.0, -2.0, 3)},
    )
    assert [(p.kind, p.name, p.latitude, p.longitude) for p in places] == [
        ("neighbourhood", "Abbey", 53.75, -1.75),
        ("district", "Derby", 53.75, -1.75),
    ]
    # Erewash's only LSOA has no point: nowhere to put it, so it is left out.


@pytest.mark.usefixtures("sample_store")
def test_find_places_lists_every_market_place_of_the_sample(client: Any) -> None:
    expected = _sample_streets("On or near Market Place")
    assert len(expected) == 9  # the sample's own count, read above
    response = client.get("/report-asb/places/", {"q": "  market   place "})
    assert response.status_code == 200
    places = response.json()["places"]
    assert response.json()["query"] == "market place"
    got = {
        (p["label"].split(",")[0], p["label"].split(", ")[1].split(" (")[0]): p
        for p in places
        if p["kind"] == "Street"
    }
    assert set(got) == set(expected)
    for key, points in expected.items():
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        assert got[key]["latitude"] == pytest.approx(lat, abs=2e-6), key
        assert got[key]["longitude"] == pytest.approx(lon, abs=2e-6), key
    # The most useful first: exact names, then by name and LSOA.
    assert [p["name"] for p in places[:9]] == ["Market Place"] * 9


@pytest.mark.usefixtures("sample_store")
def test_find_places_finds_neighbourhoods_and_towns(client: Any) -> None:
    with open(bundled_areas_folder() / "neighbourhoods.csv", encoding="utf-8") as f:
        listed = {r["snt_name"]: r["lpu"] for r in csv.DictReader(f)}
    long_eaton = sorted(n for n in listed if n.lower().startswith("long eaton"))
    assert len(long_eaton) == 4, long_eaton  # North, Rural, South, Town: police.uk's list
    places = client.get("/report-asb/places/", {"q": "long eaton"}).json()["places"]
    hoods = {p["name"]: p for p in places if p["kind"].startswith("Neighbourhood")}
    assert sorted(hoods) == long_eaton
    # One with no LSOA in the mapping file is placed at its LPU's centre and says so.
    mapped = {a["snt_name"] for a in _areas() if a["snt_name"]}
    for name, place in hoods.items():
        assert place["detail"] == "Erewash"
        assert ("whole LPU" in place["kind"]) == (name not in mapped), place
    with_lsoas = {a["snt_name"] for a in _areas() if a["snt_name"]}
    sandiacre = client.get("/report-asb/places/", {"q": "Sandiacre"}).json()["places"]
    assert "Sandiacre" in with_lsoas
    assert [(p["name"], p["kind"]) for p in sandiacre if p["kind"] != "Street"] == [
        ("Sandiacre", "Neighbourhood")
    ]
    towns = client.get("/report-asb/places/", {"q": "Amber Valley"}).json()["places"]
    assert [(p["name"], p["kind"]) for p in towns] == [("Amber Valley", "Town or district")]
    assert 52.9 < towns[0]["latitude"] < 53.2 and -1.6 < towns[0]["longitude"] < -1.2


@pytest.mark.usefixtures("sample_store")
def test_a_residents_report_is_never_offered_as_a_place(client: Any) -> None:
    secret = "On or near Zzyzx Close behind number 12"
    sent = client.post(
        "/report-asb/",
        {
            "category": "N",
            "description": "Synthetic: loud music",
            "occurred_on": "3/2/2019",
            "latitude": "52.92",
            "longitude": "-1.47",
            "location_text": secret,
        },
    )
    assert sent.status_code == 302
    assert client.get("/report-asb/places/", {"q": "Zzyzx"}).json()["places"] == []
    assert "Zzyzx Close" not in client.get("/report-asb/", {"place": "Zzyzx"}).content.decode()


@pytest.mark.usefixtures("sample_store")
def test_place_search_without_javascript_fills_the_form(client: Any) -> None:
    page = client.get("/report-asb/", {"place": "Market Place"}).content.decode()
    assert "9 places found for &lsquo;Market Place&rsquo;" in page
    links = re.findall(r'<a class="govuk-link" href="(\?place=[^"]+)"', page)
    assert len(links) == 9
    first = html.unescape(links[0]).split("#")[0]
    picked = client.get("/report-asb/" + first).content.decode()
    lat = re.search(r'name="latitude" value="([^"]+)"', picked)
    text = re.search(
        r'id="id_location_text"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*'
        r'id="id_location_text"',
        picked,
    )
    assert lat and 52.6 < float(lat.group(1)) < 53.6
    assert text and html.unescape(text.group(1) or text.group(2)).startswith(
        "On or near Market Place, "
    )
    # A point outside Great Britain is not taken from the link.
    away = client.get("/report-asb/", {"lat": "10", "lon": "10", "where": "x"}).content.decode()
    assert 'name="latitude" value=' not in away.replace('value=""', "")


@pytest.mark.usefixtures("sample_store")
def test_map_opens_on_the_force_extent(client: Any) -> None:
    page = client.get("/report-asb/").content.decode()
    bounds = re.search(r'<script id="force-bounds" type="application/json">([^<]+)</script>', page)
    assert bounds
    (south, west), (north, east) = __import__("json").loads(bounds.group(1))
    lats: list[float] = []
    lons: list[float] = []
    codes = {a["lsoa_code"] for a in _areas()}
    for path in sample_paths():
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".csv"):
                    with z.open(name) as raw:
                        for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")):
                            if (
                                row["LSOA code"] in codes
                                and row["Latitude"]
                                and row["Location"].startswith("On or near ")
                            ):
                                lats.append(float(row["Latitude"]))
                                lons.append(float(row["Longitude"]))
    assert (south, west, north, east) == pytest.approx(
        (min(lats), min(lons), max(lats), max(lons)), abs=1e-6
    )
