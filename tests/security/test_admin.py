"""The admin shows no personal data to anyone (issue #10, class 5).

``demo.admin`` (an administrator, whose role excludes personal data) could read and edit plans'
victim and offender text, power notes and Case Review applicants in ``/admin/``, with no audit
entry and no optimistic locking. The admin is for agencies, accounts and agreements; staff work
on cases through the audited pages. So the models holding people's details are not in the admin
at all, and the linkage look-up pages there show ids only.

The admin is crawled as each role of the synthetic world, each account made staff and
superuser as the demonstration does for administrators (so the worst case: every role let in):
every page reachable from the index (changelists, change forms, history, delete confirmations),
each changelist as a raw-id popup and searched for each synthetic name. None may show a
victim's, perpetrator's, witness's, applicant's or question asker's details.
"""

from __future__ import annotations

import re
from collections import deque
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urljoin

import pytest

from asbhub.store.db import setup_django
from tests.security.support import (
    APPLICANT,
    ASKER,
    ASKER_SECRETS,
    PEOPLE_SECRETS,
    SUSPECT,
    VICTIM,
    WITNESS,
    as_user,
    secrets_in,
)

setup_django()

#: Everything personal in the world, with the addresses and postcodes the names come with.
SECRETS = (
    PEOPLE_SECRETS
    + ASKER_SECRETS
    + ("1 Example Street", "ZZ1 1ZZ", "ZZ9 9ZZ", "Flat 2, Example Court", "Served on")
)
#: What a search box is tried with: the names the security sweep uses.
SEARCHES = (VICTIM, SUSPECT, WITNESS, APPLICANT, ASKER, "Victimname", "Offendername", "Testperson")
#: Pages a crawl may not need: signing out ends the session; the rest are not pages.
SKIP = re.compile(r"^/admin/(logout/|login/|jsi18n/|r/|password_change/)|/password/$")
HREF = re.compile(r'href="([^"#]+)"')
MAX_PAGES = 400  # a bound on the crawl, far above what the world's admin has
PER_LIST = 4  # objects followed from each changelist

#: Models with people's details: not in the admin (their pages check and audit every access).
PERSONAL_MODELS = (
    "cases.Pmp",
    "cases.PmpAction",
    "cases.PmpReview",
    "cases.PmpIncident",
    "cases.PmpPerson",
    "cases.Power",
    "cases.PowerEvent",
    "cases.CaseReview",
    "cases.CaseReviewComplaint",
    "cases.CaseReviewAction",
    "cases.CaseReviewApplicant",
    "incidents.Incident",
    "incidents.Person",
    "risk.RiskAssessment",
    "risk.RiskReview",
    "scrutiny.Question",
    "contact.Call",
)


def _staff(world: SimpleNamespace, who: str) -> Any:
    user = getattr(world.users, who)
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return as_user(world, who)


def _text(response: Any) -> str:
    return response.content.decode("utf-8", "replace")


def _links(base: str, page: str) -> list[str]:
    out = []
    for href in HREF.findall(page):
        href = urljoin(base, href.replace("&amp;", "&"))
        if href.startswith("/admin/") and "?" not in href and not SKIP.search(href):
            out.append(href)
    return out


def crawl(client: Any, *, full: bool) -> dict[str, str]:
    """Path -> page text for the admin as ``client`` sees it (bounded: :data:`MAX_PAGES`).

    ``full``: follow every link (up to :data:`PER_LIST` objects per changelist) and add each
    object's history and delete confirmation; otherwise the index, each changelist and the
    change form of its first object.
    Every changelist is also fetched as a raw-id popup and searched for :data:`SEARCHES`.
    """
    seen: dict[str, str] = {}
    todo = deque(["/admin/"])
    lists: set[str] = set()
    while todo and len(seen) < MAX_PAGES:
        path = todo.popleft()
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code in (200, 302, 403, 404), f"{path}: {response.status_code}"
        seen[path] = _text(response) if response.status_code == 200 else ""
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "admin" and response.status_code == 200:
            lists.add(path)  # /admin/<app>/<model>/: a changelist
        if len(parts) == 5 and parts[4] == "change" and full:
            base = "/".join(parts[:4])
            todo.extend([f"/{base}/history/", f"/{base}/delete/"])
        if not full and len(parts) > 3:
            continue
        followed = 0
        for link in _links(path, seen[path]):
            if link in seen:
                continue
            is_object = link.startswith(path) and not link.endswith("/add/") and link != path
            if len(parts) == 3 and is_object:
                followed += 1
                if followed > (PER_LIST if full else 1):
                    continue
            elif len(parts) == 3 and not full:
                continue
            todo.append(link)
    for path in sorted(lists):
        seen[f"{path}?_popup=1&_to_field=id"] = _text(
            client.get(path, {"_popup": "1", "_to_field": "id"})
        )
        for term in SEARCHES:
            seen[f"{path}?q={quote(term)}"] = _searched(_text(client.get(path, {"q": term})), term)
    return seen


def _searched(page: str, term: str) -> str:
    """A search result page without the echo of the search term (the box and the "0 results"
    line repeat it); a row matching it is kept in, named, so the check still sees it."""
    # Links back to the same search (sorting, filters, the object's "back to the list").
    page = re.sub(r"_changelist_filters=[^\"&]*", "", page)
    page = re.sub(r'href="\?[^"]*"', 'href="?"', page)
    start = page.find('id="result_list"')
    rows = page[start : page.find("</table>", start)] if start >= 0 else ""
    return page.replace(term, "") + (f"\nMATCHED {term}" if term in rows else "")


def test_personal_models_are_not_in_the_admin() -> None:
    from django.apps import apps
    from django.contrib import admin

    registered = [m for m in PERSONAL_MODELS if apps.get_model(m) in admin.site._registry]
    assert not registered, (
        f"{registered} are in the admin, which shows their people's details to any staff "
        "account without the sharing policy or the audit log. Remove their @admin.register; "
        "staff use the case pages."
    )


def test_the_admin_change_page_of_a_plan_is_gone(world: SimpleNamespace, db: str) -> None:
    client = _staff(world, "police_admin")
    for path in (
        f"/admin/cases/pmp/{world.plan.pk}/change/",
        f"/admin/cases/casereview/{world.case_review.pk}/change/",
        f"/admin/cases/power/{world.power.pk}/change/",
        f"/admin/risk/riskassessment/{world.assessment.pk}/change/",
    ):
        response = client.get(path)
        assert response.status_code in (302, 404), f"{path}: {response.status_code}"
        assert not secrets_in(_text(response), SECRETS)


def test_full_crawl_as_the_administrator_shows_no_personal_data(
    world: SimpleNamespace, db: str
) -> None:
    """The demonstration's ``demo.admin``: an administrator of the police, staff and
    superuser."""
    pages = crawl(_staff(world, "police_admin"), full=True)
    # The crawl reached the admin's real pages: agencies, their change forms and history,
    # delete confirmations (which list related records), accounts, agreements.
    assert "/admin/partners/agency/" in pages
    assert any(p.endswith("/delete/") and "/partners/agency/" in p for p in pages)
    assert any(p.endswith("/history/") for p in pages)
    assert "/admin/partners/sharingagreement/" in pages
    assert world.council.name in pages["/admin/partners/agency/"]
    assert any("/admin/auth/user/" in p and p.endswith("/delete/") for p in pages)
    leaks = {p: found for p, text in pages.items() if (found := secrets_in(text, SECRETS))}
    assert not leaks, f"admin pages showing personal data: {leaks}"


USERS = [
    "analyst",
    "snt",
    "supervisor",
    "commissioner",
    "council_officer",
    "council_supervisor",
    "council_admin",
    "housing_officer",
    "housing_analyst",
    "unlinked",
]


@pytest.mark.parametrize("who", USERS)
def test_admin_as_each_role_shows_no_personal_data(
    who: str, world: SimpleNamespace, db: str
) -> None:
    pages = crawl(_staff(world, who), full=False)
    assert "/admin/partners/agency/" in pages, sorted(pages)[:20]
    leaks = {p: found for p, text in pages.items() if (found := secrets_in(text, SECRETS))}
    assert not leaks, f"admin pages showing personal data to {who}: {leaks}"
