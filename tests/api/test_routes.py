"""A permission test for every API route, found from the NinjaAPI object itself, so a route
added without a test here fails :func:`test_every_route_has_a_permission_test`.

For each route: no token is 401, an account with no agency is 403, and the route's own check
below: what the police analyst, a partner with and without an agreement, and an unrelated
agency see, with the audit entries each read leaves.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.api.support import MISSING_ID, share

setup_django()

from asbhub.records.cases import services as cases  # noqa: E402
from asbhub.records.partners.access import PURPOSES  # noqa: E402
from asbhub.records.partners.models import AuditEntry  # noqa: E402
from asbhub.web.api.api import api  # noqa: E402

BASE = "/api/v1"


def api_routes() -> set[tuple[str, str]]:
    """(method, path) of every operation registered on the API."""
    return {
        (method, path)
        for _, router in api._routers
        for path, view in router.path_operations.items()
        for op in view.operations
        for method in op.methods
    }


def get(client: Any, auth: dict[str, str], path: str, **params: Any) -> Any:
    return client.get(BASE + path, params, **auth)


def entries(object_type: str, object_id: Any, action: str | None = None) -> list[AuditEntry]:
    qs = AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id))
    return [e for e in qs if action is None or e.action == action]


def assert_same_404(
    client: Any, auth: dict[str, str], path: str, record_id: int, object_type: str, username: str
) -> None:
    """Another agency's id and a missing id give byte-identical 404s, both audited as denied."""
    theirs = get(client, auth, path.format(record_id), purpose="case")
    missing = get(client, auth, path.format(MISSING_ID), purpose="case")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    assert "that you can see" in theirs.json()["detail"]
    for pk in (record_id, MISSING_ID):
        denied = entries(object_type, pk, "denied")
        assert [e.username for e in denied] == [username]


def assert_viewed(object_type: str, pk: int, username: str, purpose: str = "case") -> AuditEntry:
    views = entries(object_type, pk, "view")
    assert len(views) == 1
    entry = views[0]
    assert (entry.username, entry.purpose) == (username, PURPOSES[purpose])
    assert entry.detail["channel"] == "api" and entry.detail["token"]
    assert entry.ip == "192.0.2.10"
    return entry


def withheld(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {w["category"]: w for w in body["withheld"]}


def people(body: dict[str, Any]) -> dict[int, Any]:
    return {p["id"]: p["details"] for p in body["people"]}


# -- one check per route ---------------------------------------------------------------------


def check_incident_list(
    client: Any, w: SimpleNamespace, token_for: Any, make_agreement: Any
) -> None:
    mine = get(client, token_for(w.analyst), "/incidents", lpu="Synthetic LPU").json()
    assert [i["id"] for i in mine["items"]] == [w.incident.pk] and mine["count"] == 1
    assert "people" not in mine["items"][0] and "thrive" not in mine["items"][0]
    # The council has no agreement: no police incident at all.
    officer = token_for(w.officer)
    assert get(client, officer, "/incidents").json()["count"] == 0
    share(make_agreement, w, ["incident_summary"])
    shared = get(client, officer, "/incidents", lpu="Synthetic LPU").json()
    assert [i["id"] for i in shared["items"]] == [w.incident.pk]
    assert "Avery Testperson" not in json.dumps(shared)


def check_incident_detail(
    client: Any, w: SimpleNamespace, token_for: Any, make_agreement: Any
) -> None:
    path = "/incidents/{}"
    # Summary only is shared: no agreement at all is a 404, like a missing id.
    officer = token_for(w.officer)
    assert_same_404(client, officer, path, w.incident.pk, "incidents.incident", "council.officer")
    share(make_agreement, w, ["incident_summary", "victim_personal"])
    body = get(client, officer, path.format(w.incident.pk), purpose="safeguarding").json()
    seen = people(body)
    assert seen[w.victim.pk]["name"] == "Avery Testperson"
    assert seen[w.suspect.pk] is None and seen[w.witness.pk] is None
    held = withheld(body)
    assert set(held) == {"perpetrator_personal", "witness_personal", "risk_assessment"}
    assert held["perpetrator_personal"]["people"] == [w.suspect.pk]
    assert "not covered by ISA-API-1" in held["perpetrator_personal"]["reason"]
    assert body["thrive"] is None
    for secret in ("Blake Madeupname", "Casey Fictional", "01234 000002"):
        assert secret not in json.dumps(body)
    entry = assert_viewed("incidents.incident", w.incident.pk, "council.officer", "safeguarding")
    assert entry.detail["people_withheld"] == sorted([w.suspect.pk, w.witness.pk])
    # The police analyst sees everyone and the risk assessment.
    full = get(client, token_for(w.analyst), path.format(w.incident.pk), purpose="case").json()
    assert people(full)[w.suspect.pk]["phone"] == "01234 000002"
    assert full["thrive"]["risk"] == "high" and full["withheld"] == []
    # A purpose is required for personal data, and the error says which codes.
    missing = get(client, token_for(w.analyst), path.format(w.incident.pk))
    assert missing.status_code == 422 and "safeguarding" in missing.json()["detail"]


def check_pmp_list(client: Any, w: SimpleNamespace, token_for: Any, make_agreement: Any) -> None:
    for user, expected in ((w.analyst, [w.plan.pk]), (w.officer, [w.plan.pk]), (w.stranger, [])):
        body = get(client, token_for(user), "/pmps", lpu="Synthetic LPU").json()
        assert [p["id"] for p in body["items"]] == expected, user
        assert "Victimname" not in json.dumps(body)
    # Filters as the list page: stage and overdue.
    analyst = token_for(w.analyst)
    assert get(client, analyst, "/pmps", stage="analysis").json()["count"] == 0
    assert get(client, analyst, "/pmps", stage="scanning", lpu="Synthetic LPU").json()["count"] == 1
    # Issue #12: demonstration plans are marked, and left out or chosen on request.
    assert get(client, analyst, "/pmps").json()["items"][0]["is_demo"] is False
    type(w.plan).objects.filter(pk=w.plan.pk).update(is_demo=True)
    marked = get(client, analyst, "/pmps").json()["items"]
    assert [(p["id"], p["is_demo"]) for p in marked] == [(w.plan.pk, True)]
    assert get(client, analyst, "/pmps", demo="false").json()["count"] == 0
    assert get(client, analyst, "/pmps", demo="true").json()["count"] == 1
    type(w.plan).objects.filter(pk=w.plan.pk).update(is_demo=False)


def check_pmp_detail(client: Any, w: SimpleNamespace, token_for: Any, make_agreement: Any) -> None:
    path = "/pmps/{}"
    assert_same_404(client, token_for(w.stranger), path, w.plan.pk, "cases.pmp", "housing.officer")
    # A partner on the plan with no agreement: the plan, but nobody's details.
    body = get(client, token_for(w.officer), path.format(w.plan.pk), purpose="case").json()
    assert body["title"] == "Youths at the memorial gardens"
    assert body["victim"] is None and body["offender"] is None
    assert all(d is None for d in people(body).values()) and len(body["people"]) == 2
    held = withheld(body)
    assert set(held) == {"victim_personal", "perpetrator_personal"}
    assert "has no information sharing agreement" in held["victim_personal"]["reason"]
    assert body["incidents"] == [
        {
            "id": w.incident.pk,
            "shown": False,
            "label": f"Record {w.incident.pk} (withheld: not shared with your agency)",
        }
    ]
    assert "Victimname" not in json.dumps(body) and "Avery" not in json.dumps(body)
    assert_viewed("cases.pmp", w.plan.pk, "council.officer")
    full = get(client, token_for(w.analyst), path.format(w.plan.pk), purpose="tasking").json()
    assert full["victim"] == "Mrs Victimname at number 3" and full["withheld"] == []
    assert people(full)[w.victim.pk]["postcode"] == "ZZ1 1ZZ"


def check_power_list(client: Any, w: SimpleNamespace, token_for: Any, make_agreement: Any) -> None:
    def ids(user: Any, **params: Any) -> list[int]:
        return [p["id"] for p in get(client, token_for(user), "/powers", **params).json()["items"]]

    assert w.power.pk in ids(w.analyst) and w.housing_power.pk not in ids(w.analyst)
    assert ids(w.stranger) == [w.housing_power.pk]
    assert w.power.pk not in ids(w.officer)
    share(make_agreement, w, ["incident_summary"])
    assert w.power.pk in ids(w.officer) and w.power.pk not in ids(w.officer, kind="cpw")


def check_power_detail(
    client: Any, w: SimpleNamespace, token_for: Any, make_agreement: Any
) -> None:
    path = "/powers/{}"
    assert_same_404(
        client, token_for(w.stranger), path, w.power.pk, "cases.power", "housing.officer"
    )
    share(make_agreement, w, ["incident_summary"])
    body = get(client, token_for(w.officer), path.format(w.power.pk), purpose="powers").json()
    assert body["kind"] == "cpn" and body["person"]["details"] is None
    assert body["notes"] is None and body["events"][0]["person"]["details"] is None
    assert withheld(body)["perpetrator_personal"]["people"] == [w.suspect.pk]
    assert "Madeupname" not in json.dumps(body)
    assert_viewed("cases.power", w.power.pk, "council.officer", "powers")
    full = get(client, token_for(w.analyst), path.format(w.power.pk), purpose="powers").json()
    assert full["person"]["details"]["name"] == "Blake Madeupname"
    assert full["notes"] == "Served on Blake Madeupname at home" and full["pmp_id"] == w.plan.pk


def _periods() -> list[tuple[dt.date, dt.date]]:
    return [
        (dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        (dt.date(2024, 6, 2), dt.date(2024, 6, 30)),
    ]


def check_table_5_34(client: Any, w: SimpleNamespace, token_for: Any, make_agreement: Any) -> None:
    for start, end in _periods():
        for user in (w.analyst, w.stranger):  # aggregates: the same for every linked user
            body = get(
                client,
                token_for(user),
                "/tables/5.34",
                start=start.isoformat(),
                end=end.isoformat(),
            ).json()
            assert body["rows"] == [
                {"lpu": r.lpu, "opened": r.opened, "open": r.open}
                for r in cases.table_5_34(start, end)
            ]


def check_table_5_36(client: Any, w: SimpleNamespace, token_for: Any, make_agreement: Any) -> None:
    for start, end in _periods():
        body = get(
            client,
            token_for(w.stranger),
            "/tables/5.36",
            start=start.isoformat(),
            end=end.isoformat(),
        ).json()
        assert body["sections"] == [
            {"heading": s.heading, "rows": [{"label": lab, "count": n} for lab, n in s.rows]}
            for s in cases.table_5_36(start, end)
        ]
    bad = get(client, token_for(w.analyst), "/tables/5.36", start="2024-06-30", end="2024-06-01")
    assert bad.status_code == 422 and "before it starts" in bad.json()["detail"]


ROUTE_CHECKS: dict[tuple[str, str], Callable[..., None]] = {
    ("GET", "/incidents"): check_incident_list,
    ("GET", "/incidents/{incident_id}"): check_incident_detail,
    ("GET", "/pmps"): check_pmp_list,
    ("GET", "/pmps/{pmp_id}"): check_pmp_detail,
    ("GET", "/powers"): check_power_list,
    ("GET", "/powers/{power_id}"): check_power_detail,
    ("GET", "/tables/5.34"): check_table_5_34,
    ("GET", "/tables/5.36"): check_table_5_36,
}


#: A concrete URL and query for each route, for the checks every route shares.
def _example(path: str, w: SimpleNamespace) -> tuple[str, dict[str, str]]:
    ids = {"incident_id": w.incident.pk, "pmp_id": w.plan.pk, "power_id": w.power.pk}
    url = path.format(**ids)
    params = {"purpose": "case"} if "{" in path else {}
    if path.startswith("/tables/"):
        params = {"start": "2024-01-01", "end": "2024-12-31"}
    return url, params


def test_every_route_has_a_permission_test() -> None:
    assert api_routes() == set(ROUTE_CHECKS)


@pytest.mark.parametrize("route", sorted(ROUTE_CHECKS), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_needs_a_live_token_and_an_agency(
    route: tuple[str, str], client: Any, world: SimpleNamespace, token_for: Any
) -> None:
    url, params = _example(route[1], world)
    none = get(client, {}, url, **params)
    assert none.status_code == 401 and "Authorization: Bearer" in none.json()["detail"]
    assert none["WWW-Authenticate"].startswith("Bearer")
    unlinked = get(client, token_for(world.unlinked), url, **params)
    assert unlinked.status_code == 403 and "not linked to an agency" in unlinked.json()["detail"]
    assert get(client, token_for(world.analyst), url, **params).status_code == 200


@pytest.mark.parametrize("route", sorted(ROUTE_CHECKS), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_permissions(
    route: tuple[str, str], client: Any, world: SimpleNamespace, token_for: Any, make_agreement: Any
) -> None:
    ROUTE_CHECKS[route](client, world, token_for, make_agreement)


def test_docs_list_every_route() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    for method, path in api_routes():
        assert f"`{method} /api/v1{path}`" in text, f"docs/api.md does not describe {path}"


def test_schema_and_docs_need_no_token(client: Any) -> None:
    schema = client.get(f"{BASE}/openapi.json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["info"] == {"title": "asbhub API", "version": "1", "description": api.description}
    # Every operation declares the bearer scheme, so generated clients send the token.
    assert all(
        op["security"] == [{"BearerToken": []}]
        for ops in body["paths"].values()
        for op in ops.values()
    )
    assert client.get(f"{BASE}/docs").status_code == 200
