"""The scrutiny report as HTML and PDF: one self-contained page (CSS and figures inline),
printed by WeasyPrint.

The same report gives the same bytes: nothing in the page depends on the time it was rendered
or on the process (no random ids, fixed number formats), so a report rebuilt from the same
store with the same parameters and ``generated_at`` is identical.

What the PDF costs (``python -m bench report``, one year of a force): importing WeasyPrint
once per process, then laying out and drawing about 600 boxes of text. The import skips the
native library lookup (:func:`asbhub.reports.rendering.import_weasyprint`); in print the tables are laid out with the
column widths the templates give (no measuring of every cell first), and the hot spot map's
outlines carry no detail finer than a pixel as shown. Tried and not kept, for saving too
little or losing content: one font family instead of the fallback list, a raster image
instead of SVG for the figures (it moves the cost into the HTML), PDF options
(``uncompressed_pdf``, ``optimize_images``, ``presentational_hints``, ``full_fonts``: the last
costs more).
"""

from __future__ import annotations

from pathlib import Path

from asbhub.reports.rendering import html_to_pdf, render_template
from asbhub.reports.scrutiny.model import ScrutinyReport

__all__ = ["render_html", "write_pdf"]


def render_html(report: ScrutinyReport) -> str:
    """The report as one self-contained HTML page (CSS and charts inline), ready to print.

    Parameters
    ----------
    report : ScrutinyReport

    Returns
    -------
    str
    """
    return render_template("scrutiny/report.html", r=report)


def write_pdf(html: str, path: Path | str) -> Path:
    """Print the HTML to a PDF with WeasyPrint (A4, page numbers, running header).

    Raises
    ------
    ImportError
        When WeasyPrint is not installed, naming the extra that brings it.
    """
    path = Path(path)
    path.write_bytes(html_to_pdf(html, what="PDF reports"))
    return path
