"""Regenerate the tables of docs/forecast-accuracy.md from `asbhub hotspots evaluate`.

Each table in that page sits between ``<!-- forecast: FORCE TYPE -->`` and
``<!-- /forecast -->`` and is the command's printed output, run on the shared data set
(../shared/data/police-uk); tests/analysis/test_forecast_docs.py reruns one force and
compares.

Usage: python scripts/forecast_docs.py
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "forecast-accuracy.md"
DATA = ROOT.parent / "shared" / "data" / "police-uk"
FORCES = ("derbyshire", "leicestershire", "lincolnshire", "northamptonshire", "nottinghamshire")
TYPES = ("asb", "burglary")
BLOCK = re.compile(r"<!-- forecast: (\S+) (\S+) -->\n.*?<!-- /forecast -->", re.S)


def command(force: str, crime_type: str) -> list[str]:
    return [
        "hotspots",
        "evaluate",
        "../shared/data/police-uk",
        "--force",
        force,
        "--crime-type",
        crime_type,
    ]


def table(force: str, crime_type: str, data: Path = DATA) -> str:
    """The block for one force and crime type: the command line and what it printed."""
    from asbhub.cli import main

    args = command(force, crime_type)
    args[2] = str(data)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(args)
    if status != 0:
        raise SystemExit(f"asbhub {' '.join(args)} failed with status {status}")
    shown = " ".join(command(force, crime_type))
    return (
        f"<!-- forecast: {force} {crime_type} -->\n"
        f"`asbhub {shown}`\n\n{out.getvalue().rstrip()}\n<!-- /forecast -->"
    )


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    text = BLOCK.sub(lambda m: table(m.group(1), m.group(2)), text)
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
