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

TABLE = "partners_auditentry"
MESSAGE = "partners_auditentry is append-only"

SQLITE_TRIGGERS = {
    "partners_auditentry_no_update": "UPDATE",
    "partners_auditentry_no_delete": "DELETE",
}
PG_FUNCTION = "partners_auditentry_append_only"
PG_TRIGGERS = {
    "partners_auditentry_no_change": "BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW",
    # TRUNCATE fires no row triggers, so it needs its own statement-level one.
    "partners_auditentry_no_truncate": "BEFORE TRUNCATE ON {table} FOR EACH STATEMENT",
}


def _statements_install(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {op} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {op} refused'); END"
            for name, op in SQLITE_TRIGGERS.items()
        ]
    if vendor == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP; END $$",
            *(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}" for name in PG_TRIGGERS),
            *(
                f"CREATE TRIGGER {name} {when.format(table=TABLE)} EXECUTE FUNCTION {PG_FUNCTION}()"
                for name, when in PG_TRIGGERS.items()
            ),
        ]
    raise NotImplementedError(f"no audit-log guard for the {vendor!r} database")


def _statements_remove(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
    if vendor == "postgresql":
        return [
            *(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}" for name in PG_TRIGGERS),
            f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()",
        ]
    raise NotImplementedError(f"no audit-log guard for the {vendor!r} database")


def install_guard(connection: Any) -> None:
    """Create the triggers on ``connection`` (a Django connection); safe to run twice."""
    with connection.cursor() as cur:
        for sql in _statements_install(connection.vendor):
            cur.execute(sql)


def remove_guard(connection: Any) -> None:
    """Drop the triggers (migrations backwards, and tests that tamper on purpose)."""
    with connection.cursor() as cur:
        for sql in _statements_remove(connection.vendor):
            cur.execute(sql)


def guard_present(connection: Any) -> bool:
    """Whether every trigger is in place on ``connection``."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE]
            )
            wanted = set(SQLITE_TRIGGERS)
        elif connection.vendor == "postgresql":
            cur.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgenabled <> 'D'",
                [TABLE],
            )
            wanted = set(PG_TRIGGERS)
        else:
            return False
        return wanted <= {row[0] for row in cur.fetchall()}


def install_guard_migration(apps: Any, schema_editor: Any) -> None:
    """RunPython forwards step: the vendor decides the SQL."""
    install_guard(schema_editor.connection)


def remove_guard_migration(apps: Any, schema_editor: Any) -> None:
    """RunPython backwards step."""
    remove_guard(schema_editor.connection)
