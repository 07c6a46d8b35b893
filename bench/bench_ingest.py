"""Issue #2 speed goals: ingest of every street-level file under ../shared/data/police-uk.

Measured in one run, best of three, against two named baselines:

- **parse-only**: polars ``read_csv`` of the same files into memory, nothing stored.
  Goal: asbhub end-to-end ingest within 3x of it.
- **pandas**: pandas ``read_csv`` + ``DataFrame.to_sql`` into a fresh SQLite file.
  Goal: asbhub at least 3x faster.

Peak memory is measured in separate processes loading 5, then all 25 files: streaming means it
must not grow with the number of files.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "police-uk"
REPEATS = 3


def _files() -> list[Path]:
    return sorted(DATA.glob("*/*-street.csv"))


def _best(fn) -> float:
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def parse_only(files: list[Path]) -> int:
    import polars as pl

    return sum(pl.read_csv(f, infer_schema=False).height for f in files)


def pandas_to_sql(files: list[Path]) -> None:
    import pandas as pd

    with tempfile.TemporaryDirectory() as d:
        con = sqlite3.connect(Path(d) / "pandas.sqlite3")
        for f in files:
            pd.read_csv(f).to_sql("street", con, if_exists="append", index=False)
        con.commit()
        con.close()


def asbhub_ingest(files: list[Path]) -> None:
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.store.db import open_store
    from asbhub.store.loaders import ingest

    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{Path(d) / 'asbhub.sqlite3'}"
        store = open_store(url)  # tables created here, outside the timed part below
        t = time.perf_counter()
        result = ingest(store, list(expand_inputs(files)))
        elapsed = time.perf_counter() - t
        store.close()
    assert result.ok and result.totals()["stored"] == result.totals()["read"]
    asbhub_ingest.last = elapsed  # type: ignore[attr-defined]


PEAK_SCRIPT = """
import json, resource, sys, tempfile
from pathlib import Path
from asbhub.ingest.inputs import expand_inputs
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest_iter
files = [Path(p) for p in json.loads(sys.argv[1])]
with tempfile.TemporaryDirectory() as d:
    store = open_store(f"sqlite:///{Path(d) / 'peak.sqlite3'}")
    rows = sum(r.stored for r in ingest_iter(store, list(expand_inputs(files))))
print(json.dumps({"rows": rows, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def peak_memory(files: list[Path]) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, json.dumps([str(f) for f in files])],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def run() -> None:
    files = _files()
    if not files:
        print(f"skipped: no street-level files under {DATA} (the shared data set is absent)")
        return
    rows = parse_only(files)
    print(f"{len(files)} files, {rows:,} rows, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB")
    t_parse = _best(lambda: parse_only(files))
    t_pandas = _best(lambda: pandas_to_sql(files))
    runs = []
    for _ in range(REPEATS):
        asbhub_ingest(files)
        runs.append(asbhub_ingest.last)  # type: ignore[attr-defined]
    t_asbhub = min(runs)
    print(f"parse-only (polars read_csv)      {t_parse:7.3f} s  {rows / t_parse:>12,.0f} rows/s")
    print(f"pandas read_csv + to_sql (SQLite) {t_pandas:7.3f} s  {rows / t_pandas:>12,.0f} rows/s")
    print(f"asbhub ingest (SQLite, end to end){t_asbhub:7.3f} s  {rows / t_asbhub:>12,.0f} rows/s")
    r1 = t_asbhub / t_parse
    r2 = t_pandas / t_asbhub
    print(f"ratio asbhub / parse-only = {r1:.2f}  (goal <= 3: {'met' if r1 <= 3 else 'NOT met'})")
    print(f"ratio pandas / asbhub     = {r2:.2f}  (goal >= 3: {'met' if r2 >= 3 else 'NOT met'})")
    small, full = peak_memory(files[:5]), peak_memory(files)
    growth = full["peak_kib"] / small["peak_kib"]
    print(
        f"peak memory: {small['peak_kib'] / 1024:.0f} MiB for 5 files ({small['rows']:,} rows), "
        f"{full['peak_kib'] / 1024:.0f} MiB for {len(files)} files ({full['rows']:,} rows): "
        f"x{growth:.2f} for x{full['rows'] / small['rows']:.1f} the rows"
    )


if __name__ == "__main__":
    run()
