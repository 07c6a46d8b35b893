"""The audit log's hash chain: append an entry under a lock, and verify the whole chain.

Entry *n* stores ``prev_hash`` = hash of entry *n - 1* (64 zeros for the first) and ``hash`` =
SHA-256 of the canonical JSON of its own fields and ``prev_hash``. ``seq`` numbers entries
1, 2, 3, ... without gaps. :func:`verify_chain` recomputes every hash in ``seq`` order, so it
finds an edited entry (its hash no longer matches), a deleted one (a gap in ``seq``, or a
``prev_hash`` that points at nothing), entries reordered (``seq`` or ids out of step with the
chain), and entries cut from the end (the chain head row no longer matches the last entry).

Writers serialise on the head row: ``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite, an
UPDATE of the head row as the transaction's first statement, which takes the database's write
lock at once (a deferred transaction that read first could not upgrade safely in WAL mode).
The unique ``seq`` and ``hash`` columns are the backstop: two writers that somehow read the
same head cannot both commit, so the chain never forks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, OperationalError, connections, transaction
from django.db.models import F

from asbhub.records.partners import dbguard
from asbhub.records.partners.models import AuditChainHead, AuditEntry

#: ``prev_hash`` of the first entry.
GENESIS = "0" * 64

#: The fields each hash covers, in the canonical JSON (keys are sorted there anyway).
HASHED_FIELDS = (
    "seq",
    "at",
    "user_pk",
    "username",
    "agency",
    "role",
    "action",
    "object_type",
    "object_id",
    "purpose",
    "ip",
    "detail",
    "prev_hash",
)

# SQLite writers that collide despite the busy timeout try again a few times before failing.
_RETRIES = 5


class ChainError(RuntimeError):
    """The chain cannot be extended safely (its head row is missing while entries exist)."""


def canonical_json(values: Mapping[str, Any]) -> bytes:
    """The bytes an entry's hash is taken over: its :data:`HASHED_FIELDS` as sorted JSON.

    ``at`` is written as UTC with microseconds, so the same instant always gives the same text
    whatever time zone the database or the process uses.
    """
    payload = {k: values[k] for k in HASHED_FIELDS}
    payload["at"] = utc_text(values["at"])
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def entry_hash(values: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of :func:`canonical_json` of ``values``."""
    return hashlib.sha256(canonical_json(values)).hexdigest()


def utc_text(at: dt.datetime) -> str:
    if at.tzinfo is None:
        # Django hands back naive datetimes only with USE_TZ off; asbhub stores UTC then too.
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalise_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """``detail`` as it will read back from the database: plain JSON types only.

    Dates, UUIDs and the like become strings now, so the hash is over what is stored and a
    later read gives the same hash.
    """
    return json.loads(json.dumps(dict(detail or {}), default=str, allow_nan=False))


def append_entry(fields: Mapping[str, Any], using: str = "default") -> AuditEntry:
    """Append one entry to the chain on database ``using`` and return it.

    Parameters
    ----------
    fields : mapping
        ``user_pk``, ``username``, ``agency``, ``role``, ``action``, ``object_type``,
        ``object_id``, ``purpose``, ``ip`` and ``detail`` (missing text fields are blank).
    using : str
        The Django connection alias.

    Notes
    -----
    Inside a caller's transaction the entry commits or rolls back with it, and the chain lock
    is held until then. Called outside one, it commits at once, retrying if SQLite reports the
    database locked. On SQLite, inside a transaction, call it before the transaction reads
    anything: a transaction that has read cannot wait for the write lock (SQLite refuses at
    once if another connection wrote meanwhile), and there is no retrying someone else's
    transaction. Web views run outside transactions, so they are not affected.
    """
    outermost = not connections[using].in_atomic_block
    for attempt in range(_RETRIES):
        try:
            with transaction.atomic(using=using):
                return _append_locked(fields, using)
        except (OperationalError, IntegrityError):
            # Inside someone else's transaction a retry cannot start afresh: let it fail.
            if not outermost or attempt == _RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def _append_locked(fields: Mapping[str, Any], using: str) -> AuditEntry:
    from django.utils import timezone

    seq, prev_hash = _lock_head(using)
    entry = AuditEntry(
        seq=seq + 1,
        # Taken under the lock, so times never go backwards along the chain on one clock.
        at=timezone.now(),
        user_pk=fields.get("user_pk"),
        username=str(fields.get("username") or "")[:150],
        agency=str(fields.get("agency") or "")[:200],
        role=str(fields.get("role") or "")[:32],
        action=str(fields["action"]),
        object_type=str(fields.get("object_type") or "")[:100],
        object_id=str(fields.get("object_id") or "")[:64],
        purpose=str(fields.get("purpose") or "")[:200],
        ip=str(fields.get("ip") or "")[:45],
        detail=normalise_detail(fields.get("detail")),
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash({f: getattr(entry, f) for f in HASHED_FIELDS})
    entry._sealed = True
    entry.save(using=using)
    AuditChainHead.objects.using(using).filter(pk=1).update(seq=entry.seq, hash=entry.hash)
    return entry


def _lock_head(using: str) -> tuple[int, str]:
    """Lock the chain head for this transaction and return (last seq, last hash)."""
    heads = AuditChainHead.objects.using(using)
    if connections[using].vendor == "postgresql":
        head = heads.select_for_update().filter(pk=1).first()
    else:
        # A write first: SQLite then holds its write lock (other writers wait on the busy
        # timeout) before this transaction reads anything that could go stale.
        heads.filter(pk=1).update(seq=F("seq"))
        head = heads.filter(pk=1).first()
    if head is None:
        if AuditEntry.objects.using(using).exists():
            raise ChainError(
                "the audit chain head row (partners_auditchainhead id 1) is missing "
                "but entries exist; run `asbhub audit verify` and investigate"
            )
        # A second writer doing the same fails on the primary key and retries.
        heads.create(pk=1, seq=0, hash=GENESIS)
        return 0, GENESIS
    return head.seq, head.hash


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify_chain` found.

    Attributes
    ----------
    ok : bool
        Every entry's hash and link checked out and the head matches the last entry.
    n_entries : int
        Entries read.
    first_bad_id : int or None
        Database id of the first entry (in chain order) that fails; None when ``ok`` or when
        what is wrong is missing entries at the end.
    reason : str
        What failed, in words; empty when ``ok``.
    last_hash : str
        Hash of the last entry that verified: record it elsewhere to detect later truncation
        (``asbhub audit anchor``, :mod:`asbhub.records.partners.anchor`, does so daily).
    guarded : bool
        The database triggers that refuse UPDATE and DELETE are in place.
    """

    ok: bool
    n_entries: int
    first_bad_id: int | None
    reason: str
    last_hash: str
    guarded: bool

    def summary(self) -> str:
        """One or two lines for the command line."""
        if self.ok:
            text = (
                f"audit log OK: {self.n_entries} entries, chain intact; last hash {self.last_hash}"
            )
        else:
            text = f"audit log TAMPERED: {self.reason}"
        if not self.guarded:
            text += (
                "\nwarning: the triggers that refuse UPDATE and DELETE on the audit log are "
                "missing; run `asbhub db upgrade` or reinstall them"
            )
        return text


def verify_chain(using: str = "default") -> VerifyResult:
    """Recompute every hash of the audit chain on database ``using``.

    Parameters
    ----------
    using : str
        Django connection alias (``store.alias`` for a store opened with ``open_store``).

    Returns
    -------
    VerifyResult
        ``ok`` is False at the first entry that was edited, follows a deleted entry, or is out
        of order, or when entries are missing from the end.

    Examples
    --------
    >>> result = verify_chain()                       # doctest: +SKIP
    >>> result.ok, result.n_entries                   # doctest: +SKIP
    (True, 1234)
    """
    conn = connections[using]
    guarded = dbguard.guard_present(conn)
    columns = ("id", *HASHED_FIELDS, "hash")
    rows = (
        AuditEntry.objects.using(using)
        .order_by("seq")
        .values_list(*columns)
        .iterator(chunk_size=2000)
    )
    n, prev_hash, prev_seq, prev_id = 0, GENESIS, 0, 0

    def bad(entry_id: int | None, reason: str) -> VerifyResult:
        return VerifyResult(False, n, entry_id, reason, prev_hash, guarded)

    for row in rows:
        values = dict(zip(columns, row, strict=True))
        n += 1
        entry_id, seq = values["id"], values["seq"]
        if entry_hash(values) != values["hash"]:
            return bad(
                entry_id,
                f"entry id {entry_id} (#{seq}) does not match its hash: it was "
                "changed after it was written",
            )
        if seq != prev_seq + 1:
            return bad(
                entry_id,
                f"entry id {entry_id} is #{seq} but #{prev_seq + 1} was expected: "
                "entries before it were deleted or renumbered",
            )
        if values["prev_hash"] != prev_hash:
            return bad(
                entry_id,
                f"entry id {entry_id} (#{seq}) does not follow the entry before "
                "it: an earlier entry was deleted, changed or moved",
            )
        if entry_id <= prev_id:
            return bad(
                entry_id,
                f"entry id {entry_id} (#{seq}) comes after id {prev_id} in the "
                "chain: entries were reordered",
            )
        prev_hash, prev_seq, prev_id = values["hash"], seq, entry_id

    head = AuditChainHead.objects.using(using).filter(pk=1).first()
    if head is None:
        if n:
            return bad(None, "the chain head row is missing")
    elif (head.seq, head.hash) != (prev_seq, prev_hash):
        if head.seq > prev_seq:
            return bad(
                None,
                f"the chain ends at #{prev_seq} but its head records "
                f"#{head.seq}: the last {head.seq - prev_seq} entries were deleted",
            )
        return bad(
            None, f"the chain head (#{head.seq}) does not match the last entry (#{prev_seq})"
        )
    return VerifyResult(True, n, None, "", prev_hash, guarded)


def verify_store(db_url: str | None = None) -> VerifyResult:
    """Open the store at ``db_url`` (default: ``$ASBHUB_DB``) and verify its audit chain.

    For ``asbhub audit verify [--db URL]``: exit 0 when ``result.ok``, else 1, printing
    ``result.summary()``. The store is not migrated: verifying must not change the database.
    """
    from asbhub.store.db import open_store

    store = open_store(db_url, upgrade=False)
    return verify_chain(store.alias)
