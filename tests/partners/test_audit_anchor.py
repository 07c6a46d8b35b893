"""Issue #10 class 11: the audit chain anchored outside the database.

Someone who owns the database can drop the triggers, delete or rewrite entries, recompute the
hashes after them and the head row, and put the triggers back: ``asbhub audit verify`` passes.
These tests make exactly that attack, through the real command line on a real SQLite file and
a real PostgreSQL database, and show that ``asbhub audit verify --anchor FILE`` fails, naming
the first anchor that no longer holds, while an untouched store verifies with its anchors.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from asbhub.analysis_inputs import display_url
from asbhub.store.db import open_store, setup_django

# Before the imports below touch any model (see tests/partners/conftest.py for why here).
setup_django()

from django.db import connections  # noqa: E402

from asbhub.cli import main  # noqa: E402
from asbhub.records.partners import dbguard  # noqa: E402
from asbhub.records.partners.access import record_access  # noqa: E402
from asbhub.records.partners.audit import HASHED_FIELDS, entry_hash, verify_chain  # noqa: E402
from asbhub.records.partners.models import AuditEntry  # noqa: E402

TABLE = "partners_auditentry"
HEAD = "partners_auditchainhead"


def _write(alias: str, n: int) -> list[AuditEntry]:
    return [
        record_access(
            None,
            "view",
            ("incidents.person", str(5000 + i)),
            purpose="Test purpose",
            detail={"i": i},
            using=alias,
        )
        for i in range(n)
    ]


def _sql(alias: str, sql: str, params: list | None = None) -> None:
    with connections[alias].cursor() as cur:
        cur.execute(sql, params)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def _anchor(capsys: pytest.CaptureFixture[str], url: str, path: Path) -> str:
    code, out = _cli(capsys, "audit", "anchor", "--to", str(path), "--db", url)
    assert code == 0, out
    return out


def _rehash_from(alias: str, seq: int, purpose: str | None = None) -> None:
    """The attack on the chain itself: optionally rewrite entry ``seq``'s purpose, then
    recompute ``prev_hash`` and ``hash`` of it and every later entry, and the head row, as
    someone with the database and this source code can."""
    columns = ("id", *HASHED_FIELDS, "hash")
    rows = [
        dict(zip(columns, r, strict=True))
        for r in AuditEntry.objects.using(alias).order_by("seq").values_list(*columns)
    ]
    prev = rows[seq - 2]["hash"] if seq > 1 else "0" * 64
    for values in rows[seq - 1 :]:
        if values["seq"] == seq and purpose is not None:
            values["purpose"] = purpose
        values["prev_hash"] = prev
        new = entry_hash(values)
        _sql(
            alias,
            f"UPDATE {TABLE} SET purpose = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [values["purpose"], prev, new, values["id"]],
        )
        prev = new
    _sql(alias, f"UPDATE {HEAD} SET seq = %s, hash = %s WHERE id = 1", [rows[-1]["seq"], prev])


def _cut_tail(alias: str, keep: int) -> None:
    """The issue's attack: delete every entry after #keep and rewrite the head row to match."""
    kept = AuditEntry.objects.using(alias).get(seq=keep)
    _sql(alias, f"DELETE FROM {TABLE} WHERE seq > %s", [keep])
    _sql(alias, f"UPDATE {HEAD} SET seq = %s, hash = %s WHERE id = 1", [keep, kept.hash])


def test_untouched_store_verifies_with_its_anchors(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(store_url)
    anchors = tmp_path / "audit-anchors.jsonl"
    first = _write(store.alias, 5)
    assert "anchored #5 (hash " + first[-1].hash in _anchor(capsys, store_url, anchors)
    second = _write(store.alias, 3)
    _anchor(capsys, store_url, anchors)
    _write(store.alias, 2)

    lines = anchors.read_text(encoding="utf-8").splitlines()
    one, two = (json.loads(line) for line in lines)
    assert (one["seq"], one["id"], one["hash"]) == (5, first[-1].pk, first[-1].hash)
    assert (two["seq"], two["id"], two["hash"]) == (8, second[-1].pk, second[-1].hash)
    assert one["first_hash"] == two["first_hash"] == first[0].hash
    assert one["prev_line"] == "0" * 64
    assert two["prev_line"] == hashlib.sha256(lines[0].encode()).hexdigest()
    assert one["store"] == display_url(store_url)

    code, out = _cli(capsys, "audit", "verify", "--db", store_url, "--anchor", str(anchors))
    assert code == 0, out
    assert "audit log OK: 10 entries" in out
    assert "anchors OK: all 2 hold; latest #8" in out
    assert "2 entries since it are not anchored yet" in out


@pytest.mark.parametrize("after", [0, 40])
def test_tail_deleted_and_head_rewritten_is_found(
    store_url: str, tmp_path: Path, after: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's attack: triggers dropped, the last 50 entries deleted, the head row
    rewritten, the triggers recreated. Plain verify passes; verify --anchor does not."""
    store = open_store(store_url)
    anchors = tmp_path / "anchors.jsonl"
    _write(store.alias, 60)
    _anchor(capsys, store_url, anchors)
    _write(store.alias, after)
    dbguard.remove_guard(store.connection)
    _cut_tail(store.alias, 10 + after)  # deletes the last 50
    dbguard.install_guard(store.connection)

    code, out = _cli(capsys, "audit", "verify", "--db", store_url)
    assert code == 0, out  # the limit of the chain alone (docs/sharing.md)
    assert f"audit log OK: {10 + after} entries" in out and "warning" not in out

    code, out = _cli(capsys, "audit", "verify", "--db", store_url, "--anchor", str(anchors))
    assert code == 1, out
    assert f"audit log TAMPERED: anchor 1 ({anchors} line 1, taken " in out
    assert (
        f"no longer holds: it recorded entry #60 but the chain now ends at #{10 + after}: "
        f"entries #{11 + after} to #60 (at least) were deleted" in out
    )


def test_entry_rewritten_before_the_anchor_is_found(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An entry before the latest anchor changed and every later hash recomputed: the first
    anchor at or after it is named; the anchor before it still holds."""
    store = open_store(store_url)
    anchors = tmp_path / "anchors.jsonl"
    entries = _write(store.alias, 5)
    _anchor(capsys, store_url, anchors)
    entries += _write(store.alias, 5)
    _anchor(capsys, store_url, anchors)
    entries += _write(store.alias, 5)
    dbguard.remove_guard(store.connection)
    _rehash_from(store.alias, 7, purpose="Something else")
    dbguard.install_guard(store.connection)

    assert verify_chain(store.alias).ok  # the rewrite is consistent
    code, out = _cli(capsys, "audit", "verify", "--db", store_url)
    assert code == 0, out
    code, out = _cli(capsys, "audit", "verify", "--db", store_url, "--anchor", str(anchors))
    assert code == 1, out
    rewritten = AuditEntry.objects.using(store.alias).get(seq=10).hash
    assert rewritten != entries[9].hash
    assert f"anchor 2 ({anchors} line 2" in out
    assert (
        f"entry #10 now has hash {rewritten}, anchored {entries[9].hash}: the log was "
        "rewritten at or before #10"
    ) in out
    assert "anchor 1 " not in out


def test_whole_chain_rewritten_from_the_first_entry_is_found(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(store_url)
    anchors = tmp_path / "anchors.jsonl"
    entries = _write(store.alias, 4)
    _anchor(capsys, store_url, anchors)
    dbguard.remove_guard(store.connection)
    _rehash_from(store.alias, 1, purpose="Rewritten")
    dbguard.install_guard(store.connection)
    code, out = _cli(capsys, "audit", "verify", "--db", store_url, "--anchor", str(anchors))
    assert code == 1, out
    assert f"anchored {entries[3].hash}" in out
    assert "entry #1 differs from the anchor's too" in out


def test_after_the_latest_anchor_only_the_next_anchor_can_tell(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The documented limit: entries after the latest anchor are protected by the database
    alone. A rewrite there passes --anchor; once the next anchor has recorded an entry, a
    later rewrite of it is found."""
    store = open_store(store_url)
    anchors = tmp_path / "anchors.jsonl"
    _write(store.alias, 10)
    _anchor(capsys, store_url, anchors)
    _write(store.alias, 5)
    dbguard.remove_guard(store.connection)
    _rehash_from(store.alias, 13, purpose="Rewritten after the anchor")
    dbguard.install_guard(store.connection)
    code, out = _cli(capsys, "audit", "verify", "--db", store_url, "--anchor", str(anchors))
    assert code == 0, out
    assert "latest #10" in out and "5 entries since it are not anchored yet" in out

    _anchor(capsys, store_url, anchors)  # the next daily anchor records #15
    dbguard.remove_guard(store.connection)
    _rehash_from(store.alias, 12, purpose="Rewritten again")
    dbguard.install_guard(store.connection)
    code, out = _cli(capsys, "audit", "verify", "--db", store_url, "--anchor", str(anchors))
    assert code == 1, out
    assert f"anchor 2 ({anchors} line 2" in out and "#15" in out


def test_a_tampered_chain_is_never_anchored(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(store_url)
    anchors = tmp_path / "anchors.jsonl"
    _write(store.alias, 20)
    _anchor(capsys, store_url, anchors)
    before = anchors.read_bytes()
    dbguard.remove_guard(store.connection)
    _cut_tail(store.alias, 12)
    dbguard.install_guard(store.connection)
    code, out = _cli(capsys, "audit", "anchor", "--to", str(anchors), "--db", store_url)
    assert code == 1, out
    assert out.startswith("not anchored: audit log TAMPERED: anchor 1 ")
    assert anchors.read_bytes() == before

    # A chain that fails on its own is refused too, before any anchor is read.
    dbguard.remove_guard(store.connection)
    _sql(store.alias, f"UPDATE {TABLE} SET purpose = 'x' WHERE seq = 3")
    code, out = _cli(capsys, "audit", "anchor", "--to", str(anchors), "--db", store_url)
    assert code == 1, out
    assert "does not match its hash" in out
    assert anchors.read_bytes() == before


def test_an_empty_log_can_be_anchored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    open_store(url)
    anchors = tmp_path / "anchors.jsonl"
    assert "anchored #0" in _anchor(capsys, url, anchors)
    code, out = _cli(capsys, "audit", "verify", "--db", url, "--anchor", str(anchors))
    assert code == 0, out
    assert "anchors OK: all 1 hold; latest #0" in out


@pytest.fixture
def anchored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    store = open_store(url)
    anchors = tmp_path / "anchors.jsonl"
    for _ in range(3):
        _write(store.alias, 2)
        _anchor(capsys, url, anchors)
    return url, anchors


def _damaged(capsys: pytest.CaptureFixture[str], url: str, path: Path) -> str:
    code, out = _cli(capsys, "audit", "verify", "--db", url, "--anchor", str(path))
    assert code == 2, out
    return " ".join(out.split())


def test_damaged_anchor_files_are_named_by_line_and_field(
    anchored: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, path = anchored
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)

    # A middle line removed (or edited): the next line no longer follows.
    path.write_text(lines[0] + lines[2], encoding="utf-8")
    assert f"{path} line 2: field 'prev_line' does not match the line before it" in _damaged(
        capsys, url, path
    )
    edited = json.loads(lines[1])
    edited["hash"] = "f" * 64
    path.write_text(lines[0] + json.dumps(edited) + "\n" + lines[2], encoding="utf-8")
    assert f"{path} line 3: field 'prev_line'" in _damaged(capsys, url, path)

    path.write_text(lines[0] + lines[1][:-20], encoding="utf-8")
    assert f"{path} line 2: incomplete" in _damaged(capsys, url, path)
    path.write_text(lines[0] + "not json\n", encoding="utf-8")
    assert f"{path} line 2: not a JSON object" in _damaged(capsys, url, path)
    missing = json.loads(lines[0])
    del missing["hash"]
    path.write_text(json.dumps(missing) + "\n", encoding="utf-8")
    assert f"{path} line 1: field 'hash' is missing" in _damaged(capsys, url, path)
    path.write_text("", encoding="utf-8")
    assert f"anchor file {path} is empty" in _damaged(capsys, url, path)
    path.unlink()
    assert (
        f"anchor file {path} does not exist; create it with `asbhub audit anchor --to "
        in _damaged(capsys, url, path)
    )


def test_anchor_file_of_another_store(
    anchored: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, anchors = anchored
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    _write(open_store(other).alias, 7)
    code, out = _cli(capsys, "audit", "verify", "--db", other, "--anchor", str(anchors))
    assert code == 1, out
    assert "if this file belongs to another store, sqlite:///" in " ".join(out.split())


def test_scrutiny_report_publishes_the_audit_head(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The annex's head is an anchor kept off-system: `verify --head N:HASH` checks it."""
    from datetime import UTC, datetime

    from asbhub.reports import build_scrutiny, render_html

    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    store = open_store(url)
    entries = _write(store.alias, 4)
    when = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    report = build_scrutiny(store, "2019-02", generated_at=when)
    assert report.audit_head == {
        "entries": 4,
        "hash": entries[-1].hash,
        "read_at": "2026-12-01T09:00:00Z",
        "last_at": entries[-1].at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    html = render_html(report)
    assert "Annex: audit log head" in html
    assert f"<code>{entries[-1].hash}</code>" in html
    assert "Hash of entry #4" in html

    published = f"{report.audit_head['entries']}:{report.audit_head['hash']}"
    _write(store.alias, 2)
    code, out = _cli(capsys, "audit", "verify", "--db", url, "--head", published)
    assert code == 0, out
    assert "anchors OK: all 1 hold; latest #4; 2 entries since it are not anchored yet" in out

    dbguard.remove_guard(store.connection)
    _rehash_from(store.alias, 2, purpose="Rewritten")
    dbguard.install_guard(store.connection)
    code, out = _cli(capsys, "audit", "verify", "--db", url, "--head", published)
    assert code == 1, out
    assert (
        f"audit log TAMPERED: the published head #4 (--head) no longer holds: entry #4 now "
        f"has hash {AuditEntry.objects.using(store.alias).get(seq=4).hash}, anchored "
        f"{entries[-1].hash}"
    ) in out

    code, out = _cli(capsys, "audit", "verify", "--db", url, "--head", "4:abc")
    assert code == 2, out
    assert "--head '4:abc': expected N:HASH" in out
