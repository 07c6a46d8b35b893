"""The forecast accuracy page, its CSV and stamp (issue #16 item 5) on the real sample: the
table is :func:`asbhub.analysis.forecast_accuracy` called directly on the same points (their
number checked against the sample read with the csv module); who may not open the places page
is refused here the same way."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from typing import Any

import pytest

from asbhub.analysis import forecast_accuracy
from asbhub.store.db import setup_django
from tests.web.test_hotspot_places import sign_in

setup_django()

URLS = ("/hotspots/forecast/", "/hotspots/forecast.csv", "/hotspots/forecast.csv.json")
QUERY = "?crime_type=asb&cell=500"


def test_signed_out_is_sent_to_sign_in(client: Any) -> None:
    for url in URLS:
        response = client.get(url + QUERY)
        assert response.status_code == 302 and "sign-in" in response["Location"], url


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        ("analyst", "police"),
        ("partner_officer", "district_council"),
        ("commissioner_viewer", "commissioner"),
    ],
)
def test_each_role_as_on_the_places_page(client: Any, role: str, kind: str) -> None:
    sign_in(client, role, kind)
    places = client.get("/hotspots/places/?crime_type=asb").status_code
    assert places in (200, 403)
    for url in URLS:
        assert client.get(url + QUERY).status_code == places, (role, url)


def cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    body = table.split("<tbody", 1)[1]
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]  # fmt: skip


def shown(v: Any, digits: int) -> str:
    v = float(v)
    return "–" if math.isnan(v) else ("∞" if math.isinf(v) else f"{v:.{digits}f}")


def test_table_equals_forecast_accuracy_on_the_same_points(client: Any, rows: list) -> None:
    from asbhub.store.scope import default_scope
    from asbhub.web.incidents import hotspot_forecast as page

    sign_in(client, "analyst")
    response = client.get("/hotspots/forecast/" + QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    scope = default_scope(page._store())
    months = sorted({r["Month"] for r in rows})
    points = page.page_points("asb", months, scope)
    # The points are the sample's located ASB records (read here with the csv module).
    located = sum(1 for r in rows if r["Crime type"] == "Anti-social behaviour" and r["Longitude"])
    assert points.frame.height >= located > 1000
    direct = forecast_accuracy(points.xy(), points.frame["month"].to_numpy(), cell_size=500.0)
    summary = direct.summary()
    table = cells(html, "forecast-summary")
    assert len(table) == len(summary) > 4
    for got, want in zip(table, summary, strict=True):
        assert got == [
            f"{float(want['area_share']):.0%}",
            got[1],
            str(want["months"]),
            shown(want["pai"], 2),
            shown(want["pei"], 3),
            shown(want["pei_star"], 3),
            shown(want["rri"], 2),
            shown(want["pai_vs_naive"], 2) + "×",
        ]
    assert f"{direct.n_points_used} records" in html
    # The CSV: every row of the direct result, each with the stamp's run id.
    stamp = json.loads(client.get("/hotspots/forecast.csv.json" + QUERY).content)
    assert stamp["method"] == "forecast_accuracy" and stamp["requested"]["cell_size"] == 500.0
    assert stamp["data"]["filters"]["crime_types"] == ["Anti-social behaviour"]
    assert stamp["data"]["filters"]["real_only"] is True
    assert stamp["scope"]["force"] == "Derbyshire Constabulary"
    assert stamp["command"] == "/hotspots/forecast/?crime_type=asb&cell=500"
    text = client.get("/hotspots/forecast.csv" + QUERY).content.decode("utf-8")
    assert text.startswith("\ufeff")
    got = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(got) == len(direct.rows)
    assert {r["run_id"] for r in got} == {stamp["run_id"]}
    for r, d in zip(got, direct.rows, strict=True):
        assert (r["method"], r["test_month"], float(r["captured"] or 0)) == (
            d.method,
            d.test_period,
            int(d.score.captured),
        )


def test_bad_choice_says_what_to_do(client: Any) -> None:
    sign_in(client, "analyst")
    response = client.get("/hotspots/forecast/?crime_type=asb&cell=7")
    assert response.status_code == 400 and "Cell size: choose" in response.content.decode()
    assert client.get("/hotspots/forecast.csv?crime_type=asb&cell=7").status_code == 400
