"""Move the system of record out of ``asbhub/web/`` into ``asbhub/records/`` (issue #11, item 1).

The data-holding Django apps (incidents, partners, cases, people, risk, contact, scrutiny and the
API's tokens) keep their ``AppConfig.label``, so table names and migration history do not
change; only the Python modules move. ``asbhub/web/<app>`` keeps the pages (views, urls, forms,
templates, static, admin) as an app labelled ``<app>_pages`` with no models. The demonstration
seeding modules move to ``asbhub/demo/``.

Usage (from the repository root, on a clean git tree)::

    python scripts/move_records.py --move --rewrite   # once: git mv the files, then fix imports
    python scripts/move_records.py --rewrite          # any time after: fix imports again
    python scripts/move_records.py --rewrite --check  # list what would change; exit 1 if any

``--move`` runs the ``git mv``s of :data:`MODULE_MOVES` (skipping any already done) and writes
the records apps' ``apps.py`` and the pages apps' new ``apps.py`` (labels ``<app>_pages``). It
is re-runnable too: after merging a branch that added a file under a folder that moved (a new
``asbhub/web/cases/migrations/0004_x.py``), ``--move`` moves that file to the new folder.
After a merge, run both: ``python scripts/move_records.py --move --rewrite``.

``--rewrite`` is idempotent and safe on any tree, e.g. after merging branches that still use the
old paths. In every ``.py`` file under asbhub/, tests/, bench/, data-raw/ and scripts/, and in
docs/*.md, README.md and pyproject.toml, it rewrites:

- ``from asbhub.web.cases.models import X`` and ``import asbhub.web.cases.models [as m]``;
- ``from asbhub.web.cases import models, forms``: split by where each name now lives;
- ``from asbhub.web.api import DEFAULT_DAYS``: names of a package ``__init__`` that moved;
- relative imports (``from .models import X``), resolved against the file's *old* package;
  rewritten to absolute only where the relative form no longer points at the same module;
- dotted names in strings and text (``"asbhub.web.cases.services.visible_pmps"`` as a patch
  target, ``:mod:`asbhub.web.partners.access``` in docstrings) and slash paths
  (``asbhub/web/partners/access.py``) in text;
- the private names made public (:data:`IDENTIFIER_RENAMES`, :data:`IMPORTED_NAME_RENAMES`).

A merge conflict in an import block (one branch added an import, the move rewrote the block):
take the other branch's side of the file (``git checkout --theirs FILE`` when merging main into
this branch, ``--ours`` when merging this branch into main), then run ``--move --rewrite``.

It does not edit ``INSTALLED_APPS`` (the records apps are added beside the pages apps by hand),
and it moves no new module that another branch adds directly in ``asbhub/web/<app>`` (outside
a moved folder): such a file keeps its place and only its imports are fixed. It then runs ``ruff check --select I --fix`` on the files
it changed, if ruff is installed, so the import blocks stay sorted.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Old module (or package) -> new module (or package). A package entry moves the whole folder;
#: the longest matching entry wins, so ``asbhub.web.cases.models`` moves while
#: ``asbhub.web.cases.views`` (no entry) stays.
MODULE_MOVES: dict[str, str] = {
    # incidents: the store's incidents, locations, people, sources
    "asbhub.web.incidents.models": "asbhub.records.incidents.models",
    "asbhub.web.incidents.migrations": "asbhub.records.incidents.migrations",
    "asbhub.web.incidents.services": "asbhub.records.incidents.selectors",
    # partners: agencies, users, sharing agreements, the access policy and the audit log
    "asbhub.web.partners.models": "asbhub.records.partners.models",
    "asbhub.web.partners.migrations": "asbhub.records.partners.migrations",
    "asbhub.web.partners.access": "asbhub.records.partners.access",
    "asbhub.web.partners.audit": "asbhub.records.partners.audit",
    "asbhub.web.partners.anchor": "asbhub.records.partners.anchor",
    "asbhub.web.partners.dbguard": "asbhub.records.partners.dbguard",
    "asbhub.web.partners.usage": "asbhub.records.partners.usage",
    # contact: the whole app (no pages)
    "asbhub.web.contact": "asbhub.records.contact",
    # cases: PMPs, powers, ASB Case Reviews
    "asbhub.web.cases.models": "asbhub.records.cases.models",
    "asbhub.web.cases.migrations": "asbhub.records.cases.migrations",
    "asbhub.web.cases.services": "asbhub.records.cases.services",
    "asbhub.web.cases.locking": "asbhub.records.cases.locking",
    "asbhub.web.cases.assessment": "asbhub.records.cases.assessment",
    "asbhub.web.cases.case_reviews": "asbhub.records.cases.case_reviews",
    "asbhub.web.cases.powers": "asbhub.records.cases.powers",
    "asbhub.web.cases.plan_work": "asbhub.records.cases.plan_work",
    # people: person linkage
    "asbhub.web.people.models": "asbhub.records.people.models",
    "asbhub.web.people.migrations": "asbhub.records.people.migrations",
    "asbhub.web.people.services": "asbhub.records.people.services",
    "asbhub.web.people.decisions": "asbhub.records.people.decisions",
    "asbhub.web.people.frames": "asbhub.records.people.frames",
    "asbhub.web.people.visibility": "asbhub.records.people.visibility",
    # risk: victim risk assessments
    "asbhub.web.risk.models": "asbhub.records.risk.models",
    "asbhub.web.risk.migrations": "asbhub.records.risk.migrations",
    "asbhub.web.risk.services": "asbhub.records.risk.services",
    # scrutiny: meetings and public questions
    "asbhub.web.scrutiny.models": "asbhub.records.scrutiny.models",
    "asbhub.web.scrutiny.migrations": "asbhub.records.scrutiny.migrations",
    # tokens (label "api"): the API's tokens
    "asbhub.web.api.models": "asbhub.records.tokens.models",
    "asbhub.web.api.migrations": "asbhub.records.tokens.migrations",
    "asbhub.web.api.tokens": "asbhub.records.tokens.services",
    # demonstration seeding: one package, one module per app
    "asbhub.web.demo": "asbhub.demo.seed",
    "asbhub.web.cases.demo": "asbhub.demo.cases",
    "asbhub.web.partners.demo": "asbhub.demo.partners",
    "asbhub.web.people.demo": "asbhub.demo.people",
    "asbhub.web.risk.demo": "asbhub.demo.risk",
    "asbhub.web.tasking.demo": "asbhub.demo.tasking",
}

#: A package ``__init__`` that moved: old package -> (new package, the names it held).
INIT_MOVES: dict[str, tuple[str, frozenset[str]]] = {
    "asbhub.web.api": ("asbhub.records.tokens", frozenset({"DEFAULT_DAYS", "MAX_DAYS"})),
}

#: Private names made public, so that no module imports another's ``_name``. These are
#: distinctive and renamed wherever they appear in a Python file (definitions included).
IDENTIFIER_RENAMES: dict[str, str] = {
    "_domain_rule": "domain_rule",  # asbhub.records.cases.services
    "_utc_text": "utc_text",  # asbhub.records.partners.audit
    "_latest_sample_month": "latest_sample_month",  # asbhub.demo.tasking
}

#: Names renamed only where they are imported (other modules may have a ``_fmt`` of their own):
#: old dotted name -> new dotted name. The importing file's uses of the name follow.
IMPORTED_NAME_RENAMES: dict[str, str] = {
    "asbhub.reports.scrutiny._fmt": "asbhub.reports.scrutiny_render.format_cell",
    "asbhub.reports.scrutiny_render._fmt": "asbhub.reports.scrutiny_render.format_cell",
}

#: The records apps: package -> (AppConfig class, label, verbose name). Labels are the old ones.
RECORDS_APPS: dict[str, tuple[str, str, str]] = {
    "incidents": ("IncidentsConfig", "incidents", "Incidents"),
    "partners": ("PartnersConfig", "partners", "Partners, sharing and audit"),
    "cases": ("CasesConfig", "cases", "Problem solving, powers and ASB Case Reviews"),
    "people": (
        "PeopleConfig",
        "people",
        "Linked people: person linkage results, review queue, merges and splits",
    ),
    "risk": ("RiskConfig", "risk", "Victim risk questionnaires and assessments"),
    "scrutiny": (
        "ScrutinyConfig",
        "scrutiny",
        "Performance Scrutiny: public questions and the Commissioner's dashboard",
    ),
    "tokens": ("ApiConfig", "api", "API tokens"),
    # contact moves whole, apps.py included (its name is rewritten with the rest).
}

#: The page apps left in asbhub/web: package -> (AppConfig class, new label, verbose name).
PAGES_APPS: dict[str, tuple[str, str, str]] = {
    "incidents": ("IncidentsPagesConfig", "incidents_pages", "Incident pages"),
    "partners": ("PartnersPagesConfig", "partners_pages", "Sign-in, usage and audit pages"),
    "cases": ("CasesPagesConfig", "cases_pages", "PMP, powers and ASB Case Review pages"),
    "people": ("PeoplePagesConfig", "people_pages", "Linked people pages"),
    "risk": ("RiskPagesConfig", "risk_pages", "Victim risk pages"),
    "scrutiny": (
        "ScrutinyPagesConfig",
        "scrutiny_pages",
        "Public questions and the Commissioner's dashboard pages",
    ),
    "api": ("ApiPagesConfig", "api_pages", "JSON API and the API tokens page"),
}

#: Signal hookups that need page code (sign-in forms, throttling): kept on the pages app.
PARTNERS_READY = """
    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from asbhub.web.partners import auth

        # dispatch_uid: connected once however often ready() runs (tests may re-run setup).
        user_login_failed.connect(auth.on_login_failed, dispatch_uid="asbhub_login_failed")
        user_logged_in.connect(auth.on_logged_in, dispatch_uid="asbhub_logged_in")
        user_logged_out.connect(auth.on_logged_out, dispatch_uid="asbhub_logged_out")
"""

PY_DIRS = ("asbhub", "tests", "bench", "data-raw", "scripts")
TEXT_FILES = ("README.md", "pyproject.toml")
TEXT_GLOBS = ("docs/*.md",)
SELF = Path(__file__).resolve()
#: Files that quote the old paths on purpose (the move's own documentation and test).
EXCLUDE = frozenset({"docs/architecture.md", "tests/test_move_records.py"})


# ---------------------------------------------------------------------------------------------
# Names


def _lookup(dotted: str, table: dict[str, str]) -> str | None:
    """``dotted`` mapped through ``table`` by its longest matching prefix, else None."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        head = ".".join(parts[:n])
        if head in table:
            return ".".join([table[head], *parts[n:]])
    return None


REVERSE = {new: old for old, new in MODULE_MOVES.items()}


def new_name(dotted: str) -> str:
    """Where a module, or a name inside one, lives now (unchanged if it did not move)."""
    moved = _lookup(dotted, MODULE_MOVES)
    if moved is not None:
        return moved
    pkg, _, attr = dotted.rpartition(".")
    if pkg in INIT_MOVES and attr in INIT_MOVES[pkg][1]:
        return f"{INIT_MOVES[pkg][0]}.{attr}"
    return dotted


def old_name(dotted: str) -> str:
    """The module a (possibly moved) module was before the move."""
    return _lookup(dotted, REVERSE) or dotted


def module_of(path: Path) -> str | None:
    """The dotted module of a file under the repository root, if it is in a package tree."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def _resolve(level: int, module: str | None, package: str) -> str:
    base = package.split(".")
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


# ---------------------------------------------------------------------------------------------
# Rewriting


DOTTED = re.compile(r"(?<![\w.])asbhub\.web(?:\.\w+)+")
SLASHED = re.compile(r"(?<![\w/])asbhub/web(?:/\w+)+(?:\.py)?/?")


def _dotted_sub(m: re.Match[str]) -> str:
    return new_name(m.group(0))


def _slashed_sub(m: re.Match[str]) -> str:
    text = m.group(0)
    trail = "/" if text.endswith("/") else ""
    core = text.rstrip("/")
    suffix = ".py" if core.endswith(".py") else ""
    if suffix:
        core = core[: -len(suffix)]
    moved = new_name(core.replace("/", "."))
    return moved.replace(".", "/") + suffix + trail


def rewrite_text(text: str) -> str:
    """Dotted names and slash paths of moved modules, anywhere in the text."""
    return SLASHED.sub(_slashed_sub, DOTTED.sub(_dotted_sub, text))


def _alias(name: str, asname: str | None) -> str:
    return f"{name} as {asname}" if asname else name


def _from_lines(groups: dict[str, list[str]], indent: str) -> str:
    lines = []
    for module, names in groups.items():
        lines.append(f"{indent}from {module} import {', '.join(names)}")
    return "\n".join(lines)


def _import_from(
    node: ast.ImportFrom, file_module: str | None, is_pkg: bool, local_renames: dict[str, str]
) -> dict[str, list[str]] | None:
    """The replacement ``from M import ...`` groups for one statement, or None to keep it.

    A name of :data:`IMPORTED_NAME_RENAMES` imported without ``as`` goes into ``local_renames``
    (old local name -> new), for the file's uses of it to follow."""
    if node.level:
        if file_module is None:
            return None
        current = file_module if is_pkg else file_module.rpartition(".")[0]
        old_pkg = old_name(file_module)
        old_pkg = old_pkg if is_pkg else old_pkg.rpartition(".")[0]
        base_old = _resolve(node.level, node.module, old_pkg)
        base_now = _resolve(node.level, node.module, current)
    else:
        base_old = base_now = node.module or ""
    groups: dict[str, list[str]] = {}
    changed = False
    for alias in node.names:
        if alias.name == "*":
            target = new_name(base_old)
            groups.setdefault(target, []).append("*")
            changed |= target != base_now
            continue
        full_old = f"{base_old}.{alias.name}"
        full_new = new_name(full_old)
        if full_new in IMPORTED_NAME_RENAMES:
            full_new = IMPORTED_NAME_RENAMES[full_new]
            if not alias.asname:
                local_renames[alias.name] = full_new.rpartition(".")[2]
        if full_new != full_old:
            # A submodule, or a name of a package __init__, that moved on its own.
            pkg, _, leaf = full_new.rpartition(".")
            keep_local = leaf != alias.name and alias.name not in local_renames
            asname = alias.asname or (alias.name if keep_local else None)
            groups.setdefault(pkg, []).append(_alias(leaf, asname))
            changed |= pkg != base_now or leaf != alias.name
        else:
            target = new_name(base_old)
            groups.setdefault(target, []).append(_alias(alias.name, alias.asname))
            changed |= target != base_now
    if not changed:
        return None
    return groups


def rewrite_python(path: Path, text: str) -> str:
    """Imports first (by syntax tree, from the bottom up so offsets hold), then the text."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return rewrite_text(text)
    file_module = module_of(path)
    is_pkg = path.name == "__init__.py"
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, int, str]] = []
    local_renames: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        groups = _import_from(node, file_module, is_pkg, local_renames)
        if groups is None:
            continue
        indent = " " * node.col_offset
        if len(groups) == 1:
            ((module, names),) = groups.items()
            same = [a.asname and f"{a.name} as {a.asname}" or a.name for a in node.names]
            if names == same:
                # Only the module changed: keep the statement's own layout.
                seg = ast.get_source_segment(text, node) or ""
                head = re.match(r"from\s+\.*[\w.]*\s+import", seg)
                if head:
                    new_seg = f"from {module} import" + seg[head.end() :]
                    edits.append(
                        (
                            node.lineno,
                            node.col_offset,
                            node.end_lineno or node.lineno,
                            node.end_col_offset or 0,
                            new_seg,
                        )
                    )
                    continue
        new = _from_lines(groups, indent)[len(indent) :]
        edits.append(
            (
                node.lineno,
                node.col_offset,
                node.end_lineno or node.lineno,
                node.end_col_offset or 0,
                new,
            )
        )
    for lineno, col, end_lineno, end_col, new in sorted(edits, reverse=True):
        start = sum(len(x) for x in lines[: lineno - 1]) + _byte_to_char(lines[lineno - 1], col)
        end = sum(len(x) for x in lines[: end_lineno - 1]) + _byte_to_char(
            lines[end_lineno - 1], end_col
        )
        text = text[:start] + new + text[end:]
        lines = text.splitlines(keepends=True)
    for old, new in {**IDENTIFIER_RENAMES, **local_renames}.items():
        text = re.sub(rf"(?<![\w.]){re.escape(old)}\b", new, text)
        text = (
            re.sub(rf"(?<=\.){re.escape(old)}\b", new, text) if old in IDENTIFIER_RENAMES else text
        )
    return rewrite_text(text)


def _byte_to_char(line: str, offset: int) -> int:
    return len(line.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))


def _targets() -> list[Path]:
    files: list[Path] = []
    for d in PY_DIRS:
        base = ROOT / d
        if base.exists():
            files += [p for p in base.rglob("*.py") if "__pycache__" not in p.parts]
    files += [ROOT / f for f in TEXT_FILES if (ROOT / f).exists()]
    for g in TEXT_GLOBS:
        files += sorted(ROOT.glob(g))
    return [
        f
        for f in files
        if f.resolve() != SELF
        and ".venv" not in f.parts
        and f.relative_to(ROOT).as_posix() not in EXCLUDE
    ]


def rewrite(check: bool) -> list[Path]:
    changed = []
    for path in _targets():
        text = path.read_text(encoding="utf-8")
        new = rewrite_python(path, text) if path.suffix == ".py" else rewrite_text(text)
        if new != text:
            changed.append(path)
            if not check:
                path.write_text(new, encoding="utf-8")
    py = [str(p) for p in changed if p.suffix == ".py"]
    ruff = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
    if py and not check and Path(ruff).exists():
        subprocess.run(
            [ruff, "check", "--select", "I", "--fix", "--quiet", *py], cwd=ROOT, check=False
        )
    return changed


# ---------------------------------------------------------------------------------------------
# Moving


def _path(dotted: str) -> Path:
    return ROOT.joinpath(*dotted.split("."))


def _git_mv(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "mv", str(src.relative_to(ROOT)), str(dst.relative_to(ROOT))], cwd=ROOT, check=True
    )


def _tracked(path: Path) -> bool:
    done = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(path.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _ensure_package(pkg: Path, doc: str) -> None:
    pkg.mkdir(parents=True, exist_ok=True)
    init = pkg / "__init__.py"
    if not init.exists():
        init.write_text(f'"""{doc}"""\n' if doc else "", encoding="utf-8")


def _apps_py(name: str, cls: str, label: str, verbose: str, extra: str = "") -> str:
    return (
        "from django.apps import AppConfig\n\n\n"
        f"class {cls}(AppConfig):\n"
        f'    name = "{name}"\n'
        f'    label = "{label}"\n'
        f'    verbose_name = "{verbose}"\n'
        '    default_auto_field = "django.db.models.BigAutoField"\n' + extra
    )


def move() -> None:
    _ensure_package(
        ROOT / "asbhub" / "records",
        "The system of record: the Django apps that hold data (see docs/architecture.md).",
    )
    _ensure_package(
        ROOT / "asbhub" / "demo",
        "Demonstration data for ``asbhub demo``: one module per app, run by :mod:`.seed`.",
    )
    for old, (new, _names) in INIT_MOVES.items():
        src, dst = _path(old) / "__init__.py", _path(new) / "__init__.py"
        if src.is_file() and not dst.exists():
            _git_mv(src, dst)
            src.write_text(
                f'"""Pages of {old}; what its __init__ held is in {new}."""\n', encoding="utf-8"
            )
            subprocess.run(["git", "add", str(src.relative_to(ROOT))], cwd=ROOT, check=True)
    for app in RECORDS_APPS:
        _ensure_package(ROOT / "asbhub" / "records" / app, "")
    for old, new in MODULE_MOVES.items():
        src, dst = _path(old), _path(new)
        if src.is_dir() and not dst.exists():
            _git_mv(src, dst)
        elif src.is_dir():
            # Moved before; a branch merged since added files under the old folder (a new
            # migration, say): move each one that is not there yet.
            for left in sorted(src.rglob("*")):
                if left.is_file() and "__pycache__" not in left.parts:
                    there = dst / left.relative_to(src)
                    if not there.exists() and _tracked(left):
                        _git_mv(left, there)
        elif src.with_suffix(".py").is_file() and not dst.with_suffix(".py").exists():
            _git_mv(src.with_suffix(".py"), dst.with_suffix(".py"))
    for app, (cls, label, verbose) in RECORDS_APPS.items():
        apps = ROOT / "asbhub" / "records" / app / "apps.py"
        if not apps.exists():
            apps.write_text(
                _apps_py(f"asbhub.records.{app}", cls, label, verbose), encoding="utf-8"
            )
            subprocess.run(["git", "add", str(apps.relative_to(ROOT))], cwd=ROOT, check=True)
    for app, (cls, label, verbose) in PAGES_APPS.items():
        apps = ROOT / "asbhub" / "web" / app / "apps.py"
        if apps.exists() and f'label = "{label}"' not in apps.read_text(encoding="utf-8"):
            extra = PARTNERS_READY if app == "partners" else ""
            apps.write_text(
                _apps_py(f"asbhub.web.{app}", cls, label, verbose, extra), encoding="utf-8"
            )
    subprocess.run(["git", "add", "asbhub/records", "asbhub/demo"], cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--move", action="store_true", help="git mv the modules (once)")
    parser.add_argument("--rewrite", action="store_true", help="rewrite imports (idempotent)")
    parser.add_argument(
        "--check", action="store_true", help="with --rewrite: only list the files that would change"
    )
    args = parser.parse_args(argv)
    if not (args.move or args.rewrite):
        parser.error("give --move, --rewrite or both")
    if args.move:
        move()
    if args.rewrite:
        changed = rewrite(check=args.check)
        for path in changed:
            print(path.relative_to(ROOT))
        print(
            f"{len(changed)} file(s) {'would change' if args.check else 'rewritten'}",
            file=sys.stderr,
        )
        if args.check and changed:
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
