"""Every URL pattern of the site, found from Django's resolver, and what each must enforce.

:data:`ROUTES` classifies each route by its ``namespace:name``. A route added to the site
without an entry here fails ``tests/security/test_routes.py::test_every_route_is_classified``
with a message saying where to add it; an entry whose route is gone fails it too.

Kinds
-----
public
    Anyone, signed in or not; no personal data.
signed_in
    Anonymous requests are sent to sign-in; what a signed-in user sees is still per record.
record
    The URL names a record: another agency's user and a missing id get the same 404; a partner
    without a live agreement sees no personal data; the owning agency's user sees the record.
api
    The JSON API (django-ninja): bearer tokens, covered route by route in
    ``tests/api/test_routes.py``; here only: no token is 401.
admin
    Django's admin: anyone not staff is sent to the admin's sign-in.

``roles`` (any kind) restricts a route to those roles: users of the owning agency in other
roles get 403 (or 404).

``action`` names what a route that creates, changes or decides something needs: a key of
``ACTION_ROLES`` in ``asbhub/records/partners/access.py`` (its view is wrapped in
``@requires_action``), or :data:`PUBLIC_ACTION` for a form anyone may submit. Every POST-only
route must have one; ``tests/security/test_actions.py`` posts to each as every role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from tests.security.support import MISSING_ID

PUBLIC, SIGNED_IN, RECORD, API, ADMIN = "public", "signed_in", "record", "api", "admin"

#: The roles of the police users of the world, by role code (the ``users`` attribute).
POLICE_ROLE_USERS = {
    "analyst": "analyst",
    "snt_officer": "snt",
    "supervisor": "supervisor",
    "administrator": "police_admin",
    "commissioner_viewer": "commissioner",
}
EDITORS = frozenset({"analyst", "snt_officer", "supervisor", "partner_officer"})
RISK_ROLES = EDITORS  # roles whose categories include risk assessments
REVIEWERS = frozenset({"supervisor", "administrator"})


@dataclass(frozen=True)
class Route:
    """What one route must enforce, and how to call it with the world's records."""

    kind: str
    kwargs: Callable[[SimpleNamespace], dict[str, Any]] | None = None
    record_param: str = ""  # the kwarg naming the record ("" if none)
    method: str = "GET"  # "POST" for POST-only routes
    query: Callable[[SimpleNamespace], dict[str, str]] | None = None
    roles: frozenset[str] | None = None
    owner: str = "analyst"  # the user of the owning agency for the positive check
    owner_status: frozenset[int] = frozenset({200})
    missing_status: int = 404  # what the owner gets for a missing id
    shows: tuple[str, ...] = ()  # personal data the owner must see (the positive control)
    other: str = "housing_officer"  # the other agency's user guessing the id
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The action permission the route checks (a key of ACTION_ROLES in
    # asbhub/records/partners/access.py), or PUBLIC_ACTION for a form anyone may submit; "" for a
    # route that only reads. tests/security/test_actions.py posts to each as every role.
    action: str = ""


def _pk(attr: str, name: str = "pk") -> Callable[[SimpleNamespace], dict[str, Any]]:
    return lambda w: {name: getattr(w, attr).pk}


def _week(w: SimpleNamespace) -> dict[str, str]:
    import datetime as dt

    return {"lpu": "Erewash", "week_ending": (w.today - dt.timedelta(days=1)).isoformat()}


def _record(attr: str, param: str = "pk", **kw: Any) -> Route:
    return Route(RECORD, kwargs=_pk(attr, param), record_param=param, **kw)


#: The action of a public form (no sign-in): anyone may submit it.
PUBLIC_ACTION = "public"

#: Pages the council, a partner on the police's plan, uses without any agreement.
PARTNER = {"partner": True}

_VICTIM_URL = {
    "kwargs": lambda w: {"incident_pk": w.incident.pk, "person_pk": w.victim.pk},
    "record_param": "incident_pk",
}

ROUTES: dict[str, Route] = {
    # -- incidents (public: aggregates and data.police.uk's anonymised points) --------------
    "overview": Route(PUBLIC),
    "hotspots": Route(PUBLIC),
    "latest-asb-geojson": Route(PUBLIC),
    "hotspots-geojson": Route(PUBLIC),
    # -- health probe (issue #18): the database answers; no personal data ------------------
    "healthz": Route(PUBLIC),
    # -- partners --------------------------------------------------------------------------
    "partners:sign-in": Route(PUBLIC, action=PUBLIC_ACTION),
    "partners:sign-out": Route(
        SIGNED_IN,
        method="POST",
        owner_status=frozenset({302}),
        note="POST only: a link elsewhere cannot sign anyone out",
        action="account.own",
    ),
    "partners:usage": Route(SIGNED_IN, roles=REVIEWERS, owner="supervisor"),
    "partners:audit-log": Route(SIGNED_IN, roles=REVIEWERS, owner="supervisor"),
    "partners:incident": _record("incident", shows=("Avery Testperson", "Blake Madeupname")),
    # -- cases: PMPs -----------------------------------------------------------------------
    "cases:pmp-list": Route(SIGNED_IN),
    "cases:pmp-create": Route(SIGNED_IN, roles=EDITORS, action="pmp.create"),
    "cases:pmp-detail": _record("plan", shows=("Victimname", "Offendername"), extra=PARTNER),
    "cases:pmp-edit": _record(
        "plan", shows=("Victimname", "Offendername"), extra=PARTNER, action="pmp.change"
    ),
    "cases:pmp-incidents": _record("plan", extra=PARTNER, action="pmp.change"),
    "cases:pmp-incidents-geojson": _record("plan", extra=PARTNER),
    "cases:pmp-stage": _record("plan", extra=PARTNER, action="pmp.change"),
    "cases:pmp-action": _record(
        "plan", method="POST", owner_status=frozenset({400}), action="pmp.change"
    ),
    "cases:pmp-evaluate": _record(
        "plan", method="POST", owner_status=frozenset({400}), action="pmp.change"
    ),
    "cases:pmp-review": _record(
        "plan", roles=frozenset({"supervisor"}), owner="supervisor", action="pmp.review"
    ),
    # -- cases: powers and Case Reviews ----------------------------------------------------
    "cases:powers": Route(SIGNED_IN),
    "cases:power-create": Route(SIGNED_IN, roles=EDITORS, action="power.record"),
    "cases:power-detail": _record(
        "power",
        shows=("Blake Madeupname",),
        action="power.record",
        note="GET for anyone who may see the power; a POST (an event) for editors",
    ),
    "cases:power-edit": _record("power", roles=EDITORS, action="power.record"),
    "cases:case-review-list": Route(SIGNED_IN),
    "cases:case-review-create": Route(SIGNED_IN, roles=EDITORS, action="case_review.create"),
    "cases:threshold-rules": Route(
        SIGNED_IN,
        note="GET for everyone signed in; a POST only for supervisors and administrators",
        action="threshold_rule.change",
    ),
    "cases:case-review-detail": _record("case_review", shows=("Dana Applicantname",)),
    "cases:case-review-change": Route(
        RECORD,
        kwargs=lambda w: {"pk": w.case_review.pk, "what": "complaint"},
        record_param="pk",
        method="POST",
        owner_status=frozenset({400}),
        action="case_review.change",
    ),
    "cases:public-apply": Route(PUBLIC, action=PUBLIC_ACTION),
    "cases:public-apply-done": Route(PUBLIC, kwargs=lambda w: {"reference": "ACR-2024-0001"}),
    # -- public ----------------------------------------------------------------------------
    "public:report": Route(PUBLIC, action=PUBLIC_ACTION),
    "public:report-done": Route(PUBLIC, kwargs=lambda w: {"reference": "ASB-ABCDEFGH"}),
    "public:report-places": Route(PUBLIC),  # issue #12 item 7: place search (JSON, GET)
    "public:advice": Route(PUBLIC),
    "public:figures": Route(PUBLIC),
    # -- scrutiny --------------------------------------------------------------------------
    "scrutiny:questions": Route(PUBLIC),
    "scrutiny:ask": Route(PUBLIC, action=PUBLIC_ACTION),
    "scrutiny:ask-thanks": Route(PUBLIC),
    # The queue holds askers' names and emails: the Commissioner's office only (its viewers
    # and its own administrators), not other agencies' administrators.
    "scrutiny:queue": Route(
        SIGNED_IN, roles=frozenset({"commissioner_viewer"}), owner="commissioner"
    ),
    "scrutiny:question": Route(
        SIGNED_IN,
        kwargs=_pk("question"),
        roles=frozenset({"commissioner_viewer"}),
        owner="commissioner",
        note="the Commissioner's office's record, not an agency's case",
        action="question.moderate",
        extra={"data": {"step": "approve"}},
    ),
    "scrutiny:dashboard": Route(
        SIGNED_IN,
        roles=frozenset({"commissioner_viewer", "supervisor", "administrator"}),
        owner="supervisor",
    ),
    # -- risk ------------------------------------------------------------------------------
    "risk:due": Route(SIGNED_IN, roles=RISK_ROLES, shows=("Avery Testperson",)),
    "risk:calibration": Route(SIGNED_IN, roles=RISK_ROLES),
    "risk:calibration-csv": Route(SIGNED_IN, roles=RISK_ROLES),
    "risk:victim": Route(RECORD, shows=("Avery Testperson",), roles=RISK_ROLES, **_VICTIM_URL),
    "risk:assess": Route(RECORD, roles=RISK_ROLES, action="risk.assess", **_VICTIM_URL),
    "risk:assessment": _record("assessment", roles=RISK_ROLES, shows=("Avery Testperson",)),
    "risk:review": _record("assessment", roles=RISK_ROLES, action="risk.assess"),
    "risk:versions": Route(SIGNED_IN),
    "risk:version": Route(
        SIGNED_IN,
        kwargs=lambda w: {"number": 1},
        note="questionnaire versions are shared reference data",
    ),
    "risk:version-edit": Route(
        SIGNED_IN,
        kwargs=lambda w: {"number": 1},
        roles=REVIEWERS,
        owner="supervisor",
        action="questionnaire.change",
    ),
    "risk:version-publish": Route(
        SIGNED_IN,
        kwargs=lambda w: {"number": 1},
        method="POST",
        roles=REVIEWERS,
        owner="supervisor",
        owner_status=frozenset({302}),
        action="questionnaire.change",
    ),
    # -- tasking ---------------------------------------------------------------------------
    "tasking:briefing": Route(SIGNED_IN, shows=("Avery Testperson",)),
    "tasking:weekly": Route(SIGNED_IN, query=_week),
    "tasking:weekly-map": Route(
        SIGNED_IN,
        query=_week,
        extra={"image": True},
        note="a PNG: no text to search for names or payloads",
    ),
    "tasking:weekly-csv": Route(SIGNED_IN, query=_week),
    # -- places (issue #16 item 4): incident-level streets and points, as the weekly pack --
    "hotspot-places": Route(SIGNED_IN),
    "hotspot-places-csv": Route(SIGNED_IN),
    "hotspot-places-geojson": Route(SIGNED_IN),
    # issue #16 item 5: forecast accuracy, staff as the places page
    "hotspot-forecast": Route(SIGNED_IN),
    # the route test's store holds one month: nothing to score yet, so the files answer 404
    "hotspot-forecast-csv": Route(SIGNED_IN, owner_status=frozenset({200, 404})),
    "hotspot-forecast-stamp": Route(SIGNED_IN, owner_status=frozenset({200, 404})),
    # -- people ----------------------------------------------------------------------------
    "people:queue": Route(SIGNED_IN, roles=frozenset({"analyst", "supervisor"})),
    "people:decide": _record(
        "pair",
        method="POST",
        roles=frozenset({"analyst", "supervisor"}),
        owner_status=frozenset({302}),
        other="housing_analyst",
        missing_status=404,
        note="a missing pair and another agency's pair both give 404",
        extra={"data": {"decision": "reject", "reason": "Security test"}},
        action="linkage.decide",
    ),
    "people:person": _record("linked", shows=("Avery Testperson",)),
    "people:merge": _record(
        "linked", roles=frozenset({"analyst", "supervisor"}), action="linkage.decide"
    ),
    "people:split": Route(
        RECORD,
        kwargs=lambda w: {"pk": w.linked.pk, "person_pk": w.victim.pk},
        record_param="pk",
        roles=frozenset({"analyst", "supervisor"}),
        action="linkage.decide",
    ),
    # -- API tokens (pages) and the API ----------------------------------------------------
    "api-tokens:list": Route(
        SIGNED_IN, action="account.own", note="a POST creates a token for the user"
    ),
    "api-tokens:revoke": _record(
        "token",
        method="POST",
        owner_status=frozenset({302}),
        note="another user's token is a 404, like a missing one",
        action="account.own",
    ),
    "api:openapi-json": Route(PUBLIC),
    "api:openapi-view": Route(PUBLIC),
    "api:api-root": Route(
        PUBLIC, owner_status=frozenset({404}), note="django-ninja's root: no page there"
    ),
    "api:incident_list": Route(API),
    "api:incident_detail": Route(API, kwargs=lambda w: {"incident_id": w.incident.pk}),
    "api:pmp_list": Route(API),
    "api:pmp_detail": Route(API, kwargs=lambda w: {"pmp_id": w.plan.pk}),
    "api:power_list": Route(API),
    "api:power_detail": Route(API, kwargs=lambda w: {"power_id": w.power.pk}),
    "api:table_5_34": Route(API),
    "api:table_5_36": Route(API),
}

#: Django's admin is classified as a whole: every ``admin:`` route is admin.
ADMIN_NAMESPACE = "admin"


def site_routes() -> dict[str, Any]:
    """``namespace:name`` -> URLPattern for every named pattern, through every include."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found: dict[str, Any] = {}

    def walk(resolver: URLResolver, namespace: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p, ns)
            elif isinstance(p, URLPattern):
                name = p.name or f"<unnamed {p.pattern}>"
                found[f"{namespace}:{name}" if namespace else name] = p

    walk(get_resolver(), "")
    return found


def route_for(name: str) -> Route:
    if name.startswith(f"{ADMIN_NAMESPACE}:"):
        return Route(ADMIN)
    return ROUTES[name]


def routes_of(*kinds: str, method: str | None = None) -> list[str]:
    return sorted(
        n for n, r in ROUTES.items() if r.kind in kinds and (method is None or r.method == method)
    )


def url(name: str, w: SimpleNamespace, *, missing: bool = False) -> str:
    """The route's URL for the world's record (or for :data:`MISSING_ID`), with its query."""
    from django.urls import reverse

    route = route_for(name)
    kwargs = route.kwargs(w) if route.kwargs else {}
    if missing:
        kwargs[route.record_param] = MISSING_ID
    path = reverse(name, kwargs=kwargs or None)
    if route.method != "GET":
        return path
    query = {"purpose": "case"}
    if route.query:
        query.update(route.query(w))
    return f"{path}?{urlencode(query)}"


def call(
    client: Any,
    name: str,
    w: SimpleNamespace,
    *,
    missing: bool = False,
    data: dict[str, Any] | None = None,
) -> Any:
    """Request the route the way it is meant to be used (GET, or POST for POST-only ones)."""
    route = route_for(name)
    target = url(name, w, missing=missing)
    if route.method == "POST":
        return client.post(target, route.extra.get("data", {}) if data is None else data)
    return client.get(target)


def body(response: Any) -> str:
    """The response's content as text (streaming responses read out)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def each_route() -> Iterator[str]:
    yield from sorted(ROUTES)
