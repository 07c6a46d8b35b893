"""scripts/move_records.py: its rewrite of imports, and that this tree needs none (issue #11).

The lead re-runs ``--rewrite`` after merging branches written against the old paths, so the
rewrite must turn each form of import into the new one and change nothing the second time.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "move_records.py"


def _script():
    spec = importlib.util.spec_from_file_location("move_records", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


OLD = '''"""See :mod:`asbhub.web.partners.access` and asbhub/web/cases/services.py."""
from asbhub.web.cases import models, forms
from asbhub.web.cases.models import (
    Pmp,
    Power,
)
from asbhub.web import demo, ratelimit
from asbhub.web.api import DEFAULT_DAYS, MAX_DAYS, views
import asbhub.web.people.services as ps
from .models import Pmp as P
from . import services, views as v
from .forms import F


def f():
    from asbhub.web.tasking.demo import seed_demo_incidents
    patch("asbhub.web.cases.services.visible_pmps")
'''

NEW = '''"""See :mod:`asbhub.records.partners.access` and asbhub/records/cases/services.py."""
from asbhub.records.cases import models
from asbhub.web.cases import forms
from asbhub.records.cases.models import (
    Pmp,
    Power,
)
from asbhub.demo import seed as demo
from asbhub.web import ratelimit
from asbhub.records.tokens import DEFAULT_DAYS, MAX_DAYS
from asbhub.web.api import views
import asbhub.records.people.services as ps
from asbhub.records.cases.models import Pmp as P
from asbhub.records.cases import services
from asbhub.web.cases import views as v
from .forms import F


def f():
    from asbhub.demo.tasking import seed_demo_incidents
    patch("asbhub.records.cases.services.visible_pmps")
'''


def test_rewrite_turns_every_form_of_old_import_into_the_new_one() -> None:
    m = _script()
    page = ROOT / "asbhub" / "web" / "cases" / "views.py"
    assert m.rewrite_python(page, OLD) == NEW
    assert m.rewrite_python(page, NEW) == NEW


def test_relative_imports_of_a_moved_module_are_resolved_against_its_old_package() -> None:
    m = _script()
    moved = ROOT / "asbhub" / "records" / "cases" / "services.py"
    text = "from .models import Pmp\nfrom .forms import F\nfrom . import locking, views\n"
    assert m.rewrite_python(moved, text) == (
        "from .models import Pmp\n"
        "from asbhub.web.cases.forms import F\n"
        "from asbhub.records.cases import locking\n"
        "from asbhub.web.cases import views\n"
    )


def test_this_tree_needs_no_rewrite() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--rewrite", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def test_move_again_after_a_merge_moves_a_new_migration_and_fixes_a_new_page(
    tmp_path: Path,
) -> None:
    """A branch written before the move added a migration under the old folder and a page
    module with relative imports; ``--move --rewrite`` puts both right."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "scripts" / "move_records.py").write_text(SCRIPT.read_text())
    files = {
        "asbhub/__init__.py": "",
        "asbhub/records/__init__.py": "",
        "asbhub/records/cases/__init__.py": "",
        "asbhub/records/cases/models.py": "class Pmp:\n    pass\n",
        "asbhub/records/cases/migrations/__init__.py": "",
        "asbhub/web/__init__.py": "",
        "asbhub/web/cases/__init__.py": "",
        "asbhub/web/cases/forms.py": "class PmpForm:\n    pass\n",
        # What the other branch added, against the old layout:
        "asbhub/web/cases/migrations/0004_synthetic.py": "from asbhub.web.cases.models import Pmp\n\nDEPENDS = Pmp\n",
        "asbhub/web/cases/newpage.py": "from .forms import PmpForm\nfrom .models import Pmp\n\nPAIR = (PmpForm, Pmp)\n",
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "x")

    done = subprocess.run(
        [sys.executable, "scripts/move_records.py", "--move", "--rewrite"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    moved = repo / "asbhub/records/cases/migrations/0004_synthetic.py"
    assert moved.read_text() == "from asbhub.records.cases.models import Pmp\n\nDEPENDS = Pmp\n"
    assert not (repo / "asbhub/web/cases/migrations/0004_synthetic.py").exists()
    page = (repo / "asbhub/web/cases/newpage.py").read_text()
    assert "from .forms import PmpForm\n" in page
    assert "from asbhub.records.cases.models import Pmp\n" in page
    # And again: nothing left to do.
    again = subprocess.run(
        [sys.executable, "scripts/move_records.py", "--rewrite", "--check"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (again.returncode, again.stdout) == (0, "")


def test_private_names_made_public_follow_into_a_file_written_before_the_move() -> None:
    m = _script()
    page = ROOT / "asbhub" / "web" / "scrutiny" / "services.py"
    old = (
        "from asbhub.reports.scrutiny import ReportTable, _fmt, build_scrutiny\n"
        "from asbhub.web.cases import services\n\n"
        "ROWS = [_fmt(1), services._domain_rule(None)]\n"
        "_fmt_other = 1\n"
    )
    assert m.rewrite_python(page, old) == (
        "from asbhub.reports.scrutiny import ReportTable, build_scrutiny\n"
        "from asbhub.reports.scrutiny_render import format_cell\n"
        "from asbhub.records.cases import services\n\n"
        "ROWS = [format_cell(1), services.domain_rule(None)]\n"
        "_fmt_other = 1\n"
    )
