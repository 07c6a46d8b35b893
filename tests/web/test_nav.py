"""The main navigation (asbhub.web.nav) and the site's error pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from django.urls import reverse  # noqa: E402

from asbhub.web.nav import NAV  # noqa: E402


@pytest.fixture
def client(db_client: Any) -> Any:
    """These pages need no sample: the plain client on the rolled-back ``db`` (not the sample
    store's client that tests/web/conftest.py gives the other web tests)."""
    return db_client


def _nav_links(html: str) -> list[str]:
    nav = html[html.index('<nav aria-label="Main"') : html.index("</nav>")]
    return re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"', nav)


def test_signed_out_users_see_only_public_links(client: Any) -> None:
    links = _nav_links(client.get("/asb-advice/").content.decode())
    assert links == [reverse(i.url_name) for i in NAV if not i.signed_in] + [
        reverse("partners:sign-in")
    ]


def test_an_analyst_sees_only_the_pages_an_analyst_may_open(
    client: Any,
    make_user: Any,
    make_agency: Any,
) -> None:
    client.force_login(
        make_user("nav.analyst", make_agency("Nav Police", kind="police"), role="analyst")
    )
    html = client.get("/pmps/").content.decode()
    hidden = {"scrutiny:dashboard", "partners:usage", "partners:audit-log"}
    assert _nav_links(html) == [reverse(i.url_name) for i in NAV if i.url_name not in hidden]
    current = re.findall(r'href="([^"]+)" aria-current="page"', html)
    assert current == ["/pmps/"]


# Who sees which signed-in entry: (role, agency kind) -> URL names hidden from them. Each is a
# page whose view answers 403 to that role (checked below, so the two cannot drift apart).
HIDDEN = {
    ("analyst", "police"): {"scrutiny:dashboard", "partners:usage", "partners:audit-log"},
    ("supervisor", "police"): set(),
    ("snt_officer", "police"): {
        "people:queue",
        "scrutiny:dashboard",
        "partners:usage",
        "partners:audit-log",
    },
    # No sharing agreement here: no incident summaries, so no weekly pack (issue #10).
    ("partner_officer", "district_council"): {
        "people:queue",
        "scrutiny:dashboard",
        "partners:usage",
        "partners:audit-log",
        "tasking:weekly",
        "hotspot-places",
        "hotspot-forecast",
    },
    ("commissioner_viewer", "commissioner"): {
        "risk:due",
        "people:queue",
        "partners:usage",
        "partners:audit-log",
        "tasking:weekly",
        "hotspot-places",
        "hotspot-forecast",
    },
    ("administrator", "police"): {"risk:due", "people:queue"},
}


@pytest.mark.parametrize(("role", "kind"), list(HIDDEN))
def test_each_role_is_shown_exactly_the_pages_it_may_open(
    client: Any,
    make_user: Any,
    make_agency: Any,
    role: str,
    kind: str,
) -> None:
    client.force_login(make_user(f"nav.{role}", make_agency(f"Nav {kind}", kind=kind), role=role))
    shown = _nav_links(client.get("/asb-advice/").content.decode())
    assert shown == [reverse(i.url_name) for i in NAV if i.url_name not in HIDDEN[role, kind]]
    for item in NAV:
        status = client.get(reverse(item.url_name)).status_code
        if item.url_name in HIDDEN[role, kind]:
            assert status == 403, (role, item.url_name, status)
        else:
            assert status == 200, (role, item.url_name, status)


def test_every_page_check_names_a_real_page_and_a_real_check() -> None:
    from django.utils.module_loading import import_string

    from asbhub.records.partners.access import PAGE_CHECKS

    for page, path in PAGE_CHECKS.items():
        reverse(page, args=[1]) if page == "cases:pmp-review" else reverse(page)
        check = import_string(path)
        assert isinstance(check, frozenset) or callable(check), (page, path)


def test_an_unknown_page_is_open_and_a_signed_out_user_opens_no_checked_page() -> None:
    from django.contrib.auth.models import AnonymousUser

    from asbhub.records.partners.access import PAGE_CHECKS, can_open

    assert can_open(AnonymousUser(), "overview") is True
    assert not any(
        can_open(AnonymousUser(), page) for page in PAGE_CHECKS if page != "cases:pmp-review"
    )


def test_error_pages_use_the_site_layout(
    client: Any,
    make_user: Any,
    make_agency: Any,
) -> None:
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "Page not found" in missing.content.decode()
    # A partner officer may not read the usage page: the 403 says so in the site's layout.
    client.force_login(make_user("nav.partner", make_agency("Nav Council"), role="partner_officer"))
    refused = client.get("/partners/usage/")
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "You cannot see this page" in page and 'aria-label="Main"' in page
