"""Reports built from the store: the Performance Scrutiny report (HTML and PDF).

- :func:`build_scrutiny`: assemble the report's figures from the store and the analyses.
- :func:`render_html`: the report as one self-contained HTML page.
- :func:`write_pdf`: print that page to PDF (WeasyPrint, the ``pdf`` extra).
- :func:`write_scrutiny`: both files into a folder, as ``asbhub report scrutiny`` does.
"""

from .scrutiny import (
    CaseStudy,
    Chart,
    PmpCaseStudy,
    ReportTable,
    ScrutinyReport,
    Section,
    build_scrutiny,
    render_html,
    write_pdf,
    write_scrutiny,
)

__all__ = [
    "CaseStudy",
    "Chart",
    "PmpCaseStudy",
    "ReportTable",
    "ScrutinyReport",
    "Section",
    "build_scrutiny",
    "render_html",
    "write_pdf",
    "write_scrutiny",
]
