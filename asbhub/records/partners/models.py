"""Agencies, their users, information sharing agreements, and the append-only audit log.

The policy that reads these tables lives in :mod:`asbhub.records.partners.access`; the hash chain
that writes and checks the audit log lives in :mod:`asbhub.records.partners.audit`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from asbhub.records.append_only import AppendOnlyError, AppendOnlyModel, AppendOnlyQuerySet


class AgencyKind(models.TextChoices):
    """The kinds of body in a community safety partnership."""

    POLICE = "police", "Police force"
    CITY_COUNCIL = "city_council", "City council"
    DISTRICT_COUNCIL = "district_council", "District or borough council"
    COUNTY_COUNCIL = "county_council", "County council"
    HOUSING = "housing", "Housing provider"
    FIRE = "fire", "Fire and rescue service"
    YOUTH_OFFENDING = "youth_offending", "Youth offending team"
    COMMISSIONER = "commissioner", "Police and Crime Commissioner's office"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    """What a user does; with the agency, it decides what personal data they may see."""

    ANALYST = "analyst", "Analyst"
    SNT_OFFICER = "snt_officer", "SNT officer"
    SUPERVISOR = "supervisor", "Supervisor"
    PARTNER_OFFICER = "partner_officer", "Partner officer"
    COMMISSIONER_VIEWER = "commissioner_viewer", "Commissioner's office viewer"
    ADMINISTRATOR = "administrator", "Administrator"


class DataCategory(models.TextChoices):
    """The categories of data an information sharing agreement can cover.

    Labels are lower case and plural because they are used inside sentences: "victims' personal
    details are not covered by ...".
    """

    INCIDENT_SUMMARY = "incident_summary", "incident summaries"
    VICTIM_PERSONAL = "victim_personal", "victims' personal details"
    PERPETRATOR_PERSONAL = "perpetrator_personal", "perpetrators' personal details"
    # Not in the list of four: callers and witnesses are neither victims nor
    # perpetrators, and their details must not ride along under either heading.
    WITNESS_PERSONAL = "witness_personal", "callers' and witnesses' personal details"
    RISK_ASSESSMENT = "risk_assessment", "risk assessments"


class AuditAction(models.TextChoices):
    """What was done to a record (or to the session) that the audit log records."""

    VIEW = "view", "View"
    SEARCH = "search", "Search"
    CREATE = "create", "Create"
    CHANGE = "change", "Change"
    EXPORT = "export", "Export"
    DENIED = "denied", "Access refused"
    LOGIN = "login", "Sign in"
    LOGOUT = "logout", "Sign out"
    LOGIN_LOCKED = "login_locked", "Sign-in locked after failed attempts"
    # Issue #10 class 7 (floods): every failed sign-in, and the first refusal of a flood.
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    RATE_LIMITED = "rate_limited", "Refused: too many requests"


class Agency(models.Model):
    """A police force, council, housing provider or other partner."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    area = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="The area it serves, e.g. an LPU or district; blank for force-wide",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class UserProfile(models.Model):
    """Links a Django user to the agency they work for, their role and their area or team."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="asbhub_profile"
    )
    # PROTECT: an agency with staff cannot vanish and leave accounts belonging to no one.
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(max_length=32, choices=Role.choices)
    area = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="SNT, team or area as in the usage table, e.g. 'Erewash SNT'",
    )

    class Meta:
        ordering = ["agency__name", "area", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.agency})"


class SharingAgreementQuerySet(models.QuerySet):
    def between(self, first: Agency, second: Agency) -> SharingAgreementQuerySet:
        """Agreements to which both agencies are parties."""
        return self.filter(parties=first).filter(parties=second).distinct()

    def live(self, on: dt.date) -> SharingAgreementQuerySet:
        """Agreements in force on ``on``: started, not ended, not revoked."""
        return self.filter(starts__lte=on, ends__gte=on, revoked_at__isnull=True)


class SharingAgreement(models.Model):
    """An information sharing agreement (ISA) between two or more agencies.

    Any two parties share with each other the categories it covers, for its stated purpose,
    from ``starts`` to ``ends`` inclusive, unless it has been revoked.
    """

    reference = models.CharField(max_length=50, unique=True, help_text="e.g. ISA-2024-003")
    title = models.CharField(max_length=200)
    parties = models.ManyToManyField(Agency, related_name="agreements")
    purpose = models.TextField(help_text="Why the data are shared, as the agreement states it")
    categories = models.JSONField(
        default=list,
        help_text="Codes of the data categories shared: see DataCategory",
    )
    starts = models.DateField()
    ends = models.DateField(help_text="Last day the agreement is in force")
    signed_by = models.TextField(
        blank=True, default="", help_text="Names and posts of the signatories"
    )
    signed_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True, default="")

    objects = SharingAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        unknown = sorted(set(self.categories or []) - set(DataCategory.values))
        if not isinstance(self.categories, list) or not self.categories:
            errors["categories"] = "Choose at least one category of data to share."
        elif unknown:
            errors["categories"] = (
                f"Unknown categories {', '.join(unknown)}; expected some of "
                f"{', '.join(DataCategory.values)}."
            )
        if self.starts and self.ends and self.ends < self.starts:
            errors["ends"] = "The agreement cannot end before it starts."
        if errors:
            raise ValidationError(errors)

    def covers(self, category: str) -> bool:
        return category in (self.categories or [])

    def status(self, on: dt.date) -> str:
        """``live``, ``future``, ``expired`` or ``revoked`` on the day ``on``."""
        if self.revoked_at is not None:
            return "revoked"
        if on < self.starts:
            return "future"
        if on > self.ends:
            return "expired"
        return "live"

    def category_labels(self) -> list[str]:
        labels = dict(DataCategory.choices)
        return [str(labels.get(c, c)) for c in self.categories or []]


class AuditEntryQuerySet(AppendOnlyQuerySet):
    # On top of the append-only refusals: only the chain writer inserts, one entry at a time.
    def bulk_create(self, *args: Any, **kwargs: Any) -> list[AuditEntry]:
        raise AppendOnlyError(
            "audit entries are written one at a time by "
            "asbhub.records.partners.access.record_access, which chains them"
        )

    def create(self, **kwargs: Any) -> AuditEntry:
        raise AppendOnlyError(
            "audit entries are written by "
            "asbhub.records.partners.access.record_access, which chains them"
        )


class AuditEntry(AppendOnlyModel):
    """One line of the audit log: who did what to which record, when, from where and why.

    Each entry carries the hash of the one before it (``prev_hash``) and its own ``hash`` over
    its fields and ``prev_hash``, so a changed, removed or reordered entry breaks the chain
    (:func:`asbhub.records.partners.audit.verify_chain`). Who and which agency are copied in as text
    rather than linked, so the entry keeps saying who it was after an account is renamed or
    deleted, and deleting an account never has to touch the log. ``detail`` must not repeat
    the personal data that was viewed: record ids and category codes, not names.
    """

    seq = models.PositiveBigIntegerField(unique=True, help_text="Position in the chain, from 1")
    at = models.DateTimeField(db_index=True)
    user_pk = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True, default="", db_index=True)
    agency = models.CharField(max_length=200, blank=True, default="", db_index=True)
    role = models.CharField(max_length=32, blank=True, default="")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    purpose = models.CharField(max_length=200, blank=True, default="")
    # Text, not GenericIPAddressField: the hash is over exactly the characters stored, and
    # PostgreSQL's inet type could hand back a different spelling of the same address.
    ip = models.CharField(max_length=45, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    # the base declares objects from its own QuerySet; this is a subclass of it (see above)
    objects = AuditEntryQuerySet.as_manager()  # type: ignore[misc]
    # Set to True by the chain writer only (asbhub.records.partners.audit), never a column.
    _sealed: bool

    class Meta:
        ordering = ["-seq"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.action}"

    append_only_noun = "audit entries"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Only the chain writer seals an entry (after computing its hash under the chain lock);
        # any other insert would be an unchained entry that verify_chain rejects.
        if self._state.adding and not getattr(self, "_sealed", False):
            raise AppendOnlyError(
                "audit entries are written by "
                "asbhub.records.partners.access.record_access, which chains them"
            )
        super().save(*args, **kwargs)  # AppendOnlyModel: refused unless a new row


class AuditChainHead(models.Model):
    """The last entry of the audit chain: one row, id 1.

    Writers lock this row before appending, so concurrent writers queue rather than fork the
    chain; and :func:`~asbhub.records.partners.audit.verify_chain` compares it with the last entry,
    so deleting entries from the end of the log is noticed too (unless this row is also
    rewritten: keep the hash that ``asbhub audit verify`` prints somewhere else as well).
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit chain head #{self.seq}"


class LoginFailure(models.Model):
    """One failed sign-in, by username (as typed, lower case) and address, for throttling.

    Rows are pruned once older than the throttle window; deleting a user's rows (in the admin)
    lifts a lock-out early.
    """

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=45, blank=True, default="")
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["username", "ip", "at"], name="login_failure_key")]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip or 'unknown address'} at {self.at:%Y-%m-%d %H:%M}"


class RateLimitCount(models.Model):
    """How many requests one address (or API token) has made to one limited action since
    ``started``: one row per key, counted by :mod:`asbhub.web.ratelimit`.

    A database row rather than per-process memory, so that a limit holds across waitress's
    threads and across several server processes; rows whose window has ended are pruned.
    """

    key = models.CharField(max_length=200, unique=True)
    started = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} since {self.started:%Y-%m-%d %H:%M:%S}"
