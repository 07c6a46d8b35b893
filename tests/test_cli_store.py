"""Issue #12 item 5: which store a command uses, --db as a path, --force, skipped files,
case-insensitive choices and a busy port, run as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
    "LSOA name,Crime type,Last outcome category,Context"
)


def asbhub(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asbhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
    )


def _street_rows(force: str, n: int) -> list[str]:
    # Synthetic rows on a small grid near Belper, Derbyshire: no real people.
    return [
        f",2019-03,{force},{force},{-1.48 + 0.002 * (i % 7):.4f},{53.02 + 0.002 * (i // 7):.4f},"
        f"On or near X,E01019400,Amber Valley 001A,Anti-social behaviour,,"
        for i in range(n)
    ]


@pytest.fixture
def two_forces(tmp_path: Path) -> Path:
    """A store (a plain path) of 30 Derbyshire and 12 Leicestershire synthetic ASB rows."""
    f = tmp_path / "2019-03-two-street.csv"
    rows = _street_rows("Derbyshire Constabulary", 30) + _street_rows("Leicestershire Police", 12)
    f.write_text("\n".join([HEADER, *rows]) + "\n")
    db = tmp_path / "two.sqlite3"
    proc = asbhub("ingest", str(f), "--db", str(db), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["totals"]["stored"] == 42
    return db


# -- a read of a store that is not there ----------------------------------------------------


def test_read_commands_refuse_a_missing_store_naming_the_resolved_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    out = tmp_path / "out"
    for args in (
        ["hotspots", "--db", "missing.sqlite3", "--out", str(tmp_path / "h.geojson")],
        [
            "report",
            "scrutiny",
            "--period",
            "2019-02",
            "--db",
            str(missing),
            "--out",
            str(out),
            "--no-pdf",
        ],
        [
            "briefing",
            "--date",
            "2019-03-01",
            "--db",
            f"sqlite:///{missing}",
            "--out",
            str(out / "b.html"),
        ],
    ):
        proc = asbhub(*args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        # The relative path is resolved: the message names the file that was looked for.
        assert f"no store at {missing}" in proc.stderr, proc.stderr
        assert "asbhub ingest" in proc.stderr
        assert not missing.exists(), "a read must not create the store"
        assert not out.exists() and not (tmp_path / "h.geojson").exists()


def test_a_file_that_is_not_an_asbhub_store_is_refused_with_the_fix(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    proc = asbhub("audit", "verify", "--db", str(other))
    assert proc.returncode == 2
    assert f"{other} (--db) is not an asbhub store: it has 1 other table(s)" in proc.stderr
    assert f"asbhub db upgrade --db {other}" in proc.stderr
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, just some words\n" * 200)
    proc = asbhub("hotspots", "--db", str(text), "--out", str(tmp_path / "h.geojson"))
    assert proc.returncode == 2 and f"{text} (--db) is not a SQLite database" in proc.stderr


def test_db_takes_a_plain_path_and_every_command_says_which_store(
    tmp_path: Path, two_forces: Path
) -> None:
    proc = asbhub(
        "hotspots",
        "--db",
        two_forces.name,
        "--method",
        "count",
        "--out",
        str(tmp_path / "h.geojson"),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"store: {two_forces}\n" in proc.stderr
    # Issue #12: without --force, the deployment's force (the most published records), and
    # what is left out is said with the way to count it.
    assert (
        "records: Derbyshire Constabulary (30); left out: Leicestershire Police "
        "(12: another force, --force chooses it)"
    ) in proc.stderr
    assert "30 matching" in proc.stdout
    tables = {
        r[0]
        for r in sqlite3.connect(two_forces).execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    assert "incidents_incident" in tables


def test_force_default_reads_asbhub_force_and_leaves_synthetic_data_out(
    tmp_path: Path, two_forces: Path
) -> None:
    """Issue #12 item 2: ``$ASBHUB_FORCE`` (any case) is the default of ``--force``; synthetic
    rows (a force named SYNTHETIC ...) never mix into a real force's figures, and count only
    when ``--force`` names them."""
    rows = _street_rows("SYNTHETIC Test Data", 9)
    synthetic = tmp_path / "2019-03-synthetic-street.csv"
    synthetic.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    assert asbhub("ingest", str(synthetic), "--db", str(two_forces)).returncode == 0
    out = str(tmp_path / "h.geojson")
    chosen = asbhub(
        "hotspots",
        "--db",
        str(two_forces),
        "--method",
        "count",
        "--out",
        out,
        env={"ASBHUB_FORCE": "leicestershire police"},
    )
    assert chosen.returncode == 0, chosen.stderr
    assert "records: Leicestershire Police (12); left out: " in chosen.stderr
    assert "SYNTHETIC Test Data (9: synthetic data, --force NAME counts it)" in chosen.stderr
    assert "12 matching" in chosen.stdout
    default = asbhub("hotspots", "--db", str(two_forces), "--method", "count", "--out", out)
    assert "30 matching" in default.stdout, default.stderr
    asked = asbhub(
        "hotspots",
        "--db",
        str(two_forces),
        "--method",
        "count",
        "--out",
        out,
        "--force",
        "synthetic test data",
    )
    assert "9 matching" in asked.stdout, asked.stderr
    # The scrutiny report names the same scope on its records line.
    report = asbhub(
        "report",
        "scrutiny",
        "--db",
        str(two_forces),
        "--period",
        "2019-03",
        "--no-pdf",
        "--out",
        str(tmp_path / "r"),
        env={"ASBHUB_FORCE": "Leicestershire Police"},
    )
    assert report.returncode == 0, report.stderr
    assert "records: Leicestershire Police (12); left out: " in report.stderr


def test_force_filters_the_records_in_any_case_and_lists_the_forces_when_unknown(
    tmp_path: Path, two_forces: Path
) -> None:
    out = tmp_path / "h.geojson"
    proc = asbhub(
        "hotspots",
        "--db",
        str(two_forces),
        "--method",
        "COUNT",
        "--record-type",
        "ASB",
        "--force",
        "leicestershire POLICE",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    assert "records: Leicestershire Police (12)" in proc.stderr
    assert "12 matching" in proc.stdout
    stamp = (
        json.loads(out.read_text())["asbhub"]
        if "asbhub" in json.loads(out.read_text())
        else json.loads(out.read_text())
    )
    assert '"force": "Leicestershire Police"' in json.dumps(stamp)
    # The scrutiny report is about the force named, not the one the area files name.
    proc = asbhub(
        "report",
        "scrutiny",
        "--period",
        "2019-03",
        "--db",
        str(two_forces),
        "--force",
        "LEICESTERSHIRE Police",
        "--out",
        str(tmp_path / "scr"),
        "--no-pdf",
    )
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "scr" / "scrutiny-2019-03.html").read_text()
    assert "Leicestershire Police (whole force)" in html
    assert "Derbyshire Constabulary (whole force)" not in html
    proc = asbhub(
        "hotspots", "--db", str(two_forces), "--force", "Nowhere Police", "--out", str(out)
    )
    assert proc.returncode == 2
    assert (
        "--force 'Nowhere Police': the store "
        f"{two_forces} holds no records of that "
        "force; it holds Derbyshire Constabulary, Leicestershire Police"
    ) in proc.stderr


def test_choices_ignore_case(tmp_path: Path, two_forces: Path) -> None:
    proc = asbhub(
        "trends", "--db", str(two_forces), "--kind", "HOT", "--out", str(tmp_path / "t.geojson")
    )
    assert "invalid choice" not in proc.stderr
    proc = asbhub(
        "briefing",
        "--db",
        str(two_forces),
        "--date",
        "2019-04-02",
        "--format",
        "HTML",
        "--force",
        "derbyshire constabulary",
        "--out",
        str(tmp_path / "b.html"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "records: Derbyshire Constabulary (30)" in proc.stderr
    proc = asbhub(
        "report",
        "weekly",
        "--lpu",
        "erewash",
        "--db",
        str(two_forces),
        "--week-ending",
        "2019-03-10",
        "--force",
        "LEICESTERSHIRE police",
        "--out",
        str(tmp_path / "weekly"),
    )
    assert proc.returncode == 0, proc.stderr
    assert "records: Leicestershire Police (12)" in proc.stderr
    assert "unknown LPU" not in proc.stderr
    (html,) = (tmp_path / "weekly").glob("weekly-*-2019-03-10.html")
    assert "Erewash" in html.read_text()


# -- ingest of a folder skips what is not a source -------------------------------------------


def test_ingest_of_a_folder_skips_lookup_files_and_lists_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "2019-03").mkdir(parents=True)
    (data / "lookups").mkdir()
    street = data / "2019-03" / "2019-03-derbyshire-street.csv"
    street.write_text("\n".join([HEADER, *_street_rows("Derbyshire Constabulary", 5)]) + "\n")
    lookup = data / "lookups" / "lsoa_lookup.csv"
    lookup.write_text("LSOA11CD,LSOA11NM,LAD19CD\nE01019400,Amber Valley 001A,E07000032\n")
    outcomes = data / "2019-03" / "2019-03-derbyshire-outcomes.csv"
    outcomes.write_text(
        "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
        "LSOA code,LSOA name,Outcome type\n"
    )
    shape = data / "lookups" / "areas.geojson"
    shape.write_text("{}")
    db = f"sqlite:///{tmp_path / 's.sqlite3'}"
    proc = asbhub("ingest", str(data), "--db", db, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["totals"]["stored"] == 5 and out["totals"]["rejected"] == 0
    assert [f["path"] for f in out["files"]] == [str(street)]
    skipped = {s["path"]: s["reason"] for s in out["skipped"]}
    assert set(skipped) == {str(lookup), str(outcomes), str(shape)}
    assert "header LSOA11CD,LSOA11NM,LAD19CD" in skipped[str(lookup)]
    assert "outcomes file" in skipped[str(outcomes)]
    assert "not a data file (.geojson)" in skipped[str(shape)]
    # Without --json the skipped files are noted too.
    proc = asbhub("ingest", str(data), "--db", db, cwd=tmp_path)
    assert proc.returncode == 0
    assert f"skipped {lookup}: not a source asbhub loads" in proc.stderr
    # A file named on its own is read, so one of unknown shape is an error.
    proc = asbhub("ingest", str(lookup), "--db", db, "--rejects", str(tmp_path / "r.csv"))
    assert proc.returncode == 1 and "expected exactly: Crime ID,Month" in proc.stdout


def test_ingest_of_the_shared_data_root_stores_every_street_row_and_skips_the_rest(
    tmp_path: Path, shared_police_uk: Path
) -> None:
    # About half a minute here: not marked slow. Rejects, if any, would land in tmp_path.
    proc = asbhub(
        "ingest",
        str(shared_police_uk),
        "--db",
        f"sqlite:///{tmp_path / 'all.sqlite3'}",
        "--json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["totals"]["stored"] == 198_638
    assert out["totals"]["rejected"] == 0 and out["rejects_file"] is None
    assert all(f["path"].endswith("-street.csv") for f in out["files"])
    skipped = [s["path"] for s in out["skipped"]]
    lookups = sorted(str(p) for p in (shared_police_uk / "geography").rglob("*.csv"))
    assert lookups and set(lookups) <= set(skipped)


# -- serve on a busy port --------------------------------------------------------------------


def test_serve_on_a_busy_port_says_so_in_one_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.sqlite3'}"
    assert asbhub("db", "upgrade", "--db", db).returncode == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = asbhub("serve", "--db", db, "--host", "127.0.0.1", "--port", str(port))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("error")]
    assert line == (
        f"error: port {port} on 127.0.0.1 is already in use (another asbhub or "
        "program listens there): stop it, or choose another with --port"
    )


# -- PostgreSQL: a database that does not exist -----------------------------------------------


@pytest.mark.postgres
def test_a_missing_postgresql_database_is_named_without_the_password(pg_url: str) -> None:
    url = pg_url.rsplit("/", 1)[0] + "/asbhub_no_such_db"
    proc = asbhub("hotspots", "--db", url, "--out", "h.geojson")
    assert proc.returncode == 2, proc.stderr
    assert "database 'asbhub_no_such_db' on" in proc.stderr
    assert "asbhub_no_such_db" in proc.stderr.splitlines()[0]  # the store: line
    if "@" in url and ":" in url.split("://", 1)[1].split("@", 1)[0]:
        password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
        assert password not in proc.stderr
