"""Issue #6 speed goal: the scrutiny report for one year of a force's data (~100,000 records).

The year is made from the real Derbyshire files under ../shared/data/police-uk: their five
months, taken in turn, are written out as the twelve months March 2018 to February 2019 (only
the Month column and the file name change), about 96,000 records. Measured in one run:

- **ingest** (the baseline): ``asbhub ingest`` of the twelve files into a fresh SQLite store;
- **HTML**: :func:`asbhub.reports.build_scrutiny` + :func:`asbhub.reports.render_html` for
  February 2019;
- **PDF**: :func:`asbhub.reports.write_pdf` of that HTML (WeasyPrint), including importing
  WeasyPrint, which is also printed apart, and once more with WeasyPrint loaded (what a
  long-running process pays).

Each is printed as seconds and as a ratio to the ingest time, both by the wall clock and in
CPU seconds of this process and its children: on a shared machine the wall clock swings with
other work, the CPU seconds much less.
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "police-uk"
FORCE = "derbyshire"
PERIOD = "2019-02"


def _months(last: str, n: int) -> list[str]:
    y, m = int(last[:4]), int(last[5:])
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def make_year(folder: Path) -> int:
    """Write twelve months of the force's files into ``folder``; return the rows written."""
    sources = sorted(DATA.glob(f"*/*-{FORCE}-street.csv"))
    if not sources:
        raise FileNotFoundError(f"no {FORCE} street files under {DATA}")
    rows = 0
    for i, month in enumerate(_months(PERIOD, 12)):
        src = sources[i % len(sources)]
        dest = folder / month / f"{month}-{FORCE}-street.csv"
        dest.parent.mkdir(parents=True)
        with (
            src.open(newline="", encoding="utf-8-sig") as f_in,
            dest.open("w", newline="", encoding="utf-8") as f_out,
        ):
            reader = csv.DictReader(f_in)
            writer = csv.DictWriter(f_out, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            for row in reader:
                row["Month"] = month
                writer.writerow(row)
                rows += 1
    return rows


def _cpu() -> float:
    # Children too: importing WeasyPrint the ordinary way spawns some fifty processes (the
    # library lookup), whose CPU process_time() would leave out.
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class _Clock:
    """Wall-clock and CPU seconds (this process, all its threads, and its child processes)."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = _cpu() - self.cpu


def run() -> dict[str, float]:
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.reports import build_scrutiny, render_html, write_pdf
    from asbhub.reports.rendering import import_weasyprint
    from asbhub.store.db import open_store
    from asbhub.store.loaders import ingest

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        n = make_year(folder / "year")
        store = open_store(f"sqlite:///{folder / 'store.sqlite3'}")
        with _Clock() as ing:
            ingest(store, expand_inputs([folder / "year"]))
        with _Clock() as htm:
            html = render_html(build_scrutiny(store, PERIOD))
        with _Clock() as pdf:
            with _Clock() as imp:
                import_weasyprint()  # shown apart: a one-off cost per process
            write_pdf(html, folder / f"scrutiny-{PERIOD}.pdf")
        with _Clock() as again:  # as a long-running process (the web app) pays it
            write_pdf(html, folder / f"scrutiny-{PERIOD}-again.pdf")
        store.close()
    out = {
        "records": n,
        "ingest_s": ing.wall,
        "html_s": htm.wall,
        "pdf_s": pdf.wall,
        "pdf_import_s": imp.wall,
        "html_ratio": htm.wall / ing.wall,
        "pdf_ratio": pdf.wall / ing.wall,
        "ingest_cpu_s": ing.cpu,
        "html_cpu_s": htm.cpu,
        "pdf_cpu_s": pdf.cpu,
        "html_cpu_ratio": htm.cpu / ing.cpu,
        "pdf_cpu_ratio": pdf.cpu / ing.cpu,
        "pdf_again_cpu_s": again.cpu,
        "pdf_import_cpu_s": imp.cpu,
    }
    print(f"one year of {FORCE}: {n:,} records          wall clock            CPU (process)")
    print(f"  ingest (baseline) {ing.wall:7.2f} s                 {ing.cpu:7.2f} s")
    print(
        f"  HTML report       {htm.wall:7.2f} s = {out['html_ratio']:.2f} x ingest"
        f"   {htm.cpu:7.2f} s = {out['html_cpu_ratio']:.2f} x ingest"
    )
    print(
        f"  PDF of the report {pdf.wall:7.2f} s = {out['pdf_ratio']:.2f} x ingest"
        f"   {pdf.cpu:7.2f} s = {out['pdf_cpu_ratio']:.2f} x ingest"
    )
    print(f"    of which importing WeasyPrint {imp.wall:.2f} s wall, {imp.cpu:.2f} s CPU")
    print(
        f"  PDF again, WeasyPrint loaded {again.wall:.2f} s wall, {again.cpu:.2f} s CPU = "
        f"{again.cpu / ing.cpu:.2f} x ingest"
    )
    return out


if __name__ == "__main__":
    run()
