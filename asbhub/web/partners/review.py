"""Queries for supervisors reviewing the audit log: filters and who sees which entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from asbhub.records.partners.models import AuditAction, AuditEntry, Role, UserProfile
from asbhub.web.dates import planning_date


class AuditFilterForm(forms.Form):
    """Filters for the audit log page; every field optional."""

    username = forms.CharField(required=False, max_length=150, label="Username")
    action = forms.ChoiceField(
        required=False, label="Action", choices=[("", "Any action"), *AuditAction.choices]
    )
    object_id = forms.CharField(required=False, max_length=64, label="Record number")
    date_from = forms.DateField(
        validators=[planning_date],
        required=False,
        label="From (date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        validators=[planning_date],
        required=False,
        label="To (date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date must be the same as or after the start date.")
        return data


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def entries_for(profile: UserProfile, form: AuditFilterForm) -> QuerySet[AuditEntry]:
    """The entries ``profile`` may review, filtered by ``form`` when it is valid, newest first.

    Administrators see every entry; supervisors see those made by their own agency's users.
    """
    entries = AuditEntry.objects.order_by("-seq")
    if profile.role != Role.ADMINISTRATOR:
        entries = entries.filter(agency=profile.agency.name)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["username"]:
            entries = entries.filter(username__iexact=data["username"].strip())
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["object_id"]:
            entries = entries.filter(object_id=data["object_id"].strip())
        if data["date_from"]:
            entries = entries.filter(at__gte=_start_of(data["date_from"]))
        if data["date_to"]:
            entries = entries.filter(at__lt=_start_of(data["date_to"] + dt.timedelta(days=1)))
    return entries


def filters_used(form: AuditFilterForm) -> dict[str, str]:
    """The filters applied, as text, for the reviewer's own audit entry."""
    if not (form.is_bound and form.is_valid()):
        return {}
    return {k: str(v) for k, v in form.cleaned_data.items() if v}


def scope_label(profile: UserProfile) -> str:
    if profile.role == Role.ADMINISTRATOR:
        return "all agencies"
    return f"users of {profile.agency.name}"


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for the pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
