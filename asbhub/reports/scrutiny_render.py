"""The scrutiny report as HTML and PDF: one self-contained page (CSS and figures inline),
printed by WeasyPrint.

The same report gives the same bytes: nothing in the page depends on the time it was rendered
or on the process (no random ids, fixed number formats), so a report rebuilt from the same
store with the same parameters and ``generated_at`` is identical.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from asbhub.analysis.tables import month_label
from asbhub.reports.scrutiny_model import ScrutinyReport

__all__ = ["render_html", "write_pdf"]


def _fmt(value: Any, decimals: int = 0, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" + ("%" if percent else "")
    if isinstance(value, float):
        d = 0 if percent and decimals == 0 else decimals
        return f"{value:,.{d}f}" + ("%" if percent else "")
    return str(value)


def render_html(report: ScrutinyReport) -> str:
    """The report as one self-contained HTML page (CSS and charts inline), ready to print.

    Parameters
    ----------
    report : ScrutinyReport

    Returns
    -------
    str
    """
    return _environment().get_template("scrutiny/report.html").render(r=report)


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("asbhub.reports", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    env.filters["month_label"] = month_label
    env.filters["as_json"] = lambda v: json.dumps(v, default=str)
    return env


def write_pdf(html: str, path: Path | str) -> Path:
    """Print the HTML to a PDF with WeasyPrint (A4, page numbers, running header).

    Raises
    ------
    ImportError
        When WeasyPrint is not installed, naming the extra that brings it.
    """
    try:
        from weasyprint import HTML
    except ImportError as exc:  # the PDF is optional: keep the HTML path free of it
        raise ImportError("PDF reports need WeasyPrint: pip install 'asbhub[pdf]' "
                          f"(the 'pdf' extra) ({exc})") from exc
    path = Path(path)
    HTML(string=html).write_pdf(path)
    return path
