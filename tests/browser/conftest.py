"""Browser tests: Playwright (sync API) driving Debian's Chromium against a real asbhub server.

Fixtures and helpers for any test under ``tests/browser/`` (the fixtures are here; import the
helpers from ``tests/browser/support.py``):

``live_server`` (session)
    A real ``asbhub serve`` subprocess on a free port of 127.0.0.1, over a copy of the
    session's demo store (``demo_template`` in tests/fixtures_demo.py: ``asbhub demo
    --no-serve`` run once: the bundled real Derbyshire sample, the demonstration agencies,
    accounts, sharing agreements, PMPs, powers and Case Review). It
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

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.support import (
    ACCOUNT_LINE,
    ASSET_TYPES,
    CHROMIUM,
    CHROMIUM_ARGS,
    CSP_CONSOLE,
    CSP_LISTENER,
    LiveServer,
    _asbhub,
    _free_port,
)
from tests.fixtures_demo import DemoStore, copy_demo, demo_env
from tests.support import need


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Chromium against a live asbhub server")


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoStore
) -> Iterator[LiveServer]:
    need(CHROMIUM.exists(), f"Debian's Chromium is not at {CHROMIUM} (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("browser")
    # The session's demo store (tests/fixtures_demo.py), copied: the server writes to it.
    demo = copy_demo(demo_template, tmp)
    db = demo.url
    env = demo_env(db)
    output = demo.output
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


@pytest.fixture(scope="session")
def browser(live_server: LiveServer) -> Iterator[Any]:
    # One Chromium for the session (started once, not once per module). Playwright's sync API
    # keeps an asyncio loop running in this thread while it is started, and Django's ORM then
    # refuses to run in the same thread (SynchronousOnlyOperation): that is safe because the
    # root conftest runs every browser test after all the others, and no browser test calls
    # the ORM (read the server's database with ``query_db``).
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
