"""Merges, splits, confirmations and rejections: memberships change, and each writes a link
decision and an audit entry together; only the owning agency's analysts and supervisors may
decide; the decision history is append-only."""

from __future__ import annotations

from typing import Any

import pytest

from asbhub.store.db import setup_django

setup_django()

from django.core.exceptions import PermissionDenied  # noqa: E402

from asbhub.records.partners.models import AuditEntry  # noqa: E402
from asbhub.records.people import decisions  # noqa: E402
from asbhub.records.people.models import (  # noqa: E402
    AppendOnlyError,
    CandidatePair,
    LinkDecision,
    LinkedPerson,
    LinkMethod,
    Membership,
    PairStatus,
)


def _members(cluster_id: int) -> set[int]:
    return set(
        Membership.objects.filter(linked_person_id=cluster_id).values_list("person_id", flat=True)
    )


def _entry(decision: LinkDecision) -> AuditEntry:
    return AuditEntry.objects.get(seq=decision.audit_seq)


@pytest.fixture
def analyst(make_user: Any, police: Any) -> Any:
    return make_user("analyst.decides", police, role="analyst")


def test_merge_moves_every_record_and_is_recorded(linked: Any, analyst: Any) -> None:
    keep, other = LinkedPerson.objects.filter(n_records__gte=2).order_by("pk")[:2]
    a, b = _members(keep.pk), _members(other.pk)
    untouched = {
        m.person_id: m.linked_person_id for m in Membership.objects.exclude(person_id__in=a | b)
    }
    decision = decisions.merge(analyst, keep.pk, other.pk, "Same mobile and date of birth")
    assert _members(keep.pk) == a | b
    assert not LinkedPerson.objects.filter(pk=other.pk).exists()
    assert LinkedPerson.objects.get(pk=keep.pk).n_records == len(a | b)
    assert set(Membership.objects.filter(person_id__in=b).values_list("method", flat=True)) == {
        LinkMethod.MANUAL
    }
    assert {
        m.person_id: m.linked_person_id for m in Membership.objects.exclude(person_id__in=a | b)
    } == untouched
    assert (
        decision.kind,
        decision.username,
        decision.before_clusters,
        decision.after_clusters,
    ) == ("merge", "analyst.decides", [keep.pk, other.pk], [keep.pk])
    assert set(decision.people) == a | b
    entry = _entry(decision)
    assert (entry.action, entry.object_type, entry.object_id, entry.username) == (
        "change",
        "people.linkedperson",
        str(keep.pk),
        "analyst.decides",
    )
    assert entry.detail["decision"] == "merge" and entry.detail["before"] == [keep.pk, other.pk]
    assert entry.purpose
    from asbhub.records.partners.audit import verify_chain

    assert verify_chain("default").ok


def test_split_takes_one_record_out(linked: Any, analyst: Any) -> None:
    big = LinkedPerson.objects.filter(n_records__gte=3).order_by("pk").first()
    members = _members(big.pk)
    out = min(members)
    decision = decisions.split(analyst, out, "A different date of birth")
    fresh = Membership.objects.get(person_id=out)
    assert fresh.linked_person_id != big.pk and fresh.method == LinkMethod.MANUAL
    assert fresh.match_weight is None and fresh.breakdown == []
    assert _members(big.pk) == members - {out}
    assert _members(fresh.linked_person_id) == {out}
    assert LinkedPerson.objects.get(pk=big.pk).n_records == len(members) - 1
    assert decision.before_clusters == [big.pk]
    assert decision.after_clusters == [big.pk, fresh.linked_person_id]
    assert _entry(decision).detail["people"] == [out]
    # Splitting what is already alone says so and changes nothing.
    with pytest.raises(decisions.DecisionError, match="already on its own"):
        decisions.split(analyst, out, "Again")
    assert LinkDecision.objects.count() == 1


def test_confirm_merges_the_pair_and_reject_changes_nothing(linked: Any, analyst: Any) -> None:
    first, second = CandidatePair.objects.filter(status=PairStatus.OPEN).order_by("pk")[:2]
    ca = Membership.objects.get(person=first.person_a).linked_person_id
    cb = Membership.objects.get(person=first.person_b).linked_person_id
    both = _members(ca) | _members(cb)
    decision = decisions.decide_pair(analyst, first.pk, True, "Nickname of the same person")
    keep = decision.after_clusters[0]
    assert keep in (ca, cb) and _members(keep) == both
    first.refresh_from_db()
    assert (first.status, first.decided_by) == (PairStatus.CONFIRMED, analyst)
    assert decision.kind == "confirm" and decision.pair == first
    before = dict(Membership.objects.values_list("person_id", "linked_person_id"))
    rejected = decisions.decide_pair(analyst, second.pk, False, "Twins")
    assert dict(Membership.objects.values_list("person_id", "linked_person_id")) == before
    second.refresh_from_db()
    assert second.status == PairStatus.REJECTED
    assert rejected.before_clusters == rejected.after_clusters
    assert _entry(rejected).detail["decision"] == "reject"
    with pytest.raises(decisions.DecisionError, match="not waiting for review"):
        decisions.decide_pair(analyst, second.pk, True, "Changed my mind")


def test_a_reason_is_required(linked: Any, analyst: Any) -> None:
    pair = CandidatePair.objects.filter(status=PairStatus.OPEN).first()
    with pytest.raises(decisions.DecisionError, match="Give a reason"):
        decisions.decide_pair(analyst, pair.pk, True, "   ")
    pair.refresh_from_db()
    assert pair.status == PairStatus.OPEN and not LinkDecision.objects.exists()


@pytest.mark.parametrize("who", ["partner", "other_police", "snt"])
def test_only_the_owners_analysts_and_supervisors_decide(
    who: str, linked: Any, make_user: Any, make_agency: Any, make_agreement: Any, police: Any
) -> None:
    import datetime as dt

    council = make_agency("Synthetic District Council")
    make_agreement(
        "ISA-T-1",
        [police, council],
        ["incident_summary", "victim_personal", "perpetrator_personal", "witness_personal"],
        dt.date(2020, 1, 1),
        dt.date(2099, 1, 1),
    )
    user = {
        "partner": lambda: make_user("council.analyst", council, role="analyst"),
        "other_police": lambda: make_user(
            "other.analyst", make_agency("Another Synthetic Force", kind="police"), role="analyst"
        ),
        "snt": lambda: make_user("snt.officer", police, role="snt_officer"),
    }[who]()
    keep, other = LinkedPerson.objects.order_by("pk")[:2]
    pair = CandidatePair.objects.filter(status=PairStatus.OPEN).first()
    big = LinkedPerson.objects.filter(n_records__gte=2).first()
    before = dict(Membership.objects.values_list("person_id", "linked_person_id"))
    with pytest.raises(PermissionDenied):
        decisions.merge(user, keep.pk, other.pk, "Trying")
    with pytest.raises(PermissionDenied):
        decisions.split(user, min(_members(big.pk)), "Trying")
    with pytest.raises(PermissionDenied):
        decisions.decide_pair(user, pair.pk, False, "Trying")
    assert dict(Membership.objects.values_list("person_id", "linked_person_id")) == before
    pair.refresh_from_db()
    assert pair.status == PairStatus.OPEN
    assert not LinkDecision.objects.exists()


def test_decisions_are_append_only(linked: Any, analyst: Any) -> None:
    keep, other = LinkedPerson.objects.order_by("pk")[:2]
    decision = decisions.merge(analyst, keep.pk, other.pk, "Same person")
    decision.reason = "Edited afterwards"
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        decision.delete()
    with pytest.raises(AppendOnlyError):
        LinkDecision.objects.all().update(reason="x")
    with pytest.raises(AppendOnlyError):
        LinkDecision.objects.all().delete()
    assert LinkDecision.objects.get().reason == "Same person"
