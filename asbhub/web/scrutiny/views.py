"""Public questions (ask, read the answers), the question queue, and the Commissioner's
dashboard.

Thin: check who is asking, call :mod:`~asbhub.web.scrutiny.services` or a
:class:`~asbhub.records.scrutiny.models.Question` move, render.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from asbhub.records.partners.access import can_open, profile_of, record_access, requires_action
from asbhub.records.partners.models import AgencyKind, AuditAction, UserProfile
from asbhub.records.scrutiny.models import IllegalTransition, Question, Status
from asbhub.web.csvsafe import safe_writer
from asbhub.web.limits import heavy
from asbhub.web.ratelimit import limit_posts
from asbhub.web.scrutiny import services
from asbhub.web.scrutiny.forms import (
    AnswerForm,
    AskQuestionForm,
    AssignForm,
    DashboardForm,
    PublishForm,
)


def _role_in(request: HttpRequest, roles: frozenset[str], what: str) -> UserProfile:
    profile = profile_of(request.user)
    if profile is None or profile.role not in roles:
        raise PermissionDenied(f"Only the Commissioner's office and {what} can see this page.")
    return profile


def _queue_worker(request: HttpRequest) -> UserProfile:
    """The question queue holds askers' names and emails: only the Commissioner's office
    (its viewers and its administrators) works it, not other agencies' administrators."""
    profile = _role_in(request, services.QUEUE_ROLES, "its administrators")
    if profile.agency is None or profile.agency.kind != AgencyKind.COMMISSIONER:
        raise PermissionDenied(
            "Only the Commissioner's office works the question queue: "
            "the askers' details are theirs to hold."
        )
    return profile


# -- public pages -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@limit_posts("public_form", "questions")  # issue #10: floods
def ask_question(request: HttpRequest) -> HttpResponse:
    """The public form: a question for the next Performance Scrutiny Meeting."""
    meeting = services.next_meeting()
    form = AskQuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        question = form.save(commit=False)
        question.meeting = meeting
        question.save()
        return redirect("scrutiny:ask-thanks")
    return render(request, "scrutiny/ask.html", {"form": form, "meeting": meeting})


def ask_thanks(request: HttpRequest) -> HttpResponse:
    """Confirmation after a question is sent (no details repeated back)."""
    return render(request, "scrutiny/ask_thanks.html", {"meeting": services.next_meeting()})


def published_questions(request: HttpRequest) -> HttpResponse:
    """Past meetings' published questions and approved answers, grouped by theme."""
    return render(
        request,
        "scrutiny/questions.html",
        {
            "meetings": services.published_by_meeting(),
            "next_meeting": services.next_meeting(),
        },
    )


# -- the question queue -----------------------------------------------------------------------


@login_required
def question_queue(request: HttpRequest) -> HttpResponse:
    """Questions by status. No asker's details here: they are on the audited question page."""
    _queue_worker(request)
    status = request.GET.get("status") or None
    counts = services.queue_counts()
    return render(
        request,
        "scrutiny/queue.html",
        {
            "questions": services.queue(status),
            "status": status,
            "statuses": [(code, label, counts[code]) for code, label in Status.choices],
        },
    )


#: The steps the question page offers: form class (None: no fields) and target status.
STEPS = {
    "assign": (AssignForm, Status.ASSIGNED),
    "answer": (AnswerForm, Status.ANSWERED),
    "send_back": (None, Status.ASSIGNED),
    "approve": (None, Status.APPROVED),
    "withdraw": (None, Status.ANSWERED),
    "publish": (PublishForm, Status.PUBLISHED),
}


@login_required
@requires_action("question.moderate")
@require_http_methods(["GET", "POST"])
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One question with the asker's details (every view audited) and the next steps."""
    _queue_worker(request)
    question = get_object_or_404(Question, pk=pk)
    error = ""
    if request.method == "POST":
        step = request.POST.get("step", "")
        if step not in STEPS:
            raise Http404(f"no step {step!r}; use one of {', '.join(STEPS)}")
        form_class, target = STEPS[step]
        form = form_class(request.POST) if form_class else None
        if form is not None and not form.is_valid():
            error = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        else:
            changes = dict(form.cleaned_data) if form is not None else {}
            try:
                question.move_to(target, user=request.user, **changes)
            except IllegalTransition as exc:
                error = str(exc)
            else:
                record_access(
                    request.user,
                    AuditAction.CHANGE,
                    question,
                    purpose=services.QUESTION_PURPOSE,
                    request=request,
                    detail={"step": step, "status": question.status},
                )
                messages.success(
                    request, f"Question {question.pk}: {question.get_status_display().lower()}."
                )
                return redirect("scrutiny:question", pk=question.pk)
        question.refresh_from_db()
    # The page shows the asker's name and email: log the view before rendering them.
    record_access(
        request.user,
        AuditAction.VIEW,
        question,
        purpose=services.QUESTION_PURPOSE,
        request=request,
        detail={"fields": ["asker_name", "email"]},
    )
    return render(
        request,
        "scrutiny/question.html",
        {
            "q": question,
            "error": error,
            "assign_form": AssignForm(
                initial={
                    "assigned_user": question.assigned_user,
                    "assigned_agency": question.assigned_agency,
                }
            ),
            "answer_form": AnswerForm(
                initial={
                    "answer": question.answer,
                    "answered_by": question.answered_by or "Constabulary",
                }
            ),
            "publish_form": PublishForm(initial={"meeting": question.meeting}),
            "allowed": services.allowed_steps(question.status),
        },
        status=400 if error else 200,
    )


# -- the dashboard ----------------------------------------------------------------------------


@login_required
@heavy
def dashboard(request: HttpRequest) -> HttpResponse:
    """The scrutiny report's figures for a month and LPU; ``?format=csv&table=NAME`` downloads
    one table."""
    # The same check the navigation asks (access.PAGE_CHECKS: DASHBOARD_ROLES).
    if not can_open(request.user, "scrutiny:dashboard"):
        raise PermissionDenied(
            "Only the Commissioner's office and supervisors and administrators can see this page."
        )
    months, lpus, force_name = services.dashboard_choices()
    if not months:
        return render(request, "scrutiny/dashboard.html", {"form": None})
    data = {"period": services.default_period(months), "area": ""} | {
        k: v for k, v in request.GET.items() if k in ("period", "area")
    }
    form = DashboardForm(data, months=months, lpus=lpus, force_name=force_name)
    if not form.is_valid():
        return render(request, "scrutiny/dashboard.html", {"form": form}, status=400)
    report = services.dashboard_report(
        form.cleaned_data["period"], form.cleaned_data["area"] or None
    )
    fmt = request.GET.get("format", "html")
    if fmt == "csv":
        return _csv_download(report, request.GET.get("table", ""))
    if fmt != "html":
        raise Http404(f"no format {fmt!r}; use html or csv")
    sections = [
        {
            "s": s,
            "parameters": services.parameter_text(s.parameters),
            "tables": [{"t": t, "rows": services.display_rows(t)} for t in s.tables],
        }
        for s in report.sections
    ]
    return render(
        request,
        "scrutiny/dashboard.html",
        {
            "form": form,
            "report": report,
            "sections": sections,
            "parameters": services.parameter_text(report.parameters),
            "query": urlencode({"period": report.period, "area": form.cleaned_data["area"]}),
        },
    )


def _csv_download(report: services.ScrutinyReport, table_id: str) -> HttpResponse:
    found = services.find_table(report, table_id)
    if found is None:
        raise Http404(f"no table {table_id!r}; use one of {', '.join(services.table_ids(report))}")
    _, table = found
    area = f"-{report.area.lower().replace(' ', '-')}" if report.area else ""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="asbhub-scrutiny-{report.period}{area}-{table.id}.csv"'
    )
    safe_writer(response).writerows(services.csv_rows(table))
    return response
