"""A permission test for every URL of the site, enumerated from Django's resolver.

Each route is classified in :mod:`tests.security.registry`; a route nobody classified fails
:func:`test_every_route_is_classified`. Per route and rule:

- anonymous: public pages answer; every other page sends the visitor to sign-in (the API: 401;
  the admin: its own sign-in);
- no personal data reach a user not entitled to them: a partner on the plan without an
  agreement, a partner whose agreement covers incident summaries only, an unrelated agency,
  the Commissioner's office, the police's own administrator (whose role excludes personal
  data) and an account linked to no agency; each is checked against the synthetic names;
- a record's id guessed by another agency's user gets the same 404 as a missing id;
- the owning agency's user gets the page, with the personal data it exists to show (so the
  checks above cannot pass on a page that shows nobody to anyone);
- role-restricted routes: the police user in each role is let in or refused as listed.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest

from asbhub.store.db import setup_django
from tests.security.support import (
    ALL_CATEGORIES,
    ASKER_SECRETS,
    PEOPLE_SECRETS,
    as_user,
    secrets_in,
    share,
)

setup_django()

from tests.security.registry import (  # noqa: E402
    ADMIN,
    ADMIN_NAMESPACE,
    API,
    POLICE_ROLE_USERS,
    PUBLIC,
    RECORD,
    ROUTES,
    SIGNED_IN,
    body,
    call,
    route_for,
    routes_of,
    site_routes,
    url,
)

SIGN_IN = "/sign-in/"

#: Holes these tests found, reported to the owners of the views (see the report of issue #4,
#: item 8). Each test stays red-marked (strict xfail) until the view is fixed; then it passes,
#: pytest says XPASS(strict) and the entry here must be deleted.
KNOWN_HOLES: dict[tuple[str, str], str] = {}


def _params(test: str, names: list[str]) -> list[Any]:
    return [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_HOLES[(test, n)]))
        if (test, n) in KNOWN_HOLES
        else n
        for n in names
    ]


# -- the registry is complete ----------------------------------------------------------------


def test_every_route_is_classified() -> None:
    names = set(site_routes())
    site = {n for n in names if not n.startswith(f"{ADMIN_NAMESPACE}:")}
    unclassified = sorted(site - set(ROUTES))
    assert not unclassified, (
        f"routes with no security classification: {', '.join(unclassified)}. Add each to "
        "ROUTES in tests/security/registry.py (public, signed_in, record, api or admin, with "
        "its roles and the records its URL names), so its permissions are tested."
    )
    gone = sorted(set(ROUTES) - site)
    assert not gone, (
        f"ROUTES in tests/security/registry.py lists routes the site no longer "
        f"has: {', '.join(gone)}; remove them."
    )
    assert any(n.startswith(f"{ADMIN_NAMESPACE}:") for n in names)


def test_the_api_only_reads() -> None:
    """The API is CSRF-exempt (bearer tokens, no cookies), which is safe only while it
    changes nothing: every operation is a GET."""
    from tests.api.test_routes import api_routes

    assert {method for method, _ in api_routes()} == {"GET"}


# -- anonymous visitors ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous(name: str, world: SimpleNamespace, client: Any) -> None:
    route = ROUTES[name]
    response = call(client, name, world)
    if route.kind == PUBLIC:
        expected = route.owner_status if name == "api:api-root" else {200}
        assert response.status_code in expected, f"{name}: {response.status_code}"
        found = secrets_in(body(response), PEOPLE_SECRETS + ASKER_SECRETS)
        assert not found, f"the public page {name} shows personal data: {found}"
    elif route.kind == API:
        assert response.status_code == 401
    else:
        assert response.status_code == 302, f"{name}: {response.status_code}"
        assert response.url.startswith(SIGN_IN), response.url
        if route.method == "GET":
            assert response.url == f"{SIGN_IN}?next={quote(url(name, world), safe='/')}"


#: Admin patterns without a name, and a path each answers.
UNNAMED_ADMIN = {
    "<unnamed (?P<url>.*)$>": "/admin/nowhere/",
    "<unnamed <path:object_id>/>": "/admin/cases/problemtype/1/",
}


def _admin_url(name: str, pattern: Any) -> str:
    from django.urls import NoReverseMatch, reverse

    short = name.split(":", 1)[1]
    if short in UNNAMED_ADMIN:
        return UNNAMED_ADMIN[short]
    samples = {"app_label": "cases", "object_id": "1", "content_type_id": "1", "id": "1"}
    keys = list(getattr(pattern.pattern, "converters", {}) or {})
    keys += list(getattr(getattr(pattern.pattern, "regex", None), "groupindex", {}) or {})
    try:
        return reverse(name, kwargs={k: samples[k] for k in dict.fromkeys(keys)} or None)
    except (NoReverseMatch, KeyError) as exc:
        raise AssertionError(
            f"cannot build a URL for {name}; add a sample value for its "
            f"arguments {keys} in _admin_url"
        ) from exc


ADMIN_ROUTES = sorted(n for n in site_routes() if n.startswith(f"{ADMIN_NAMESPACE}:"))
#: Open to anyone: the admin's own sign-in and sign-out, and its translation script.
ADMIN_OPEN = {"admin:login", "admin:logout", "admin:javascript-catalog"}


@pytest.mark.parametrize("name", ADMIN_ROUTES)
def test_admin_needs_staff(name: str, world: SimpleNamespace, client: Any) -> None:
    path = _admin_url(name, site_routes()[name])
    for who in (client, as_user(world, "analyst"), as_user(world, "police_admin")):
        response = who.get(path)
        if name in ADMIN_OPEN:
            assert response.status_code in (200, 302, 405)
            continue
        assert response.status_code == 302, f"{name} at {path}: {response.status_code}"
        assert response.url.startswith("/admin/login/"), (
            f"{name} sent a non-staff user to {response.url}"
        )


def test_admin_lets_staff_in(world: SimpleNamespace, db: str) -> None:
    assert as_user(world, "staff").get("/admin/").status_code == 200
    page = as_user(world, "staff").get(f"/admin/partners/agency/{world.council.pk}/change/")
    assert page.status_code == 200


# -- no personal data without entitlement ----------------------------------------------------

#: Who must see no personal data anywhere, and the agreement in force while they look.
UNENTITLED: dict[str, tuple[str, list[str] | None, str]] = {
    "council-no-agreement": ("council_officer", None, ""),
    "council-summaries-only": ("council_officer", ["incident_summary"], "live"),
    "council-supervisor-risk-only": (
        "council_supervisor",
        ["incident_summary", "risk_assessment"],
        "live",
    ),
    "council-expired-agreement": ("council_officer", ALL_CATEGORIES, "expired"),
    "council-revoked-agreement": ("council_supervisor", ALL_CATEGORIES, "revoked"),
    "council-future-agreement": ("council_officer", ALL_CATEGORIES, "future"),
    "housing": ("housing_officer", None, ""),
    "commissioner": ("commissioner", None, ""),
    "police-administrator": ("police_admin", None, ""),
    "no-agency": ("unlinked", None, ""),
}
#: Routes that show askers' details to the Commissioner's office by design (audited).
ASKER_PAGES = {"scrutiny:question"}
CHECKED = [n for n in routes_of(SIGNED_IN, RECORD) if not ROUTES[n].extra.get("image")]


@pytest.mark.parametrize("name", _params("no_personal_data", CHECKED))
def test_no_personal_data_without_entitlement(name: str, world: SimpleNamespace, db: str) -> None:
    from django.db import transaction

    problems = []
    for who, (username, categories, state) in sorted(UNENTITLED.items()):
        with transaction.atomic(using="default"):
            if categories:
                share(world, categories, state=state)
            response = call(as_user(world, username), name, world)
            transaction.set_rollback(True, using="default")
        secrets = PEOPLE_SECRETS
        if not (name in ASKER_PAGES and username in ("commissioner", "police_admin")):
            secrets += ASKER_SECRETS
        if response.status_code >= 500:
            problems.append(f"{who}: status {response.status_code}")
        found = secrets_in(body(response), secrets)
        if found:
            problems.append(f"{who} is shown {found} (status {response.status_code})")
    assert not problems, f"{name}: " + "; ".join(problems)


# -- a guessed id ----------------------------------------------------------------------------

RECORDS = routes_of(RECORD)
#: CSRF tokens are masked afresh for each response: the only part two pages may differ in.
_TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def _unmasked(text: str) -> str:
    return _TOKEN.sub(r"\1<token>", text)


@pytest.mark.parametrize("name", _params("same_404", RECORDS))
def test_other_agency_and_missing_id_get_the_same_404(
    name: str, world: SimpleNamespace, db: str
) -> None:
    other = as_user(world, route_for(name).other)
    theirs = call(other, name, world)
    missing = call(other, name, world, missing=True)
    assert theirs.status_code == missing.status_code, (
        f"{name}: another agency's id gives {theirs.status_code}, a missing id "
        f"{missing.status_code}: the difference tells a guesser the record exists"
    )
    assert theirs.status_code in (403, 404)
    assert _unmasked(body(theirs)) == _unmasked(body(missing))
    if theirs.status_code == 404:
        assert not secrets_in(body(theirs))


@pytest.mark.parametrize("name", RECORDS)
def test_owner_missing_id_is_404(name: str, world: SimpleNamespace, db: str) -> None:
    route = ROUTES[name]
    response = call(as_user(world, route.owner), name, world, missing=True)
    assert response.status_code == route.missing_status, f"{name}: {response.status_code}"


# -- the owner gets the page -----------------------------------------------------------------


@pytest.mark.parametrize("name", routes_of(SIGNED_IN, RECORD))
def test_owner_gets_the_page(name: str, world: SimpleNamespace, db: str) -> None:
    route = ROUTES[name]
    response = call(as_user(world, route.owner), name, world)
    assert response.status_code in route.owner_status, (
        f"{name} as {route.owner}: {response.status_code}, expected {sorted(route.owner_status)}"
    )
    text = body(response)
    for secret in route.shows:
        assert secret in text, f"{name} does not show {secret!r} to {route.owner}"


# -- roles -----------------------------------------------------------------------------------

ROLE_CASES = [
    (name, role)
    for name in sorted(ROUTES)
    if ROUTES[name].roles is not None
    for role in sorted(POLICE_ROLE_USERS)
]


@pytest.mark.parametrize(("name", "role"), ROLE_CASES)
def test_roles(name: str, role: str, world: SimpleNamespace, db: str) -> None:
    route = ROUTES[name]
    response = call(as_user(world, POLICE_ROLE_USERS[role]), name, world)
    if role in route.roles:
        assert response.status_code in route.owner_status, (
            f"{name} refuses the {role} role ({response.status_code})"
        )
    else:
        assert response.status_code in (403, 404), (
            f"{name} lets the {role} role in ({response.status_code}); only "
            f"{', '.join(sorted(route.roles))} may use it"
        )


def test_threshold_rules_change_needs_supervisor(world: SimpleNamespace, db: str) -> None:
    from asbhub.records.cases.models import ThresholdRule

    before = list(ThresholdRule.objects.values_list("area", "complaints"))
    data = {
        "area": "Erewash",
        "complaints": "2",
        "window_months": "6",
        "report_within_days": "31",
        "decision_working_days": "10",
    }
    for who in ("analyst", "council_officer", "housing_officer"):
        response = as_user(world, who).post("/case-reviews/thresholds/", data)
        assert response.status_code == 403, f"{who}: {response.status_code}"
    assert list(ThresholdRule.objects.values_list("area", "complaints")) == before


def test_question_askers_only_for_the_commissioners_office(world: SimpleNamespace, db: str) -> None:
    response = as_user(world, "council_admin").get(url("scrutiny:question", world))
    assert response.status_code in (403, 404)
    assert not secrets_in(body(response), ASKER_SECRETS)


PARTNER_PAGES = [n for n in sorted(ROUTES) if ROUTES[n].extra.get("partner")]


@pytest.mark.parametrize("name", _params("partner_withheld", PARTNER_PAGES))
def test_partner_on_the_plan_gets_it_with_people_withheld(
    name: str, world: SimpleNamespace, db: str
) -> None:
    """The council is a partner on the police's plan but has no agreement: it works on the
    plan, and every person on it is withheld with the reason."""
    response = call(as_user(world, "council_officer"), name, world)
    assert response.status_code == 200, f"{name}: {response.status_code}"
    text = body(response)
    assert not secrets_in(text)
    if response["Content-Type"].startswith("text/html"):
        assert "withheld" in text.lower(), f"{name} withholds people without saying so"


def test_public_map_shows_only_published_points(world: SimpleNamespace, client: Any) -> None:
    features = client.get("/api/incidents/latest-asb.geojson").json()["features"]
    places = {f["properties"]["location"] for f in features}
    assert not places & {"On or near Synthetic Street 1", "On or near Synthetic Street 2"}, (
        "the police's own records are on the public map"
    )


def test_unentitled_checks_can_fail(world: SimpleNamespace, db: str) -> None:
    """The same request as the council's, once an agreement covers victims' details, shows
    the victim: the no-personal-data checks are looking at pages that do show people."""
    share(world, ["incident_summary", "victim_personal"])
    page = body(call(as_user(world, "council_officer"), "cases:pmp-detail", world))
    assert "Avery Testperson" in page and "Blake Madeupname" not in page


def test_kinds_are_known() -> None:
    assert {r.kind for r in ROUTES.values()} <= {PUBLIC, SIGNED_IN, RECORD, API, ADMIN}
