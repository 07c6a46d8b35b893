"""Data shipped with asbhub: a real data.police.uk sample and Derbyshire's area mapping files."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
SAMPLE_DIR = DATA_DIR / "sample"


def sample_paths() -> list[Path]:
    """The bundled data.police.uk archive(s) that ``asbhub demo`` loads."""
    paths = sorted(SAMPLE_DIR.glob("*.zip"))
    if not paths:
        raise FileNotFoundError(f"no sample archive in {SAMPLE_DIR}; reinstall asbhub")
    return paths
