"""Every action route checks its action permission (issue #10, class 6).

Each route that creates, changes or decides something is classified in
:mod:`tests.security.registry` with the action it takes (a key of
:data:`asbhub.records.partners.access.ACTION_ROLES`). Here:

- the classification is complete: every POST-only route has an action, and every action of
  the policy is used by a route;
- the view behind each classified route carries the check for that action (the decorator
  :func:`~asbhub.records.partners.access.requires_action`);
- a POST to each, as every user of the synthetic world, is refused (403 or 404) for every
  role the policy does not give the action to, and not refused for the route's owner and
  the owner's colleagues whose role has it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from asbhub.store.db import setup_django
from tests.security.support import as_user

setup_django()

from tests.security.registry import (  # noqa: E402
    PUBLIC_ACTION,
    ROUTES,
    url,
)

ACTION_ROUTES = sorted(n for n, r in ROUTES.items() if r.action and r.action != PUBLIC_ACTION)
REFUSED = (403, 404)


def _policy() -> tuple[dict[str, Any], Any]:
    """``ACTION_ROLES`` and ``may_act`` of the one access module (imported per test, so that
    a tree without them fails each test rather than the collection)."""
    from asbhub.records.partners.access import ACTION_ROLES, may_act

    return ACTION_ROLES, may_act


def test_every_post_route_has_an_action() -> None:
    ACTION_ROLES, _ = _policy()
    missing = sorted(n for n, r in ROUTES.items() if r.method == "POST" and not r.action)
    assert not missing, (
        f"POST routes with no action classification: {', '.join(missing)}. Give each "
        "Route(...) in tests/security/registry.py action=<a key of ACTION_ROLES in "
        "asbhub/records/partners/access.py>, and wrap its view in @requires_action(...)"
    )
    unknown = sorted(
        f"{n} ({r.action})"
        for n, r in ROUTES.items()
        if r.action and r.action != PUBLIC_ACTION and r.action not in ACTION_ROLES
    )
    assert not unknown, f"routes classified with actions the policy does not have: {unknown}"
    unused = sorted(set(ACTION_ROLES) - {r.action for r in ROUTES.values()})
    assert not unused, (
        f"actions in ACTION_ROLES that no route in tests/security/registry.py "
        f"takes: {unused}; classify the routes or remove the actions"
    )


@pytest.mark.parametrize("name", ACTION_ROUTES)
def test_the_view_checks_its_action(name: str, world: SimpleNamespace) -> None:
    from django.urls import resolve

    view = resolve(url(name, world).split("?", 1)[0]).func
    found = getattr(view, "asbhub_action", None)
    assert found == ROUTES[name].action, (
        f"{name}: its view checks action {found!r}, the registry says "
        f"{ROUTES[name].action!r}; decorate the view with "
        f"@requires_action({ROUTES[name].action!r}) under @login_required"
    )


def _users_with_profiles(world: SimpleNamespace) -> dict[str, Any]:
    """Every user of the world but the profile-less superuser, by attribute name."""
    return {n: u for n, u in vars(world.users).items() if n != "staff"}


def _role(user: Any) -> str:
    from asbhub.records.partners.models import UserProfile

    try:
        return user.asbhub_profile.role
    except UserProfile.DoesNotExist:
        return ""


def _post(world: SimpleNamespace, who: str, name: str) -> int:
    """POST to the route as ``who`` (the registry's data, else an empty form), undone after."""
    from django.db import transaction

    route = ROUTES[name]
    with transaction.atomic(using="default"):
        response = as_user(world, who).post(url(name, world), route.extra.get("data", {}))
        transaction.set_rollback(True, using="default")
    return response.status_code


@pytest.mark.parametrize("name", ACTION_ROUTES)
def test_actions_are_refused_without_the_permission(
    name: str, world: SimpleNamespace, db: str
) -> None:
    action_roles, may_act = _policy()
    route = ROUTES[name]
    roles = action_roles[route.action]
    owner = getattr(world.users, route.owner)
    owner_agency = owner.asbhub_profile.agency_id
    problems = []
    checked_permitted = 0
    for who, user in sorted(_users_with_profiles(world).items()):
        role = _role(user)
        permitted = roles is None or role in roles
        assert bool(may_act(user, route.action)) == permitted
        same_agency = role and user.asbhub_profile.agency_id == owner_agency
        if permitted and not (who == route.owner or (same_agency and roles is not None)):
            # Another agency's user: the record's own rules decide (404); an action on one's
            # own records (roles None): only the owner has one to act on.
            continue
        status = _post(world, who, name)
        if not permitted and status not in REFUSED:
            problems.append(f"{who} ({role or 'no agency'}) was let in: {status}")
        if permitted:
            checked_permitted += 1
            if status in REFUSED:
                problems.append(f"{who} ({role}) may {route.action} but was refused: {status}")
    assert checked_permitted, f"{name}: no permitted user was tried (the positive control)"
    assert not problems, f"{name} ({route.action}): " + "; ".join(problems)


def test_a_refused_action_is_audited(world: SimpleNamespace, db: str) -> None:
    from asbhub.records.partners.models import AuditEntry

    before = AuditEntry.objects.count()
    response = as_user(world, "commissioner").post(url("cases:case-review-create", world), {})
    assert response.status_code == 403
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_type, entry.object_id) == (
        "denied",
        "action",
        "case_review.create",
    )
    assert entry.username == "sec.commissioner"
    assert "Commissioner" in response.content.decode()  # the reason names the role


def test_the_commissioners_office_cannot_open_a_case_review(
    world: SimpleNamespace, db: str
) -> None:
    """``demo.opcc`` opened a Case Review: a valid form, as the Commissioner's viewer and as
    an administrator, now changes nothing; an analyst's same form opens one."""
    from asbhub.records.cases.models import CaseReview

    data = {
        "area": "Erewash",
        "received_on": world.today.isoformat(),
        "applicant_name": "Fay Formname",
        "applicant_contact": "07700 900999",
        "description": "Shouting at night",
    }
    before = CaseReview.objects.count()
    for who in ("commissioner", "police_admin", "council_admin", "unlinked"):
        response = as_user(world, who).post(url("cases:case-review-create", world), data)
        assert response.status_code == 403, f"{who}: {response.status_code}"
    assert CaseReview.objects.count() == before
    response = as_user(world, "analyst").post(url("cases:case-review-create", world), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CaseReview.objects.count() == before + 1


def test_the_policy_agrees_with_the_views_own_checks() -> None:
    """The views keep their own role checks as a second line; they must not drift from the
    policy (or a role would pass one and fail the other)."""
    from asbhub.records.cases.case_reviews import RULE_ROLES
    from asbhub.records.cases.services import EDITOR_ROLES
    from asbhub.records.people.visibility import REVIEWER_ROLES
    from asbhub.records.risk.services import ASSESSOR_ROLES, QUESTIONNAIRE_ROLES
    from asbhub.web.scrutiny.services import QUEUE_ROLES

    action_roles, _ = _policy()
    expected = {
        "pmp.create": EDITOR_ROLES,
        "pmp.change": EDITOR_ROLES,
        "power.record": EDITOR_ROLES,
        "case_review.create": EDITOR_ROLES,
        "case_review.change": EDITOR_ROLES,
        "threshold_rule.change": RULE_ROLES,
        "risk.assess": ASSESSOR_ROLES,
        "questionnaire.change": QUESTIONNAIRE_ROLES,
        "linkage.decide": REVIEWER_ROLES,
        "question.moderate": QUEUE_ROLES,
    }
    differ = {
        a: (sorted(action_roles[a]), sorted(r))
        for a, r in expected.items()
        if set(action_roles[a]) != set(r)
    }
    assert not differ, f"ACTION_ROLES differs from the views' own role sets: {differ}"
