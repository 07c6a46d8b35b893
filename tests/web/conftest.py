"""Here ``client`` is the sample store's client (``sample_client`` in tests/fixtures_sample.py):
the pages are tested on the bundled real Derbyshire sample."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest

from asbhub.data import sample_paths
from asbhub.geo import bundled_areas_folder


@pytest.fixture
def client(sample_client: Any) -> Any:
    return sample_client


# The bundled sample read with the csv module (independent of asbhub's reader), for the
# hot-spot pages' tests (test_hotspots.py, test_hotspots_emerging.py).
@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith(".csv"):
                out += csv.DictReader(io.StringIO(zf.read(name).decode("utf-8-sig")))
    return out


@pytest.fixture(scope="module")
def lpu_of() -> dict[str, str]:
    with (bundled_areas_folder() / "areas.csv").open(encoding="utf-8", newline="") as fh:
        return {r["lsoa_code"]: r["lpu"] for r in csv.DictReader(fh)}
