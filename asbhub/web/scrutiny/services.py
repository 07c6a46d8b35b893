"""Queries and the dashboard's figures for the scrutiny pages; the views stay thin.

The dashboard shows the scrutiny report itself: :func:`dashboard_report` calls
:func:`asbhub.reports.build_scrutiny` on the web app's store, so the page, its CSV downloads
and the printed report can never disagree. Reports are cached per store version, month and LPU.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from asbhub.records.incidents import selectors as incident_services
from asbhub.records.partners.access import action_roles
from asbhub.records.partners.models import Role
from asbhub.records.scrutiny.models import Meeting, Question, Status, Theme
from asbhub.reports.rendering import format_cell
from asbhub.reports.scrutiny import ReportTable, ScrutinyReport, build_scrutiny
from asbhub.store import query
from asbhub.store.db import Store
from asbhub.store.scope import default_scope, latest_complete, scope_months
from asbhub.web.versioned import per_store_version

#: Who works the question queue: the Commissioner's office, and administrators.
QUEUE_ROLES = action_roles("question.moderate")
#: Who reads the dashboard.
DASHBOARD_ROLES = frozenset({Role.COMMISSIONER_VIEWER, Role.SUPERVISOR, Role.ADMINISTRATOR})
#: Why a member of the Commissioner's office opens an asker's details (the audit log's purpose).
QUESTION_PURPOSE = "Answering a public question to the Performance Scrutiny Meeting"
STORE_NAME = "the asbhub web app's database"


# -- questions --------------------------------------------------------------------------------


def next_meeting() -> Meeting | None:
    """The next meeting on or after today, or None when none is set."""
    return Meeting.objects.upcoming().first()


@dataclass
class PublishedMeeting:
    """One past meeting and its published questions, grouped by theme in vocabulary order."""

    meeting: Meeting
    themes: list[tuple[str, list[Question]]]


def published_by_meeting() -> list[PublishedMeeting]:
    """Published questions of past meetings, latest meeting first, grouped by theme as the
    PCC's office grouped them in seed 002."""
    out = []
    labels = dict(Theme.choices)
    for meeting in Meeting.objects.past_with_answers():
        groups: OrderedDict[str, list[Question]] = OrderedDict((t, []) for t in Theme.values)
        for q in Question.objects.published().filter(meeting=meeting).order_by("received_at"):
            groups[q.theme].append(q)
        out.append(
            PublishedMeeting(meeting, [(str(labels[t]), qs) for t, qs in groups.items() if qs])
        )
    return out


def queue(status: str | None = None) -> QuerySet[Question]:
    """The question queue, oldest first; optionally one status only."""
    qs = Question.objects.select_related("meeting", "assigned_agency", "assigned_user")
    return qs.filter(status=status) if status in Status.values else qs


#: The steps the question page offers at each status (each a move :func:`check_transition`
#: allows from it); the page shows only these.
STEPS_AT: dict[str, tuple[str, ...]] = {
    Status.RECEIVED: ("assign",),
    Status.ASSIGNED: ("assign", "answer"),
    Status.ANSWERED: ("answer", "approve", "send_back"),
    Status.APPROVED: ("publish", "withdraw"),
    Status.PUBLISHED: (),
}


def allowed_steps(status: str) -> tuple[str, ...]:
    """The steps offered for a question at ``status``."""
    return STEPS_AT.get(status, ())


def queue_counts() -> dict[str, int]:
    """How many questions are at each status."""
    counts = dict.fromkeys(Status.values, 0)
    for row in Question.objects.values_list("status", flat=True):
        counts[row] = counts.get(row, 0) + 1
    return counts


# -- the dashboard ----------------------------------------------------------------------------


def _store() -> Store:
    return Store(url=STORE_NAME, alias=incident_services.DB_ALIAS)


def dashboard_choices() -> tuple[list[str], list[str], str]:
    """The months of the force's data (oldest first), the LPUs of the force and the force's
    name: the scope of :func:`asbhub.store.scope.default_scope`, never the force with the
    most rows in a period (issue #12)."""
    areas = incident_services.area_hierarchy()
    scope = default_scope(_store())
    months = scope_months(_store(), scope) or query.store_months(_store())
    return months, areas.lpus, scope.force or areas.force_name


def default_period(months: list[str]) -> str:
    """The latest complete month of the force's data (not the calendar month, not the
    synthetic tail); the latest month offered when none is complete."""
    from django.utils import timezone

    return latest_complete(months, timezone.localdate()) or months[-1]


@per_store_version(maxsize=16)
def _cached_report(version: tuple[int, str], period: str, area: str | None) -> ScrutinyReport:
    return build_scrutiny(_store(), period, area)


def dashboard_report(period: str, area: str | None = None) -> ScrutinyReport:
    """The scrutiny report for ``period`` (``YYYY-MM``) and LPU ``area`` (None: the force),
    exactly as :func:`asbhub.reports.build_scrutiny` builds it from the web app's store."""
    return _cached_report(query.store_version(_store()), period, area or None)


def find_table(report: ScrutinyReport, table_id: str) -> tuple[Any, ReportTable] | None:
    """The section and table whose id is ``table_id``, or None."""
    for section in report.sections:
        for table in section.tables:
            if table.id == table_id:
                return section, table
    return None


def table_ids(report: ScrutinyReport) -> list[str]:
    """The ids of every table in the report, in order."""
    return [t.id for s in report.sections for t in s.tables]


def display_rows(table: ReportTable) -> list[list[str]]:
    """The table's cells as the printed report shows them (thousands separators, n/a, %)."""
    return [
        [
            format_cell(v) if j == 0 else format_cell(v, table.decimals, j in table.percent_columns)
            for j, v in enumerate(row)
        ]
        for row in table.rows
    ]


def csv_rows(table: ReportTable) -> list[list[Any]]:
    """The table as CSV rows: the headings, then the raw values (blank for n/a), so a
    spreadsheet gets numbers, not formatted text."""
    header = [c or "Category" for c in table.columns]
    return [header, *[["" if v is None else v for v in row] for row in table.rows]]


def parameter_text(parameters: dict[str, Any]) -> list[tuple[str, str]]:
    """Parameters as the printed report shows them: name and JSON value."""
    return [(k, json.dumps(v, default=str)) for k, v in parameters.items()]
