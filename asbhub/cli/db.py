"""``asbhub db backup`` and ``asbhub db restore`` (issue #18 item 4; asbhub.store.backup)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_db_commands(dbsub: Any, db_help: str) -> None:
    """Add ``backup`` and ``restore`` under ``asbhub db``."""
    bk = dbsub.add_parser(
        "backup",
        help="write the store (and the folders a deployment keeps) to one archive",
        description="A consistent copy while asbhub keeps running: SQLite's online backup, "
        "or pg_dump's custom format on PostgreSQL, in a tar archive with a manifest (asbhub "
        "version, migrations, row counts, SHA-256 of each member).",
    )
    bk.add_argument("--db", help=db_help)
    bk.add_argument("--to", type=Path, required=True, metavar="FILE", help="the archive to write")
    bk.add_argument(
        "--include",
        type=Path,
        action="append",
        default=None,
        metavar="DIR",
        help="a folder to back up with the store, e.g. anchored audit trails (repeatable; "
        "default $ASBHUB_BACKUP_INCLUDE, folders separated by ':')",
    )
    bk.set_defaults(func=cmd_db_backup)

    rs = dbsub.add_parser(
        "restore",
        help="replace the store (and its folders) with a backup",
        description="Checks the archive's manifest and hashes first. A store that holds any "
        "rows is replaced only with --force.",
    )
    rs.add_argument("file", type=Path, metavar="FILE", help="an archive from `asbhub db backup`")
    rs.add_argument("--db", help=db_help)
    rs.add_argument(
        "--force", action="store_true", help="replace a store or folder that already holds data"
    )
    rs.set_defaults(func=cmd_db_restore)


def cmd_db_backup(args: argparse.Namespace) -> int:
    from asbhub.store.backup import backup, include_from_env
    from asbhub.store.db import open_store

    store = open_store(args.db, upgrade=False)
    include = args.include if args.include is not None else include_from_env()
    manifest = backup(store, args.to, include)
    rows = sum(manifest["tables"].values())
    sys.stdout.write(
        f"backed up {len(manifest['tables'])} tables ({rows:,} rows)"
        + (f" and {len(manifest['files'])} file(s)" if manifest["folders"] else "")
        + f" to {args.to} ({args.to.stat().st_size:,} bytes)\n"
    )
    return 0


def cmd_db_restore(args: argparse.Namespace) -> int:
    from asbhub.store.backup import open_for_restore, restore

    store = open_for_restore(args.db)
    result = restore(args.file, store, force=args.force)
    sys.stdout.write(result.summary() + "\n")
    return 0
