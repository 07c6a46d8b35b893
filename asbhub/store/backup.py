"""``asbhub db backup`` and ``asbhub db restore``: one archive holding the store and its files.

A backup is a plain tar archive (issue #18 item 4):

``asbhub-backup.json``
    The manifest, always the first member: ``format`` (``"asbhub-backup"``), its version,
    the asbhub version and time that made it, the database vendor, the migrations applied
    (``app.name``, so a restore knows whether this code can read it), the row count of every
    table, and each member's SHA-256 and size.
``database.sqlite3`` or ``database.pgdump``
    SQLite: a consistent copy taken with SQLite's online backup API
    (:meth:`sqlite3.Connection.backup`), so the web app and loads may keep running.
    PostgreSQL: ``pg_dump --format=custom`` (restored with ``pg_restore --clean --if-exists``
    in one transaction).
``files/<n>/...``
    The folders a deployment keeps beside the store (``--include DIR``, or
    ``$ASBHUB_BACKUP_INCLUDE``, folders separated by ``:``), such as anchored audit-chain
    trails or documents; the manifest records where each came from, and restore puts them back
    there. asbhub itself keeps no files outside the database today.

A restore refuses a file that is not such an archive, one whose member does not match its
hash, one made by a newer asbhub (migrations this code does not know), and a store or folder
that already holds data unless ``force`` is given.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asbhub.store.db import Store, display_url, open_store

MANIFEST = "asbhub-backup.json"
FORMAT = "asbhub-backup"
FORMAT_VERSION = 1
#: Environment variable naming extra folders to back up (separated by ``os.pathsep``).
INCLUDE_ENV = "ASBHUB_BACKUP_INCLUDE"


class BackupError(ValueError):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class RestoreResult:
    """What a restore did: the store, the manifest it trusted and any folders it put back."""

    url: str
    manifest: dict[str, Any]
    folders: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        m = self.manifest
        rows = sum(int(n) for n in m.get("tables", {}).values())
        text = (
            f"restored {display_url(self.url)} from a backup made {m['created']} by asbhub "
            f"{m['asbhub_version']} ({len(m.get('tables', {}))} tables, {rows:,} rows"
            + (f"; folders {', '.join(self.folders)}" if self.folders else "")
            + ")"
        )
        return "\n".join([text, *self.notes])


# -- backup -----------------------------------------------------------------------------------


def backup(store: Store, to: Path, include: Sequence[Path] = ()) -> dict[str, Any]:
    """Write a backup of ``store`` (and the folders in ``include``) to ``to``; its manifest.

    ``to`` is written beside itself first and renamed, so a failed backup never leaves a
    half-written archive under the name given.
    """
    to = Path(to)
    folders = [Path(p).resolve() for p in include]
    for folder in folders:
        if not folder.is_dir():
            raise BackupError(
                f"--include {folder}: no such folder; name a folder the deployment keeps "
                f"(or remove it from ${INCLUDE_ENV})"
            )
    if to.is_dir():
        raise BackupError(f"--to {to} is a folder; expected a file name such as asbhub.backup.tar")
    to.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="asbhub-backup-", dir=to.parent) as tmp:
        work = Path(tmp)
        if store.vendor == "sqlite":
            member = "database.sqlite3"
            _sqlite_copy(_sqlite_name(store), work / member)
        elif store.vendor == "postgresql":
            member = "database.pgdump"
            _pg_run("pg_dump", store, ["--format=custom", "--no-owner", "-f", str(work / member)])
        else:  # pragma: no cover - asbhub opens only these two
            raise BackupError(f"cannot back up a {store.vendor} database")
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "asbhub_version": _version(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "vendor": store.vendor,
            "migrations": applied_migrations(store),
            "tables": table_counts(store),
            "database": _entry(work / member, member),
            "files": [],
        }
        partial = work / "archive.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            file_entries: list[tuple[Path, str]] = []
            for n, folder in enumerate(folders):
                for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                    name = f"files/{n}/{path.relative_to(folder).as_posix()}"
                    entry = _entry(path, name) | {"root": str(folder)}
                    manifest["files"].append(entry)
                    file_entries.append((path, name))
            manifest["folders"] = [str(f) for f in folders]
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(work / member, arcname=member)
            for path, name in file_entries:
                tar.add(path, arcname=name)
        os.replace(partial, to)
    return manifest


def _sqlite_copy(source: str, target: Path) -> None:
    """A consistent copy of a live SQLite file (WAL included), as one self-contained file."""
    src = sqlite3.connect(f"{Path(source).as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


# -- restore ----------------------------------------------------------------------------------


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of the backup at ``archive``, after checking every member's hash."""
    archive = Path(archive)
    if not archive.is_file():
        raise FileNotFoundError(f"no backup at {archive}: check the path")
    try:
        tar = tarfile.open(archive, "r")
    except tarfile.TarError:
        raise BackupError(
            f"{archive} is not an asbhub backup (not a tar archive); expected a file made by "
            "`asbhub db backup --to FILE`"
        ) from None
    with tar:
        manifest = _manifest(tar, archive)
        wanted = {manifest["database"]["name"]: manifest["database"]}
        wanted |= {f["name"]: f for f in manifest["files"]}
        seen: set[str] = set()
        for info in tar:
            if info.name == MANIFEST:
                continue
            entry = wanted.get(info.name)
            fh = tar.extractfile(info) if info.isfile() else None
            if entry is None or fh is None:
                raise BackupError(
                    f"{archive}: member {info.name!r} is not listed in its manifest; the "
                    "archive was changed after `asbhub db backup` wrote it"
                )
            digest = _sha256(fh)
            if digest != entry["sha256"]:
                raise BackupError(
                    f"{archive}: {info.name} does not match the hash in its manifest "
                    f"(expected {entry['sha256'][:16]}..., found {digest[:16]}...): the file is "
                    "damaged or was changed; restore from another backup"
                )
            seen.add(info.name)
        missing = sorted(set(wanted) - seen)
        if missing:
            raise BackupError(
                f"{archive}: the manifest lists {', '.join(missing)} but the archive does not "
                "hold it (a truncated copy?); restore from another backup"
            )
    return manifest


def _manifest(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    not_ours = (
        f"{archive} is not an asbhub backup (it has no {MANIFEST} manifest); expected a file "
        "made by `asbhub db backup --to FILE`"
    )
    try:
        fh = tar.extractfile(MANIFEST)
    except KeyError:
        raise BackupError(not_ours) from None
    if fh is None:
        raise BackupError(not_ours)
    try:
        manifest = json.loads(fh.read())
    except ValueError:
        raise BackupError(f"{archive}: its manifest is not valid JSON; {not_ours}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(not_ours)
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(
            f"{archive} is backup format {manifest['format_version']}, newer than this asbhub "
            f"({_version()}) reads ({FORMAT_VERSION}); restore it with the asbhub that made it "
            f"({manifest.get('asbhub_version')}) or newer"
        )
    return manifest


def restore(archive: Path, store: Store, *, force: bool = False) -> RestoreResult:
    """Replace the contents of ``store`` (and the backed-up folders) with the backup.

    Raises
    ------
    BackupError
        The file is not an asbhub backup or fails its hashes; it was made by a newer asbhub;
        it is of another database vendor; or the store or a folder holds data and ``force``
        is false.
    """
    archive = Path(archive)
    manifest = read_manifest(archive)
    result = RestoreResult(url=store.url, manifest=manifest)
    if manifest["vendor"] != store.vendor:
        raise BackupError(
            f"{archive} is a {manifest['vendor']} backup and {display_url(store.url)} is "
            f"{store.vendor}: restore it into a {manifest['vendor']} store (--db)"
        )
    unknown = sorted(set(manifest["migrations"]) - set(known_migrations()))
    if unknown:
        raise BackupError(
            f"{archive} was made by asbhub {manifest['asbhub_version']}, whose store has "
            f"{len(unknown)} migration(s) this asbhub ({_version()}) does not know (e.g. "
            f"{unknown[0]}): upgrade asbhub first, then restore"
        )
    if not force:
        rows = sum(table_counts(store).values())
        if rows:
            raise BackupError(
                f"{display_url(store.url)} is not empty ({rows:,} rows): a restore replaces "
                f"everything in it. Give --force to replace it, or restore into a new store "
                f"with --db"
            )
        for folder in manifest.get("folders", []):
            if Path(folder).is_dir() and any(Path(folder).iterdir()):
                raise BackupError(
                    f"the folder {folder} from the backup exists and is not empty: give --force "
                    "to replace its files"
                )
    with tarfile.open(archive, "r") as tar, tempfile.TemporaryDirectory() as tmp:
        db = manifest["database"]["name"]
        tar.extract(db, tmp, filter="data")
        dumped = Path(tmp) / db
        store.close()
        if store.vendor == "sqlite":
            _sqlite_restore(dumped, _sqlite_name(store))
        else:
            _pg_run(
                "pg_restore",
                store,
                [
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--exit-on-error",
                    str(dumped),
                ],
            )
        for n, folder in enumerate(manifest.get("folders", [])):
            prefix = f"files/{n}/"
            members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
            target = Path(folder)
            with _replaced(target):
                for member in members:
                    member.name = member.name[len(prefix) :]
                    tar.extract(member, target, filter="data")
            result.folders.append(folder)
    store.close()
    behind = sorted(set(known_migrations()) - set(manifest["migrations"]))
    if behind:
        result.notes.append(
            f"the backup predates {len(behind)} migration(s) of this asbhub: run "
            f"`asbhub db upgrade --db {display_url(store.url)}` before serving it"
        )
    return result


def _sqlite_restore(source: Path, target: str) -> None:
    """Copy ``source`` over the live SQLite file ``target`` with the online backup API, so a
    reader sees the old store or the new, never a mixture, and WAL readers stay valid."""
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()


@contextlib.contextmanager
def _replaced(folder: Path) -> Iterator[None]:
    """Empty ``folder`` for the restored files; its old files come back if extraction fails."""
    old = folder.with_name(folder.name + ".before-restore")
    if folder.exists():
        if old.exists():
            shutil.rmtree(old)
        folder.rename(old)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        if old.exists():
            old.rename(folder)
        raise
    if old.exists():
        shutil.rmtree(old)


# -- what a store holds -----------------------------------------------------------------------


def applied_migrations(store: Store) -> list[str]:
    """``app.name`` of every migration applied to ``store``, sorted."""
    conn = store.connection
    if "django_migrations" not in conn.introspection.table_names():
        return []
    with conn.cursor() as cur:
        cur.execute("SELECT app, name FROM django_migrations")
        return sorted(f"{app}.{name}" for app, name in cur.fetchall())


def known_migrations() -> list[str]:
    """``app.name`` of every migration this asbhub (and Django's apps) ships."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations)


def table_counts(store: Store) -> dict[str, int]:
    """Rows in each table of ``store`` (the manifest's record, and restore's "is it empty")."""
    conn = store.connection
    counts: dict[str, int] = {}
    with conn.cursor() as cur:
        for table in sorted(conn.introspection.table_names()):
            cur.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}")
            counts[table] = int(cur.fetchone()[0])
    return counts


# -- helpers ----------------------------------------------------------------------------------


def include_from_env() -> list[Path]:
    """The folders in ``$ASBHUB_BACKUP_INCLUDE`` (separated by ``os.pathsep``)."""
    raw = os.environ.get(INCLUDE_ENV, "")
    return [Path(p) for p in raw.split(os.pathsep) if p.strip()]


def _sqlite_name(store: Store) -> str:
    name = str(store.connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("an in-memory SQLite store cannot be backed up; use a file (--db)")
    return name


def _entry(path: Path, name: str) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return {"name": name, "sha256": _sha256(fh), "bytes": path.stat().st_size}


def _sha256(fh: Any) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _version() -> str:
    from asbhub import __version__

    return __version__


def pg_binary(name: str) -> str:
    """The newest ``pg_dump`` / ``pg_restore`` on this machine: on ``PATH`` or in Debian's
    ``/usr/lib/postgresql/<version>/bin`` (where scripts/with-postgres.sh finds its server)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
        reverse=True,
    )
    found = shutil.which(name) or next((str(p) for p in candidates if os.access(p, os.X_OK)), None)
    if not found:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client (Debian: apt-get install "
            "postgresql-client) at the server's version or newer"
        )
    return found


def _pg_run(tool: str, store: Store, args: list[str]) -> None:
    """Run ``pg_dump`` or ``pg_restore`` on ``store``'s database; the password goes through the
    environment (never the command line, where other users could read it)."""
    s = store.connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if s.get(key):
            env[var] = str(s[key])
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    db_flag = ["-d", str(s["NAME"])]
    proc = subprocess.run(  # a fixed binary and our own arguments
        [pg_binary(tool), *db_flag, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        reason = " ".join(proc.stderr.split())[:500]
        raise BackupError(
            f"{tool} failed on {display_url(store.url)} (exit {proc.returncode}): {reason}; "
            "check the server is reachable and the client is at its version or newer"
        )


def open_for_restore(url: str | None) -> Store:
    """The store a restore writes into, opened without migrating (the backup brings tables)."""
    return open_store(url, upgrade=False)
