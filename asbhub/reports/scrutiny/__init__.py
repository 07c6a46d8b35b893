"""The Performance Scrutiny report (seed 003): one package.

- :mod:`~asbhub.reports.scrutiny.build`: :func:`build_scrutiny`, :func:`write_scrutiny` and
  the cover;
- :mod:`~asbhub.reports.scrutiny.sections`: sections from incidents and calls;
- :mod:`~asbhub.reports.scrutiny.cases`: plans, powers, Case Reviews and the case study;
- :mod:`~asbhub.reports.scrutiny.model`: the report's types (``Section``, ``ReportTable``...);
- :mod:`~asbhub.reports.scrutiny.charts`: SVG charts and the hot spot map;
- :mod:`~asbhub.reports.scrutiny.render`: the HTML page and the PDF
  (through :mod:`asbhub.reports.rendering`).
"""

from asbhub.reports.scrutiny.build import (
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
