"""Admin pages for linked people: for administrators to look things up by number.

No names are shown here: personal details are shown only on the people pages, through the
access policy and with an audited purpose. Link decisions are append-only and read-only here;
merges and splits are made on the people pages, where they are checked and audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from asbhub.records.people.models import (
    CandidatePair,
    LinkageModelVersion,
    LinkDecision,
    LinkedPerson,
    Membership,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(LinkageModelVersion)
class LinkageModelVersionAdmin(ReadOnlyAdmin):
    list_display = ("version", "digest", "created_at", "trained_on", "source")
    exclude = ("model_json",)


@admin.register(LinkedPerson)
class LinkedPersonAdmin(ReadOnlyAdmin):
    list_display = ("pk", "n_records", "roles", "updated_at")
    exclude = ("label_person",)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("person_id", "linked_person_id", "method", "match_weight", "linked_at")
    list_filter = ("method",)
    exclude = ("person", "matched_with")


@admin.register(CandidatePair)
class CandidatePairAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "person_a_id",
        "person_b_id",
        "match_weight",
        "reason",
        "status",
        "decided_at",
    )
    list_filter = ("status", "reason")
    exclude = ("person_a", "person_b", "breakdown")


@admin.register(LinkDecision)
class LinkDecisionAdmin(ReadOnlyAdmin):
    list_display = ("decided_at", "kind", "username", "before_clusters", "after_clusters")
    list_filter = ("kind",)
    # The reviewer's reason is free text that may name the people: shown on the people pages.
    exclude = ("reason",)
