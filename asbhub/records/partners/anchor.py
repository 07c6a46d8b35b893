"""Anchors: the audit chain's head written outside the database, and checked against it later.

The hash chain (:mod:`asbhub.records.partners.audit`) finds any change made through the app or by
someone who cannot drop the database triggers. Someone who *can* (the database owner) can drop
them, delete or rewrite entries, recompute every later hash and the head row, and put the
triggers back: the chain then verifies. An anchor is the head (entry number, database id and
hash) copied somewhere that person cannot reach. Because each hash covers the one before it,
an entry that still has its anchored hash proves every entry up to it is unchanged; so
:func:`check_anchors` finds any deletion, truncation or rewrite *at or before* the latest
anchor. Entries after the latest anchor are protected by the database alone until the next
anchor is taken.

``asbhub audit anchor --to FILE`` (:func:`append_anchor`, run daily by the scheduler) appends
one JSON line to FILE, opened with ``O_APPEND``; each line carries the SHA-256 of the line
before it (``prev_line``), so a line edited or removed in the middle of the file is found too.
Keep FILE where the database's owner cannot rewrite it: ``chattr +a``, a WORM share, or copy
each new line off the machine (see docs/sharing.md). ``asbhub audit verify --anchor FILE``
(:func:`check_anchors`) checks every line.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asbhub.records.partners.audit import GENESIS, VerifyResult, utc_text, verify_chain
from asbhub.records.partners.models import AuditEntry

#: Format version written in every line.
VERSION = 1
#: The fields every anchor line must have, and their types.
FIELDS: dict[str, type | tuple[type, ...]] = {
    "v": int,
    "anchored_at": str,
    "store": str,
    "first_hash": str,
    "seq": int,
    "id": int,
    "hash": str,
    "entry_at": str,
    "prev_line": str,
}


class AnchorFileError(ValueError):
    """An anchor file that cannot be read as anchors (missing, damaged or edited)."""


class NotAnchored(RuntimeError):
    """The chain was not anchored: it fails verification or an earlier anchor no longer holds."""


@dataclass(frozen=True)
class Anchor:
    """One line of an anchor file: the chain's head at ``anchored_at``.

    Attributes
    ----------
    line : int
        Line number in the file, from 1.
    seq, id, hash : int, int, str
        The last entry's chain number, database id and hash (0, 0 and 64 zeros for an
        empty log).
    anchored_at, entry_at : str
        When the anchor was taken, and the last entry's time (UTC, ISO 8601).
    store : str
        The database URL, password removed (informational).
    first_hash : str
        Hash of entry #1 (64 zeros for an empty log): which chain this is.
    """

    line: int
    anchored_at: str
    store: str
    first_hash: str
    seq: int
    id: int
    hash: str
    entry_at: str

    def label(self, path: Path | str | None) -> str:
        if self.line == 0:
            return f"the published head #{self.seq} (--head)"
        return f"anchor {self.line} ({path} line {self.line}, taken {self.anchored_at})"


def parse_head(text: str) -> Anchor:
    """A head published elsewhere, ``N:HASH`` (the scrutiny report's annex prints both), as an
    anchor to check: entry #N must still have HASH.

    Raises
    ------
    ValueError
        ``text`` is not a whole number, a colon and 64 hex digits.
    """
    number, _, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if (
        not number.strip().isdigit()
        or len(digest) != 64
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise ValueError(
            f"--head {text!r}: expected N:HASH, the entry count and the 64 hex "
            "digit hash as printed in the scrutiny report's annex "
            "(e.g. 1234:9f86d0...)"
        )
    seq = int(number)
    return Anchor(0, "", "", "", seq, 0, digest if seq else GENESIS, "")


@dataclass(frozen=True)
class AnchorResult:
    """What :func:`check_anchors` found.

    Attributes
    ----------
    ok : bool
        The chain verifies and every anchor still holds.
    chain : VerifyResult
        The plain chain check.
    n_anchors : int
        Anchor lines read.
    failed : Anchor or None
        The first anchor that no longer holds.
    reason : str
        Why, in words; empty when ``ok``.
    latest : Anchor or None
        The latest anchor (the one with the highest entry number).
    """

    ok: bool
    chain: VerifyResult
    n_anchors: int
    failed: Anchor | None
    reason: str
    latest: Anchor | None

    def summary(self) -> str:
        """Lines for the command line: the chain check, then the anchors'."""
        lines = [self.chain.summary()]
        if not self.chain.ok:
            return lines[0]
        if self.failed is not None:
            lines.append(f"audit log TAMPERED: {self.reason}")
        else:
            latest = self.latest
            assert latest is not None
            after = self.chain.n_entries - latest.seq
            taken = f" taken {latest.anchored_at}" if latest.anchored_at else ""
            lines.append(
                f"anchors OK: all {self.n_anchors} hold; latest #{latest.seq}{taken}; "
                f"{after} entr{'y' if after == 1 else 'ies'} "
                "since it are not anchored yet"
            )
        return "\n".join(lines)


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _entry(using: str, seq: int) -> AuditEntry | None:
    return AuditEntry.objects.using(using).filter(seq=seq).first()


def current_head(using: str = "default", seq: int | None = None) -> dict[str, Any]:
    """The chain's head as an anchor records it (without ``anchored_at`` and ``prev_line``).

    Read from the last entry itself, not the head row, so the anchor is what was written; or
    from entry #``seq`` when given (the last one verified: entries appended since are left
    to the next anchor).
    """
    entries = AuditEntry.objects.using(using)
    last = (
        entries.order_by("-seq").first()
        if seq is None
        else entries.filter(seq=seq).first()
        if seq
        else None
    )
    first = _entry(using, 1)
    if last is None:
        return {"first_hash": GENESIS, "seq": 0, "id": 0, "hash": GENESIS, "entry_at": ""}
    return {
        "first_hash": first.hash if first else GENESIS,
        "seq": last.seq,
        "id": last.pk,
        "hash": last.hash,
        "entry_at": utc_text(last.at),
    }


def read_anchors(path: Path | str) -> list[Anchor]:
    """Every anchor line of ``path``, checked for form and for the ``prev_line`` links.

    Raises
    ------
    AnchorFileError
        The file is missing or empty, or a line is incomplete, not JSON, lacks a field, has a
        field of the wrong type, does not follow the line before it, or goes back in the chain:
        the message names the file, line and field, and what was expected.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AnchorFileError(
            f"anchor file {path} does not exist; create it with `asbhub audit anchor --to {path}`"
        ) from None
    return _parse(path, raw)


def _parse(path: Path, raw: bytes) -> list[Anchor]:
    if not raw:
        raise AnchorFileError(
            f"anchor file {path} is empty: it holds no anchors; add one with "
            f"`asbhub audit anchor --to {path}`"
        )
    if not raw.endswith(b"\n"):
        n = raw.count(b"\n") + 1
        raise AnchorFileError(
            f"{path} line {n}: incomplete (no newline at the end of the file): "
            "the last write was cut off; compare the file with its off-site "
            "copy and remove the partial line"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        n = raw[: exc.start].count(b"\n") + 1
        raise AnchorFileError(
            f"{path} line {n}: not UTF-8 text; each line must be one anchor "
            "written by `asbhub audit anchor`"
        ) from None
    anchors: list[Anchor] = []
    prev_text = ""
    for n, line in enumerate(text.split("\n")[:-1], start=1):
        where = f"{path} line {n}"
        try:
            values = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AnchorFileError(
                f"{where}: not a JSON object ({exc.msg}); each line must be "
                "one anchor written by `asbhub audit anchor`"
            ) from None
        if not isinstance(values, dict):
            raise AnchorFileError(
                f"{where}: not a JSON object; each line must be one anchor "
                "written by `asbhub audit anchor`"
            )
        for name, kind in FIELDS.items():
            if name not in values:
                raise AnchorFileError(
                    f"{where}: field {name!r} is missing; expected the fields {', '.join(FIELDS)}"
                )
            if not isinstance(values[name], kind) or isinstance(values[name], bool):
                raise AnchorFileError(
                    f"{where}: field {name!r} is {values[name]!r}; expected "
                    f"{'a whole number' if kind is int else 'text'}"
                )
        if values["v"] != VERSION:
            raise AnchorFileError(
                f"{where}: field 'v' is {values['v']}; this asbhub reads version {VERSION} anchors"
            )
        expected = _line_digest(prev_text) if prev_text else GENESIS
        if values["prev_line"] != expected:
            raise AnchorFileError(
                f"{where}: field 'prev_line' does not match the line before "
                "it: a line of the anchor file was edited, removed or "
                "inserted; compare it with its off-site copy"
            )
        if anchors and values["seq"] < anchors[-1].seq:
            raise AnchorFileError(
                f"{where}: field 'seq' is {values['seq']}, before line "
                f"{n - 1}'s #{anchors[-1].seq}; anchors only move forward"
            )
        anchors.append(
            Anchor(
                n,
                values["anchored_at"],
                values["store"],
                values["first_hash"],
                values["seq"],
                values["id"],
                values["hash"],
                values["entry_at"],
            )
        )
        prev_text = line
    return anchors


def _holds(anchor: Anchor, using: str, chain: VerifyResult, path: Path | str | None) -> str:
    """Why ``anchor`` no longer holds on a chain that verified, or '' when it holds."""
    if anchor.seq == 0:
        return ""
    if anchor.seq > chain.n_entries:
        return (
            f"{anchor.label(path)} no longer holds: it recorded entry #{anchor.seq} but the "
            f"chain now ends at #{chain.n_entries}: entries #{chain.n_entries + 1} to "
            f"#{anchor.seq} (at least) were deleted and the head row rewritten"
        )
    entry = _entry(using, anchor.seq)
    if entry is None:  # pragma: no cover - a verified chain has every number up to its end
        return f"{anchor.label(path)} no longer holds: entry #{anchor.seq} is missing"
    if entry.hash != anchor.hash:
        return (
            f"{anchor.label(path)} no longer holds: entry #{anchor.seq} now has hash "
            f"{entry.hash}, anchored {anchor.hash}: the log was rewritten at or before "
            f"#{anchor.seq}"
        )
    if anchor.line and entry.pk != anchor.id:
        return (
            f"{anchor.label(path)} no longer holds: entry #{anchor.seq} now has database "
            f"id {entry.pk}, anchored {anchor.id}: entries were re-inserted"
        )
    return ""


def check_anchors(
    path: Path | str | None, using: str = "default", heads: list[Anchor] | tuple[Anchor, ...] = ()
) -> AnchorResult:
    """Verify the chain on ``using``, then every anchor in ``path`` against it, then every
    head published elsewhere (:func:`parse_head`).

    Returns
    -------
    AnchorResult
        ``ok`` False at the chain's first fault, else at the first anchor whose entry is gone,
        or has another hash or id.

    Raises
    ------
    AnchorFileError
        The anchor file cannot be read as anchors (see :func:`read_anchors`).
    """
    if path is None and not heads:
        raise ValueError("no anchors to check: give --anchor FILE or --head N:HASH")
    anchors = [*(read_anchors(path) if path is not None else []), *heads]
    chain = verify_chain(using)
    latest = max(anchors, key=lambda a: a.seq)
    if not chain.ok:
        return AnchorResult(False, chain, len(anchors), None, chain.reason, latest)
    for anchor in anchors:
        reason = _holds(anchor, using, chain, path)
        if reason:
            first = _entry(using, 1)
            if anchor.line and anchor.first_hash != (first.hash if first else GENESIS):
                reason += (
                    " (entry #1 differs from the anchor's too: if this file belongs to "
                    f"another store, {anchor.store}, give that store's --db)"
                )
            return AnchorResult(False, chain, len(anchors), anchor, reason, latest)
    return AnchorResult(True, chain, len(anchors), None, "", latest)


def append_anchor(path: Path | str, using: str = "default", store: str = "") -> dict[str, Any]:
    """Append the chain's head to ``path`` as one line, after checking the chain and the
    anchors already there (a chain that no longer holds is never anchored).

    The file is opened with ``O_APPEND`` (so it can be ``chattr +a``) and locked while the last
    line is read and the new one written, so two runs at once cannot break the ``prev_line``
    links. The line is written with one ``write`` and ``fsync``-ed.

    Returns
    -------
    dict
        The line written, as values.

    Raises
    ------
    AnchorFileError
        The file holds something that is not anchors (see :func:`read_anchors`).
    NotAnchored
        The chain fails verification or an earlier anchor no longer holds.

    Nothing is written when either is raised.
    """
    path = Path(path)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        raw = b""
        while chunk := os.pread(fd, 1 << 20, len(raw)):
            raw += chunk
        anchors = _parse(path, raw) if raw else []
        chain = verify_chain(using)
        if not chain.ok:
            raise NotAnchored(
                f"not anchored: audit log TAMPERED: {chain.reason}; run "
                "`asbhub audit verify` and investigate before anchoring"
            )
        for anchor in anchors:
            reason = _holds(anchor, using, chain, path)
            if reason:
                raise NotAnchored(f"not anchored: audit log TAMPERED: {reason}")
        prev_text = raw.decode("utf-8").split("\n")[-2] if raw else ""
        values = {
            "v": VERSION,
            "anchored_at": _now_text(),
            "store": store,
            **current_head(using, chain.n_entries),
            "prev_line": _line_digest(prev_text) if prev_text else GENESIS,
        }
        line = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
        return values
    finally:
        os.close(fd)


def anchor_store(path: Path | str, db_url: str | None = None) -> dict[str, Any]:
    """``asbhub audit anchor --to FILE [--db URL]``: :func:`append_anchor` on that store."""
    from asbhub.analysis_inputs import display_url
    from asbhub.store.db import open_store

    store = open_store(db_url, upgrade=False)
    return append_anchor(path, store.alias, display_url(store.url))


def check_store(
    path: Path | str | None, db_url: str | None = None, heads: list[str] | tuple[str, ...] = ()
) -> AnchorResult:
    """``asbhub audit verify [--anchor FILE] [--head N:HASH ...] [--db URL]``:
    :func:`check_anchors` on that store. The store is not migrated: verifying must not change
    the database."""
    from asbhub.store.db import open_store

    published = [parse_head(h) for h in heads]
    store = open_store(db_url, upgrade=False)
    return check_anchors(path, store.alias, published)
