"""The PMP incident finder: one search box over neighbourhood, LSOA name and street description
(ignoring case), and the search kept after linking or unlinking (issue 12, item 6)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from asbhub.geo import AreaHierarchy
from asbhub.store.db import setup_django
from tests.cases.fixtures import LPU, area_plan, lsoas_of, make_incidents  # noqa: F401
from tests.partners.conftest import (  # noqa: F401
    client,
    db,
    default_store,
    make_agency,
    make_agreement,
    make_user,
    police,
)

setup_django()

from asbhub.web.cases.models import Pmp, PmpIncident  # noqa: E402

ASB = "Anti-social behaviour"


def _offered(client: Any, pmp: Pmp, area: str) -> set[int]:
    data = client.get(f"/pmps/{pmp.pk}/incidents.geojson",
                      {"first": "2024-01", "last": "2024-02", "area": area}).json()
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
        client: Any, area_plan: Pmp, make_incidents: Any, police: Any,  # noqa: F811
        make_user: Any, by_rule: tuple[str, str, str]) -> None:  # noqa: F811
    code, _snt, hood = by_rule
    others = [c for c, _ in lsoas_of(LPU)
              if AreaHierarchy.load().neighbourhood_assignment[c].snt_code != _snt]
    there, elsewhere = make_incidents([(code, "2024-02", ASB), (others[0], "2024-02", ASB)])
    client.force_login(make_user("analyst", police, role="analyst"))
    # The neighbourhood's name, in lower case: the LSOA has no SNT in areas.csv, only by rule.
    assert _offered(client, area_plan, hood.lower()) == {there.pk}
    # A street description, in another case.
    street = elsewhere.location.description.upper().replace("ON OR NEAR ", "")
    assert _offered(client, area_plan, street) == {elsewhere.pk}
    # Part of an LSOA name, as before.
    assert _offered(client, area_plan, there.location.lsoa_name.lower()) == {there.pk}


def test_linking_keeps_the_search(client: Any, area_plan: Pmp, make_incidents: Any,  # noqa: F811
                                  police: Any, make_user: Any) -> None:  # noqa: F811
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
