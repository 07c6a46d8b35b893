"""The scrutiny report's shape: tables, charts, sections and the report, and the context
every section is built in. Data only: building is in :mod:`asbhub.reports.scrutiny`, the
sections in :mod:`asbhub.reports.scrutiny.sections` and :mod:`asbhub.reports.scrutiny.cases`,
the HTML and PDF in :mod:`asbhub.reports.scrutiny.render`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asbhub.analysis import InterventionCounts
from asbhub.analysis.tables import month_label
from asbhub.domain.months import month_range_label, months_between, shift_month
from asbhub.geo import AreaHierarchy
from asbhub.store.db import Store

POLICE_UK = "data.police.uk street-level files (Open Government Licence v3.0)"
#: Neighbourhood crime types shown in the crime table (seed 003 sections 6 and 7).
NEIGHBOURHOOD_CRIME = (
    "Burglary",
    "Robbery",
    "Theft from the person",
    "Vehicle crime",
    "Bicycle theft",
    "Shoplifting",
    "Other theft",
    "Drugs",
    "Criminal damage and arson",
)


# --------------------------------------------------------------------------------------------
# The report's shape
# --------------------------------------------------------------------------------------------


@dataclass
class ReportTable:
    """One table: a caption, column headings and rows of raw values.

    Cells hold ints, floats (shown to ``decimals``), strings, or None (shown as "n/a").
    """

    id: str
    caption: str
    columns: list[str]
    rows: list[list[Any]]
    decimals: int = 0
    percent_columns: tuple[int, ...] = ()

    def cell(self, row: str, column: str) -> Any:
        """The value in the row whose first cell is ``row``, under heading ``column``."""
        j = self.columns.index(column)
        for r in self.rows:
            if r[0] == row:
                return r[j]
        raise KeyError(f"no row {row!r} in table {self.id}")


@dataclass
class Chart:
    """A chart as inline SVG or as a PNG ``data:`` URI, with the text a screen reader reads."""

    title: str
    alt: str
    svg: str | None = None
    png_uri: str | None = None
    #: The key, for charts whose colours carry meaning: ``(colour, label)`` pairs, shown as
    #: text beside the chart (never colour alone).
    legend: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Section:
    """One section: its title, where its figures come from, and the figures (or why none)."""

    id: str
    title: str
    seed_ref: str
    source: str
    period: str
    parameters: dict[str, Any]
    tables: list[ReportTable] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    no_data: str | None = None
    #: The force and kinds of data the figures count (issue #12: named in every section).
    scope: str = ""

    def table(self, table_id: str) -> ReportTable:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(f"no table {table_id!r} in section {self.id}")


@dataclass(frozen=True)
class CaseStudy:
    """A PMP (or operation) to evaluate in the report's case-study section.

    Parameters
    ----------
    title : str
        E.g. ``"Op Dexter, Bolsover town centre"``.
    counts : InterventionCounts
        Before and after counts in the response, buffer and control areas (from
        :func:`asbhub.analysis.intervention_counts` or written out).
    description : str
        What was done, in a sentence or two.
    before_period, after_period : str
        The periods the counts cover, in words.
    areas : str
        How the response, buffer and control areas were drawn.
    source : str
        Where the counts come from.
    pmp_reference : str, optional
        The PMP's reference in the case system.
    parameters : dict, optional
        How the counts were made (areas, windows, crime types), stamped on the section.
    monthly : list of list, optional
        Rows ``[month label, response, buffer, control]`` of counts by month.
    """

    title: str
    counts: InterventionCounts
    description: str = ""
    before_period: str = ""
    after_period: str = ""
    areas: str = ""
    source: str = "counts supplied to the report"
    pmp_reference: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    monthly: list[list[Any]] = field(default_factory=list)


@dataclass
class ScrutinyReport:
    """Everything the scrutiny report shows, assembled by :func:`build_scrutiny`.

    Attributes
    ----------
    period : str
        The report's month, ``YYYY-MM``: the last month of every "latest 12 months".
    area : str or None
        The LPU the report is limited to (None: the whole force).
    force : str
        The force the report is about.
    generated_at : str
        ISO 8601, UTC.
    version : str
        asbhub's version.
    parameters : dict
        Every parameter, as given or as chosen.
    data_version : dict
        ``incident_sources`` and ``call_sources`` (rows and SHA-256 of each loaded unit) and
        ``digest``, the SHA-256 of both lists.
    report_id : str
        First 12 hex digits of the SHA-256 of the data version and parameters: two reports
        with the same id were built from the same data with the same settings.
    sections : list of Section
    command : str
        The command line that rebuilds the report from the same store.
    audit_head : dict or None
        The audit log's head when the report was built (``entries``, ``hash``, ``last_at``,
        ``read_at``), printed in an annex so that it is published off-system: an anchor for
        ``asbhub audit verify`` (docs/sharing.md). None when the log could not be read.
    """

    period: str
    area: str | None
    force: str
    generated_at: str
    version: str
    parameters: dict[str, Any]
    data_version: dict[str, Any]
    report_id: str
    sections: list[Section]
    command: str = "asbhub report scrutiny"
    audit_head: dict[str, Any] | None = None

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(f"no section {section_id!r}")

    @property
    def title(self) -> str:
        where = f"{self.area} LPU, {self.force}" if self.area else self.force
        return f"Neighbourhood crime and anti-social behaviour: {where}, {month_label(self.period)}"


# --------------------------------------------------------------------------------------------
# Months and the context of a build
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What every section is built from: the store, the month, the area and what is loaded.

    ``covered`` lists the months holding the home force's records (in the area); ``command``
    is the command line that rebuilds the report, stamped on maps.
    """

    store: Store
    period: str
    lpu: str | None
    force: str
    covered: list[str]
    areas: AreaHierarchy
    generated_at: datetime
    command: str = "asbhub report scrutiny"

    @property
    def where(self) -> str:
        return f"{self.lpu} LPU ({self.force})" if self.lpu else self.force

    def latest(self, months: int = 12) -> tuple[str, str]:
        return shift_month(self.period, -months + 1), self.period

    def coverage_note(self, first: str, last: str) -> str | None:
        want = months_between(first, last)
        have = [m for m in want if m in self.covered]
        if len(have) == len(want):
            return None
        return (
            f"{month_range_label(first, last, short=True)}: data loaded for {len(have)} of {len(want)} "
            f"months ({', '.join(month_label(m) for m in have) or 'none'}); counts cover "
            "only those months"
        )
