"""Person linkage stored: who is the same person across the incident store's Person rows.

- :class:`LinkageModelVersion`: each trained (or loaded) linkage model, as JSON, numbered; the
  newest is the one incremental linking uses, so new records are scored exactly as the
  population was.
- :class:`LinkedPerson`: a cluster of Person rows that are one person.
- :class:`Membership`: a Person row's place in a cluster, with the match weight that put it
  there and the per-comparison breakdown that explains it (the "why").
- :class:`CandidatePair`: the review queue: two Person rows an analyst should confirm or reject.
- :class:`LinkDecision`: every merge, split, confirm and reject: who, when, why, the clusters
  before and after. Append-only.

Foreign keys to ``incidents.Person`` carry no database constraint: a force export reload
deletes the people of a changed incident with plain SQL (:mod:`asbhub.store.loaders.force_export`), and
a constraint would make that reload fail. Rows left pointing at a deleted person are removed
by the next linkage run (:func:`asbhub.records.people.services.prune_stale`); joins never show them.

The linkage engine itself (:mod:`asbhub.linkage`) knows nothing of these tables.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from asbhub.records.append_only import AppendOnlyError as AppendOnlyError
from asbhub.records.append_only import AppendOnlyModel
from asbhub.records.incidents.models import Person


class LinkMethod(models.TextChoices):
    """How a record came to be in its cluster."""

    EXACT_KEY = "exact_key", "Exact key (same name, date of birth and postcode, phone or email)"
    PROBABILISTIC = "probabilistic", "Match weight at or above the link threshold"
    MANUAL = "manual", "An analyst's decision"
    SINGLE = "single", "On its own: no other record matched"


class PairReason(models.TextChoices):
    """Why a pair is in the review queue."""

    REVIEW = "review", "Uncertain match weight"
    MERGE = "merge", "A new record links to two people already known"


class PairStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    CONFIRMED = "confirmed", "Confirmed: the same person"
    REJECTED = "rejected", "Rejected: different people"


class DecisionKind(models.TextChoices):
    MERGE = "merge", "Merge"
    SPLIT = "split", "Split"
    CONFIRM = "confirm", "Confirm a pair"
    REJECT = "reject", "Reject a pair"


class LinkageModelVersion(models.Model):
    """A linkage model (:class:`asbhub.linkage.LinkageModel`) as JSON, with its version."""

    version = models.PositiveIntegerField(unique=True)
    model_json = models.TextField(help_text="LinkageModel.to_json(): Splink settings and more")
    digest = models.CharField(max_length=64, help_text="SHA-256 of model_json")
    created_at = models.DateTimeField(default=timezone.now)
    trained_on = models.PositiveIntegerField(
        default=0, help_text="Person records it was trained on; 0 when loaded from elsewhere"
    )
    source = models.CharField(
        max_length=300,
        blank=True,
        default="",
        help_text="Where it came from: trained on the store, or a file",
    )

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"linkage model v{self.version} ({self.digest[:12]})"

    @staticmethod
    def digest_of(text: str) -> str:
        """SHA-256 of the model's content: Splink's random ``linker_uid`` left out, so the same
        model trained twice has one digest."""
        data = json.loads(text)
        data.get("splink_settings", {}).pop("linker_uid", None)
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def linkage_model(self) -> Any:
        """The stored model as an :class:`asbhub.linkage.LinkageModel`."""
        from asbhub.linkage import LinkageModel

        return LinkageModel.from_json(self.model_json)


class LinkedPerson(models.Model):
    """One person: the cluster of Person rows (records) found to be them.

    Its display fields are derived from the members at each change: no name is stored here, so
    a name is only ever shown from a member record the user is entitled to see.
    """

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    n_records = models.PositiveIntegerField(default=0)
    roles = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="Roles the records hold, e.g. 'caller, victim'",
    )
    label_person = models.ForeignKey(
        Person,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        help_text="The member record the person is shown by (the latest)",
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"linked person {self.pk} ({self.n_records} records)"

    @property
    def owner_agency(self) -> Any:
        """The agency owning the person's label record (asbhub.records.partners.access reads it)."""
        from asbhub.records.partners.access import owner_agency_for

        if self.label_person_id is None:
            return None
        person = (
            Person.objects.using(self._state.db or "default")
            .select_related("incident__source")
            .filter(pk=self.label_person_id)
            .first()
        )
        return owner_agency_for(person) if person is not None else None


class Membership(models.Model):
    """A Person row in a cluster, and why."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="linkage", db_constraint=False
    )
    linked_person = models.ForeignKey(
        LinkedPerson, on_delete=models.CASCADE, related_name="memberships"
    )
    match_weight = models.FloatField(
        null=True,
        blank=True,
        help_text="Bits: the strongest scored pair with another record of the cluster",
    )
    matched_with = models.ForeignKey(
        Person,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    breakdown = models.JSONField(
        default=list,
        blank=True,
        help_text="[{comparison, level, weight}]: the prior and each comparison; the weights add "
        "up to match_weight",
    )
    method = models.CharField(max_length=16, choices=LinkMethod.choices)
    exact_key = models.CharField(max_length=200, blank=True, default="")
    linked_at = models.DateTimeField(default=timezone.now)
    model_version = models.ForeignKey(
        LinkageModelVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"person row {self.person_id} in {self.linked_person_id}"


class CandidatePair(models.Model):
    """Two Person rows (``person_a`` has the smaller id) for an analyst to decide on."""

    person_a = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    person_b = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    match_weight = models.FloatField(null=True, blank=True)
    match_probability = models.FloatField(null=True, blank=True)
    breakdown = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=8, choices=PairReason.choices)
    status = models.CharField(max_length=10, choices=PairStatus.choices, default=PairStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    model_version = models.ForeignKey(
        LinkageModelVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="people_pair_unique"),
            models.CheckConstraint(
                condition=models.Q(person_a__lt=models.F("person_b")), name="people_pair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["status", "match_weight"], name="people_pair_status")]

    def __str__(self) -> str:
        return f"pair {self.person_a_id}-{self.person_b_id} ({self.status})"


class LinkDecision(AppendOnlyModel):
    """A person's decision about linkage, kept for good (append-only).

    Cluster ids are plain numbers, not foreign keys, so the history survives the clusters it
    names (a merge deletes one; a full re-link replaces them all).
    """

    kind = models.CharField(max_length=8, choices=DecisionKind.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, default="")
    decided_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()
    people = models.JSONField(default=list, help_text="Person row ids the decision is about")
    before_clusters = models.JSONField(default=list)
    after_clusters = models.JSONField(default=list)
    pair = models.ForeignKey(
        CandidatePair, on_delete=models.SET_NULL, null=True, blank=True, related_name="decisions"
    )
    audit_seq = models.PositiveIntegerField(
        null=True, blank=True, help_text="seq of the audit log entry for it"
    )

    append_only_noun = "link decisions"

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.username or 'system'} at {self.decided_at:%Y-%m-%d %H:%M}"
