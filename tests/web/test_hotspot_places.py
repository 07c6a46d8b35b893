"""The places page, its CSV and GeoJSON (issue #16 item 4) on the real sample, as each kind of
user: figures equal an independent count of the sample; who may not see incident-level data
is refused; the downloads are formula-safe and open in GDAL."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pyogrio
import pytest

from asbhub.data import sample_paths
from asbhub.store.db import setup_django

setup_django()

QUERY = "?from=2019-01&to=2019-01&crime_type=asb&level=point&square=150"


def sample_asb(month: str) -> Counter[tuple[str, str, str]]:
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        raw = zf.read(f"{month}/{month}-derbyshire-street.csv").decode("utf-8-sig")
    return Counter(
        (r["Location"], r["Longitude"], r["Latitude"])
        for r in csv.DictReader(io.StringIO(raw))
        if r["Crime type"] == "Anti-social behaviour" and r["Longitude"]
    )


def sign_in(client: Any, role: str, kind: str = "police") -> None:
    from django.contrib.auth import get_user_model

    from asbhub.records.partners.models import Agency, UserProfile

    agency = Agency.objects.create(name=f"Places {kind} {role}", kind=kind)
    user = get_user_model().objects.create(username=f"places.{kind}.{role}")
    user.set_unusable_password()
    user.save()
    UserProfile.objects.create(user=user, agency=agency, role=role)
    client.force_login(user)


def test_signed_out_is_sent_to_sign_in(client: Any) -> None:
    for url in ("/hotspots/places/", "/hotspots/places.csv", "/api/hotspot-places.geojson"):
        response = client.get(url + QUERY)
        assert response.status_code == 302 and "sign-in" in response["Location"], url


@pytest.mark.parametrize(
    ("role", "kind", "status"),
    [
        ("analyst", "police", 200),
        ("supervisor", "police", 200),
        ("snt_officer", "police", 200),
        # No sharing agreement: no incident summaries, so no incident-level streets.
        ("partner_officer", "district_council", 403),
        ("commissioner_viewer", "commissioner", 403),
    ],
)
def test_each_role(client: Any, role: str, kind: str, status: int) -> None:
    sign_in(client, role, kind)
    for url in ("/hotspots/places/", "/hotspots/places.csv", "/api/hotspot-places.geojson"):
        assert client.get(url + QUERY).status_code == status, (role, url)


def test_page_figures_equal_an_independent_count(client: Any) -> None:
    sign_in(client, "analyst")
    response = client.get("/hotspots/places/" + QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    expected = sample_asb("2019-01")
    top = expected.most_common(1)[0]
    assert f"{sum(expected.values())} at {len(expected)} map points" in html
    assert top[0][0] in html
    assert 'id="places-top"' in html and 'id="places-squares"' in html
    assert "Bernasco and Steenbeek" in html


def test_bad_choice_says_what_to_do(client: Any) -> None:
    sign_in(client, "analyst")
    response = client.get("/hotspots/places/?from=2019-02&to=2019-01")
    assert response.status_code == 400
    assert "the period must end in or after the month it starts" in response.content.decode()


def test_downloads_are_stamped_safe_and_open_in_gdal(client: Any, tmp_path: Path) -> None:
    sign_in(client, "analyst")
    expected = sample_asb("2019-01")
    geo = client.get("/api/hotspot-places.geojson" + QUERY)
    assert geo.status_code == 200 and geo["Content-Type"] == "application/geo+json"
    doc = json.loads(geo.content)
    assert doc["asbhub"]["method"] == "places"
    assert doc["asbhub"]["requested"]["level"] == "point"
    path = tmp_path / "p.geojson"
    path.write_bytes(geo.content)
    info = pyogrio.read_info(path)
    assert info["features"] == len(expected) + 10  # every place and ten squares
    response = client.get("/hotspots/places.csv" + QUERY)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    points = [r for r in rows if r["kind"] == "point"]
    assert sorted(int(r["records"]) for r in points) == sorted(expected.values())
    assert {r["run_id"] for r in rows} == {doc["asbhub"]["run_id"]}


def test_rank_by_harm_needs_the_servers_weights_file(
    client: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sign_in(client, "analyst")
    monkeypatch.delenv("ASBHUB_HARM_WEIGHTS", raising=False)
    refused = client.get(
        "/hotspots/places/" + QUERY.replace("crime_type=asb", "crime_type=all") + "&rank_by=harm"
    )
    assert refused.status_code == 400 and "ASBHUB_HARM_WEIGHTS" in refused.content.decode()
    weights = tmp_path / "harm.csv"
    types = ["Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
             "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order",
             "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
             "Violence and sexual offences"]  # fmt: skip
    weights.write_text(
        "crime_type,weight,source\n"
        + "".join(f"{t},{100 if t == 'Robbery' else 1},test\n" for t in types),
        encoding="utf-8",
    )
    monkeypatch.setenv("ASBHUB_HARM_WEIGHTS", str(weights))
    query = QUERY.replace("crime_type=asb", "crime_type=all") + "&rank_by=harm"
    html = client.get("/hotspots/places/" + query).content.decode()
    assert 'id="rank_by"' in html and "most harmed map points" in html
    doc = json.loads(client.get("/api/hotspot-places.geojson" + query).content)
    assert doc["asbhub"]["parameters"]["rank_by"] == "harm"
    # By a loop over the sample: the most harmed map point's harm.
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        raw = zf.read("2019-01/2019-01-derbyshire-street.csv").decode("utf-8-sig")
    harm: Counter[tuple[str, str, str]] = Counter()
    for r in csv.DictReader(io.StringIO(raw)):
        if r["Longitude"]:
            harm[(r["Location"], r["Longitude"], r["Latitude"])] += (
                100 if r["Crime type"] == "Robbery" else 1
            )
    first = doc["features"][0]["properties"]
    assert first["harm"] == max(harm.values())
