"""Browser tests: Playwright (sync API) driving Debian's Chromium against a real asbhub server.

Fixtures and helpers for any test under ``tests/browser/`` (import the helpers from here):

``live_server`` (session)
    A real ``asbhub serve`` subprocess on a free port of 127.0.0.1, over a SQLite database
    prepared once with ``asbhub demo --no-serve`` (the bundled real Derbyshire sample, the
    demonstration agencies, accounts, sharing agreements, PMPs, powers and Case Review). It
    has ``.url`` (base URL, no trailing slash), ``.accounts`` ({username: password} of the
    demonstration accounts, read from the demo's output: the passwords are random on every
    run) and ``.db`` (the database URL). Map tiles are off (``ASBHUB_TILE_URL=""``), so no test
    needs the internet. The server is stopped at the end of the session.
``browser`` (session)
    Chromium from ``/usr/bin/chromium``, headless. A browser is never downloaded.
``page`` (function)
    A page in a fresh browser context (no cookies: signed out), whose relative URLs resolve
    against ``live_server.url``. Requests to any other host are refused, so a page that needs
    a CDN fails. After the test, a stylesheet, script, image or font that failed to load, a
    refused request, a JavaScript error or a Content Security Policy violation (a
    ``securitypolicyviolation`` event or Chromium's "violates the following Content Security
    Policy" console error) on any page is reported as an error of the test.
``sign_in(page, live_server, username)``
    Signs in as a demonstration account through the sign-in page.
``query_db(live_server, sql, params=())``
    Rows of a read-only SQL query on the server's SQLite file (not the Django ORM), to find a
    record's id or to count rows independently of the page under test.
``assert_accessible(page, label)``
    Runs axe-core (vendored in ``tests/browser/vendor/``) on the current page with the WCAG
    2.0, 2.1 and 2.2 A and AA rules, and fails listing every serious or critical violation:
    its rule id, help text and the CSS targets of the nodes. Call it on every page visited.

Playwright's sync API runs an event loop in the test's thread: do not call the Django ORM
from a browser test (Django raises ``SynchronousOnlyOperation``); read results through pages.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium against a live asbhub server")


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


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    need(CHROMIUM.exists(), f"Debian's Chromium is not at {CHROMIUM} (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{tmp / 'browser.sqlite3'}"
    env = {
        **os.environ,
        "ASBHUB_DB": db,
        "ASBHUB_TILE_URL": "",
        "ASBHUB_SECRET_KEY": "browser-tests-only-" + "x" * 40,
        # Plain, unwrapped output, so every account line can be read back.
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    demo = subprocess.run(
        _asbhub("demo", "--no-serve", "--db", db),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, f"asbhub demo failed ({demo.returncode}):\n{output}"
    accounts = dict(ACCOUNT_LINE.findall(output))
    assert "demo.analyst" in accounts, f"no demonstration accounts in the demo's output:\n{output}"

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            _asbhub("serve", "--db", db, "--host", "127.0.0.1", "--port", str(port)),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"asbhub serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url + "/", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"asbhub serve did not answer on {url} within 60 s:\n{log.read_text()}")
            time.sleep(0.25)
        yield LiveServer(url=url, accounts=accounts, db=db, process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser(live_server: LiveServer) -> Iterator[Any]:
    # Module scope, not session: Playwright's sync API keeps an asyncio loop running in this
    # thread while it is started, and Django's ORM then refuses to run in the same thread
    # (SynchronousOnlyOperation). Stopping it after each browser module keeps every other
    # test's ORM calls working whatever the order (tests/conftest.py also runs these last).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    problems: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(live_server.url + "/"):
            route.continue_()
        else:
            problems.append(f"request to another host refused: {route.request.url}")
            route.abort()

    context.route("**/*", only_this_server)
    context.add_init_script(CSP_LISTENER)
    pg = context.new_page()
    pg.on(
        "console",
        lambda m: (
            problems.append(f"{m.text} (on {pg.url})")
            if m.type == "error" and CSP_CONSOLE.search(m.text)
            else None
        ),
    )
    pg.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} for {r.url}")
            if r.status >= 400 and r.request.resource_type in ASSET_TYPES
            else None
        ),
    )
    pg.on("pageerror", lambda e: problems.append(f"JavaScript error on {pg.url}: {e}"))
    yield pg
    context.close()
    assert not problems, "the pages had problems:\n" + "\n".join(problems)


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
