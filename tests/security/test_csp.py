"""The Content Security Policy (issue #10, class 10), and the audit of every template and
script that makes it possible without ``'unsafe-inline'`` (class 1).

- every route of :mod:`tests.security.registry` (and every admin route, a static file and a
  404) answers with the policy, as anyone and as the user it is for, and keeps the other
  security headers;
- the policy allows the tile origin of ``ASBHUB_TILE_URL`` exactly, nothing broader;
- no template has an inline script, a ``<style>``, a ``style=`` attribute, an ``on...=``
  handler or a ``javascript:`` URL (which the policy would block or which would need it
  weakened), and no asbhub script hands server data to Leaflet or the DOM as HTML.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from asbhub.store.db import setup_django
from asbhub.web.csp import HEADER, build_policy, tile_origins
from tests.security.support import as_user, new_client

setup_django()

from tests.security.registry import (  # noqa: E402
    ADMIN_NAMESPACE,
    ROUTES,
    call,
    site_routes,
)
from tests.security.test_routes import _admin_url  # noqa: E402

ROOT = Path(__file__).resolve().parents[2] / "asbhub"


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            assert words[0] not in out, f"{words[0]} twice in {policy!r}"
            out[words[0]] = words[1:]
    return out


def _check_headers(response: Any, where: str, *, page: bool = True) -> None:
    from django.conf import settings

    policy = response.get(HEADER)
    assert policy == build_policy(settings.ASBHUB_TILE_URL), (
        f"{where}: expected the site's Content-Security-Policy, got {policy!r}"
    )
    d = _directives(policy)
    assert d["frame-ancestors"] == ["'none'"] and d["object-src"] == ["'none'"]
    for name in ("default-src", "script-src", "style-src", "connect-src"):
        assert d[name] == ["'self'"], f"{where}: {name} {d[name]}"
    # The headers that were there before the policy stay (static files, served by WhiteNoise
    # before Django's middleware, never had X-Frame-Options).
    assert response.get("X-Frame-Options") == ("DENY" if page else None), where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("Referrer-Policy") == "same-origin", where


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_route_has_the_policy(name: str, world: SimpleNamespace, db: str) -> None:
    route = ROUTES[name]
    for who in (None, route.owner):
        c = new_client() if who is None else as_user(world, who)
        _check_headers(call(c, name, world), f"{name} as {who or 'anyone'}")


def test_admin_static_and_missing_pages_have_the_policy(world: SimpleNamespace, db: str) -> None:
    routes = site_routes()
    staff = as_user(world, "staff")
    admin = sorted(n for n in routes if n.startswith(f"{ADMIN_NAMESPACE}:"))
    assert len(admin) > 10
    for name in admin:
        _check_headers(staff.get(_admin_url(name, routes[name])), name)
    for path in ("/static/asbhub/overview-map.js", "/static/vendor/leaflet/leaflet.css"):
        response = new_client().get(path)
        assert response.status_code == 200, path
        _check_headers(response, path, page=False)
    response = new_client().get("/no-such-page/")
    assert response.status_code == 404
    _check_headers(response, "a missing page")


def test_tile_origin_is_allowed_exactly() -> None:
    osm = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert tile_origins(osm) == ["https://tile.openstreetmap.org"]
    img = _directives(build_policy(osm))["img-src"]
    assert img == ["'self'", "data:", "https://tile.openstreetmap.org"]
    assert tile_origins("https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png") == [
        "https://a.tiles.example.org:8443",
        "https://b.tiles.example.org:8443",
        "https://c.tiles.example.org:8443",
    ]
    assert tile_origins("http://user@tiles.example.org/t/{z}/{x}/{y}") == [
        "http://tiles.example.org"
    ]
    assert tile_origins("//tiles.example.org/{z}/{x}/{y}.png") == ["https://tiles.example.org"]
    for none in ("", "  ", "/tiles/{z}/{x}/{y}.png"):
        assert tile_origins(none) == []
        assert _directives(build_policy(none))["img-src"] == ["'self'", "data:"]
    with pytest.raises(ImproperlyConfigured, match="not an http"):
        tile_origins("ftp://tiles.example.org/{z}/{x}/{y}.png")
    with pytest.raises(ImproperlyConfigured, match="placeholder"):
        tile_origins("https://{z}.tiles.example.org/{x}/{y}.png")
    with pytest.raises(ImproperlyConfigured, match="placeholder"):
        tile_origins("https://*.example.org/{z}/{x}/{y}.png")
    with pytest.raises(ImproperlyConfigured, match="placeholder"):
        tile_origins("https://tiles.example.org; script-src *")


def test_no_unsafe_keywords_in_any_policy() -> None:
    for tiles in ("", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"):
        policy = build_policy(tiles)
        assert "unsafe" not in policy and "*" not in policy, policy


# -- the audit of templates and scripts ----------------------------------------------------

#: Templates that are whole standalone documents for files (the PDF and downloadable HTML
#: reports), never served as a page of the site: their <style> is not under the policy.
STANDALONE = {
    "reports/templates/briefing/briefing.html",
    "reports/templates/weekly/weekly.html",
    "reports/templates/scrutiny/report.html",
    "reports/templates/scrutiny/_style.html",
    "reports/templates/scrutiny/_section.html",
}
INLINE = [
    (
        re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
        "an inline <script> (put it in a static .js file)",
    ),
    (re.compile(r"<style\b", re.I), "a <style> element (put it in a static .css file)"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute (use a class)"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on...= handler (use addEventListener in a .js)"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]

#: Template comments (Django's and Jinja's), blanked before the search, keeping line numbers.
COMMENT = re.compile(r"\{% comment %\}.*?\{% endcomment %\}|\{#.*?#\}", re.S)


def _templates() -> list[Path]:
    return sorted(
        p for p in ROOT.rglob("templates/**/*.html") if str(p.relative_to(ROOT)) not in STANDALONE
    )


def test_templates_need_no_unsafe_inline() -> None:
    found = []
    templates = _templates()
    assert len(templates) > 50
    for path in templates:
        text = COMMENT.sub(
            lambda m: "\n" * m.group(0).count("\n"), path.read_text(encoding="utf-8")
        )
        for pattern, what in INLINE:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}: {m.group(0)!r}")
    assert not found, "the Content Security Policy would block:\n" + "\n".join(found)


def _scripts() -> list[Path]:
    return sorted(p for p in ROOT.rglob("static/**/*.js") if "vendor" not in p.parts)


#: Ways a script can turn text into HTML; ``innerHTML = ""`` (emptying) is the one allowed.
HTML_SINKS = re.compile(
    r"\.innerHTML\s*=(?!\s*\"\"\s*;)|\.outerHTML\s*=|insertAdjacentHTML|"
    r"document\.write|\beval\(|new Function\(|\.html\("
)
#: Leaflet inserts a string tooltip, popup or label as HTML: only a DOM node may be passed.
LEAFLET_CONTENT = re.compile(
    r"\.(bindTooltip|bindPopup|setContent|setTooltipContent|"
    r"setPopupContent)\(\s*(?!asText\(|popupContent\()"
)


def test_scripts_hand_no_data_to_the_dom_as_html() -> None:
    found = []
    scripts = _scripts()
    assert {p.name for p in scripts} >= {
        "pmp-map.js",
        "overview-map.js",
        "hotspot-map.js",
        "report-map.js",
    }
    for path in scripts:
        text = path.read_text(encoding="utf-8")
        for pattern, what in (
            (HTML_SINKS, "an HTML sink"),
            (LEAFLET_CONTENT, "Leaflet content not built with asText()"),
        ):
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}: {m.group(0)!r}")
    assert not found, "data would become HTML:\n" + "\n".join(found)
