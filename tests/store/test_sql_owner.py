"""One owner for SQL (issue #11 item 3): raw SQL lives under asbhub/store only, and the table
names it uses are the models' own.

Read from the source (nothing is imported but the models): a cursor, ``execute``, ``raw`` or
``RawSQL`` anywhere in asbhub outside ``asbhub/store`` fails; so does a table's name written
as a literal inside ``asbhub/store`` anywhere but ``asbhub/store/tables.py``, and a name in
that module that is not its model's ``Model._meta.db_table``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "asbhub"
STORE = PACKAGE / "store"

#: Calls that send SQL to a database, by attribute or function name.
SQL_CALLS = {"cursor", "execute", "executemany", "executescript", "raw", "extra", "RawSQL"}
#: Folders outside the store that may run SQL of their own, and why.
ALLOWED = {
    # Splink's in-process DuckDB over frames handed to it: no store table, no Django
    # connection (import-linter forbids linkage to import the store or Django).
    PACKAGE / "linkage",
}


def _sql_calls(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in SQL_CALLS:
                found.append((node.lineno, f"{path.relative_to(root)}:{node.lineno}: {name}(...)"))
    return [text for _, text in sorted(found)]


def _outside_store() -> list[Path]:
    return [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if STORE not in p.parents and not any(a in p.parents for a in ALLOWED)
    ]


def test_no_raw_sql_outside_the_store() -> None:
    found = [hit for path in _outside_store() for hit in _sql_calls(path)]
    assert found == [], (
        "raw SQL outside asbhub/store (move the statement into a store module and call it; "
        "see docs/architecture.md):\n" + "\n".join(found)
    )


def test_the_scan_finds_raw_sql(tmp_path: Path) -> None:
    # The check is not vacuous: each way of sending SQL is caught.
    src = tmp_path / "m.py"
    src.write_text(
        "def f(connection, Model):\n"
        "    with connection.cursor() as cur:\n"
        "        cur.execute('SELECT 1')\n"
        "    Model.objects.raw('SELECT 1')\n",
        encoding="utf-8",
    )
    hits = _sql_calls(src, root=tmp_path)
    assert [h.split(": ", 1)[1] for h in hits] == ["cursor(...)", "execute(...)", "raw(...)"]


def _string_constants(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every string constant that is not a docstring or comment."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.fixture(scope="module")
def db_tables() -> dict[str, str]:
    from asbhub.store.db import setup_django

    setup_django()
    from django.apps import apps

    return {m._meta.label: m._meta.db_table for m in apps.get_models()}


def test_table_names_are_the_models(db_tables: dict[str, str]) -> None:
    from asbhub.store import tables

    assert tables.MODELS, "asbhub.store.tables.MODELS lists no table"
    wrong = {
        label: (table, db_tables.get(label))
        for label, table in tables.MODELS.items()
        if db_tables.get(label) != table
    }
    assert wrong == {}, (
        "asbhub.store.tables names a table that is not its model's _meta.db_table "
        "(label: (tables.py, model)); correct the constant in asbhub/store/tables.py"
    )
    # Every constant is listed with its model, so none escapes the check above.
    constants = {v for k, v in vars(tables).items() if k.isupper() and isinstance(v, str)}
    assert constants == set(tables.MODELS.values())


def test_store_sql_takes_table_names_from_the_tables_module(db_tables: dict[str, str]) -> None:
    import re

    names = sorted(set(db_tables.values()), key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    found = []
    for path in sorted(STORE.rglob("*.py")):
        if path == STORE / "tables.py":
            continue
        for line, text in _string_constants(path):
            for m in pattern.finditer(text):
                found.append(f"{path.relative_to(ROOT)}:{line}: {m.group(1)}")
    assert found == [], (
        "a table name written as a literal in asbhub/store (use the constant of "
        "asbhub.store.tables, checked against the model):\n" + "\n".join(found)
    )
