"""The site's main navigation, in one place: a context processor gives base.html ``nav``.

Each item is (URL name, label, whether it needs signing in). An item shows only to users its
page would let in: :func:`asbhub.records.partners.access.can_open` asks the same check the view
makes (:data:`~asbhub.records.partners.access.PAGE_CHECKS`), so a partner officer is not shown the
audit log only to be refused it. Whether an item is the current page is judged on the view's
namespaced name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from asbhub.records.partners.access import can_open


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    signed_in: bool = False


NAV: tuple[NavItem, ...] = (
    NavItem("overview", "Overview"),
    NavItem("hotspots", "Hot spots"),
    NavItem("public:report", "Report ASB"),
    NavItem("public:advice", "ASB advice"),
    NavItem("scrutiny:questions", "Questions for the Commissioner"),
    NavItem("tasking:briefing", "Briefing", signed_in=True),
    NavItem("tasking:weekly", "Weekly pack", signed_in=True),
    NavItem("hotspot-places", "Places", signed_in=True),  # issue #16 item 4
    NavItem("hotspot-forecast", "Forecast accuracy", signed_in=True),  # issue #16 item 5
    NavItem("cases:pmp-list", "Plans (PMPs)", signed_in=True),
    NavItem("cases:case-review-list", "Case Reviews", signed_in=True),
    NavItem("cases:powers", "Powers (table 5.36)", signed_in=True),
    NavItem("risk:due", "Risk reviews", signed_in=True),
    NavItem("people:queue", "People to review", signed_in=True),
    NavItem("scrutiny:dashboard", "Scrutiny dashboard", signed_in=True),
    NavItem("partners:usage", "Usage", signed_in=True),
    NavItem("partners:audit-log", "Audit log", signed_in=True),
    NavItem("api-tokens:list", "API tokens", signed_in=True),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    items = [
        {"href": reverse(item.url_name), "label": item.label, "current": item.url_name == current}
        for item in NAV
        if (signed_in or not item.signed_in) and can_open(user, item.url_name)
    ]
    return {"nav": items}
