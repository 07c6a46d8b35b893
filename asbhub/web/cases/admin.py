"""Admin pages for PMPs, the powers register and ASB Case Reviews (plain registration).

Plans are edited on the case pages, where saves use optimistic locking and are audited; the
admin is for administrators to look things up and correct reference data (problem types,
Case Review thresholds).
"""

from __future__ import annotations

from django.contrib import admin

from asbhub.records.cases.models import (
    CaseReview,
    CaseReviewComplaint,
    Pmp,
    PmpAction,
    PmpIncident,
    PmpPerson,
    PmpReview,
    Power,
    PowerEvent,
    ProblemType,
    ThresholdRule,
)


@admin.register(ProblemType)
class ProblemTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


class PmpActionInline(admin.TabularInline):
    model = PmpAction
    extra = 0


class PmpReviewInline(admin.TabularInline):
    model = PmpReview
    extra = 0


@admin.register(Pmp)
class PmpAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "problem_type", "lpu", "owner_agency", "stage",
                    "next_review_due", "opened_at", "is_demo")
    list_filter = ("stage", "lpu", "problem_type", "owner_agency", "is_demo")
    search_fields = ("reference", "title", "area")
    date_hierarchy = "opened_at"
    raw_id_fields = ("locations",)
    filter_horizontal = ("partner_agencies",)
    readonly_fields = ("version", "updated_at")
    inlines = [PmpActionInline, PmpReviewInline]


@admin.register(PmpAction)
class PmpActionAdmin(admin.ModelAdmin):
    list_display = ("pmp", "description", "owner_agency", "due", "done_at")
    list_filter = ("owner_agency",)
    search_fields = ("description", "pmp__reference")


@admin.register(PmpReview)
class PmpReviewAdmin(admin.ModelAdmin):
    list_display = ("pmp", "reviewed_at", "reviewer", "next_review_due")
    search_fields = ("pmp__reference", "notes")


@admin.register(PmpIncident)
class PmpIncidentAdmin(admin.ModelAdmin):
    list_display = ("pmp", "incident")
    raw_id_fields = ("pmp", "incident")


@admin.register(PmpPerson)
class PmpPersonAdmin(admin.ModelAdmin):
    list_display = ("pmp", "person", "role")
    list_filter = ("role",)
    raw_id_fields = ("pmp", "person")


class PowerEventInline(admin.TabularInline):
    model = PowerEvent
    extra = 0
    raw_id_fields = ("person",)


@admin.register(Power)
class PowerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "owner_agency", "pmp", "applied_on", "issued_on",
                    "granted_on", "age_band", "is_demo")
    list_filter = ("kind", "owner_agency", "age_band", "interim", "is_demo")
    search_fields = ("premises", "notes", "pmp__reference")
    raw_id_fields = ("person", "pmp")
    inlines = [PowerEventInline]


@admin.register(PowerEvent)
class PowerEventAdmin(admin.ModelAdmin):
    list_display = ("power", "kind", "on")
    list_filter = ("kind",)
    raw_id_fields = ("power", "person")


@admin.register(ThresholdRule)
class ThresholdRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "complaints", "window_months", "report_within_days",
                    "count_people", "hate_incidents", "decision_working_days")


class CaseReviewComplaintInline(admin.TabularInline):
    model = CaseReviewComplaint
    extra = 0
    raw_id_fields = ("incident",)


@admin.register(CaseReview)
class CaseReviewAdmin(admin.ModelAdmin):
    list_display = ("reference", "area", "owner_agency", "received_on", "decision_due",
                    "threshold_met", "decision", "is_demo")
    list_filter = ("decision", "threshold_met", "owner_agency", "is_demo")
    search_fields = ("reference", "applicant_name", "area")
    raw_id_fields = ("pmp",)
    inlines = [CaseReviewComplaintInline]


@admin.register(CaseReviewComplaint)
class CaseReviewComplaintAdmin(admin.ModelAdmin):
    list_display = ("case_review", "reference", "incident_on", "reported_on", "problem", "hate")
    list_filter = ("hate",)
    raw_id_fields = ("case_review", "incident")
