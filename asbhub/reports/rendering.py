"""The one way asbhub's reports become pages and PDFs: one Jinja environment over
``asbhub/reports/templates`` and one :func:`html_to_pdf` (WeasyPrint, the ``pdf`` extra).

The scrutiny report, the daily briefing and the weekly pack all render here, so a filter or an
escaping rule set once holds for every report, and every PDF is printed by the same quicker
WeasyPrint import (:func:`import_weasyprint`).

>>> environment().from_string("{{ n|fmt }} in {{ m|month_label }}: {{ t }}").render(
...     n=1234, m="2019-02", t="<b>")
'1,234 in Feb 2019: &lt;b&gt;'
>>> format_cell(1234), format_cell(12.5, 1, percent=True), format_cell(None)
('1,234', '12.5%', 'n/a')
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from asbhub.analysis.tables import month_label

__all__ = ["environment", "format_cell", "html_to_pdf", "import_weasyprint", "render_template"]


def format_cell(value: Any, decimals: int = 0, percent: bool = False) -> str:
    """A table cell as the reports and the scrutiny dashboard show it (the ``fmt`` filter)."""
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


@lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja environment of every report: templates from ``asbhub/reports/templates``,
    HTML autoescaped, and the filters ``fmt`` (:func:`format_cell`), ``month_label`` and
    ``as_json``. Made once per process (Jinja caches the compiled templates in it)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("asbhub.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = format_cell
    env.filters["month_label"] = month_label
    env.filters["as_json"] = lambda v: json.dumps(v, default=str)
    return env


def render_template(name: str, **context: Any) -> str:
    """Render the report template ``name`` (e.g. ``"briefing/briefing.html"``)."""
    return str(environment().get_template(name).render(**context))


def html_to_pdf(html: str, *, what: str = "PDF reports") -> bytes:
    """Print an HTML page to PDF bytes with WeasyPrint (imported only here, on first use).

    Raises
    ------
    ImportError
        When WeasyPrint is not installed: the message starts with ``what`` and names the
        extra that brings it (``pip install 'asbhub[pdf]'``).
    """
    try:
        weasyprint = import_weasyprint()
    except ImportError as exc:  # the PDF is optional: keep the HTML path free of it
        raise ImportError(
            f"{what} need WeasyPrint: pip install 'asbhub[pdf]' (the 'pdf' extra) ({exc})"
        ) from exc
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert isinstance(pdf, bytes)  # write_pdf() with no target returns the bytes
    return pdf


def import_weasyprint() -> Any:
    """Import WeasyPrint, on Linux without the dozens of processes its library lookup spawns.

    WeasyPrint asks cffi for each native library (Pango, HarfBuzz, fontconfig, ...) under
    several names, the Windows and macOS ones first; for every name that is not a file cffi
    falls back on :func:`ctypes.util.find_library`, which on Linux runs ``ldconfig -p`` and
    then gcc and ld in subprocesses. That is some twenty lookups, none of which can find
    anything the soname later in WeasyPrint's own list (``libpango-1.0.so.0``) does not, and
    it was the larger part of importing WeasyPrint (``python -m bench report``: about
    0.15 s of CPU in those processes and 0.3 to 1 s of wall clock, out of a PDF costing about
    one ingest). So while WeasyPrint loads, ``find_library`` answers "not found" to this
    thread only, and dlopen finds the sonames itself. Should that import fail, it is tried
    again the ordinary way, so a system where only the lookup finds the libraries still works.

    Returns
    -------
    module
        ``weasyprint``, imported once per process.
    """
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint

        return weasyprint
    try:
        with _no_library_lookup():
            import weasyprint
    except (ImportError, OSError):
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]  # half-imported: import it again from the start
        import weasyprint
    return weasyprint


@contextmanager
def _no_library_lookup() -> Iterator[None]:
    import ctypes.util

    real = ctypes.util.find_library
    me = threading.get_ident()

    def find_library(name: str) -> str | None:
        # Other threads keep the real lookup: the patch is process-wide while it lasts.
        return None if threading.get_ident() == me else real(name)

    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = real
