"""An interrupted load (Ctrl-C, kill -9) leaves the store as it was before the file it was on."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from asbhub.data import sample_paths
from asbhub.ingest.inputs import expand_inputs
from asbhub.store import loaders as load_mod
from asbhub.store.db import open_store
from asbhub.store.loaders import ingest


def counts(store) -> tuple[int, int, list[str]]:
    with store.connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM incidents_incident")
        n = cur.fetchall()[0][0]
        cur.execute("SELECT COALESCE(SUM(rows), 0), COUNT(*) FROM incidents_source")
        rows, _ = cur.fetchall()[0]
        cur.execute("SELECT month FROM incidents_source ORDER BY month")
        months = [m for (m,) in cur.fetchall()]
    return n, int(rows), months


def test_ctrl_c_mid_file_rolls_that_file_back(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(store_url)
    inputs = list(expand_inputs(sample_paths()))
    real = load_mod.Loader.bulk_insert
    calls = {"n": 0}

    def interrupted(self, table, columns, rows):
        real(self, table, columns, rows)
        if table == "incidents_incident":
            calls["n"] += 1
            if calls["n"] == 2:  # the second file's rows are written but not committed
                raise KeyboardInterrupt

    monkeypatch.setattr(load_mod.Loader, "bulk_insert", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest(store, inputs)
    n, rows, months = counts(store)
    assert months == ["2018-12"] and n == rows == 7603
    # Loading again picks up where it stopped, and nothing is counted twice.
    monkeypatch.setattr(load_mod.Loader, "bulk_insert", real)
    t = ingest(store, inputs).totals()
    assert (t["stored"], t["already_stored"]) == (7987 + 8087, 7603)
    assert counts(store)[0] == 7603 + 7987 + 8087


KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from asbhub.data import sample_paths
    from asbhub.ingest.inputs import expand_inputs
    from asbhub.store import loaders as load_mod
    from asbhub.store.db import open_store

    real = load_mod.Loader.bulk_insert
    calls = {"n": 0}

    def killed(self, table, columns, rows):
        real(self, table, columns, rows)
        if table == "incidents_incident":
            calls["n"] += 1
            if calls["n"] == 3:
                os.kill(os.getpid(), signal.SIGKILL)  # no clean-up of any kind

    load_mod.Loader.bulk_insert = killed
    store = open_store(sys.argv[1])
    for f in load_mod.ingest_iter(store, list(expand_inputs(sample_paths()))):
        print(f.path, f.stored, flush=True)
""")


def test_kill_9_mid_file_leaves_the_store_as_before_that_file(
    store_url: str, tmp_path: Path
) -> None:
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)
    proc = subprocess.run(
        [sys.executable, str(script), store_url], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == -9, proc.stderr
    assert len(proc.stdout.splitlines()) == 2  # two files committed before the kill
    store = open_store(store_url)
    n, rows, months = counts(store)
    assert months == ["2018-12", "2019-01"] and n == rows == 7603 + 7987
    if store.vendor == "sqlite":
        with store.connection.cursor() as cur:
            cur.execute("PRAGMA integrity_check")
            assert cur.fetchall() == [("ok",)]
    # The CLI finishes the job: the third month is stored, the first two recognised.
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "asbhub.cli",
            "ingest",
            *map(str, sample_paths()),
            "--db",
            store_url,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    t = json.loads(out.stdout)["totals"]
    assert (t["stored"], t["already_stored"], t["rejected"]) == (8087, 7603 + 7987, 0)
