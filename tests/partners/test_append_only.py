"""The one append-only base (asbhub.records.append_only): audit entries and link decisions
refuse every change and removal, one row at a time and in bulk (issue #11 item 4)."""

from __future__ import annotations

import pytest

from asbhub.store.db import setup_django

setup_django()

from asbhub.records import append_only  # noqa: E402
from asbhub.records.append_only import AppendOnlyError, AppendOnlyModel  # noqa: E402
from asbhub.records.partners import models as partner_models  # noqa: E402
from asbhub.records.partners.access import record_access  # noqa: E402
from asbhub.records.partners.audit import verify_chain  # noqa: E402
from asbhub.records.partners.models import AuditEntry  # noqa: E402
from asbhub.records.people import models as people_models  # noqa: E402
from asbhub.records.people.models import LinkDecision  # noqa: E402


def _decision(reason: str = "Same person") -> LinkDecision:
    return LinkDecision.objects.create(kind="merge", reason=reason, people=[1, 2])


def test_both_models_stand_on_the_one_base() -> None:
    assert issubclass(AuditEntry, AppendOnlyModel) and issubclass(LinkDecision, AppendOnlyModel)
    assert partner_models.AppendOnlyError is people_models.AppendOnlyError is AppendOnlyError
    assert isinstance(AuditEntry.objects.all(), append_only.AppendOnlyQuerySet)
    assert isinstance(LinkDecision.objects.all(), append_only.AppendOnlyQuerySet)


def test_link_decisions_refuse_bulk_writes(db: str) -> None:
    first, second = _decision("First"), _decision("Second")
    decisions = LinkDecision.objects.filter(pk__in=[first.pk, second.pk])
    with pytest.raises(AppendOnlyError, match="^link decisions are append-only: .* updated"):
        decisions.update(reason="x")
    with pytest.raises(AppendOnlyError, match="deleted"):
        decisions.delete()
    first.reason = "Edited"
    with pytest.raises(AppendOnlyError, match="updated"):
        LinkDecision.objects.bulk_update([first], ["reason"])
    with pytest.raises(AppendOnlyError, match="updated"):
        LinkDecision.objects.bulk_create(
            [LinkDecision(pk=first.pk, kind="merge", reason="Overwritten")],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["reason"],
        )
    with pytest.raises(AppendOnlyError, match="updated"):
        LinkDecision.objects.update_or_create(pk=first.pk, defaults={"reason": "x"})
    with pytest.raises(AppendOnlyError, match="changed"):
        first.save()
    with pytest.raises(AppendOnlyError, match="deleted"):
        first.delete()
    assert sorted(LinkDecision.objects.values_list("reason", flat=True)) == ["First", "Second"]


def test_new_link_decisions_are_still_added_one_or_many(db: str) -> None:
    before = LinkDecision.objects.count()
    _decision("One")
    LinkDecision.objects.bulk_create(
        [LinkDecision(kind="split", reason=f"Bulk {i}", people=[i]) for i in range(3)]
    )
    assert LinkDecision.objects.count() == before + 4
    # A new object given the pk of a stored row is inserted, never an UPDATE of that row.
    stored = _decision("Kept")
    clash = LinkDecision(pk=stored.pk, kind="merge", reason="Overwrite by pk", people=[])
    with pytest.raises(Exception, match="(?i)unique|constraint"):
        from django.db import transaction

        with transaction.atomic():
            clash.save()
    assert LinkDecision.objects.get(pk=stored.pk).reason == "Kept"


def test_audit_entries_refuse_bulk_writes(db: str) -> None:
    entry = record_access(None, "view", ("incidents.person", "7"), purpose="Test purpose")
    entries = AuditEntry.objects.filter(pk=entry.pk)
    with pytest.raises(AppendOnlyError, match="^audit entries are append-only: .* updated"):
        entries.update(purpose="Something else")
    with pytest.raises(AppendOnlyError, match="deleted"):
        entries.delete()
    entry.purpose = "Something else"
    with pytest.raises(AppendOnlyError, match="updated"):
        AuditEntry.objects.bulk_update([entry], ["purpose"])
    with pytest.raises(AppendOnlyError, match="changed"):
        entry.save()
    with pytest.raises(AppendOnlyError, match="record_access"):
        AuditEntry.objects.bulk_create([AuditEntry(seq=10**9, action="view", hash="y")])
    assert AuditEntry.objects.get(pk=entry.pk).purpose == "Test purpose"
    assert verify_chain("default").ok
