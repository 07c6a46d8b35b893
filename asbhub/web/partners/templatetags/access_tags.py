"""``{% can_open "page" [record] as name %}``: whether a link should be shown at all.

A page that would answer 403 is not linked: templates ask the same check its view makes
(:func:`asbhub.records.partners.access.can_open`).
"""

from __future__ import annotations

from typing import Any

from django import template

from asbhub.records.partners import access

register = template.Library()


@register.simple_tag(takes_context=True)
def can_open(context: template.Context, page: str, record: Any = None) -> bool:
    """Would the view named ``page`` (with ``record``, for a record's own pages) let the
    signed-in user in?"""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return access.can_open(user, page, record)
