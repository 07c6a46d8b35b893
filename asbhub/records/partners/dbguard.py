"""Database triggers that refuse UPDATE and DELETE on the audit log, for SQLite and PostgreSQL.

The model already refuses changes through the ORM; the triggers also stop raw SQL sent by the
app's own connection (a bug, a shell, an injected statement). They do not stop someone who can
drop them: on PostgreSQL, run the app as a role that does not own ``partners_auditentry``, and
keep a copy of the chain head's hash elsewhere (see ``asbhub audit verify``).

A later migration that makes Django rebuild ``partners_auditentry`` on SQLite (most column
changes do: new table, copy, drop, rename) drops these triggers with the old table; such a
migration must call :func:`install_guard` again. ``verify_chain`` reports a missing guard.
"""

from __future__ import annotations

from typing import Any

# The triggers' SQL lives in asbhub.store (one owner for SQL, issue #11 item 3).
from asbhub.store.guards import (
    MESSAGE,
    PG_FUNCTION,
    PG_TRIGGERS,
    SQLITE_TRIGGERS,
    TABLE,
    guard_present,
    install_guard,
    remove_guard,
)

__all__ = [
    "MESSAGE",
    "PG_FUNCTION",
    "PG_TRIGGERS",
    "SQLITE_TRIGGERS",
    "TABLE",
    "guard_present",
    "install_guard",
    "install_guard_migration",
    "remove_guard",
    "remove_guard_migration",
]


def install_guard_migration(apps: Any, schema_editor: Any) -> None:
    """RunPython forwards step: the vendor decides the SQL."""
    install_guard(schema_editor.connection)


def remove_guard_migration(apps: Any, schema_editor: Any) -> None:
    """RunPython backwards step."""
    remove_guard(schema_editor.connection)
