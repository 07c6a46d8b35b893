"""The Content Security Policy of every asbhub response.

A small middleware rather than django-csp: the policy is one fixed string (no nonces, since
no page has inline script or style) plus the single origin of the map tiles, worked out once
from ``ASBHUB_TILE_URL``; a dependency and its settings format would add more than they save.

The policy (see ``docs/content-security-policy.md``):

- scripts, styles, fonts, fetches, forms and everything else from this site only (the
  vendored Leaflet, GOV.UK Frontend, htmx and the Swagger UI are all served from it); no
  ``'unsafe-inline'`` and no ``'unsafe-eval'``, so a script slipped into a page as text
  cannot run even where escaping failed;
- images from this site, ``data:`` URIs (icons inside the vendored stylesheets) and exactly
  the origin(s) of ``ASBHUB_TILE_URL`` (``{s}`` expands to Leaflet's ``a``, ``b``, ``c``);
- ``frame-ancestors 'none'`` (with the existing ``X-Frame-Options: DENY``), ``object-src
  'none'``, ``base-uri 'none'``, ``form-action 'self'``.

A response that already carries a ``Content-Security-Policy`` header keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
#: Leaflet's default tile subdomains, used where the tile URL has ``{s}``.
TILE_SUBDOMAINS = ("a", "b", "c")


def tile_origins(tile_url: str) -> list[str]:
    """The origins the map tiles of ``tile_url`` come from: ``[]`` for no tiles or tiles served
    by this site (a path), one origin, or one per Leaflet subdomain where the host has ``{s}``.

    Raises ImproperlyConfigured, saying what is expected, for a URL that is not http(s) or
    whose host has a placeholder other than ``{s}``.
    """
    tile_url = tile_url.strip()
    if not tile_url or tile_url.startswith("/") and not tile_url.startswith("//"):
        return []
    parts = urlsplit(tile_url if "://" in tile_url else "https:" + tile_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    if parts.scheme not in ("http", "https") or not host:
        raise ImproperlyConfigured(
            f"ASBHUB_TILE_URL={tile_url!r} is not an http(s) URL: expected e.g. "
            "'https://tile.openstreetmap.org/{z}/{x}/{y}.png', a path on this site such as "
            "'/tiles/{z}/{x}/{y}.png', or '' for no background tiles"
        )
    hosts = [host.replace("{s}", s) for s in TILE_SUBDOMAINS] if "{s}" in host else [host]
    for h in hosts:
        if "{" in h or "}" in h or "*" in h or " " in h or ";" in h or "," in h:
            raise ImproperlyConfigured(
                f"ASBHUB_TILE_URL={tile_url!r}: its host {host!r} may hold no placeholder "
                "but {s} (the Content Security Policy names the tile origin exactly); "
                "put {z}, {x} and {y} in the path"
            )
    return [f"{parts.scheme}://{h}" for h in hosts]


def build_policy(tile_url: str) -> str:
    """The policy string for a site whose map tiles come from ``tile_url``."""
    img = " ".join(["'self'", "data:", *tile_origins(tile_url)])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {img}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """Adds :func:`build_policy` of ``settings.ASBHUB_TILE_URL`` to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = build_policy(getattr(settings, "ASBHUB_TILE_URL", ""))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = self.policy
        return response
