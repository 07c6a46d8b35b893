"""Issue #2 speed goals: ingest of every street-level file under ../shared/data/police-uk.

Measured in one run, best of three, against two named baselines:

- **parse-only**: polars ``read_csv`` of the same files into memory, nothing stored.
  Goal: asbhub end-to-end ingest within 3x of it.
- **pandas**: pandas ``read_csv`` + ``DataFrame.to_sql`` into a fresh SQLite file.
  Goal: asbhub at least 3x faster. Like for like: asbhub's time includes ``open_store`` on a
  fresh SQLite file (its migrations create the tables), as pandas' includes creating its file
  and table.

Peak memory (VmHWM) is measured in separate processes opening the store with no file, then
loading the largest file, half the files, all 25: streaming means it must not grow with the
number of files. Goal: the peak above the no-file process, for all files, within 1.25x (plus
16 MiB of allocator noise) of that for the largest file alone.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.yardstick import verdict

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


def asbhub_ingest(files: list[Path]) -> tuple[float, float]:
    """Seconds for ``open_store`` on a fresh SQLite file (tables created by its migrations)
    plus ``ingest``, as pandas' time includes creating its file and table; and the
    ``open_store`` part alone."""
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.store.db import open_store
    from asbhub.store.loaders import ingest

    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{Path(d) / 'asbhub.sqlite3'}"
        t = time.perf_counter()
        store = open_store(url)
        opened = time.perf_counter() - t
        result = ingest(store, list(expand_inputs(files)))
        elapsed = time.perf_counter() - t
        store.close()
    if not (result.ok and result.totals()["stored"] == result.totals()["read"]):
        raise SystemExit(f"asbhub ingest did not store every row read: {result.totals()}")
    return elapsed, opened


# Each run in its own process, so that its peak is its own. VmHWM (the resident high-water
# mark), not ru_maxrss: on Linux the latter can carry the parent's peak across fork + exec.
PEAK_SCRIPT = """
import json, sys, tempfile
from pathlib import Path
from asbhub.ingest.inputs import expand_inputs
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest_iter
def hwm():
    lines = Path("/proc/self/status").read_text().splitlines()
    return [int(x.split()[1]) for x in lines if x.startswith("VmHWM:")][0]
files = [Path(p) for p in json.loads(sys.argv[1])]
rows = 0
with tempfile.TemporaryDirectory() as d:
    store = open_store(f"sqlite:///{Path(d) / 'peak.sqlite3'}")
    if files:
        rows = sum(r.stored for r in ingest_iter(store, list(expand_inputs(files))))
    store.close()
print(json.dumps({"rows": rows, "peak_kib": hwm()}))
"""
FLAT_GOAL = 1.25  # peak above the no-file process, all files against the largest one alone
FLAT_SLACK_MIB = 16  # allocator noise allowed on top


def peak_memory(files: list[Path]) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, json.dumps([str(f) for f in files])],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"the peak-memory run failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def memory_subsets(files: list[Path]) -> list[tuple[str, list[Path]]]:
    """No file, the largest file, half the files (the largest among them), all files."""
    largest = max(files, key=lambda f: f.stat().st_size)
    rest = [f for f in files if f != largest]
    half = [largest, *rest[: max(len(files) // 2 - 1, 0)]]
    return [
        ("no file (open_store only)", []),
        ("1 file (the largest)", [largest]),
        (f"{len(half)} files", half),
        (f"all {len(files)} files", files),
    ]


def run() -> None:
    files = _files()
    if not files:
        print(f"skipped: no street-level files under {DATA} (the shared data set is absent)")
        return
    rows = parse_only(files)
    print(f"{len(files)} files, {rows:,} rows, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB")
    c = time.process_time()
    t_parse = _best(lambda: parse_only(files))
    c_parse = (time.process_time() - c) / REPEATS
    c = time.process_time()
    t_pandas = _best(lambda: pandas_to_sql(files))
    c_pandas = (time.process_time() - c) / REPEATS
    c = time.process_time()
    runs = [asbhub_ingest(files) for _ in range(REPEATS)]
    c_asbhub = (time.process_time() - c) / REPEATS
    t_asbhub, t_open = min(runs)
    print(f"parse-only (polars read_csv)      {t_parse:7.3f} s  {rows / t_parse:>12,.0f} rows/s")
    print(f"pandas read_csv + to_sql (SQLite) {t_pandas:7.3f} s  {rows / t_pandas:>12,.0f} rows/s")
    print(
        f"asbhub open_store + ingest        {t_asbhub:7.3f} s  {rows / t_asbhub:>12,.0f} rows/s "
        f"(open_store on a new file {t_open:.3f} s of it)"
    )
    print(f"(all best of {REPEATS}; pandas and asbhub each create their SQLite file and tables)")
    print(
        f"mean CPU time per run (this process; polars parses on several threads): parse-only "
        f"{c_parse:.3f} s, pandas {c_pandas:.3f} s, asbhub {c_asbhub:.3f} s; pandas / asbhub "
        f"{c_pandas / c_asbhub:.2f}"
    )
    r1 = t_asbhub / t_parse
    r2 = t_pandas / t_asbhub
    print(
        verdict(
            "ingest vs parse-only",
            baseline="polars read_csv",
            settings="infer_schema=False, into memory, nothing stored",
            estimated=False,
            ratio=r1,
            goal="<= 3x",
            ok=r1 <= 3,
        )
    )
    print(
        verdict(
            "ingest vs pandas",
            baseline="pandas read_csv + DataFrame.to_sql",
            settings="new SQLite file and table, if_exists=append, one commit",
            estimated=False,
            ratio=r2,
            goal=">= 3x",
            ok=r2 >= 3,
        )
    )
    peaks = [(label, subset, peak_memory(subset)) for label, subset in memory_subsets(files)]
    base = peaks[0][2]["peak_kib"] / 1024
    for label, _, p in peaks:
        print(
            f"peak memory, {label:<26} {p['peak_kib'] / 1024:7.0f} MiB ({p['rows']:,} rows; "
            f"{p['peak_kib'] / 1024 - base:+.0f} MiB over no file)"
        )
    one = peaks[1][2]["peak_kib"] / 1024 - base
    full = peaks[-1][2]["peak_kib"] / 1024 - base
    growth = full / one if one > 0 else float("inf")
    print(
        verdict(
            "ingest memory flat in the number of files",
            baseline="the largest file alone",
            settings=f"VmHWM over the no-file process; {len(files)} files against 1, rows "
            f"x{peaks[-1][2]['rows'] / max(peaks[1][2]['rows'], 1):.1f}",
            estimated=False,
            ratio=growth,
            goal=f"<= {FLAT_GOAL:g}x (+{FLAT_SLACK_MIB} MiB slack)",
            ok=full <= FLAT_GOAL * one + FLAT_SLACK_MIB,
        )
    )


if __name__ == "__main__":
    run()
