"""Real data for the analysis tests: Derbyshire ASB from data.police.uk, on the British
National Grid.

The bundled sample (``asbhub/data/sample/*.zip``) is read if present, else the same monthly
files from the shared data set beside the project; both hold the same published bytes, so the
values asserted on them hold either way. Missing both skips (fails under ``CI=true``).
"""

from __future__ import annotations

import zipfile
from functools import cache

import numpy as np
import pytest
from numpy.typing import NDArray

from asbhub.geo.projection import to_bng
from asbhub.ingest.police_uk import read_police_uk
from tests.conftest import ROOT, SHARED_POLICE_UK, need

SAMPLE_DIR = ROOT / "asbhub" / "data" / "sample"
MONTHS = ("2018-12", "2019-01", "2019-02")


def _file_name(month: str) -> str:
    return f"{month}/{month}-derbyshire-street.csv"


@cache
def _raw_months() -> tuple[tuple[str, bytes], ...] | None:
    """``(month, file bytes)`` for the three months, from the sample zip or the shared set."""
    for archive in sorted(SAMPLE_DIR.glob("*.zip")):
        with zipfile.ZipFile(archive) as zf:
            names = set(zf.namelist())
            if all(_file_name(m) in names for m in MONTHS):
                return tuple((m, zf.read(_file_name(m))) for m in MONTHS)
    paths = [SHARED_POLICE_UK / _file_name(m) for m in MONTHS]
    if all(p.is_file() for p in paths):
        return tuple((m, p.read_bytes()) for m, p in zip(MONTHS, paths, strict=True))
    return None


@cache
def _asb(month: str) -> NDArray[np.float64]:
    raw = dict(_raw_months() or ())[month]
    rows = read_police_uk(_file_name(month), raw).rows
    asb = rows.filter(
        (rows["crime_type"] == "Anti-social behaviour")
        & rows["longitude"].is_not_null()
        & rows["latitude"].is_not_null()
    )
    x, y = to_bng(asb["longitude"].to_numpy(), asb["latitude"].to_numpy())
    return np.column_stack([x, y])


def _need_data() -> None:
    need(
        _raw_months() is not None,
        f"no Derbyshire data: neither a sample zip in {SAMPLE_DIR} with {', '.join(MONTHS)} "
        f"nor the shared files under {SHARED_POLICE_UK}",
    )


@pytest.fixture
def derbyshire_asb_bng() -> NDArray[np.float64]:
    """Eastings and northings (n, 2) of Derbyshire's ASB in January 2019 (2,980 incidents)."""
    _need_data()
    return _asb("2019-01").copy()


@pytest.fixture
def derbyshire_asb_monthly() -> tuple[NDArray[np.float64], NDArray[np.datetime64]]:
    """Derbyshire's ASB for December 2018 to February 2019: (n, 2) points and their months."""
    _need_data()
    parts = [_asb(m) for m in MONTHS]
    months = np.concatenate(
        [np.full(len(p), np.datetime64(m, "M")) for p, m in zip(parts, MONTHS, strict=True)]
    )
    return np.vstack(parts), months
