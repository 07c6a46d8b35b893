"""PMPs officers can use (issue 12, item 6): LPU and neighbourhood from the area hierarchy; the
incident finder's one search box over neighbourhood, LSOA name and street description (ignoring
case), kept after linking or unlinking; no review due on closed plans; one evaluation verdict."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from asbhub.geo import AreaHierarchy
from asbhub.store.db import setup_django
from tests.cases.support import LPU, lsoas_of

setup_django()

from asbhub.records.cases.models import Pmp, PmpIncident  # noqa: E402

ASB = "Anti-social behaviour"


def _offered(client: Any, pmp: Pmp, area: str) -> set[int]:
    data = client.get(
        f"/pmps/{pmp.pk}/incidents.geojson", {"first": "2024-01", "last": "2024-02", "area": area}
    ).json()
    return {i["id"] for f in data["features"] for i in f["properties"]["incidents"]}


@pytest.fixture
def by_rule() -> tuple[str, str, str]:
    """An Erewash LSOA the ward mapping leaves without an SNT but the neighbour rule places,
    with its neighbourhood's name."""
    areas = AreaHierarchy.load()
    names = dict(areas.neighbourhoods.select("snt_code", "snt_name").iter_rows())
    for code, _ in lsoas_of(LPU):
        got = areas.neighbourhood_assignment[code]
        if got.rule == "neighbours":
            return code, got.snt_code or "", names[got.snt_code]
    raise AssertionError("no Erewash LSOA is placed by the neighbour rule")


def test_finder_matches_neighbourhood_name_street_and_lsoa_name_ignoring_case(
    client: Any,
    area_plan: Pmp,
    make_incidents: Any,
    police: Any,
    make_user: Any,
    by_rule: tuple[str, str, str],
) -> None:
    code, _snt, hood = by_rule
    # One hierarchy: each load works its neighbourhood assignment out again (~0.7 s).
    assignment = AreaHierarchy.load().neighbourhood_assignment
    others = [c for c, _ in lsoas_of(LPU) if assignment[c].snt_code != _snt]
    there, elsewhere = make_incidents([(code, "2024-02", ASB), (others[0], "2024-02", ASB)])
    client.force_login(make_user("analyst", police, role="analyst"))
    # The neighbourhood's name, in lower case: the LSOA has no SNT in areas.csv, only by rule.
    assert _offered(client, area_plan, hood.lower()) == {there.pk}
    # A street description, in another case.
    street = elsewhere.location.description.upper().replace("ON OR NEAR ", "")
    assert _offered(client, area_plan, street) == {elsewhere.pk}
    # Part of an LSOA name, as before.
    assert _offered(client, area_plan, there.location.lsoa_name.lower()) == {there.pk}
    # Neighbourhoods with no LSOA at all (Long Eaton's four): the page says why and what to do.
    page = client.get(
        f"/pmps/{area_plan.pk}/incidents/",
        {"first": "2024-01", "last": "2024-02", "area": "long eaton"},
    )
    note = page.content.decode()
    assert (
        "Long Eaton North, Long Eaton Rural, Long Eaton South, Long Eaton Town have no "
        "LSOA in the force's area mapping"
    ) in note
    assert "Search by a street name or an LSOA name instead." in note


def test_linking_keeps_the_search(
    client: Any,
    area_plan: Pmp,
    make_incidents: Any,
    police: Any,
    make_user: Any,
) -> None:
    code = lsoas_of(LPU)[0][0]
    one, two = make_incidents([(code, "2024-01", ASB), (code, "2024-02", ASB)])
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    search = {"first": "2024-01", "last": "2024-02", "crime_type": ASB, "area": "synthetic"}
    url = f"/pmps/{area_plan.pk}/incidents/"
    page = client.get(url, search).content.decode()
    assert f'value="{one.pk}"' in page and f'value="{two.pk}"' in page
    qs = "?" + "&".join(f"{k}={v.replace(' ', '+')}" for k, v in search.items())
    for op, version in (("link", 1), ("unlink", 2)):
        done = client.post(url + qs, {"op": op, "incident": [one.pk], "version": version})
        assert done.status_code == 302
        back = parse_qs(urlsplit(done["Location"]).query)
        assert {k: back[k] for k in search} == {k: [v] for k, v in search.items()}
        assert back["done"] == [f"{'linked' if op == 'link' else 'removed'}"]
        again = client.get(done["Location"]).content.decode()
        # The same search is shown again, with its results and the confirmation.
        assert 'value="synthetic"' in again and f'value="{two.pk}"' in again
    assert not PmpIncident.objects.filter(pmp=area_plan).exists()


def test_lpu_and_neighbourhood_are_chosen_from_the_area_hierarchy(
    client: Any, area_plan: Pmp, police: Any, make_user: Any
) -> None:
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    form = {
        "title": "Drinking by the canal",
        "problem_type": area_plan.problem_type_id,
        "lpu": "Ilkeston",
        "area": "",
        "statement": "",
        "data_summary": "",
        "victim": "",
        "offender": "",
        "location": "",
        "assessment": "",
        "review_cadence_days": 28,
        "next_review_due": "",
    }
    before = Pmp.objects.count()
    refused = client.post("/pmps/new/", form)
    html = refused.content.decode()
    assert refused.status_code == 200 and Pmp.objects.count() == before
    assert "&#x27;Ilkeston&#x27; is not a Local Policing Unit of Derbyshire Constabulary" in html
    # The LPUs offered are the hierarchy's, and neighbourhoods are grouped by LPU.
    page = client.get("/pmps/new/").content.decode()
    assert '<option value="Erewash">Erewash</option>' in page
    assert '<optgroup label="Erewash">' in page and '<option value="Sandiacre">' in page
    # A neighbourhood of another LPU is refused, saying where it is.
    wrong = client.post("/pmps/new/", {**form, "lpu": "High Peak", "area": "Sandiacre"})
    assert "The neighbourhood Sandiacre is in Erewash LPU, not High Peak" in wrong.content.decode()
    made = client.post("/pmps/new/", {**form, "lpu": "Erewash", "area": "Sandiacre"})
    assert made.status_code == 302
    assert Pmp.objects.filter(title="Drinking by the canal").values_list("lpu", "area").get() == (
        "Erewash",
        "Sandiacre",
    )


def test_an_old_free_text_lpu_is_shown_and_must_be_replaced(
    client: Any, area_plan: Pmp, police: Any, make_user: Any
) -> None:
    Pmp.objects.filter(pk=area_plan.pk).update(lpu="Ilkeston", area="Ilkeston town centre")
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    page = client.get(f"/pmps/{area_plan.pk}/edit/").content.decode()
    assert (
        '<option value="Ilkeston" selected>Ilkeston (entered before: not an LPU of '
        "Derbyshire Constabulary, choose one)</option>"
    ) in page
    assert '<option value="Ilkeston town centre" selected>' in page
    form = {
        "title": area_plan.title,
        "problem_type": area_plan.problem_type_id,
        "lpu": "Ilkeston",
        "area": "Ilkeston town centre",
        "stage": "scanning",
        "statement": "",
        "data_summary": "",
        "victim": "",
        "offender": "",
        "location": "",
        "assessment": "",
        "review_cadence_days": 28,
        "next_review_due": "",
        "version": area_plan.version,
    }
    kept = client.post(f"/pmps/{area_plan.pk}/edit/", form)
    assert "is not a Local Policing Unit of Derbyshire Constabulary" in kept.content.decode()
    fixed = client.post(f"/pmps/{area_plan.pk}/edit/", {**form, "lpu": "Erewash"})
    assert fixed.status_code == 302
    assert Pmp.objects.values_list("lpu", "area").get(pk=area_plan.pk) == (
        "Erewash",
        "Ilkeston town centre",
    )


def test_closed_plans_have_no_review_due(
    client: Any,
    area_plan: Pmp,
    police: Any,
    make_user: Any,
) -> None:
    import datetime as dt

    from django.utils import timezone

    long_ago = timezone.localdate() - dt.timedelta(days=40)
    Pmp.objects.filter(pk=area_plan.pk).update(
        stage="closed", closed_at=timezone.now(), next_review_due=long_ago
    )
    client.force_login(make_user("sgt.smith", police, role="supervisor"))
    detail = f"/pmps/{area_plan.pk}/?purpose=supervision"
    for url in ("/pmps/", detail, f"/pmps/{area_plan.pk}/review/"):
        html = client.get(url).content.decode()
        assert area_plan.reference in html, url
        assert 'govuk-tag--red">Overdue' not in html and "is overdue" not in html, url
        assert f"{long_ago.day} {long_ago:%b} {long_ago.year}" not in html, url
        assert f"{long_ago.day} {long_ago:%B} {long_ago.year}" not in html, url
    assert "None: closed" in client.get("/pmps/").content.decode()
    assert "None: the plan is closed" in client.get(detail).content.decode()
    # The "due or overdue" filter leaves it out too.
    assert area_plan.reference not in client.get("/pmps/", {"review": "due"}).content.decode()


def test_evaluation_reads_as_one_verdict_with_its_numbers(
    client: Any, area_plan: Pmp, police: Any, make_user: Any
) -> None:
    stored = {
        "counts": {
            "response_before": 40,
            "response_after": 20,
            "buffer_before": 30,
            "buffer_after": 52,
            "control_before": 200,
            "control_after": 190,
        },
        "areas": {"response": 2, "buffer": 5, "control": 60},
        "crime_types": [ASB],
        "periods": {"before": ["2024-01", "2024-03"], "after": ["2024-05", "2024-07"]},
        "confidence": 0.95,
        "response_change_percent": -50.0,
        "control_change_percent": -5.0,
        "rate_ratio": 1.4,
        "rr_ci_low": 1.1,
        "rr_ci_high": 1.9,
        "rr_p_value": 0.01,
        "rr_percent_change": -28.6,
        "rr_reason": None,
        "wdq": -1.6,
        "wdq_reading": "displacement greater than the direct effect (net harm)",
        "wdq_reason": None,
        "net_effect": -9.5,
        "net_effect_reason": None,
    }
    Pmp.objects.filter(pk=area_plan.pk).update(stage="assessment", evaluation=stored)
    client.force_login(make_user("pc.jones", police, role="snt_officer"))
    html = client.get(f"/pmps/{area_plan.pk}/stage/").content.decode()
    assert 'data-outcome="mixed"' in html
    assert (
        "Mixed: the response area did better than the control (rate ratio 1.40, 95% "
        "interval 1.10 to 1.90), but displacement into the buffer outweighed it: 9.5 "
        "incidents more than the control&#x27;s trend implies"
    ) in html
    # No signed count beside words that already carry the sign, no generic "Above 1" legend.
    assert "-9.5" not in html and "incidents added" not in html and "Above 1:" not in html
