"""The main navigation (asbhub.web.nav) and the site's error pages."""

from __future__ import annotations

import re
from typing import Any

from asbhub.store.db import setup_django
from tests.partners.conftest import (  # noqa: F401
    client,
    db,
    default_store,
    make_agency,
    make_user,
)

setup_django()

from django.urls import reverse  # noqa: E402

from asbhub.web.nav import NAV  # noqa: E402


def _nav_links(html: str) -> list[str]:
    nav = html[html.index('<nav aria-label="Main"'):html.index("</nav>")]
    return re.findall(r'class="govuk-service-navigation__link" href="([^"]+)"', nav)


def test_signed_out_users_see_only_public_links(client: Any) -> None:  # noqa: F811
    links = _nav_links(client.get("/asb-advice/").content.decode())
    assert links == [reverse(i.url_name) for i in NAV if not i.signed_in] + [
        reverse("partners:sign-in")]


def test_signed_in_users_see_every_link_and_the_current_page(client: Any, make_user: Any,  # noqa: F811
                                                             make_agency: Any) -> None:  # noqa: F811
    client.force_login(make_user("nav.analyst", make_agency("Nav Police", kind="police"),
                                 role="analyst"))
    html = client.get("/pmps/").content.decode()
    assert _nav_links(html) == [reverse(i.url_name) for i in NAV]
    current = re.findall(r'href="([^"]+)" aria-current="page"', html)
    assert current == ["/pmps/"]


def test_error_pages_use_the_site_layout(client: Any, make_user: Any,  # noqa: F811
                                         make_agency: Any) -> None:  # noqa: F811
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "Page not found" in missing.content.decode()
    # A partner officer may not read the usage page: the 403 says so in the site's layout.
    client.force_login(make_user("nav.partner", make_agency("Nav Council"), role="partner_officer"))
    refused = client.get("/partners/usage/")
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "You cannot see this page" in page and 'aria-label="Main"' in page
