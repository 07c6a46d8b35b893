"""Helpers for the api tests: import them from here (the fixtures are in conftest.py and
are found by name)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

MISSING_ID = 987654321


def bearer(secret: str) -> dict[str, str]:
    """Test-client keyword arguments that send ``secret`` as a bearer token."""
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def share(
    make_agreement: Any,
    world: SimpleNamespace,
    categories: list[str],
    reference: str = "ISA-API-1",
) -> Any:
    """A live agreement between the police and the council covering ``categories``."""
    today = dt.date.today()
    return make_agreement(
        reference,
        [world.police, world.council],
        categories,
        today - dt.timedelta(days=10),
        today + dt.timedelta(days=30),
    )
