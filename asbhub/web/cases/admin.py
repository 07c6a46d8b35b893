"""Admin pages of the cases app: reference data only (problem types, Case Review thresholds).

Plans, powers and ASB Case Reviews are not in the admin at all. They hold victims', offenders'
and applicants' details (and free text that names them), which the admin could show to any
staff account without the sharing policy, an audited purpose or optimistic locking. Staff
work on them through the case pages, where every view and change is checked against
:mod:`asbhub.records.partners.access` and audited. ``tests/security/test_admin.py`` crawls the
admin as every role and fails if a personal detail appears.
"""

from __future__ import annotations

from django.contrib import admin

from asbhub.records.cases.models import ProblemType, ThresholdRule


@admin.register(ProblemType)
class ProblemTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(ThresholdRule)
class ThresholdRuleAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "complaints",
        "window_months",
        "report_within_days",
        "count_people",
        "hate_incidents",
        "decision_working_days",
    )
