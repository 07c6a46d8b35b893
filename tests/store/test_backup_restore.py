"""The restore drill (issue #18 item 4): back up a demonstration store, change it, restore it,
and the row counts, the audit chain and a sample of pages are as they were; on SQLite and on
a real PostgreSQL server, through the ``asbhub`` command as an operator runs it.

Also: a restore refuses what is not an asbhub backup, a damaged one, and a store that holds
data without ``--force``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).with_name("drill_snapshot.py")


def _run(url: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ASBHUB_DB=url)
    proc = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, cwd=ROOT, check=False
    )
    if ok:
        assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _asbhub(url: str, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return _run(
        url, "-c", "import sys; from asbhub.cli import main; sys.exit(main())", *args, ok=ok
    )


def _snapshot(url: str) -> dict:
    return json.loads(_run(url, str(SNAPSHOT), "snapshot").stdout)


def test_restore_drill(store_url: str, tmp_path: Path) -> None:
    _asbhub(store_url, "demo", "--no-serve", "--db", store_url)
    before = _snapshot(store_url)
    # Not vacuous: a demonstration store with incidents, plans and a verified audit chain, and
    # every sampled page answered.
    assert before["counts"]["incidents_incident"] > 1000
    assert before["counts"]["cases_pmp"] > 0
    assert before["audit_ok"], before["audit"]
    assert all(status == 200 for status, _, _ in before["pages"].values()), before["pages"]

    archive = tmp_path / "asbhub.backup.tar"
    out = _asbhub(store_url, "db", "backup", "--db", store_url, "--to", str(archive)).stdout
    assert "backed up" in out and archive.stat().st_size > 0

    _run(store_url, str(SNAPSHOT), "change")
    changed = _snapshot(store_url)
    assert changed["counts"]["incidents_incident"] == before["counts"]["incidents_incident"] - 25
    assert changed["pages"] != before["pages"]  # the PMP's title and the counts show it

    refused = _asbhub(store_url, "db", "restore", str(archive), "--db", store_url, ok=False)
    assert refused.returncode == 2
    assert "not empty" in refused.stderr and "--force" in refused.stderr

    out = _asbhub(store_url, "db", "restore", str(archive), "--db", store_url, "--force").stdout
    assert out.startswith("restored")
    after = _snapshot(store_url)
    assert after["counts"] == before["counts"]
    assert after["audit_ok"], after["audit"]
    # The chain is the one backed up (right after the first snapshot), to the last entry:
    # the drill's own audited views and access after the backup are gone.
    assert before["audit_head"][1] and after["audit_head"][0] == before["audit_head"][1]
    assert changed["audit_head"][0][0] > before["audit_head"][1][0]
    assert after["pages"] == before["pages"]
    verify = _asbhub(store_url, "audit", "verify", "--db", store_url)
    assert "ok" in verify.stdout.lower() or "intact" in verify.stdout.lower(), verify.stdout


def test_restore_into_a_new_store_and_files(tmp_path: Path) -> None:
    """A backup restores into a store that does not exist yet; included folders come back."""
    from asbhub.store.backup import backup, open_for_restore, read_manifest, restore, table_counts
    from asbhub.store.db import open_store

    src = open_store(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    from asbhub.records.partners.access import record_access

    record_access(None, "view", ("incidents.person", "7"), purpose="Drill", using=src.alias)
    trails = tmp_path / "trails"
    (trails / "sub").mkdir(parents=True)
    (trails / "anchor.jsonl").write_text('{"seq": 1}\n')
    (trails / "sub" / "b.txt").write_text("two\n")
    archive = tmp_path / "b.tar"
    manifest = backup(src, archive, [trails])
    assert manifest["tables"]["partners_auditentry"] == 1
    assert sorted(f["name"] for f in manifest["files"]) == [
        "files/0/anchor.jsonl",
        "files/0/sub/b.txt",
    ]
    assert read_manifest(archive)["migrations"] == manifest["migrations"]

    (trails / "anchor.jsonl").write_text("changed\n")
    (trails / "extra").write_text("not in the backup\n")
    new = open_for_restore(f"sqlite:///{tmp_path / 'new' / 'b.sqlite3'}")
    with pytest.raises(ValueError, match="folder .*trails.* not empty.*--force"):
        restore(archive, new)
    result = restore(archive, new, force=True)
    assert table_counts(new) == manifest["tables"]
    assert (trails / "anchor.jsonl").read_text() == '{"seq": 1}\n'
    assert (trails / "sub" / "b.txt").read_text() == "two\n"
    assert not (trails / "extra").exists()
    assert result.folders == [str(trails.resolve())]


def test_restore_refuses_what_is_not_a_backup_or_is_damaged(tmp_path: Path) -> None:
    from asbhub.store.backup import BackupError, backup, read_manifest
    from asbhub.store.db import open_store

    src = open_store(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    archive = tmp_path / "a.tar"
    backup(src, archive)

    not_tar = tmp_path / "notes.txt"
    not_tar.write_text("hello")
    with pytest.raises(BackupError, match="not an asbhub backup"):
        read_manifest(not_tar)
    other = tmp_path / "other.tar"
    with tarfile.open(other, "w") as tar:
        info = tarfile.TarInfo("x.txt")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(BackupError, match="not an asbhub backup"):
        read_manifest(other)

    # One byte of the database changed: its hash no longer matches the manifest's.
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as tar, tarfile.open(damaged, "w") as out:
        for info in tar.getmembers():
            data = bytearray(tar.extractfile(info).read())
            if info.name == "database.sqlite3":
                data[-1] ^= 0xFF
            out.addfile(info, io.BytesIO(bytes(data)))
    with pytest.raises(BackupError, match="does not match the hash"):
        read_manifest(damaged)
    proc = _asbhub(f"sqlite:///{tmp_path / 'z.sqlite3'}", "db", "restore", str(damaged), ok=False)
    assert proc.returncode == 2 and "does not match the hash" in proc.stderr
