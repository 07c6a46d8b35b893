"""The one-way picture of docs/architecture.md, checked on the source (issue #11).

sources -> ingest -> store -> analysis -> records | reports | pages | files: nothing upstream
of the pages imports ``asbhub.web``, the records import neither the pages nor the reports, the
apps that hold data live in ``asbhub.records`` under their old labels, and no module imports
another module's private ``_name``.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "asbhub"

#: Packages below the pages: none of them may import asbhub.web.
BELOW_PAGES = ("reports", "domain", "analysis", "linkage", "ingest", "geo", "store", "records")

#: label -> the package that holds the app's models (labels, hence tables, unchanged).
RECORDS_APPS = {
    "incidents": "asbhub.records.incidents",
    "partners": "asbhub.records.partners",
    "contact": "asbhub.records.contact",
    "cases": "asbhub.records.cases",
    "people": "asbhub.records.people",
    "risk": "asbhub.records.risk",
    "scrutiny": "asbhub.records.scrutiny",
    "api": "asbhub.records.tokens",
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, names) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            found.append((node.lineno, module, [a.name for a in node.names]))
    return found


def _files(*packages: str) -> list[Path]:
    return sorted(p for name in packages for p in (PACKAGE / name).rglob("*.py"))


def _offending(packages: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in _files(*packages):
        for line, module, names in _imports(path):
            targets = [module] + [f"{module}.{n}" for n in names]
            if any(t == f or t.startswith(f + ".") for t in targets for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    return bad


def test_nothing_below_the_pages_imports_them() -> None:
    assert (PACKAGE / "records").is_dir(), "asbhub/records is missing: the records did not move"
    assert _offending(BELOW_PAGES, ("asbhub.web",)) == []


def test_the_records_import_no_reports() -> None:
    assert (PACKAGE / "records" / "cases" / "models.py").is_file()
    assert _offending(("records",), ("asbhub.reports",)) == []


def test_no_module_imports_a_private_name_from_records_reports_demo_or_pages() -> None:
    bad = []
    for path in _files("records", "reports", "demo", "web", "domain"):
        for line, module, names in _imports(path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and module.startswith("asbhub."):
                bad.append(f"{path.relative_to(ROOT)}:{line}: {module} {private}")
    assert bad == []


def test_the_apps_that_hold_data_are_the_records_under_their_old_labels() -> None:
    from django.apps import apps

    from asbhub.store.db import setup_django

    setup_django()

    holding = {
        cfg.label: cfg.name
        for cfg in apps.get_app_configs()
        if cfg.name.startswith("asbhub.") and list(cfg.get_models())
    }
    assert holding == RECORDS_APPS
    for cfg in apps.get_app_configs():
        if cfg.name.startswith("asbhub.web."):
            assert list(cfg.get_models()) == [], cfg.name
            assert cfg.label in {"public", "tasking"} or cfg.label.endswith("_pages"), cfg.label
    # The tables keep their names, so a store made before the move still matches.
    from asbhub.records.cases.models import Pmp
    from asbhub.records.partners.models import AuditEntry
    from asbhub.records.tokens.models import ApiToken

    assert (Pmp._meta.db_table, AuditEntry._meta.db_table, ApiToken._meta.db_table) == (
        "cases_pmp",
        "partners_auditentry",
        "api_apitoken",
    )


@pytest.mark.parametrize(
    ("name", "dob", "postcode", "key"),
    [
        ("Alice  O'Brien", dt.date(1971, 5, 14), None, "obrien|1971-05-14"),
        ("ALICE OBRIEN", None, "de22 9zz", "obrien|DE229ZZ"),
        ("Zoë Ñúñez", "1990-01-02", None, "nunez|1990-01-02"),
        ("Alice", None, None, None),
    ],
)
def test_the_interim_person_key_is_a_domain_rule(
    name: str, dob: object, postcode: str | None, key: str | None
) -> None:
    from asbhub.domain.people import interim_person_key
    from asbhub.reports import briefing

    assert interim_person_key(name, dob, postcode) == key
    # The briefing uses the domain's rule, not a copy of it.
    assert briefing.interim_person_key is interim_person_key


def test_case_review_flags_sit_beside_check_threshold() -> None:
    import polars as pl

    from asbhub.domain import cases
    from asbhub.reports import briefing

    assert briefing.case_review_flags is cases.case_review_flags
    when = [dt.datetime(2024, 3, d, 12, tzinfo=dt.UTC) for d in (1, 8, 15)]
    people = pl.DataFrame(
        {
            "person_key": ["smith|1980-01-01"] * 3,
            "person_row_id": [1, 2, 3],
            "incident_id": [10, 11, 12],
            "reference": ["R1", "R2", "R3"],
            "role": ["victim"] * 3,
            "record_type": ["asb"] * 3,
            "name": ["Synthetic Smith"] * 3,
            "lpu": ["Erewash"] * 3,
            "location_id": [5, 5, 5],
            "location_text": ["Synthetic Row"] * 3,
            "occurred_from": when,
            "reported_at": when,
        }
    )
    flags = cases.case_review_flags(people, dt.date(2024, 3, 20), dt.date(2024, 3, 10))
    assert flags.rows["references"].to_list() == [["R1", "R2", "R3"]]
    assert flags.rows["new"].to_list() == [True]
    assert (flags.n_people, flags.n_new) == (1, 1)
