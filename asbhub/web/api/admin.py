"""API tokens in the admin: read-only (the secret is not stored); revoked with an audited action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from asbhub.records.tokens.models import ApiToken
from asbhub.records.tokens.services import revoke_token


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created", "last_used", "expires", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "token_hash",
        "created",
        "last_used",
        "expires",
        "revoked_at",
    )
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A token made here could never be shown: create them with the page or the CLI.
        return False

    @admin.action(description="Revoke the selected tokens now")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        # One by one through revoke_token, so each revocation is in the audit log.
        done = sum(
            revoke_token(t, by=request.user, request=request, channel="admin")
            for t in queryset.select_related("user")
        )
        self.message_user(request, f"{done} token(s) revoked.", messages.SUCCESS)
