"""The `asbhub` command line, run as a user runs it (a real subprocess)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from asbhub.data import sample_paths

HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"
GOOD = ",2019-03,Derbyshire Constabulary,Derbyshire Constabulary,-1.4,53.0,On or near X,E01019400,Amber Valley 001A,Anti-social behaviour,,"


def asbhub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asbhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_ingest_json_counts_add_up_and_match_an_independent_count(sqlite_url: str) -> None:
    proc = asbhub("ingest", str(sample_paths()[0]), "--db", sqlite_url, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    expected_by_type: Counter = Counter()
    with zipfile.ZipFile(sample_paths()[0]) as zf:
        members = sorted(n for n in zf.namelist() if n.endswith(".csv"))
        for f, name in zip(out["files"], members, strict=True):
            rows = list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8"))))
            expected_by_type.update(r["Crime type"] for r in rows)
            assert f["path"].endswith(name)
            assert f["read"] == len(rows) == f["stored"] + f["already_stored"] + f["rejected"]
    totals = out["totals"]
    assert totals["read"] == sum(f["read"] for f in out["files"]) == 23_677
    assert out["by_crime_type"] == dict(sorted(expected_by_type.items()))
    again = json.loads(
        asbhub("ingest", str(sample_paths()[0]), "--db", sqlite_url, "--json").stdout
    )
    assert again["totals"]["stored"] == 0 and again["totals"]["already_stored"] == 23_677


def test_rejects_are_written_with_file_line_field_and_reason(
    tmp_path: Path, sqlite_url: str
) -> None:
    f = tmp_path / "march.csv"
    f.write_text("\n".join([HEADER, GOOD, GOOD.replace("-1.4", "x"), GOOD]) + "\n")
    rejects = tmp_path / "rejects.csv"
    proc = asbhub("ingest", str(f), "--db", sqlite_url, "--rejects", str(rejects))
    assert proc.returncode == 0, proc.stderr
    assert "line 3, Longitude 'x': not a number" in proc.stdout
    with rejects.open() as fh:
        (row,) = list(csv.DictReader(fh))
    assert row == {
        "file": str(f),
        "line": "3",
        "field": "Longitude",
        "value": "x",
        "reason": "not a number; expected decimal degrees, e.g. -1.476",
    }
    strict = asbhub(
        "ingest",
        str(f),
        "--db",
        sqlite_url,
        "--strict",
        "--json",
        "--rejects",
        str(tmp_path / "r2.csv"),
    )
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["files"][0]["error"].startswith("--strict")


def test_wrong_file_says_what_was_expected_and_exits_non_zero(
    tmp_path: Path, sqlite_url: str
) -> None:
    f = tmp_path / "notes.csv"
    f.write_text("hello,world\n1,2\n")
    proc = asbhub("ingest", str(f), "--db", sqlite_url, "--rejects", str(tmp_path / "r.csv"))
    assert proc.returncode == 1
    assert "expected exactly: Crime ID,Month" in proc.stdout


def test_missing_path_and_bad_db_url_are_clear_errors(tmp_path: Path) -> None:
    proc = asbhub("ingest", str(tmp_path / "nope.csv"))
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr
    proc = asbhub("ingest", str(sample_paths()[0]), "--db", "mysql://x")
    assert proc.returncode == 2 and "expected sqlite:///" in proc.stderr


def test_db_upgrade_creates_the_tables(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    proc = asbhub("db", "upgrade", "--db", f"sqlite:///{db}")
    assert proc.returncode == 0, proc.stderr
    import sqlite3

    tables = {
        r[0]
        for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    assert {
        "incidents_incident",
        "incidents_location",
        "incidents_person",
        "incidents_source",
    } <= tables


# -- asbhub demo ---------------------------------------------------------------------------


def _words_after(text: str, heading: str, first: str, n: int) -> list[str]:
    """The ``n`` words after ``first`` in the section of the page headed ``heading``."""
    import re

    words = re.sub(r"<[^>]+>", " ", text[text.index(heading) :]).split()
    at = words.index(first)
    return words[at + 1 : at + 1 + n]


@pytest.mark.slow
def test_demo_seeds_each_app_and_the_scrutiny_report_has_call_handling(
    tmp_path: Path, demo_copy: Any
) -> None:
    """``asbhub demo --no-serve`` as run once per session (``demo_template`` in
    tests/fixtures_demo.py, a fresh process), and a copy of the store it made."""
    import sqlite3
    from datetime import datetime
    from zoneinfo import ZoneInfo

    db_file = demo_copy.file
    db = demo_copy.url
    out = demo_copy.output
    assert demo_copy.returncode == 0, out
    # Every step reported, in order.
    lines = [
        "loading the bundled sample",
        "Demonstration accounts",
        "Demonstration cases",
        "Synthetic incidents",
        "Synthetic calls",
        "Linked people",
        "Demonstration risk assessments",
        "Daily briefing",
    ]
    at = [out.find(line) for line in lines]
    assert -1 not in at and at == sorted(at), dict(zip(lines, at, strict=True))
    assert "SYNTHETIC demonstration call log" in out

    report = asbhub(
        "report", "scrutiny", "--period", "2019-02", "--db", db, "--out", str(tmp_path), "--no-pdf"
    )
    assert report.returncode == 0, report.stderr
    html = (tmp_path / "scrutiny-2019-02.html").read_text(encoding="utf-8")
    assert "No call logs were loaded" not in html and "No 999 calls" not in html
    assert "SYNTHETIC-demo-calls-2018-04-01-to-2019-02-28.csv" in html
    # The figures against a count of the stored calls by UK local date.
    uk = ZoneInfo("Europe/London")
    with sqlite3.connect(db_file) as con:
        rows = con.execute("SELECT channel, queued_at FROM contact_call").fetchall()
    year = {"999": 0, "101": 0}
    february = {"999": 0, "101": 0}
    for channel, queued in rows:
        day = datetime.fromisoformat(queued).replace(tzinfo=ZoneInfo("UTC")).astimezone(uk)
        if channel in year and "2018-04-01" <= f"{day:%Y-%m-%d}" < "2019-03-01":
            year[channel] += 1
            february[channel] += day.month == 2
    for channel in ("999", "101"):
        assert year[channel] > 10 * february[channel] > 0
        got = _words_after(html, f"{channel} calls by financial year", "2018/19", 1)
        assert got == [f"{year[channel]:,}"], channel
        got = _words_after(html, f"{channel} calls in Feb of each year", "2019", 1)
        assert got == [f"{february[channel]:,}"], channel
