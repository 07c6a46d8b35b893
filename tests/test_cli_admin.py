"""`asbhub audit verify` and `asbhub synth`, run as a user runs them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path


def asbhub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asbhub.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_audit_verify_detects_an_edited_entry(sqlite_url: str) -> None:
    from asbhub.store.db import open_store

    store = open_store(sqlite_url)  # sets Django up before the models are imported
    from asbhub.records.partners import dbguard
    from asbhub.records.partners.audit import append_entry

    for i in range(3):
        append_entry(
            {
                "username": "analyst1",
                "action": "view",
                "object_type": "person",
                "object_id": str(i),
                "purpose": "daily tasking",
            },
            using=store.alias,
        )
    ok = asbhub("audit", "verify", "--db", sqlite_url)
    assert ok.returncode == 0, ok.stderr
    assert "audit log OK: 3 entries" in ok.stdout
    # Someone with the database file itself removes the guard and rewrites history.
    dbguard.remove_guard(store.connection)
    with store.connection.cursor() as cur:
        cur.execute("UPDATE partners_auditentry SET purpose = 'curiosity' WHERE object_id = '1'")
    store.close()
    bad = asbhub("audit", "verify", "--db", sqlite_url)
    assert bad.returncode == 1
    assert "TAMPERED" in bad.stdout


def test_synthetic_call_log_loads_with_every_row_accounted(tmp_path: Path, sqlite_url: str) -> None:
    out = tmp_path / "calls.csv"
    made = asbhub(
        "synth",
        "calls",
        str(out),
        "--start",
        "2022-02-01",
        "--end",
        "2022-02-07",
        "--scale",
        "0.2",
        "--seed",
        "7",
    )
    assert made.returncode == 0, made.stderr
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and {r["channel"] for r in rows} <= {"999", "101", "triage", "online"}
    loaded = asbhub("ingest", str(out), "--db", sqlite_url, "--json")
    assert loaded.returncode == 0, loaded.stderr
    totals = json.loads(loaded.stdout)["totals"]
    assert totals["read"] == totals["stored"] == len(rows)


def test_synthetic_people_are_reproducible(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for p in (a, b):
        assert asbhub("synth", "people", str(p), "-n", "500", "--seed", "3").returncode == 0
    assert a.read_bytes() == b.read_bytes()
    with a.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 500 and "person_id" in rows[0]


def test_link_csv_finds_the_same_people_as_the_ground_truth(tmp_path: Path) -> None:
    people, out = tmp_path / "people.csv", tmp_path / "clusters.csv"
    assert asbhub("synth", "people", str(people), "-n", "1500", "--seed", "11").returncode == 0
    proc = asbhub("link", str(people), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1500
    # Pairwise precision and recall against the generator's true person ids, counted here.
    from collections import defaultdict
    from itertools import combinations

    def pairs(key: str) -> set[tuple[int, int]]:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            groups[r[key]].append(i)
        return {p for g in groups.values() for p in combinations(g, 2)}

    truth, found = pairs("person_id"), pairs("cluster_id")
    precision = len(truth & found) / len(found)
    recall = len(truth & found) / len(truth)
    assert precision >= 0.98 and recall >= 0.9, (precision, recall)
