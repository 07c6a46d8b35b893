"""Issue #6 speed goal: the scrutiny report for one year of a force's data (~100,000 records).

The year is made from the real Derbyshire files under ../shared/data/police-uk: their five
months, taken in turn, are written out as the twelve months March 2018 to February 2019 (only
the Month column and the file name change), about 96,000 records. Measured in one run:

- **ingest** (the baseline): ``asbhub ingest`` of the twelve files into a fresh SQLite store;
- **HTML**: :func:`asbhub.reports.build_scrutiny` + :func:`asbhub.reports.render_html` for
  February 2019;
- **PDF**: :func:`asbhub.reports.write_pdf` of that HTML (WeasyPrint).

Each is printed as seconds and as a ratio to the ingest time.
"""

from __future__ import annotations

import csv
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
        with src.open(newline="", encoding="utf-8-sig") as f_in, \
                dest.open("w", newline="", encoding="utf-8") as f_out:
            reader = csv.DictReader(f_in)
            writer = csv.DictWriter(f_out, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            for row in reader:
                row["Month"] = month
                writer.writerow(row)
                rows += 1
    return rows


def run() -> dict[str, float]:
    from asbhub.ingest.common import expand_inputs
    from asbhub.reports import build_scrutiny, render_html, write_pdf
    from asbhub.store.db import open_store
    from asbhub.store.load import ingest

    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        n = make_year(folder / "year")
        store = open_store(f"sqlite:///{folder / 'store.sqlite3'}")
        t = time.perf_counter()
        ingest(store, expand_inputs([folder / "year"]))
        t_ingest = time.perf_counter() - t
        t = time.perf_counter()
        html = render_html(build_scrutiny(store, PERIOD))
        t_html = time.perf_counter() - t
        t = time.perf_counter()
        write_pdf(html, folder / f"scrutiny-{PERIOD}.pdf")
        t_pdf = time.perf_counter() - t
        store.close()
    out = {"records": n, "ingest_s": t_ingest, "html_s": t_html, "pdf_s": t_pdf,
           "html_ratio": t_html / t_ingest, "pdf_ratio": t_pdf / t_ingest}
    print(f"one year of {FORCE}: {n:,} records")
    print(f"  ingest (baseline) {t_ingest:7.2f} s")
    print(f"  HTML report       {t_html:7.2f} s  = {out['html_ratio']:.2f} x ingest")
    print(f"  PDF of the report {t_pdf:7.2f} s  = {out['pdf_ratio']:.2f} x ingest")
    return out


if __name__ == "__main__":
    run()
