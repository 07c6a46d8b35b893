"""`make lint`'s mypy settings do what docs/development.md says (issue #11 item 5).

The options are read by mypy itself from the real pyproject.toml (no type-check is run), and
the packages checked are read from the real Makefile (``make -n lint``).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from mypy.main import process_options
from mypy.options import Options

ROOT = Path(__file__).resolve().parents[1]
PURE = ["asbhub.domain.risk", "asbhub.geo.areas", "asbhub.analysis.stats", "asbhub.linkage.model"]
PURE += ["asbhub.ingest.police_uk"]
DJANGO_SIDE = ["asbhub.web.urls", "asbhub.records.cases.models", "asbhub.cli", "asbhub.synth.calls"]
DJANGO_SIDE += ["asbhub.outputs.csvsafe", "asbhub.demo.seed", "asbhub.analysis_inputs"]


def _options(tmp_path: Path, *args: str, config: Path | None = None) -> Options:
    if config is None:
        config = tmp_path / "empty.ini"
        config.write_text("[mypy]\n", encoding="utf-8")
    _, options = process_options(["--config-file", str(config), *args, "-c", "pass"])
    return options


def _strict_flags(tmp_path: Path) -> dict[str, object]:
    """Every option --strict sets, with the value it sets, as mypy itself defines them."""
    strict, plain = _options(tmp_path, "--strict"), _options(tmp_path)
    names = [n for n in dir(strict) if not n.startswith("_") and not callable(getattr(strict, n))]
    flags = {n: getattr(strict, n) for n in names if getattr(strict, n) != getattr(plain, n)}
    assert "disallow_untyped_defs" in flags and "warn_return_any" in flags
    return flags


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Options:
    tmp = tmp_path_factory.mktemp("mypy")
    return _options(tmp, config=ROOT / "pyproject.toml")


@pytest.mark.parametrize("module", PURE)
def test_pure_packages_get_every_strict_flag(project: Options, module: str, tmp_path: Path) -> None:
    got = project.clone_for_module(module)
    wrong = {n: getattr(got, n) for n, v in _strict_flags(tmp_path).items() if getattr(got, n) != v}
    assert wrong == {}, f"{module} is not checked strictly: these differ from --strict: {wrong}"


@pytest.mark.parametrize("module", DJANGO_SIDE)
def test_django_side_is_checked_but_not_strict(project: Options, module: str) -> None:
    # `strict = true` in an override section once made every module strict (mypy 1.19).
    got = project.clone_for_module(module)
    assert got.check_untyped_defs and got.warn_unused_ignores and got.strict_equality
    assert not got.disallow_untyped_defs and not got.disallow_any_generics
    assert not got.warn_return_any
    assert "mypy_django_plugin.main" in project.plugins


def test_make_lint_type_checks_every_module_or_names_it_unchecked() -> None:
    dry = subprocess.run(
        ["make", "-n", "lint"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    runs = [line for line in dry.splitlines() if "bin/mypy " in line]
    assert len(runs) == 2, dry
    checked = [set(re.findall(r"-[pm] (asbhub\.\w+)", run)) for run in runs]
    named = re.search(r"not yet type-checked by make lint: ([^)]*)", dry)
    unchecked = set(named[1].split()) if named else set()
    assert unchecked == set()  # issue #11: reports and store joined the Django-side run
    assert checked[0] == {f"asbhub.{p}" for p in ("domain", "geo", "analysis", "linkage", "ingest")}
    assert not checked[0] & checked[1] and not (checked[0] | checked[1]) & unchecked
    top = {
        f"asbhub.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "asbhub").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert top - checked[0] - checked[1] - unchecked == set()
