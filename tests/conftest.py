"""Shared fixtures: stores on SQLite and a real PostgreSQL, the shared data set, the CI rule.

Under CI (``CI=true``) a test that needs PostgreSQL or the shared data set fails instead of
skipping: CI has both, so a skip there would hide a broken set-up. Any other skip fails under
CI too, unless allowed in tests/ci_skips.py (the one place that rule is enforced).

Fixtures used by tests in more than one folder are plugins listed in ``pytest_plugins`` below
(``tests/fixtures_*.py``); plain helpers are in ``tests/support.py``. Tests ask for fixtures
by name and never import them.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.support import ROOT, SHARED_POLICE_UK, need

# Fixtures shared across folders, visible to every test by name (never import a fixture); the
# CI rule for skips (tests/ci_skips.py); pytester, for the tests of that rule.
pytest_plugins = [
    "tests.fixtures_partners",
    "tests.fixtures_sample",
    "tests.fixtures_demo",
    "tests.ci_skips",
    "pytester",
]


def pytest_configure(config: pytest.Config) -> None:
    # Django reads its default database once per process: point it at a throwaway file before
    # anything sets Django up, so no test ever touches the user's own store.
    tmp = Path(tempfile.mkdtemp(prefix="asbhub-test-"))
    os.environ["ASBHUB_DB"] = f"sqlite:///{tmp / 'default.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "asbhub.web.settings"


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Browser tests last: they start a live server and Chromium, the slowest part, and a
    failure elsewhere then shows sooner. Order within each group is kept."""
    browser_dir = ROOT / "tests" / "browser"
    items.sort(key=lambda item: Path(str(item.path)).is_relative_to(browser_dir))


@pytest.fixture
def shared_police_uk() -> Path:
    """The larger real data set beside the project (../shared/data/police-uk)."""
    need(SHARED_POLICE_UK.is_dir(), f"the shared data set is not at {SHARED_POLICE_UK}")
    return SHARED_POLICE_UK


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def pg_url() -> object:
    """A fresh, empty PostgreSQL database on the server in ``ASBHUB_TEST_PG_URL``."""
    base = os.environ.get("ASBHUB_TEST_PG_URL")
    need(base, "no PostgreSQL server: ASBHUB_TEST_PG_URL is not set (`make test` starts one)")
    import psycopg

    name = f"asbhub_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    yield url
    from django.db import connections

    for alias in list(connections.settings):
        if connections.settings[alias].get("NAME") == name:
            connections[alias].close()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on the embedded SQLite store and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(autouse=True)
def _fresh_store_version_caches() -> None:
    """Empty the per-store-version caches of the pages (asbhub.web.versioned) before each test:
    a rolled-back test can leave a different store behind the same version (loads, last load
    time), so a cached figure from an earlier test must never answer a later one."""
    if "asbhub.web.versioned" in sys.modules:
        sys.modules["asbhub.web.versioned"].clear_all()
