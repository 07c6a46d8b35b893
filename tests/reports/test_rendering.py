"""asbhub.reports.rendering: the one Jinja environment and the one html_to_pdf (issue #11)."""

import builtins
import re
from pathlib import Path

import pytest

import asbhub
from asbhub.reports import rendering
from asbhub.reports.rendering import environment, format_cell, html_to_pdf, render_template

PACKAGE = Path(asbhub.__file__).parent


def test_one_environment_with_the_report_filters() -> None:
    env = environment()
    assert environment() is env  # made once per process
    assert env.filters["fmt"] is format_cell
    assert env.from_string("{{ v|as_json }}").render(v={"a": 1}) == "{&#34;a&#34;: 1}"
    assert env.from_string("{{ '2019-12'|month_label }}").render() == "Dec 2019"
    # Report templates autoescape: a value from the store cannot inject markup.
    page = render_template("scrutiny/_macros.html")
    assert page.strip() == ""  # macros only


def test_no_other_module_makes_an_environment_or_prints_a_pdf() -> None:
    makers = re.compile(r"\bEnvironment\(|\.write_pdf\(|import weasyprint|from jinja2 import")
    found = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if makers.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["reports/rendering.py"], found


def test_html_to_pdf_prints_a_pdf() -> None:
    pytest.importorskip("weasyprint")
    pdf = html_to_pdf("<h1>Daily briefing</h1><p>OFFICIAL-SENSITIVE</p>")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def test_html_to_pdf_names_the_extra_and_what(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def no_weasyprint(name: str, *args, **kwargs):
        if name == "weasyprint":
            raise ImportError("No module named 'weasyprint'")
        return real(name, *args, **kwargs)

    # (weasyprint stays in sys.modules: import_weasyprint's retry would drop its submodules)
    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    with pytest.raises(ImportError, match=r"^PDF briefings need WeasyPrint: .*asbhub\[pdf\]"):
        html_to_pdf("<p>x</p>", what="PDF briefings")
    assert rendering.__all__ == [
        "environment",
        "format_cell",
        "html_to_pdf",
        "import_weasyprint",
        "render_template",
    ]
