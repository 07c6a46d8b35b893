"""Fail on any use of another package's ``_private`` name (make lint).

A name that starts with one underscore (``_pct``, ``_readonly``; not ``__all__``) is private to
the *package* that defines it: any module in that package, or in a package below it, may import
it; a module elsewhere may not. So ``asbhub.analysis.hotspot`` may use ``asbhub.analysis.grid._x``,
but ``asbhub.cli`` may not use ``asbhub.store.db._x``: make the name public (drop the underscore,
give it a docstring) or move the caller next to it.

Checked, by reading the source (nothing is imported):

- ``from asbhub.a.b import _x`` (also relative: ``from ..b import _x``),
- ``import asbhub.a.b as m`` / ``from asbhub.a import b`` followed by ``m._x`` / ``b._x``,
- private modules: ``from asbhub.a import _b`` is private to ``asbhub.a`` in the same way.

Usage: ``python scripts/check_private_imports.py [--root DIR] [PATH ...]`` (default: ``asbhub``;
``--root``: the folder holding the ``asbhub`` package, default the checkout). Prints one
line per offence, ``file:line: ...``, then a count; exits 1 if there is any. ``--modules``
applies the stricter rule (private to the defining module) to count what a later step would fix.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "asbhub"


@dataclass(frozen=True)
class Offence:
    path: Path
    line: int
    importer: str
    name: str
    owner: str
    package: str

    def __str__(self) -> str:
        where = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return (
            f"{where}:{self.line}: {self.importer} uses `{self.name}` from {self.owner}, "
            f"private to package {self.package}; make it public or move the caller "
            f"into {self.package}"
        )


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def module_name(path: Path, src_root: Path) -> tuple[str, bool]:
    """(dotted name, is a package) of a source file under ``src_root``."""
    parts = list(path.relative_to(src_root).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def is_module(dotted: str, src_root: Path) -> tuple[bool, bool]:
    """(exists as a module, is a package) for a dotted name under ``src_root``."""
    base = src_root.joinpath(*dotted.split("."))
    if (base / "__init__.py").is_file():
        return True, True
    return base.with_suffix(".py").is_file(), False


def package_of(dotted: str, src_root: Path) -> str:
    """The package whose private names ``dotted``'s names are: itself if a package, else its
    parent."""
    _, is_pkg = is_module(dotted, src_root)
    return dotted if is_pkg else dotted.rpartition(".")[0]


STRICT_MODULES = False  # --modules: a private name is private to its module (for counting)


def allowed(importer: str, package: str, owner: str) -> bool:
    if STRICT_MODULES:
        return importer == owner
    return importer == package or importer.startswith(package + ".")


def resolve(node: ast.ImportFrom, importer: str, importer_is_pkg: bool) -> str | None:
    if node.level == 0:
        return node.module
    base = importer.split(".")
    if not importer_is_pkg:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def check_file(path: Path, src_root: Path) -> list[Offence]:
    importer, importer_is_pkg = module_name(path, src_root)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    offences: list[Offence] = []
    aliases: dict[str, str] = {}  # local name -> asbhub module it is bound to

    def offend(line: int, name: str, owner: str) -> None:
        package = package_of(owner, src_root)
        if not allowed(importer, package, owner):
            offences.append(Offence(path, line, importer, name, owner, package))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == PACKAGE and a.asname:
                    aliases[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom):
            owner = resolve(node, importer, importer_is_pkg)
            if not owner or owner.split(".")[0] != PACKAGE:
                continue
            for a in node.names:
                if is_private(a.name):
                    offend(node.lineno, a.name, owner)
                elif is_module(f"{owner}.{a.name}", src_root)[0]:
                    aliases[a.asname or a.name] = f"{owner}.{a.name}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and is_private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            offend(node.lineno, node.attr, aliases[node.value.id])
    return offences


def main(argv: list[str]) -> int:
    global STRICT_MODULES
    if "--modules" in argv:
        STRICT_MODULES = True
        argv = [a for a in argv if a != "--modules"]
    src_root = ROOT
    if "--root" in argv:  # the folder that holds the asbhub package (tests use a copy)
        i = argv.index("--root")
        src_root = Path(argv[i + 1]).resolve()
        argv = argv[:i] + argv[i + 2 :]
    targets = [Path(a) for a in argv] or [src_root / PACKAGE]
    files: list[Path] = []
    for t in targets:
        t = t.resolve()
        if not t.exists():
            print(
                f"check_private_imports: {t} does not exist; give a folder or .py file "
                f"under {src_root}",
                file=sys.stderr,
            )
            return 2
        files.extend(sorted(t.rglob("*.py")) if t.is_dir() else [t])
    offences = [o for f in files if "migrations" not in f.parts for o in check_file(f, src_root)]
    for o in offences:
        print(o)
    if offences:
        print(f"{len(offences)} use(s) of another package's private name in {len(files)} files")
        return 1
    print(f"no use of another package's private name in {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
