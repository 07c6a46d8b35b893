"""The scrutiny report as HTML and PDF: one self-contained page (CSS and figures inline),
printed by WeasyPrint.

The same report gives the same bytes: nothing in the page depends on the time it was rendered
or on the process (no random ids, fixed number formats), so a report rebuilt from the same
store with the same parameters and ``generated_at`` is identical.

What the PDF costs (``python -m bench report``, one year of a force): importing WeasyPrint
once per process, then laying out and drawing about 600 boxes of text. The import skips the
native library lookup (:func:`import_weasyprint`); in print the tables are laid out with the
column widths the templates give (no measuring of every cell first), and the hot spot map's
outlines carry no detail finer than a pixel as shown. Tried and not kept, for saving too
little or losing content: one font family instead of the fallback list, a raster image
instead of SVG for the figures (it moves the cost into the HTML), PDF options
(``uncompressed_pdf``, ``optimize_images``, ``presentational_hints``, ``full_fonts``: the last
costs more).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from asbhub.analysis.tables import month_label
from asbhub.reports.scrutiny_model import ScrutinyReport

__all__ = ["format_cell", "import_weasyprint", "render_html", "write_pdf"]


def format_cell(value: Any, decimals: int = 0, percent: bool = False) -> str:
    """A table cell as the report and the scrutiny dashboard both show it."""
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


def write_pdf(html: str, path: Path | str) -> Path:
    """Print the HTML to a PDF with WeasyPrint (A4, page numbers, running header).

    Raises
    ------
    ImportError
        When WeasyPrint is not installed, naming the extra that brings it.
    """
    try:
        weasyprint = import_weasyprint()
    except ImportError as exc:  # the PDF is optional: keep the HTML path free of it
        raise ImportError(
            f"PDF reports need WeasyPrint: pip install 'asbhub[pdf]' (the 'pdf' extra) ({exc})"
        ) from exc
    path = Path(path)
    weasyprint.HTML(string=html).write_pdf(path)
    return path


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
