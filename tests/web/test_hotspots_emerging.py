"""The hotspot page's emerging method (issue #16): the map's classes and key, its GeoJSON
against an independent count, and the message for a single month."""

from __future__ import annotations

import pytest

from asbhub.analysis import EMERGING_CATEGORIES
from tests.web.test_hotspots import ASB, located, text_of

PARAMS = {"method": "emerging", "from": "2018-12", "to": "2019-02", "cell": "1000"}


def test_emerging_method_renders_with_its_key_and_parameters(client) -> None:
    response = client.get("/hotspots/", PARAMS)
    assert response.status_code == 200
    text = text_of(response.content.decode())
    assert "Emerging hot spots (space-time Gi*, Mann-Kendall; ArcGIS categories)" in text
    assert "Mann-Kendall at p ≤ 0.05 over 3 months" in text
    for name in ("New hot spot", "Persistent hot spot", "Historical cold spot", "No pattern"):
        assert name in text


def test_emerging_geojson_counts_every_located_record(client, rows, lpu_of) -> None:
    response = client.get("/api/hotspots.geojson", PARAMS)
    assert response.status_code == 200
    fc = response.json()
    assert fc["asbhub"]["method"] == "emerging"
    assert fc["asbhub"]["parameters"]["periods"] == ["2018-12", "2019-01", "2019-02"]
    feats = fc["features"]
    assert all(f["properties"]["category"] in EMERGING_CATEGORIES for f in feats)
    expected = located(rows, lpu_of, lpu=None, crime_type=ASB, first="2018-12", last="2019-02")
    assert sum(f["properties"]["count"] for f in feats) == expected


@pytest.mark.parametrize("month", ["2019-01"])
def test_one_month_is_refused_with_a_reason(client, month: str) -> None:
    response = client.get("/hotspots/", {**PARAMS, "from": month, "to": month})
    assert response.status_code == 400
    assert "choose a period of at least two months" in text_of(response.content.decode())
