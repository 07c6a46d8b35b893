"""Helpers for the browser tests (import them from here; the fixtures are in conftest.py).

See tests/browser/conftest.py for what each fixture and helper does."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
#: Requests whose failure means a broken page (a document or an htmx call may fail on purpose).
ASSET_TYPES = {"stylesheet", "script", "image", "font", "media"}
#: A demonstration account's line in ``asbhub demo``'s output: two spaces, name, password.
ACCOUNT_LINE = re.compile(r"^\s+(demo\.[a-z.]+)\s+(\S+)\s*$", re.M)
#: Runs in every page before its own scripts (Playwright's init scripts are not subject to the
#: page's CSP): every CSP violation becomes a console error the ``page`` fixture collects.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
                + " in " + (e.sourceFile || e.documentURI) + ":" + e.lineNumber);
});
"""
CSP_CONSOLE = re.compile(r"CSP violation: |Content Security Policy")


@dataclass
class LiveServer:
    url: str
    accounts: dict[str, str]
    db: str
    process: subprocess.Popen = field(repr=False)
    log: Path = field(repr=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _asbhub(*args: str) -> list[str]:
    return [sys.executable, "-m", "asbhub.cli", *args]


def sign_in(page: Any, live_server: LiveServer, username: str) -> None:
    """Sign in as the demonstration account ``username`` (e.g. ``demo.analyst``)."""
    assert username in live_server.accounts, (
        f"{username!r} is not a demonstration account; expected one of "
        f"{sorted(live_server.accounts)}"
    )
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(live_server.accounts[username])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/sign-in/" not in page.url, (
        f"signing in as {username} failed: {page.locator('main').inner_text()[:500]}"
    )


def query_db(live_server: LiveServer, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of ``sql`` run read-only on the live server's database file."""
    path = live_server.db.removeprefix("sqlite:///")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def assert_accessible(page: Any, label: str) -> None:
    """Fail listing every serious or critical WCAG 2.x A/AA violation axe finds on the page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as an inline <script> tag: the
        # site's Content Security Policy forbids inline script, and the test must not
        # weaken it (nor count axe as a violation).
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    if bad:
        lines = [
            f"{label} ({page.url}): {len(bad)} serious or critical accessibility violation(s):"
        ]
        for v in bad:
            targets = "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"])
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} -- {targets}")
        pytest.fail("\n".join(lines), pytrace=False)
