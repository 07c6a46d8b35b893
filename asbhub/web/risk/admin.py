"""Admin pages for risk: look-up only.

Assessments and reviews are recorded on the risk pages, where every view and change is
audited and access follows the sharing agreements; questionnaire versions change there too,
where a used version is never edited. So the admin lists and shows them, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from asbhub.records.risk.models import QuestionnaireVersion, RiskAssessment, RiskReview


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(ReadOnlyAdmin):
    list_display = ("number", "published", "created_at", "created_by", "change_note")
    list_filter = ("published",)


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    # Ids, bands and dates only: names are shown on the risk pages, under the access policy.
    list_display = ("pk", "incident_id", "person_id", "version_number", "score", "band",
                    "current_band", "owner_agency", "assessed_at", "next_review_due", "is_demo")
    list_filter = ("band", "current_band", "owner_agency", "is_demo")
    exclude = ("answers",)


@admin.register(RiskReview)
class RiskReviewAdmin(ReadOnlyAdmin):
    list_display = ("pk", "assessment_id", "reviewed_at", "previous_band", "band", "closed",
                    "agency")
    list_filter = ("band", "closed")
