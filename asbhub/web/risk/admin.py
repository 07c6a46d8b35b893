"""Admin pages for risk: the questionnaire's versions, look-up only.

Assessments and reviews are not in the admin: they are personal data (a victim's risk and the
notes about it), recorded and shown on the risk pages, where every view and change is audited
and access follows the sharing agreements. Questionnaire versions change there too, where a
used version is never edited, so the admin lists and shows them and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from asbhub.records.risk.models import QuestionnaireVersion


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
