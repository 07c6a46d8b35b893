"""Database triggers that refuse UPDATE and DELETE on the audit log, for SQLite and PostgreSQL.

The SQL of :mod:`asbhub.records.partners.dbguard` (which the audit log's migrations and
``verify_chain`` call): all raw SQL lives under ``asbhub/store``. The model already refuses
changes through the ORM; the triggers also stop raw SQL sent by the app's own connection (a
bug, a shell, an injected statement). They do not stop someone who can drop them: on
PostgreSQL, run the app as a role that does not own the audit table, and keep a copy of the
chain head's hash elsewhere (see ``asbhub audit verify``).
"""

from __future__ import annotations

from typing import Any

from asbhub.store import tables as t

__all__ = [
    "MESSAGE",
    "PG_FUNCTION",
    "PG_TRIGGERS",
    "SQLITE_TRIGGERS",
    "TABLE",
    "guard_present",
    "install_guard",
    "remove_guard",
]

#: The audit log (:class:`asbhub.records.partners.models.AuditEntry`).
TABLE = t.AUDIT_ENTRY
MESSAGE = f"{TABLE} is append-only"

SQLITE_TRIGGERS = {
    f"{TABLE}_no_update": "UPDATE",
    f"{TABLE}_no_delete": "DELETE",
}
PG_FUNCTION = f"{TABLE}_append_only"
PG_TRIGGERS = {
    f"{TABLE}_no_change": "BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW",
    # TRUNCATE fires no row triggers, so it needs its own statement-level one.
    f"{TABLE}_no_truncate": "BEFORE TRUNCATE ON {table} FOR EACH STATEMENT",
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
