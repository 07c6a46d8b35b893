"""Archives and what asbhub writes: zip bombs, nested archives, NUL bytes, formula-safe CSVs.

The zip bomb is real: 2 GiB of zeros written through ``zipfile`` in 1 MiB pieces (never held
in memory) into a 2 MB archive, loaded by ``asbhub ingest`` in a subprocess whose peak memory
is measured. Every person and place here is synthetic.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from asbhub.ingest import calls, force_export, police_uk

ROOT = Path(__file__).resolve().parents[2]
MiB, GiB = 1024**2, 1024**3
HEADER = ",".join(police_uk.COLUMNS)
GOOD = (
    ",2019-03,Derbyshire Constabulary,Derbyshire Constabulary,-1.4,53.0,On or near X,"
    "E01019400,Amber Valley 001A,Anti-social behaviour,,"
)
GOOD_CSV = HEADER + "\n" + GOOD + "\n" + GOOD.replace("On or near X", "On or near Y") + "\n"
BOMB_MEMBER = "2019-03-derbyshire-street.csv"

# Runs a command as a child and reports its exit code, output and peak resident memory. The
# child's address space is capped at 3 GiB so that old code (which read the whole 2 GiB
# member into memory, then copied it) fails fast instead of taking the shared machine's memory.
_MEASURE = """
import json, resource, subprocess, sys
def cap():
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
p = subprocess.run(sys.argv[1:], capture_output=True, text=True, preexec_fn=cap, timeout=900)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr, "peak": peak}))
"""


def asbhub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asbhub.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )


def stored_rows(url: str) -> list[tuple]:
    db = url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT line, crime_type FROM incidents_incident ORDER BY id"
        ).fetchall()


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 MB zip: a small real-looking CSV, then a 2 GiB member of zeros (about 1000:1)."""
    path = tmp_path_factory.mktemp("bomb") / "police-uk-2019-03.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2019-03-aaa-street.csv", GOOD_CSV)
        info = zipfile.ZipInfo(BOMB_MEMBER)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as fh:
            zeros = bytes(MiB)
            for _ in range(2048):
                fh.write(zeros)
    return path


def test_zip_bomb_ends_with_one_line_error_naming_member_and_cap_in_bounded_memory(
    bomb: Path, tmp_path: Path, sqlite_url: str
) -> None:
    assert bomb.stat().st_size < 3 * MiB
    with zipfile.ZipFile(bomb) as zf:
        assert zf.getinfo(BOMB_MEMBER).file_size == 2 * GiB
    before = tmp_path / "before.csv"
    before.write_text(GOOD_CSV)
    assert asbhub("ingest", str(before), "--db", sqlite_url).returncode == 0
    stored = stored_rows(sqlite_url)
    assert len(stored) == 2

    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _MEASURE,
            sys.executable,
            "-m",
            "asbhub.cli",
            "ingest",
            str(bomb),
            "--db",
            sqlite_url,
            "--json",
            "--rejects",
            str(tmp_path / "rejects.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)

    assert out["rc"] == 2, out
    assert "Traceback" not in out["stderr"], out["stderr"][-2000:]
    # Beside the `store: ...` line every command prints (issue #12 item 5), one line.
    lines = [x for x in out["stderr"].strip().splitlines() if not x.startswith("store: ")]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {bomb}!{BOMB_MEMBER}: expands to 2.0 GiB from ")
    assert "over the cap of 200:1 for members over 64.0 MiB" in lines[0]
    assert "--zip-max-ratio" in lines[0]
    assert out["stdout"] == ""
    assert out["peak"] < 500 * 10**6, f"peak memory {out['peak'] / 10**6:.0f} MB"
    # Nothing loaded, not even the archive's good member: the store is as it was.
    assert stored_rows(sqlite_url) == stored
    assert not (tmp_path / "rejects.csv").exists()


def test_a_raised_cap_is_named_and_a_member_cap_is_checked_too(
    bomb: Path, tmp_path: Path, sqlite_url: str
) -> None:
    # The size cap, from the option: the member is over it before any ratio is looked at.
    proc = asbhub("ingest", str(bomb), "--db", sqlite_url, "--zip-max-member", "1GiB")
    assert proc.returncode == 2
    assert f"{BOMB_MEMBER}: expands to 2.0 GiB, over the cap of 1.0 GiB per member" in proc.stderr
    # A bad setting says what was expected.
    bad = asbhub("ingest", str(bomb), "--db", sqlite_url, "--zip-max-member", "lots")
    assert bad.returncode == 2
    assert "'lots' is not a size; expected a positive number of bytes" in bad.stderr


def test_limits_accept_real_archives_and_refuse_bombs() -> None:
    from asbhub.ingest.archives import ZipLimits, parse_size

    limits = ZipLimits()
    assert (limits.max_member_bytes, limits.max_ratio, limits.ratio_min_bytes) == (
        4 * GiB,
        200.0,
        64 * MiB,
    )
    # The largest data.police.uk member (tens of MB, about 10:1) and a whole month of all
    # forces as one member (1.5 GB at 8:1) are accepted.
    assert limits.problem(40 * MiB, 4 * MiB) is None
    assert limits.problem(1_500_000_000, 1_500_000_000 // 8) is None
    # A small file that compresses very well is harmless; a big one is not.
    assert limits.problem(10 * MiB, 10 * 1024) is None
    assert "over the cap of 200:1" in limits.problem(2 * GiB, 2 * MiB)
    assert "over the cap of 4.0 GiB per member" in limits.problem(5 * GiB, 4 * GiB)
    env = ZipLimits.from_env(
        {
            "ASBHUB_ZIP_MAX_MEMBER": "500MB",
            "ASBHUB_ZIP_MAX_RATIO": "50",
            "ASBHUB_ZIP_RATIO_MIN": "1MiB",
        }
    )
    assert env == ZipLimits(500_000_000, 50.0, MiB)
    # An option beats the setting.
    assert ZipLimits.from_env({"ASBHUB_ZIP_MAX_RATIO": "50"}, max_ratio=300).max_ratio == 300
    with pytest.raises(ValueError, match="expected a number of at least 1"):
        ZipLimits.from_env({"ASBHUB_ZIP_MAX_RATIO": "0.5"})
    assert parse_size("1.5 GiB", "x") == 3 * GiB // 2


def test_a_damaged_member_fails_its_file_by_name_without_a_traceback(
    tmp_path: Path, sqlite_url: str
) -> None:
    path = tmp_path / "a.zip"
    body = "".join(GOOD.replace("On or near X", f"On or near {i}") + "\n" for i in range(5000))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2019-03-aaa-street.csv", GOOD_CSV)
        zf.writestr("2019-03-bbb-street.csv", HEADER + "\n" + body)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("2019-03-bbb-street.csv")
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle : middle + 64] = bytes(64)  # damage the compressed bytes, not the directory
    path.write_bytes(bytes(data))
    proc = asbhub("ingest", str(path), "--db", sqlite_url, "--json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    files = json.loads(proc.stdout)["files"]
    assert [f["stored"] for f in files] == [2, 0]
    assert files[1]["error"].startswith(
        f"{path}!2019-03-bbb-street.csv: the member cannot be read from the archive ("
    )
    assert files[1]["error"].endswith("the archive may be damaged or truncated: download it again")


def nested(tmp_path: Path) -> Path:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("2019-04-derbyshire-street.csv", GOOD_CSV.replace("2019-03", "2019-04"))
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2019-03-derbyshire-street.csv", GOOD_CSV)
        zf.writestr("more/2019-04.zip", inner.getvalue())
        zf.writestr("old/2019-02.csv.gz", b"\x1f\x8b not read either")
    return outer


def test_a_nested_archive_is_named_as_not_read_never_skipped(
    tmp_path: Path, sqlite_url: str
) -> None:
    outer = nested(tmp_path)
    proc = asbhub("ingest", str(outer), "--db", sqlite_url, "--json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ok"] is False
    by_path = {f["path"]: f for f in out["files"]}
    assert sorted(by_path) == [
        f"{outer}!2019-03-derbyshire-street.csv",
        f"{outer}!more/2019-04.zip",
        f"{outer}!old/2019-02.csv.gz",
    ]
    assert by_path[f"{outer}!2019-03-derbyshire-street.csv"]["stored"] == 2
    refused = by_path[f"{outer}!more/2019-04.zip"]
    assert refused["error"] == (
        f"{outer}!more/2019-04.zip: an archive inside a zip archive is not read, so none of its "
        "rows were loaded; extract more/2019-04.zip from outer.zip and run asbhub ingest on it "
        "(or on the folder it unpacks to)"
    )
    assert refused["stored"] == refused["read"] == 0
    assert (
        "old/2019-02.csv.gz: an archive inside" in by_path[f"{outer}!old/2019-02.csv.gz"]["error"]
    )
    # The table says so too.
    table = asbhub("ingest", str(outer), "--db", sqlite_url, cwd=tmp_path)
    assert table.returncode == 1
    assert "failed " in table.stdout and "more/2019-04.zip: an archive inside" in table.stdout


def test_rejects_file_is_formula_safe(tmp_path: Path, sqlite_url: str) -> None:
    f = tmp_path / "march.csv"
    f.write_text(
        "\n".join(
            [
                HEADER,
                GOOD.replace("-1.4", "@SUM(1+1)*cmd|' /C calc'!A0"),
                GOOD.replace("2019-03", '"=HYPERLINK(""http://example.invalid/x"",""click"")"'),
                GOOD.replace("-1.4", "-1.4x"),
                GOOD.replace("E01019400", "+E0"),
            ]
        )
        + "\n"
    )
    rejects = tmp_path / "rejects.csv"
    proc = asbhub("ingest", str(f), "--db", sqlite_url, "--rejects", str(rejects))
    assert proc.returncode == 0, proc.stderr
    with rejects.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "line", "field", "value", "reason"]
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [
        ("2", "Longitude", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("3", "Month", '\'=HYPERLINK("http://example.invalid/x","click")'),
        ("4", "Longitude", "'-1.4x"),
        ("5", "LSOA code", "'+E0"),
    ]
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_every_csv_asbhub_writes_goes_through_the_formula_safe_writer() -> None:
    # One writer: asbhub.outputs.csvsafe. The synthetic input generators (asbhub synth-*)
    # write files made to be loaded back unchanged, so they are the only exception.
    allowed = {"asbhub/outputs/csvsafe.py", "asbhub/synth/calls.py", "asbhub/synth/incidents.py"}
    synth_cli = "asbhub/cli/admin.py"
    raw_writers = re.compile(r"csv\.(writer|DictWriter)\(|\.write_csv\(")
    found = []
    for path in sorted((ROOT / "asbhub").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if not raw_writers.search(code) or "safe_frame(" in code or ">>>" in line:
                continue
            if rel == synth_cli and re.search(r"(people|truth)\.write_csv\(", code):
                continue  # asbhub synth-people / synth-incidents: synthetic input files
            found.append(f"{rel}:{n}: {line.strip()}")
    assert found == []
    from asbhub.outputs import csvsafe
    from asbhub.web import csvsafe as web_csvsafe

    assert web_csvsafe.safe_writer is csvsafe.safe_writer
    assert web_csvsafe.safe_cell is csvsafe.safe_cell


def test_safe_frame_matches_safe_cell() -> None:
    import polars as pl

    from asbhub.outputs.csvsafe import safe_cell, safe_frame

    values = [
        "=1+1",
        "-2.5",
        "+44 1632 960001",
        "@me",
        "\tx",
        "\rx",
        "-1,234.5%",
        "plain",
        "",
        None,
        "-",
        "=",
        "+1e3",
        "Anti-social behaviour",
    ]
    df = pl.DataFrame({"v": values, "n": list(range(len(values)))})
    out = safe_frame(df)
    assert out["v"].to_list() == [safe_cell(v) for v in values]
    assert out["n"].to_list() == df["n"].to_list()
    assert out["v"].to_list()[:4] == ["'=1+1", "-2.5", "'+44 1632 960001", "'@me"]


def test_weekly_csv_is_written_through_the_safe_writer(tmp_path: Path) -> None:
    from asbhub.reports import weekly

    buf = io.StringIO()
    # The writer weekly.py uses for its CSV: a crime type from a force's export may start
    # with "=".
    weekly.safe_writer(buf).writerow(["=cmd", "Nuisance", -3])
    assert buf.getvalue() == "'=cmd,Nuisance,-3\r\n"


# -- NUL bytes: rejected with file, line, field and reason, by every CSV reader -------------


def test_police_uk_nul_byte_is_rejected_with_line_and_field() -> None:
    raw = (
        HEADER
        + "\n"
        + GOOD
        + "\n"
        + GOOD.replace("On or near X", "On or\x00near X")
        + "\n"
        + GOOD
        + "\n"
    ).encode()
    parsed = police_uk.read_police_uk("march.csv", raw)
    assert parsed.rows["line"].to_list() == [2, 4]
    (r,) = parsed.rejects
    assert (r.file, r.line, r.field, r.value) == ("march.csv", 3, "Location", "On or\x00near X")
    assert r.reason.startswith("contains a NUL byte (0x00)")
    assert "download it again from data.police.uk" in r.reason


def test_force_export_csv_nul_byte_is_rejected_with_line_and_field() -> None:
    from tests.ingest.test_force_export import row, to_csv

    raw = to_csv(
        [
            row(),
            row(incident_reference="TST-0002", location_text="Abbey\x00Street"),
            row(incident_reference="TST-0003"),
        ]
    )
    parsed = force_export.read_force_export("export.csv", raw)
    assert parsed.read == 3
    (r,) = parsed.rejects
    assert (r.file, r.line, r.field) == ("export.csv", 3, "location_text")
    assert r.reason.startswith("contains a NUL byte (0x00)") and "export it again" in r.reason


def test_call_log_nul_byte_is_rejected_with_line_and_field() -> None:
    from tests.contact.test_read_calls import row, to_csv

    raw = to_csv([row(), row(call_id="999-20220201-0\x0002")])
    parsed = calls.read_calls("calls.csv", raw)
    assert parsed.read == 2 and parsed.rows.height == 1
    (r,) = parsed.rejects
    assert (r.file, r.line, r.field, r.value) == ("calls.csv", 3, "call_id", "999-20220201-0\x0002")
    assert r.reason.startswith("contains a NUL byte (0x00)")


def test_nul_byte_is_a_reject_not_a_database_error(tmp_path: Path, store_url: str) -> None:
    # PostgreSQL refuses NUL in text outright; the row must be rejected before the store.
    f = tmp_path / "march.csv"
    f.write_text(
        HEADER + "\n" + GOOD + "\n" + GOOD.replace("Amber Valley", "Amber\x00Valley") + "\n"
    )
    rejects = tmp_path / "rejects.csv"
    proc = asbhub("ingest", str(f), "--db", store_url, "--json", "--rejects", str(rejects))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ok"] is True
    assert [(x["read"], x["stored"], x["rejected"]) for x in out["files"]] == [(2, 1, 1)]
    with rejects.open(newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["file"], row["line"], row["field"]) == (str(f), "3", "LSOA name")
    assert row["reason"].startswith("contains a NUL byte (0x00)")


def test_names_and_values_that_look_like_markup_are_printed_as_they_are(
    tmp_path: Path, sqlite_url: str
) -> None:
    # Member names and rejected values come from the input: the terminal output must neither
    # crash on them nor take them for styling.
    outer = tmp_path / "odd.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("[/x]2019-03.csv", HEADER + "\n" + GOOD.replace("-1.4", "[/bold]") + "\n")
        zf.writestr("[bold]inner.zip", b"PK")
    proc = asbhub("ingest", str(outer), "--db", sqlite_url, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "line 2, Longitude '[/bold]': not a number" in proc.stdout
    assert "odd.zip![bold]inner.zip: an archive inside a zip archive is not read" in proc.stdout
    bomb_like = asbhub("ingest", str(outer), "--db", sqlite_url, "--zip-max-member", "10B")
    assert bomb_like.returncode == 2
    # Every command first says which store it uses (issue #12 item 5); then the error.
    assert bomb_like.stderr.startswith("store: ")
    assert bomb_like.stderr.split("\n", 1)[1].startswith(
        f"error: {outer}![/x]2019-03.csv: expands to "
    )
