"""The demonstration store, made once per session (a plugin listed in the root conftest's
``pytest_plugins``): ``asbhub demo --no-serve`` into a SQLite file, in a fresh process.

``demo_template`` is that file and the command's output; a test that writes, or serves the
store, takes a copy (``demo_copy``), so every user starts from the same demo. Making the demo
(the bundled sample, accounts, cases, synthetic incidents and calls, linked people, risk
assessments, the briefing) is one of the slowest set-ups of the suite: once is enough.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The environment of every ``asbhub`` process the tests start on the demo: plain, unwrapped
#: output (so every line can be read back), no map tiles (no test needs the internet) and a
#: secret key of the tests' own.
DEMO_ENV = {
    "ASBHUB_TILE_URL": "",
    "ASBHUB_SECRET_KEY": "browser-tests-only-" + "x" * 40,
    "COLUMNS": "200",
    "NO_COLOR": "1",
    "TERM": "dumb",
}


@dataclass(frozen=True)
class DemoStore:
    """A demo store file and what ``asbhub demo`` printed making it (stdout then stderr)."""

    file: Path
    output: str
    returncode: int

    @property
    def url(self) -> str:
        return f"sqlite:///{self.file}"


def demo_env(db: str) -> dict[str, str]:
    return {**os.environ, **DEMO_ENV, "ASBHUB_DB": db}


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoStore:
    """``asbhub demo --no-serve`` run once into a template file: read it, never write it."""
    folder = tmp_path_factory.mktemp("demo-template")
    file = folder / "demo.sqlite3"
    db = f"sqlite:///{file}"
    demo = subprocess.run(
        [sys.executable, "-m", "asbhub.cli", "demo", "--no-serve", "--db", db],
        env=demo_env(db),
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, f"asbhub demo failed ({demo.returncode}):\n{output}"
    return DemoStore(file=file, output=output, returncode=demo.returncode)


@pytest.fixture
def demo_copy(demo_template: DemoStore, tmp_path: Path) -> DemoStore:
    """A copy of the demo store of this test's own, to write to."""
    return copy_demo(demo_template, tmp_path)


def copy_demo(template: DemoStore, folder: Path) -> DemoStore:
    """Copy the template's file (and any WAL beside it) into ``folder``."""
    file = folder / template.file.name
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template.file}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{file}{suffix}")
    return DemoStore(file=file, output=template.output, returncode=template.returncode)
