"""Here ``client`` is the sample store's client (``sample_client`` in tests/fixtures_sample.py):
the pages are tested on the bundled real Derbyshire sample."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def client(sample_client: Any) -> Any:
    return sample_client
