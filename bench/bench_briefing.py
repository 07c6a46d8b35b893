"""Issue #12 speed goal: the demo day's briefing PDF builds in under a third of today's time.

The store is the demo's synthetic dated incidents (:func:`asbhub.demo.tasking.
seed_demo_incidents`, the same ones ``make demo`` loads) in a fresh SQLite file, and the
briefing is for today, as the demo shows it. Measured in one run, alternately, three times
each (the median is printed):

- **full** (the baseline: the briefing as it was built before issue #12): every row of every
  section, every Case Review flag with each qualifying complaint,
  ``build_briefing(..., limit=None)``. It is today's code uncut, not the old code itself,
  and prints in the new 9 pt print style: on the demo day it makes about 26 pages where the
  briefing before issue #12 made 41 (and took some 7 s here against about 3 s for this
  baseline), so the ratio understates the gain over the old build;
- **cut**: the briefing for a 30-minute meeting, ``build_briefing(...)`` (10 rows a section).

Each is data, HTML and PDF (WeasyPrint, imported once before either is timed), printed in
seconds by the wall clock and in CPU seconds of this process, with the page count, and the
ratio cut / full against the goal of less than 1/3.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

GOAL = 1 / 3
ROUNDS = 3


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _pages(pdf: bytes) -> int | str:
    """Pages by poppler's ``pdfinfo`` (scripts/system-packages.sh installs it), else "?"."""
    import re
    import shutil
    import subprocess

    if not shutil.which("pdfinfo"):
        return "?"
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    match = re.search(rb"^Pages:\s+(\d+)", out, re.M)
    return int(match.group(1)) if match else "?"


def run() -> None:
    from asbhub.demo.tasking import seed_demo_incidents
    from asbhub.reports.briefing import briefing_pdf_bytes, build_briefing, render_briefing_html
    from asbhub.reports.rendering import import_weasyprint
    from asbhub.store.db import open_store

    today = dt.date.today()
    with tempfile.TemporaryDirectory(prefix="bench-briefing-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'demo.sqlite3'}")
        t = time.perf_counter()
        seed_demo_incidents(store, today)
        print(f"demo incidents seeded in {time.perf_counter() - t:.1f} s; briefing for {today}")
        import_weasyprint()  # loaded once: neither timing pays for the import

        def build(limit: int | None) -> tuple[float, float, int | str]:
            wall, cpu = time.perf_counter(), _cpu()
            kwargs = {} if limit == 10 else {"limit": limit}
            pdf = briefing_pdf_bytes(render_briefing_html(build_briefing(store, today, **kwargs)))
            return time.perf_counter() - wall, _cpu() - cpu, _pages(pdf)

        runs: dict[str, list[tuple[float, float, int]]] = {"full": [], "cut": []}
        for _ in range(ROUNDS):
            runs["full"].append(build(None))
            runs["cut"].append(build(10))
        med = {
            k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v), v[-1][2])
            for k, v in runs.items()
        }
        for name, (wall, cpu, pages) in med.items():
            label = "full (baseline, limit=None)" if name == "full" else "cut (limit=10)"
            print(f"{label:30s} {wall:7.2f} s wall  {cpu:7.2f} s CPU  {pages:>3} pages")
        ratio_wall = med["cut"][0] / med["full"][0]
        ratio_cpu = med["cut"][1] / med["full"][1] if med["full"][1] else float("nan")
        met = ratio_wall < GOAL and ratio_cpu < GOAL
        print(
            f"briefing build ratio (cut / full): {ratio_wall:.2f} wall, {ratio_cpu:.2f} CPU; "
            f"goal < {GOAL:.2f}: {'met' if met else 'NOT met'}"
        )
        pages = med["cut"][2]
        print(
            f"pages: {pages} (goal at most 6: "
            f"{'unknown' if pages == '?' else 'met' if int(pages) <= 6 else 'NOT met'})"
        )
