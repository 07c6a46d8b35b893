"""Harm on the hot-spot page (issue #16 item 5): offered only when the server names a harm
weights file (``ASBHUB_HARM_WEIGHTS``, docs/harm.md); the harm-weighted counts are checked
against the sum of weights of the sample's records, read here with the csv module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_hotspots import located

TYPES = ["Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson",
         "Drugs", "Other crime", "Other theft", "Possession of weapons", "Public order",
         "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
         "Violence and sexual offences"]  # fmt: skip
#: Distinct weights, so a record counted under the wrong type changes the total.
WEIGHT = {t: float(i + 1) * 1.5 for i, t in enumerate(TYPES)}
PARAMS = {
    "area": "Chesterfield",
    "crime_type": "all",
    "from": "2019-01",
    "to": "2019-02",
    "method": "count",
    "cell": "250",
}


@pytest.fixture
def weights_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "harm-test.csv"
    path.write_text(
        "# synthetic weights for a test\ncrime_type,weight,source\n"
        + "".join(f"{t},{WEIGHT[t]},test index {i}\n" for i, t in enumerate(TYPES)),
        encoding="utf-8",
    )
    monkeypatch.setenv("ASBHUB_HARM_WEIGHTS", str(path))
    return path


def test_without_weights_the_choice_is_not_offered_and_harm_is_refused(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASBHUB_HARM_WEIGHTS", raising=False)
    html = client.get("/hotspots/", PARAMS).content.decode()
    assert 'name="harm"' not in html
    refused = client.get("/hotspots/", {**PARAMS, "harm": "1"})
    assert refused.status_code == 400
    assert "no harm weights are configured" in refused.content.decode()
    api = client.get("/api/hotspots.geojson", {**PARAMS, "harm": "1"})
    assert api.status_code == 400 and "ASBHUB_HARM_WEIGHTS" in json.loads(api.content)["error"]


def test_harm_weighted_counts_are_the_sum_of_the_records_weights(
    client: Any, rows: list, lpu_of: dict, weights_file: Path
) -> None:
    page = client.get("/hotspots/", PARAMS).content.decode()
    assert 'name="harm"' in page and "harm-test.csv" in page
    html = client.get("/hotspots/", {**PARAMS, "harm": "1"}).content.decode()
    assert "Harm weights" in html and "harm-test.csv" in html and "test index 9" in html
    assert "harm=1" in html  # the map's data and the download ask for the same
    fc = json.loads(client.get("/api/hotspots.geojson", {**PARAMS, "harm": "1"}).content)
    stamp = fc["asbhub"]
    assert stamp["data"]["excluded_strays_or_outside"] == 0  # so every located record counts
    expected = sum(
        WEIGHT[r["Crime type"]]
        for r in rows
        if "2019-01" <= r["Month"] <= "2019-02"
        and r["Longitude"]
        and lpu_of.get(r["LSOA code"]) == "Chesterfield"
    )
    n = located(rows, lpu_of, lpu="Chesterfield", crime_type=None, first="2019-01", last="2019-02")
    assert n > 100 and expected != pytest.approx(n)
    total = sum(f["properties"]["count"] for f in fc["features"])
    assert total == pytest.approx(expected)
    # The stamp names the weights file, its digest and each weight's source.
    harm_file = stamp["requested"]["harm_weights_file"]
    # The page is public: the file by its name, not the server's path to it.
    assert harm_file["name"] == weights_file.name and str(weights_file) not in html
    assert harm_file["sources"]["Robbery"] == "test index 9"
    assert stamp["requested"]["harm_weights"]["Robbery"] == WEIGHT["Robbery"]
    assert "harm=1" in stamp["command"]
    # Unweighted, the same cells count records.
    plain = json.loads(client.get("/api/hotspots.geojson", PARAMS).content)
    assert sum(f["properties"]["count"] for f in plain["features"]) == n
    assert "harm_weights_file" not in plain["asbhub"]["requested"]
