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
import polars as pl
import pytest
from numpy.typing import NDArray

from asbhub.analysis_inputs import police_uk_points
from asbhub.domain.vocab import ASB_CRIME_TYPE
from tests.support import ROOT, SHARED_POLICE_UK, need

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
    # Read and projected as the CLI and the web app read them (asbhub.analysis_inputs).
    pts = police_uk_points(_file_name(month), raw)
    asb = pts.filter((pl.col("crime_type") == ASB_CRIME_TYPE) & pl.col("easting").is_not_null())
    return asb.select("easting", "northing").to_numpy().astype(np.float64)


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
