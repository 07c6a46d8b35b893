"""Serving cost (issue #18 item 6): the overview's figures and map points are built once per
store version; a second request does not run their queries, and loading data renews them."""

from __future__ import annotations

import json
from pathlib import Path

from asbhub.store.db import Store

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context\n"
)


def _queries(client, url: str) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


def test_second_request_does_not_recompute_and_a_load_renews(
    client, sample_store: Store, tmp_path: Path
) -> None:
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.store.load import ingest
    from asbhub.web.incidents import views

    views._figures_at.cache_clear()
    views._latest_asb_points_at.cache_clear()
    first, cold = _queries(client, "/")
    again, warm = _queries(client, "/")
    # Not vacuous: the cold request ran the figures' grouped counts over the incidents.
    heavy = [q for q in cold if "GROUP BY" in q.upper() and "incidents_incident" in q]
    assert heavy, cold
    assert not [q for q in warm if "GROUP BY" in q.upper()], warm
    assert len(warm) < len(cold)
    # Only the store version is asked for (and any per-request reads of the page's frame).
    assert sum("incidents_source" in q for q in warm) == 1, warm
    assert again.content.count(b"<tr") == first.content.count(b"<tr")

    _, points_cold = _queries(client, "/api/incidents/latest-asb.geojson")
    points_response, points_warm = _queries(client, "/api/incidents/latest-asb.geojson")
    assert len(points_warm) < len(points_cold)
    before_points = len(json.loads(points_response.content)["features"])
    rows = views.overview_figures()["summary"]["rows"]

    # A new month of two ASB records: a load changes the store's version.
    extra = tmp_path / "2019-03-derbyshire-street.csv"
    extra.write_text(
        HEADER + ",2019-03,Derbyshire Constabulary,Derbyshire Constabulary,-1.4762,52.9225,"
        "On or near Test Street,E01013456,Derby 001A,Anti-social behaviour,,\n"
        + ",2019-03,Derbyshire Constabulary,Derbyshire Constabulary,-1.4763,52.9226,"
        "On or near Test Street,E01013456,Derby 001A,Anti-social behaviour,,\n"
    )
    assert ingest(sample_store, list(expand_inputs([extra]))).ok
    _, renewed = _queries(client, "/")
    assert [q for q in renewed if "GROUP BY" in q.upper()], renewed
    assert views.overview_figures()["summary"]["rows"] == rows + 2
    points = json.loads(client.get("/api/incidents/latest-asb.geojson").content)
    assert before_points > 100
    assert len(points["features"]) == 2  # the new latest month's
