"""The layering checks of `make lint` catch what they are there to catch.

Each test copies the real `asbhub` package (Python files only) and the real pyproject.toml
into a temporary folder, adds one module that breaks a rule, and runs the real checker on
the copy: the contracts checked are the project's own, not a test's restatement of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PURE_CORE = "The pure core imports no Django, no store and no adapter"


def _copy_tree(dest: Path) -> Path:
    shutil.copytree(
        ROOT / "asbhub",
        dest / "asbhub",
        ignore=shutil.ignore_patterns(
            "__pycache__",
            "data",
            "templates",
            "static",
            "*.csv",
            "*.json",
            "*.html",
            "*.css",
            "*.js",
        ),
    )
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    # cwd first on the path, so the copy (not the installed checkout) is the asbhub analysed.
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _add(tree: Path, module: str, source: str) -> None:
    path = tree.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(source, encoding="utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return _copy_tree(tmp_path)


def test_the_real_tree_keeps_every_contract() -> None:
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{PURE_CORE} KEPT" in proc.stdout
    assert " 0 broken." in proc.stdout


def test_the_copy_is_what_lint_imports_reads(tree: Path) -> None:
    # Without this, a pass below could be the installed checkout being analysed instead.
    _add(tree, "asbhub.domain.leak", "import django\n")
    proc = _lint_imports(tree)
    assert "asbhub.domain.leak -> django" in proc.stdout, proc.stdout + proc.stderr


def test_domain_importing_django_breaks_the_pure_core_contract(tree: Path) -> None:
    _add(tree, "asbhub.domain.leak", "from django.db import models\n")
    proc = _lint_imports(tree)
    assert proc.returncode != 0
    assert f"{PURE_CORE} BROKEN" in proc.stdout, proc.stdout + proc.stderr
    assert "asbhub.domain.leak -> django (l.1)" in proc.stdout


def test_an_indirect_import_of_the_store_breaks_it_too(tree: Path) -> None:
    # geo -> outputs (allowed) -> store (not allowed for geo): the chain is reported.
    _add(tree, "asbhub.outputs.bridge", "import asbhub.store.db\n")
    _add(tree, "asbhub.geo.leak", "import asbhub.outputs.bridge\n")
    proc = _lint_imports(tree)
    assert proc.returncode != 0
    assert f"{PURE_CORE} BROKEN" in proc.stdout, proc.stdout + proc.stderr
    assert "asbhub.geo.leak -> asbhub.outputs.bridge" in proc.stdout
    assert "asbhub.outputs.bridge -> asbhub.store.db" in proc.stdout


def test_a_report_importing_urls_breaks_the_reports_contract(tree: Path) -> None:
    _add(tree, "asbhub.reports.leak", "from asbhub.web import urls\n")
    proc = _lint_imports(tree)
    assert proc.returncode != 0
    assert "Reports import no views, forms or urls BROKEN" in proc.stdout, proc.stdout
    assert f"{PURE_CORE} KEPT" in proc.stdout


def test_a_new_import_circle_breaks_the_acyclic_contracts(tree: Path) -> None:
    _add(tree, "asbhub.analysis.circle_a", "import asbhub.analysis.circle_b\n")
    _add(tree, "asbhub.analysis.circle_b", "import asbhub.analysis.circle_a\n")
    proc = _lint_imports(tree)
    assert proc.returncode != 0
    assert "No import circles inside the pure core BROKEN" in proc.stdout, proc.stdout
    assert "No new import circles anywhere in asbhub BROKEN" in proc.stdout


def test_a_command_group_importing_another_breaks_the_cli_contract(tree: Path) -> None:
    # issue #11 item 4: groups share asbhub.cli.common, never each other's names.
    places = tree / "asbhub" / "cli" / "places.py"
    places.write_text(
        places.read_text(encoding="utf-8") + "\nfrom asbhub.cli.analysis import cmd_trends\n",
        encoding="utf-8",
    )
    proc = _lint_imports(tree)
    assert proc.returncode != 0
    assert "The command groups of asbhub.cli import no other group BROKEN" in proc.stdout, (
        proc.stdout + proc.stderr
    )
    assert "asbhub.cli.places is not allowed to import asbhub.cli.analysis" in proc.stdout


def _private_names(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "check_private_imports.py"),
            "--root",
            str(tree),
            str(tree / "asbhub" / "analysis"),
            str(tree / "asbhub" / "geo"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_private_names_across_packages_fail_and_within_a_package_pass(tree: Path) -> None:
    before = _private_names(tree)
    assert before.returncode == 0, before.stdout + before.stderr  # analysis and geo are clean
    _add(tree, "asbhub.analysis.sibling", "from asbhub.analysis.grid import _readonly\n")
    _add(
        tree,
        "asbhub.geo.outsider",
        "from asbhub.analysis.grid import _readonly\n"
        "from ..analysis import tables\n"
        "tables._pct(1, 2, 0)\n",
    )
    proc = _private_names(tree)
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if ": asbhub." in line]
    assert [line.split(": ", 1)[1].split(",")[0] for line in lines] == [
        "asbhub.geo.outsider uses `_readonly` from asbhub.analysis.grid",
        "asbhub.geo.outsider uses `_pct` from asbhub.analysis.tables",
    ]
    assert "outsider.py:1:" in lines[0]
    assert "outsider.py:3:" in lines[1]
    assert "2 use(s) of another package's private name" in proc.stdout
