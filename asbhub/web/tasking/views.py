"""The daily briefing page (and its PDF) and the weekly LPU ASB data pack page.

Thin: check who is asking, parse the form, call :mod:`~asbhub.web.tasking.services` or the
report builders, render. Each view or download of the briefing is audited with its purpose.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from asbhub.domain.dates import day_problem, long_date, planning_range
from asbhub.records.partners.access import PURPOSES, can_open, incident_summaries, record_access
from asbhub.records.partners.models import AuditAction
from asbhub.reports.briefing import (
    SECTIONS,
    briefing_pdf_bytes,
    previous_working_day,
    render_briefing_body,
    render_briefing_html,
)
from asbhub.reports.weekly import render_weekly_body, weekly_csv_rows, weekly_map_png
from asbhub.web.csvsafe import safe_writer
from asbhub.web.limits import heavy
from asbhub.web.tasking import services


def _check(request: HttpRequest) -> None:
    # The same check the navigation asks for the briefing and weekly pack (access.PAGE_CHECKS).
    if not can_open(request.user, "tasking:briefing"):
        raise PermissionDenied(
            "Your account is not linked to an active agency, so it cannot "
            "see the tasking pages. Ask your administrator to link it."
        )


def _check_incidents(request: HttpRequest) -> None:
    """The weekly pack is incident-level data: only for users who may see the incidents'
    summaries (the ``incident_summary`` category, as the API's incident list)."""
    decision = incident_summaries(request.user)
    if not decision.allowed:
        raise PermissionDenied(
            f"{decision.reason} The weekly pack counts and maps incidents, "
            "so it needs incident summaries."
        )


def _date(
    request: HttpRequest,
    name: str,
    label: str,
    default: dt.date | None,
    errors: list[tuple[str, str]],
) -> dt.date | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors.append(
            (
                name,
                f"{label} must be a date written as YYYY-MM-DD, for example "
                f"{timezone.localdate():%Y-%m-%d}; you gave ‘{raw[:20]}’",
            )
        )
        return default
    # The one date rule (asbhub.domain.dates): year 1 or 9999 would overflow the arithmetic.
    first, last = planning_range(timezone.localdate())
    if day_problem(day, first, last):
        errors.append(
            (
                name,
                f"{label} must be from {long_date(first)} to {long_date(last)}; "
                f"you gave {day.isoformat()}",
            )
        )
        return default
    return day


@login_required
@heavy(when=lambda request: request.GET.get("purpose", "") in PURPOSES)
def briefing_page(request: HttpRequest) -> HttpResponse:
    """The briefing for a chosen date (default today) since the last one (default the previous
    working day), after the user says why they need it; ``format=pdf`` downloads it."""
    _check(request)
    today = timezone.localdate()
    errors: list[tuple[str, str]] = []
    day = _date(request, "date", "The briefing date", today, errors) or today
    since = _date(request, "since", "The first day covered", None, errors)
    if since is not None and since >= day:
        errors.append(
            (
                "since",
                "The first day covered must be before the briefing date; "
                "leave it empty for the previous working day",
            )
        )
        since = None
    since = since or previous_working_day(day)
    purpose_code = request.GET.get("purpose", "")
    asked = "purpose" in request.GET
    if asked and purpose_code not in PURPOSES:
        errors.append(("purpose", "Choose why you need the briefing"))
    if errors or purpose_code not in PURPOSES:
        field_errors = dict(errors)
        values = {
            name: (request.GET.get(name, "") if name in field_errors else value.isoformat())
            for name, value in (("date", day), ("since", since))
        }
        return render(
            request,
            "tasking/briefing_form.html",
            {
                "errors": errors,
                "field_errors": field_errors,
                "values": values,
                "purposes": PURPOSES,
                "purpose_code": purpose_code,
            },
            status=400 if errors else 200,
        )
    fmt = "pdf" if request.GET.get("format") == "pdf" else "html"
    # One section's full list on its own page (the "and N more" links), else the cut briefing.
    section = request.GET.get("section", "") or None
    if section is not None and section not in SECTIONS and section not in RISK_SECTIONS:
        return HttpResponse(
            f"Unknown briefing section ‘{section[:40]}’: expected one of "
            f"{', '.join([*SECTIONS, *RISK_SECTIONS])}, or none for the whole "
            f"briefing.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    view = services.briefing_for(request.user, day, since)
    record_access(
        request.user,
        AuditAction.EXPORT if fmt == "pdf" else AuditAction.VIEW,
        ("tasking.briefing", day.isoformat()),
        purpose=PURPOSES[purpose_code],
        request=request,
        detail=view.audit_detail(fmt),
    )
    if fmt == "pdf":
        pdf = briefing_pdf_bytes(render_briefing_html(view.briefing))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="briefing-{day}.pdf"'
        return response
    query = {"date": day.isoformat(), "since": since.isoformat(), "purpose": purpose_code}

    def more_href(sid: str) -> str:
        return f"{reverse('tasking:briefing')}?{urlencode({**query, 'section': sid})}"

    # The risk app's sections, cut like the others (issue #12); one in full on its own page.
    risk = []
    for sid, item in zip(RISK_SECTIONS, view.risk, strict=False):
        if section in (None, sid):
            keep = None if section or view.briefing.limit is None else view.briefing.limit
            risk.append(
                {
                    "section": item,
                    "rows": item.rows[:keep],
                    "n_more": len(item.rows) - len(item.rows[:keep]),
                    "href": more_href(sid),
                }
            )
    body = (
        ""
        if section in RISK_SECTIONS
        else render_briefing_body(view.briefing, only=section, more_href=more_href)
    )
    title = SECTIONS.get(section or "") or (
        view.risk[list(RISK_SECTIONS).index(section)].title
        if section in RISK_SECTIONS and len(view.risk) > list(RISK_SECTIONS).index(section)
        else None
    )
    return render(
        request,
        "tasking/briefing.html",
        {
            "b": view.briefing,
            "body": mark_safe(body),  # noqa: S308 - Jinja autoescaped
            "section": title,
            "whole_href": f"{reverse('tasking:briefing')}?{urlencode(query)}",
            "purpose": PURPOSES[purpose_code],
            "risk": risk,
            "query": query,
            "n_withheld": len(view.people_withheld),
        },
    )


#: The risk app's sections of the page (services.risk_sections, in its order), by id.
RISK_SECTIONS = ("risk-due", "risk-high")


def _weekly_form(request: HttpRequest) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    from asbhub.geo import area_hierarchy

    lpus = area_hierarchy().lpus
    errors: list[tuple[str, str]] = []
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    week_ending = (
        _date(request, "week_ending", "The last day of the week", yesterday, errors) or yesterday
    )
    lpu = request.GET.get("lpu", "")
    if lpu and lpu not in lpus:
        errors.append(("lpu", f"Choose an LPU from the list; ‘{lpu[:40]}’ is not one"))
        lpu = ""
    return {
        "lpus": lpus,
        "lpu": lpu,
        "week_ending": week_ending,
        "roc": request.GET.get("roc") == "1",
    }, errors


def _pack(form: dict[str, Any]) -> Any:
    from asbhub.reports.weekly import build_weekly

    types = ("asb", "roc") if form["roc"] else ("asb",)
    return build_weekly(services.web_store(), form["lpu"], form["week_ending"], record_types=types)


@login_required
@heavy(when=lambda request: bool(request.GET.get("lpu")))
def weekly_page(request: HttpRequest) -> HttpResponse:
    """The weekly ASB data pack for an LPU (counts and points only: no personal data)."""
    _check(request)
    _check_incidents(request)

    form, errors = _weekly_form(request)
    context: dict[str, Any] = {"form": form, "errors": errors, "body": ""}
    if form["lpu"] and not errors:
        pack = _pack(form)
        query = urlencode(
            {
                "lpu": form["lpu"],
                "week_ending": form["week_ending"].isoformat(),
                "roc": "1" if form["roc"] else "",
            }
        )
        src = f"{reverse('tasking:weekly-map')}?{query}"
        context.update(pack=pack, query=query, body=mark_safe(render_weekly_body(pack, src)))  # noqa: S308 - Jinja autoescaped
    return render(request, "tasking/weekly.html", context, status=400 if errors else 200)


@login_required
@heavy
def weekly_map(request: HttpRequest) -> HttpResponse:
    """The weekly pack's map as PNG."""
    _check(request)
    _check_incidents(request)
    form, errors = _weekly_form(request)
    if errors or not form["lpu"]:
        return HttpResponse(
            "Give an LPU (lpu=) and a week ending (week_ending=YYYY-MM-DD).",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(weekly_map_png(_pack(form)), content_type="image/png")


@login_required
@heavy
def weekly_csv(request: HttpRequest) -> HttpResponse:
    """The weekly pack's tables as CSV."""
    _check(request)
    _check_incidents(request)
    form, errors = _weekly_form(request)
    if errors or not form["lpu"]:
        return HttpResponse(
            "Give an LPU (lpu=) and a week ending (week_ending=YYYY-MM-DD).",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    pack = _pack(form)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"weekly-{form['lpu'].lower().replace(' ', '-')}-{form['week_ending']}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    safe_writer(response).writerows(weekly_csv_rows(pack))
    return response
