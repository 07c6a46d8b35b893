"""Concurrent loads into one store: two ``asbhub ingest`` processes both complete with correct
counts (the second waits its turn), and a load that cannot get the database in time says so in
one line naming the store, exits non-zero and leaves the data as it was. SQLite and PostgreSQL.

Issue #10 (3): the second of two ingests into one SQLite file died with a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from asbhub.data import sample_paths

MONTHS = ("2018-12", "2019-01", "2019-02")


def _asbhub(*args: str) -> list[str]:
    return [sys.executable, "-m", "asbhub.cli", *args]


@pytest.fixture
def month_files(tmp_path: Path) -> dict[str, Path]:
    """The bundled real data.police.uk sample, one street file per month."""
    (archive,) = [p for p in sample_paths() if str(p).endswith(".zip")]
    out = {}
    with zipfile.ZipFile(archive) as z:
        for name in z.namelist():
            month = Path(name).name[:7]
            out[month] = tmp_path / Path(name).name
            out[month].write_bytes(z.read(name))
    assert sorted(out) == list(MONTHS)
    return out


def _query(db: str, sql: str) -> list[tuple]:
    if db.startswith("sqlite:///"):
        with sqlite3.connect(db[len("sqlite:///") :]) as conn:
            return conn.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(db) as conn:
        return conn.execute(sql).fetchall()


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "COLUMNS": "1000", "NO_COLOR": "1", "TERM": "dumb", **extra}


def test_two_ingests_at_once_both_complete(
    store_url: str, month_files: dict[str, Path], tmp_path: Path
) -> None:
    subprocess.run(
        _asbhub("db", "upgrade", "--db", store_url),
        env=_env(),
        check=True,
        capture_output=True,
        timeout=300,
    )
    # January is in both: whichever loads it second finds it already stored. The places
    # overlap too, so each load must see the places the other stored.
    plans = {"a": ["2018-12", "2019-01"], "b": ["2019-02", "2019-01"]}
    gate = _start_gate(store_url)
    procs = {
        name: subprocess.Popen(
            _asbhub(
                "ingest",
                "--json",
                "--db",
                store_url,
                "--rejects",
                str(tmp_path / f"{name}.csv"),
                *(str(month_files[m]) for m in months),
            ),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, months in plans.items()
    }
    if gate is not None:
        _open_gate(gate, store_url, procs)
    outputs = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert "Traceback" not in err, err
        assert proc.returncode in (0, 1), f"{name}: exit {proc.returncode}\n{err}"
        outputs[name] = json.loads(out)

    files = {Path(f["path"]).name[:7] + name: f for name, o in outputs.items() for f in o["files"]}
    for key, f in files.items():
        assert f["error"] is None, (key, f["error"])
        assert f["read"] == f["stored"] + f["already_stored"] + f["rejected"], f
    jan_a, jan_b = files["2019-01a"], files["2019-01b"]
    assert {jan_a["already_stored"], jan_b["already_stored"]} == {
        0,
        jan_a["read"] - jan_a["rejected"],
    }
    stored = sum(f["stored"] for f in files.values())
    ((n_incidents,),) = _query(store_url, "SELECT COUNT(*) FROM incidents_incident")
    assert n_incidents == stored > 0
    months = _query(store_url, "SELECT month, rows FROM incidents_source ORDER BY month")
    assert [m for m, _ in months] == list(MONTHS)
    ((dupes,),) = _query(store_url, "SELECT COUNT(*) - COUNT(DISTINCT key) FROM incidents_location")
    assert dupes == 0


def _start_gate(store_url: str):
    """On PostgreSQL, hold both loads at their first write so that they really overlap (on
    SQLite two loads collide without help). None on SQLite."""
    if store_url.startswith("sqlite:///"):
        return None
    import psycopg

    conn = psycopg.connect(store_url)
    conn.execute("LOCK TABLE incidents_source IN EXCLUSIVE MODE")  # reads go on, writes wait
    return conn


def _open_gate(gate, store_url: str, procs: dict) -> None:
    import psycopg

    name = store_url.rsplit("/", 1)[-1]
    with psycopg.connect(store_url, autocommit=True) as watch:
        for _ in range(1200):  # until both loads wait on a lock (about 2 minutes at most)
            ((waiting,),) = watch.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND "
                "wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                [name],
            ).fetchall()
            if waiting >= 2 or any(p.poll() is not None for p in procs.values()):
                break
            time.sleep(0.1)
    gate.rollback()
    gate.close()


def _hold_the_database(store_url: str):
    """A connection that holds what a load needs until it is closed."""
    if store_url.startswith("sqlite:///"):
        conn = sqlite3.connect(store_url[len("sqlite:///") :], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return conn
    import psycopg

    from asbhub.store.loaders import LOAD_LOCK_KEY

    conn = psycopg.connect(store_url)
    conn.execute("SELECT pg_advisory_xact_lock(%s)", [LOAD_LOCK_KEY])
    return conn


def test_ingest_that_cannot_get_the_database_says_so(
    store_url: str, month_files: dict[str, Path], tmp_path: Path
) -> None:
    load = _asbhub("ingest", "--db", store_url, "--rejects", str(tmp_path / "r.csv"))
    first = subprocess.run(
        [*load, str(month_files["2018-12"])],
        env=_env(),
        text=True,
        capture_output=True,
        timeout=600,
    )
    assert first.returncode == 0, first.stdout + first.stderr
    before = _query(
        store_url,
        "SELECT COUNT(*), (SELECT COUNT(*) FROM incidents_location) FROM incidents_incident",
    )

    holder = _hold_the_database(store_url)
    try:
        busy = subprocess.run(
            [*load, str(month_files["2019-01"]), str(month_files["2019-02"])],
            env=_env(ASBHUB_DB_TIMEOUT="1"),
            text=True,
            capture_output=True,
            timeout=600,
        )
    finally:
        holder.rollback()
        holder.close()
    output = busy.stdout + busy.stderr
    assert busy.returncode != 0, output
    assert "Traceback" not in output, output
    shown = store_url.rsplit("@", 1)[-1]
    lines = [ln for ln in output.splitlines() if "was busy with another writer" in ln]
    assert lines and all(shown in ln and "ASBHUB_DB_TIMEOUT" in ln for ln in lines), output
    assert (
        _query(
            store_url,
            "SELECT COUNT(*), (SELECT COUNT(*) FROM incidents_location) FROM incidents_incident",
        )
        == before
    )

    # Once the other writer has gone, the same load goes through.
    again = subprocess.run(
        [*load, str(month_files["2019-01"]), str(month_files["2019-02"])],
        env=_env(ASBHUB_DB_TIMEOUT="1"),
        text=True,
        capture_output=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    months = _query(store_url, "SELECT month FROM incidents_source ORDER BY month")
    assert [m for (m,) in months] == list(MONTHS)


def test_sqlite_writers_wait_their_turn_for_asbhub_db_timeout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from asbhub.store.urls import database_config

    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    monkeypatch.delenv("ASBHUB_DB_TIMEOUT", raising=False)
    options = database_config(url)["OPTIONS"]
    assert (options["transaction_mode"], options["timeout"]) == ("IMMEDIATE", 30.0)
    monkeypatch.setenv("ASBHUB_DB_TIMEOUT", "120")
    assert database_config(url)["OPTIONS"]["timeout"] == 120.0
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv("ASBHUB_DB_TIMEOUT", bad)
        with pytest.raises(ValueError, match="ASBHUB_DB_TIMEOUT=.*expected a number of seconds"):
            database_config(url)


def test_two_ingests_into_a_new_store_take_turns_to_create_it(
    store_url: str, month_files: dict[str, Path], tmp_path: Path
) -> None:
    # Both find no tables and create them: without turns the second died with a traceback
    # ("table ... already exists").
    procs = [
        subprocess.Popen(
            _asbhub(
                "ingest",
                "--json",
                "--db",
                store_url,
                "--rejects",
                str(tmp_path / f"{i}.csv"),
                str(month_files["2018-12"]),
            ),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0 and "Traceback" not in err, err
        (f,) = json.loads(out)["files"]
        results.append(f)
    read, rejected = results[0]["read"], results[0]["rejected"]
    assert sorted((f["stored"], f["already_stored"]) for f in results) == [
        (0, read - rejected),
        (read - rejected, 0),
    ]
    ((n,),) = _query(store_url, "SELECT COUNT(*) FROM incidents_incident")
    assert n == read - rejected > 0
