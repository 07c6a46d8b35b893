"""Admin pages: agencies, user profiles and sharing agreements; the audit log read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from asbhub.records.partners.models import (
    Agency,
    AuditEntry,
    DataCategory,
    LoginFailure,
    SharingAgreement,
    UserProfile,
)
from asbhub.web.dates import event_date, planning_date


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "area", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "area")


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role", "area")
    list_filter = ("role", "agency")
    search_fields = ("user__username", "user__first_name", "user__last_name", "area")
    autocomplete_fields = ("user", "agency")


class SharingAgreementForm(forms.ModelForm):
    """Categories as tick boxes of the fixed codes rather than raw JSON."""

    categories = forms.MultipleChoiceField(
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The categories of data the parties share",
    )

    class Meta:
        model = SharingAgreement
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The one date rule (asbhub.domain.dates): no year 1 or 9999 agreement.
        for name, rule in (
            ("starts", planning_date),
            ("ends", planning_date),
            ("signed_on", event_date),
        ):
            if name in self.fields:
                self.fields[name].validators.append(rule)

    def clean_parties(self) -> Any:
        parties = self.cleaned_data.get("parties")
        if parties is not None and len(parties) < 2:
            raise forms.ValidationError("An agreement needs at least two agencies.")
        return parties


@admin.register(SharingAgreement)
class SharingAgreementAdmin(admin.ModelAdmin):
    form = SharingAgreementForm
    list_display = ("reference", "title", "starts", "ends", "status_today", "revoked_at")
    search_fields = ("reference", "title", "parties__name")
    list_filter = ("parties",)
    filter_horizontal = ("parties",)

    @admin.display(description="Status today")
    def status_today(self, obj: SharingAgreement) -> str:
        return obj.status(timezone.localdate()).capitalize()


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: no one adds, changes or deletes audit entries, administrators included."""

    list_display = (
        "seq",
        "at",
        "username",
        "agency",
        "action",
        "object_type",
        "object_id",
        "purpose",
        "ip",
    )
    list_filter = ("action", "agency")
    search_fields = ("username", "object_id", "purpose")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Failed sign-ins; deleting a username's rows lifts its lock-out early."""

    list_display = ("username", "ip", "at")
    search_fields = ("username", "ip")
    readonly_fields = ("username", "ip", "at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
