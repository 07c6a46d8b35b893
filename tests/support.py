"""Plain helpers every test folder may import (not fixtures: those live in the root conftest
and the ``tests/fixtures_*.py`` plugins it lists in ``pytest_plugins``).

``need(condition, why)`` skips a test when something it needs is missing, and fails it under
CI (``CI=true``), where everything is present and a skip would hide a broken set-up.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_POLICE_UK = ROOT.parent / "shared" / "data" / "police-uk"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: object, why: str) -> None:
    """Skip with ``why`` when ``condition`` is false; under CI, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} -- CI must run this test")
    pytest.skip(why)
