"""An analyst's decisions on linkage: confirm or reject a queued pair, merge two linked people,
split a record out into a person of its own.

Each is one transaction that changes the memberships, appends a :class:`LinkDecision` (who,
when, why, the clusters before and after) and an entry in the audit log, together or not at
all. Only analysts and supervisors of the agency owning every record involved may decide
(:func:`asbhub.records.people.visibility.may_decide`); anyone else gets ``PermissionDenied``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from asbhub.records.incidents.models import Person
from asbhub.records.partners.access import record_access
from asbhub.records.partners.models import AuditAction
from asbhub.records.people.models import (
    CandidatePair,
    DecisionKind,
    LinkDecision,
    LinkedPerson,
    LinkMethod,
    Membership,
    PairStatus,
)
from asbhub.records.people.services import LINKAGE_PURPOSE, refresh_display
from asbhub.records.people.visibility import may_decide

MAX_REASON = 2000


class DecisionError(ValueError):
    """A decision that cannot be made as asked; the message says why and what to do."""


def _reason(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DecisionError(
            "Give a reason for the decision: it is kept with your name in the "
            "linkage history and the audit log."
        )
    if len(text) > MAX_REASON:
        raise DecisionError(f"The reason is {len(text)} characters long; keep it to {MAX_REASON}.")
    return text


def _check(user: Any, people: list[Person]) -> None:
    decision = may_decide(user, people)
    if not decision:
        raise PermissionDenied(decision.reason)


def _people(using: str, ids: list[int]) -> list[Person]:
    return list(
        Person.objects.using(using)
        .select_related("incident__source")
        .filter(pk__in=ids)
        .order_by("pk")
    )


def _record(
    user: Any,
    kind: str,
    reason: str,
    people: list[int],
    before: list[int],
    after: list[int],
    obj: Any,
    using: str,
    request: HttpRequest | None,
    pair: CandidatePair | None = None,
) -> LinkDecision:
    entry = record_access(
        user,
        AuditAction.CHANGE,
        obj,
        purpose=LINKAGE_PURPOSE,
        request=request,
        using=using,
        detail={
            "decision": kind,
            "people": people,
            "before": before,
            "after": after,
            "pair": pair.pk if pair else None,
        },
    )
    return LinkDecision.objects.using(using).create(
        kind=kind,
        decided_by=user if getattr(user, "is_authenticated", False) else None,
        username=user.get_username() if getattr(user, "is_authenticated", False) else "",
        reason=reason,
        people=people,
        before_clusters=before,
        after_clusters=after,
        pair=pair,
        audit_seq=entry.seq,
    )


def _move_all(using: str, source: LinkedPerson, target: LinkedPerson) -> list[int]:
    """Move every member of ``source`` into ``target`` (method: manual) and delete ``source``;
    open pairs now inside one person are closed as confirmed by the move."""
    moved = list(
        Membership.objects.using(using)
        .filter(linked_person=source)
        .values_list("person_id", flat=True)
    )
    Membership.objects.using(using).filter(person_id__in=moved).update(
        linked_person=target, method=LinkMethod.MANUAL, linked_at=timezone.now()
    )
    source.delete()
    return moved


def _close_inner_pairs(using: str, target: LinkedPerson, user: Any) -> None:
    inside = list(
        Membership.objects.using(using)
        .filter(linked_person=target)
        .values_list("person_id", flat=True)
    )
    CandidatePair.objects.using(using).filter(
        status=PairStatus.OPEN, person_a_id__in=inside, person_b_id__in=inside
    ).update(
        status=PairStatus.CONFIRMED,
        decided_at=timezone.now(),
        decided_by=user if getattr(user, "is_authenticated", False) else None,
    )


def merge(
    user: Any,
    keep_id: int,
    other_id: int,
    reason: str,
    *,
    using: str = "default",
    request: HttpRequest | None = None,
) -> LinkDecision:
    """Merge linked person ``other_id`` into ``keep_id``: one person from now on.

    Raises
    ------
    DecisionError
        The two are the same, or either does not exist, or no reason was given.
    PermissionDenied
        The user may not decide over every record of both.
    """
    reason = _reason(reason)
    if int(keep_id) == int(other_id):
        raise DecisionError("Choose two different people to merge.")
    with transaction.atomic(using=using):
        # A write first (SQLite then holds its write lock for the whole decision).
        found = LinkedPerson.objects.using(using).filter(pk__in=[keep_id, other_id])
        if found.update(updated_at=timezone.now()) != 2:
            raise DecisionError(
                f"Linked people {keep_id} and {other_id} must both exist; one "
                "was merged or rebuilt meanwhile. Reload the page and try again."
            )
        keep = LinkedPerson.objects.using(using).get(pk=keep_id)
        other = LinkedPerson.objects.using(using).get(pk=other_id)
        ids = list(
            Membership.objects.using(using)
            .filter(linked_person__in=[keep, other])
            .order_by("person_id")
            .values_list("person_id", flat=True)
        )
        _check(user, _people(using, ids))
        _move_all(using, other, keep)
        _close_inner_pairs(using, keep, user)
        refresh_display([keep.pk], using)
        return _record(
            user,
            DecisionKind.MERGE,
            reason,
            ids,
            [keep.pk, int(other_id)],
            [keep.pk],
            keep,
            using,
            request,
        )


def split(
    user: Any,
    person_id: int,
    reason: str,
    *,
    using: str = "default",
    request: HttpRequest | None = None,
) -> LinkDecision:
    """Take Person row ``person_id`` out of its linked person into a new one of its own.

    Raises
    ------
    DecisionError
        The record has no cluster, is alone in it already, or no reason was given.
    PermissionDenied
        The user may not decide over the record.
    """
    reason = _reason(reason)
    with transaction.atomic(using=using):
        now = timezone.now()
        fresh = LinkedPerson.objects.using(using).create(created_at=now, updated_at=now)
        membership = (
            Membership.objects.using(using).select_for_update().filter(person_id=person_id).first()
        )
        if membership is None:
            raise DecisionError(
                f"Record {person_id} is not linked to anyone yet: run the "
                "linkage (asbhub people link) first."
            )
        old = membership.linked_person_id
        if Membership.objects.using(using).filter(linked_person_id=old).count() < 2:
            raise DecisionError(
                f"Record {person_id} is already on its own (linked person "
                f"{old}); there is nothing to split."
            )
        _check(user, _people(using, [int(person_id)]))
        Membership.objects.using(using).filter(pk=membership.pk).update(
            linked_person=fresh,
            method=LinkMethod.MANUAL,
            linked_at=now,
            match_weight=None,
            matched_with=None,
            breakdown=[],
            exact_key="",
        )
        refresh_display([old, fresh.pk], using)
        return _record(
            user,
            DecisionKind.SPLIT,
            reason,
            [int(person_id)],
            [old],
            [old, fresh.pk],
            fresh,
            using,
            request,
        )


def decide_pair(
    user: Any,
    pair_id: int,
    confirm: bool,
    reason: str,
    *,
    using: str = "default",
    request: HttpRequest | None = None,
) -> LinkDecision:
    """Confirm (the same person: their two linked people are merged) or reject (different
    people: the pair is never proposed again) a queued pair.

    Raises
    ------
    DecisionError
        The pair was decided already, or no reason was given.
    PermissionDenied
        The user may not decide over both records.
    """
    reason = _reason(reason)
    with transaction.atomic(using=using):
        now = timezone.now()
        status = PairStatus.CONFIRMED if confirm else PairStatus.REJECTED
        changed = (
            CandidatePair.objects.using(using)
            .filter(pk=pair_id, status=PairStatus.OPEN)
            .update(
                status=status,
                decided_at=now,
                decided_by=user if getattr(user, "is_authenticated", False) else None,
            )
        )
        if changed != 1:
            raise DecisionError(
                f"Pair {pair_id} is not waiting for review: someone decided it "
                "already, or a linkage run replaced it. Reload the queue."
            )
        pair = CandidatePair.objects.using(using).get(pk=pair_id)
        a, b = pair.person_a_id, pair.person_b_id
        _check(user, _people(using, [a, b]))
        clusters = dict(
            Membership.objects.using(using)
            .filter(person_id__in=[a, b])
            .values_list("person_id", "linked_person_id")
        )
        before = [clusters.get(a), clusters.get(b)]
        after = list(before)
        known = [c for c in before if c is not None]
        if confirm and len(known) == 2 and known[0] != known[1]:
            sizes = {
                c: Membership.objects.using(using).filter(linked_person_id=c).count() for c in known
            }
            # The larger person keeps its id (ties: the older one): fewer links change.
            keep_id, other_id = sorted(known, key=lambda c: (-sizes[c], c))
            keep = LinkedPerson.objects.using(using).get(pk=keep_id)
            _move_all(using, LinkedPerson.objects.using(using).get(pk=other_id), keep)
            _close_inner_pairs(using, keep, user)
            refresh_display([keep_id], using)
            after = [keep_id]
        kind = DecisionKind.CONFIRM if confirm else DecisionKind.REJECT
        return _record(
            user,
            kind,
            reason,
            [a, b],
            [c for c in before if c is not None],
            [c for c in after if c is not None],
            pair,
            using,
            request,
            pair=pair,
        )
