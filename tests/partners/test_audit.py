"""The audit log: hash-chained, append-only in the app and in the database, tampering found.

Tamper tests run inside a transaction that is rolled back, so even dropping the triggers is
undone (DDL is transactional on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import sys
import threading
import time

import pytest

from asbhub.store.db import open_store, setup_django

# Before the imports below touch any model (see tests/partners/conftest.py for why here).
setup_django()

from django.db import DatabaseError, connections, transaction  # noqa: E402

from asbhub.records.partners import audit, dbguard  # noqa: E402
from asbhub.records.partners.access import record_access  # noqa: E402
from asbhub.records.partners.audit import GENESIS, entry_hash, verify_chain  # noqa: E402
from asbhub.records.partners.models import AppendOnlyError, AuditEntry  # noqa: E402

TABLE = "partners_auditentry"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def chain(request: pytest.FixtureRequest):
    """A database alias inside a transaction rolled back afterwards: SQLite's ``default``, or
    a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield request.getfixturevalue("db")
        return
    store = open_store(request.getfixturevalue("pg_url"))
    with transaction.atomic(using=store.alias):
        yield store.alias
        transaction.set_rollback(True, using=store.alias)


def _write(alias: str, n: int) -> list[AuditEntry]:
    return [
        record_access(
            None,
            "view",
            ("incidents.person", str(1000 + i)),
            purpose="Test purpose",
            detail={"i": i, "categories": ["x"]},
            using=alias,
        )
        for i in range(n)
    ]


def _sql(alias: str, sql: str, params: list | None = None) -> None:
    with connections[alias].cursor() as cur:
        cur.execute(sql, params)


def test_chain_links_and_verifies(chain: str) -> None:
    entries = _write(chain, 5)
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1
    stored = AuditEntry.objects.using(chain).get(pk=entries[2].pk)
    assert (
        stored.hash
        == entries[2].hash
        == entry_hash({f: getattr(stored, f) for f in audit.HASHED_FIELDS})
    )
    assert stored.detail == {"i": 2, "categories": ["x"]}
    result = verify_chain(chain)
    assert result.ok, result.reason
    assert result.n_entries >= 5 and result.first_bad_id is None
    assert result.last_hash == entries[-1].hash
    assert result.guarded
    assert "chain intact" in result.summary()


def test_first_entry_starts_from_genesis(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        first = _write(store.alias, 1)[0]
        assert (first.seq, first.prev_hash) == (1, GENESIS)
        assert verify_chain(store.alias).n_entries == 1
    finally:
        store.close()


def test_purpose_required_for_data_actions(chain: str) -> None:
    with pytest.raises(ValueError, match="must state its purpose"):
        record_access(None, "view", ("incidents.person", "1"), purpose=" ", using=chain)
    with pytest.raises(ValueError, match="unknown audit action"):
        record_access(None, "peek", ("incidents.person", "1"), purpose="x", using=chain)


def test_orm_cannot_change_or_delete(chain: str) -> None:
    entry = _write(chain, 2)[0]
    entries = AuditEntry.objects.using(chain)
    entry.purpose = "Something else"
    with pytest.raises(AppendOnlyError):
        entry.save(using=chain)
    with pytest.raises(AppendOnlyError):
        entry.delete(using=chain)
    with pytest.raises(AppendOnlyError):
        entries.filter(pk=entry.pk).update(purpose="Something else")
    with pytest.raises(AppendOnlyError):
        entries.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        entries.create(seq=10**9, action="view", prev_hash="x", hash="y")
    with pytest.raises(AppendOnlyError):
        entries.bulk_create([AuditEntry(seq=10**9, action="view", prev_hash="x", hash="y")])
    with pytest.raises(AppendOnlyError):
        AuditEntry(seq=10**9, action="view", prev_hash="x", hash="y").save(using=chain)
    assert verify_chain(chain).ok


def test_database_refuses_raw_update_and_delete(chain: str) -> None:
    entry = _write(chain, 1)[0]
    statements = [
        f"UPDATE {TABLE} SET purpose = 'Something else' WHERE id = {entry.pk}",
        f"DELETE FROM {TABLE} WHERE id = {entry.pk}",
    ]
    if connections[chain].vendor == "postgresql":
        statements.append(f"TRUNCATE {TABLE}")
    for sql in statements:
        # A savepoint, so the refused statement does not spoil the test's transaction.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(using=chain):
            _sql(chain, sql)
    assert AuditEntry.objects.using(chain).get(pk=entry.pk).purpose == "Test purpose"
    assert verify_chain(chain).ok


def test_edited_entry_is_found(chain: str) -> None:
    entries = _write(chain, 5)
    dbguard.remove_guard(connections[chain])
    _sql(chain, f"UPDATE {TABLE} SET purpose = %s WHERE id = %s", ["Curiosity", entries[2].pk])
    result = verify_chain(chain)
    assert not result.ok
    assert result.first_bad_id == entries[2].pk
    assert "does not match its hash" in result.reason
    assert not result.guarded
    assert "TAMPERED" in result.summary() and "triggers" in result.summary()


def test_edited_and_rehashed_entry_is_found(chain: str) -> None:
    """Recomputing the edited entry's own hash only moves the break to the next entry."""
    entries = _write(chain, 5)
    dbguard.remove_guard(connections[chain])
    forged = {f: getattr(entries[2], f) for f in audit.HASHED_FIELDS}
    forged["purpose"] = "Curiosity"
    _sql(
        chain,
        f"UPDATE {TABLE} SET purpose = %s, hash = %s WHERE id = %s",
        ["Curiosity", entry_hash(forged), entries[2].pk],
    )
    result = verify_chain(chain)
    assert not result.ok
    assert result.first_bad_id == entries[3].pk
    assert "does not follow the entry before it" in result.reason


def test_deleted_entry_is_found(chain: str) -> None:
    entries = _write(chain, 5)
    dbguard.remove_guard(connections[chain])
    _sql(chain, f"DELETE FROM {TABLE} WHERE id = %s", [entries[2].pk])
    result = verify_chain(chain)
    assert not result.ok
    assert result.first_bad_id == entries[3].pk
    assert "deleted" in result.reason


def test_entries_cut_from_the_end_are_found(chain: str) -> None:
    entries = _write(chain, 5)
    dbguard.remove_guard(connections[chain])
    _sql(chain, f"DELETE FROM {TABLE} WHERE id IN (%s, %s)", [entries[3].pk, entries[4].pk])
    result = verify_chain(chain)
    assert not result.ok
    assert result.first_bad_id is None
    assert "the last 2 entries were deleted" in result.reason


def test_reordered_entries_are_found(chain: str) -> None:
    entries = _write(chain, 5)
    dbguard.remove_guard(connections[chain])
    a, b = entries[1], entries[2]
    # Swap their places in the chain (through a spare number: seq is unique).
    _sql(chain, f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [10**12, a.pk])
    _sql(chain, f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [a.seq, b.pk])
    _sql(chain, f"UPDATE {TABLE} SET seq = %s WHERE id = %s", [b.seq, a.pk])
    result = verify_chain(chain)
    assert not result.ok
    assert result.first_bad_id == b.pk


def test_swapped_ids_are_found(chain: str) -> None:
    entries = _write(chain, 5)
    dbguard.remove_guard(connections[chain])
    a, b = entries[1], entries[2]
    _sql(chain, f"UPDATE {TABLE} SET id = %s WHERE id = %s", [10**12, a.pk])
    _sql(chain, f"UPDATE {TABLE} SET id = %s WHERE id = %s", [a.pk, b.pk])
    _sql(chain, f"UPDATE {TABLE} SET id = %s WHERE id = %s", [b.pk, 10**12])
    result = verify_chain(chain)
    assert not result.ok
    # In chain order, entry b now sits under a's old (smaller) id, after a under b's.
    assert result.first_bad_id == a.pk
    assert "reordered" in result.reason


def test_concurrent_writers_do_not_fork_the_chain(store_url: str, monkeypatch) -> None:
    """Two threads (two connections) append at once: one unbroken chain, and no writer ever
    had to retry, so the head lock, not the unique constraints, kept them in turn."""
    store = open_store(store_url)
    retries: list[float] = []
    real_sleep = time.sleep  # audit.time is the time module itself: keep the real one
    monkeypatch.setattr(audit.time, "sleep", lambda s: (retries.append(s), real_sleep(s)))
    n, start = 40, threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            start.wait()
            for i in range(n):
                record_access(
                    None,
                    "view",
                    ("incidents.person", f"{name}-{i}"),
                    purpose="Concurrency test",
                    using=store.alias,
                )
        except BaseException as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert retries == []
    result = verify_chain(store.alias)
    assert result.ok, result.reason
    assert result.n_entries == 2 * n
    seqs = list(AuditEntry.objects.using(store.alias).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 2 * n + 1))
    store.close()


def _waiting_for_the_chain_lock(thread: threading.Thread, vendor: str) -> bool:
    """``thread`` is appending an audit entry and is at the statement that takes the chain's
    lock: ``BEGIN IMMEDIATE`` on SQLite (the write lock), ``SELECT ... FOR UPDATE`` of the
    head in ``_lock_head`` on PostgreSQL. While another writer holds the lock it can only wait
    there."""
    from django.db.backends.sqlite3.base import DatabaseWrapper

    codes = set()
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        codes.add(frame.f_code)
        frame = frame.f_back
    if audit.append_entry.__code__ not in codes:
        return False
    if vendor == "sqlite":
        return DatabaseWrapper._start_transaction_under_autocommit.__code__ in codes
    return audit._lock_head.__code__ in codes


def test_a_writer_waits_for_the_chain_lock(store_url: str) -> None:
    """A second writer blocks while the first holds the head, then chains onto its entry.

    No sleeping and hoping: the first writer keeps its transaction (and so the chain's lock)
    open until it sees the second writer's thread at the statement that takes that lock,
    where it can only wait; then it commits. Every wait is bounded, and a wait that runs out
    fails the test."""
    store = open_store(store_url)
    vendor = connections[store.alias].vendor
    appended, done = threading.Event(), {}

    def first() -> None:
        try:
            with transaction.atomic(using=store.alias):
                done["first"] = record_access(
                    None, "view", ("x", "1"), purpose="p", using=store.alias
                )
                appended.set()
                waiting = threading.Event()
                for _ in range(12_000):  # at most 60 s
                    if _waiting_for_the_chain_lock(threads[1], vendor):
                        break
                    waiting.wait(0.005)
                else:
                    return
                done["second_waited"] = _waiting_for_the_chain_lock(threads[1], vendor)
                done["first_commit"] = time.monotonic()
        finally:
            connections.close_all()

    def second() -> None:
        try:
            done["appended"] = appended.wait(60)
            done["second"] = record_access(None, "view", ("x", "2"), purpose="p", using=store.alias)
            done["second_end"] = time.monotonic()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        assert not t.is_alive(), "a writer is still running after 120 s"
    assert done.get("appended") is True, "the first writer never appended its entry"
    assert done.get("second_waited") is True, (
        "the second writer was never seen waiting for the chain lock"
    )
    assert done["second_end"] >= done["first_commit"]
    assert done["second"].seq == done["first"].seq + 1
    assert done["second"].prev_hash == done["first"].hash
    assert verify_chain(store.alias).ok
    store.close()


def test_guard_installed_by_migration_and_verify_store(store_url: str) -> None:
    store = open_store(store_url)
    assert dbguard.guard_present(store.connection)
    dbguard.install_guard(store.connection)  # idempotent
    assert dbguard.guard_present(store.connection)
    _write(store.alias, 3)
    result = audit.verify_store(store_url)
    assert (result.ok, result.n_entries, result.guarded) == (True, 3, True)
    store.close()


def test_audit_log_page(client, make_user, make_agency, police) -> None:
    council = make_agency("Synthetic District Council")
    supervisor = make_user("sup", police, "supervisor")
    officer = make_user("officer", council, "partner_officer")
    snt = make_user("snt", police, "snt_officer")
    record_access(snt, "view", ("incidents.incident", "42"), purpose="Police purpose")
    record_access(officer, "view", ("incidents.incident", "43"), purpose="Council purpose")
    client.force_login(supervisor)
    page = client.get("/partners/audit/")
    assert page.status_code == 200
    # A supervisor reviews their own agency's users.
    assert "Police purpose" in page.text and "Council purpose" not in page.text
    filtered = client.get("/partners/audit/", {"username": "SNT", "action": "view"})
    assert "Police purpose" in filtered.text and "incidents.incident 42" in filtered.text
    empty = client.get("/partners/audit/", {"username": "nobody"})
    assert "No audit entries match these filters." in empty.text
    review = AuditEntry.objects.filter(action="search", username="sup").order_by("-seq").first()
    assert review.detail["filters"] == {"username": "nobody"}
    assert review.purpose == "Supervisory review or audit"
    wrong = client.get("/partners/audit/", {"date_from": "2025-06-02", "date_to": "2025-06-01"})
    assert "The end date must be the same as or after the start date." in wrong.text
    client.force_login(make_user("adm", council, "administrator"))
    everything = client.get("/partners/audit/")
    assert "Police purpose" in everything.text and "Council purpose" in everything.text
    client.force_login(snt)
    assert client.get("/partners/audit/").status_code == 403
