"""Victim risk questionnaires (versioned), assessments per victim per incident, and reviews.

The rules (scores, bands, cadence, calibration) live in :mod:`asbhub.domain.risk`; queries and
writes in :mod:`asbhub.records.risk.services`. A questionnaire version is immutable once an
assessment or review has used it: a change makes a new version, so every assessment keeps the
questions, weights and thresholds it was scored with.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from asbhub.domain import risk as rules
from asbhub.domain.vocab import THRIVE_ELEMENTS, THRIVE_GRADES
from asbhub.records.incidents.models import Incident, Person
from asbhub.records.partners.models import Agency


class BandChoices(models.TextChoices):
    STANDARD = rules.Band.STANDARD.value, "Standard risk"
    MEDIUM = rules.Band.MEDIUM.value, "Medium risk"
    HIGH = rules.Band.HIGH.value, "High risk"


# django-stubs lack TextChoices' functional form with (value, label) pairs, which Django takes
ThriveGrade = models.TextChoices(  # type: ignore[call-overload]
    "ThriveGrade", [(g.upper(), (g, g.capitalize())) for g in THRIVE_GRADES]
)


class VersionInUseError(PermissionError):
    """A questionnaire version that assessments used cannot be changed: make a new one."""


class QuestionnaireVersion(models.Model):
    """One version of the victim risk questionnaire, as JSON (:class:`rules.Questionnaire`).

    The highest-numbered published version is the one new assessments use.
    """

    number = models.PositiveIntegerField(unique=True)
    definition = models.JSONField(help_text="Questions, weights, thresholds and review days")
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150, blank=True, default="")
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="derived"
    )
    change_note = models.TextField(
        blank=True, default="", help_text="What changed from the version it is based on"
    )

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Version {self.number}" + ("" if self.published else " (draft)")

    def questionnaire(self) -> rules.Questionnaire:
        return rules.Questionnaire.from_dict(self.definition, version=self.number)

    @property
    def is_used(self) -> bool:
        if self.pk is None:
            return False
        return self.assessments.exists() or self.reviews.exists()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = (
                QuestionnaireVersion.objects.using(self._state.db or "default")
                .filter(pk=self.pk)
                .values_list("definition", "number")
                .first()
            )
            if (
                stored
                and (stored[0] != self.definition or stored[1] != self.number)
                and self.is_used
            ):
                raise VersionInUseError(
                    f"version {stored[1]} has been used by assessments, so it cannot change; "
                    "create a new version from it instead"
                )
        super().save(*args, **kwargs)


class RiskAssessment(models.Model):
    """A victim's risk assessment on one incident, with THRIVE at first contact.

    ``owner_agency`` is the assessing agency: who may see the assessment follows it (sharing
    category ``risk_assessment``); the victim's details follow the incident's owner
    (``victim_personal``). ``band`` and ``score`` are as assessed; ``current_band`` and
    ``next_review_due`` follow the latest review.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="risk_assessments")
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="risk_assessments"
    )
    questionnaire = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="assessments"
    )
    version_number = models.PositiveIntegerField(help_text="Questionnaire version used")
    answers = models.JSONField()
    score = models.IntegerField()
    band = models.CharField(max_length=10, choices=BandChoices.choices)
    current_band = models.CharField(max_length=10, choices=BandChoices.choices)
    owner_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="risk_assessments"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assessor_name = models.CharField(max_length=150, blank=True, default="")
    assessed_at = models.DateTimeField(db_index=True)
    lpu = models.CharField(
        "Local Policing Unit", max_length=100, blank=True, default="", db_index=True
    )
    next_review_due = models.DateField(null=True, blank=True, db_index=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # THRIVE at first contact: a grade and a short note for each element.
    thrive_threat = models.CharField(
        max_length=6, choices=ThriveGrade.choices, blank=True, default=""
    )
    thrive_threat_note = models.CharField(max_length=300, blank=True, default="")
    thrive_harm = models.CharField(
        max_length=6, choices=ThriveGrade.choices, blank=True, default=""
    )
    thrive_harm_note = models.CharField(max_length=300, blank=True, default="")
    thrive_risk = models.CharField(
        max_length=6, choices=ThriveGrade.choices, blank=True, default=""
    )
    thrive_risk_note = models.CharField(max_length=300, blank=True, default="")
    thrive_investigation = models.CharField(
        max_length=6, choices=ThriveGrade.choices, blank=True, default=""
    )
    thrive_investigation_note = models.CharField(max_length=300, blank=True, default="")
    thrive_vulnerability = models.CharField(
        max_length=6, choices=ThriveGrade.choices, blank=True, default=""
    )
    thrive_vulnerability_note = models.CharField(max_length=300, blank=True, default="")
    thrive_engagement = models.CharField(
        max_length=6, choices=ThriveGrade.choices, blank=True, default=""
    )
    thrive_engagement_note = models.CharField(max_length=300, blank=True, default="")
    thrive_notes = models.TextField("THRIVE notes", blank=True, default="")
    is_demo = models.BooleanField(default=False, help_text="Demonstration data, not a real case")

    class Meta:
        ordering = ["-assessed_at", "-pk"]

    def __str__(self) -> str:
        return f"Risk assessment {self.pk} ({self.band}) of person {self.person_id}"

    def thrive(self) -> list[tuple[str, str, str]]:
        """(element, grade, note) for each THRIVE element, in THRIVE order."""
        return [
            (
                e.capitalize(),
                getattr(self, f"thrive_{e}") or "Not graded",
                getattr(self, f"thrive_{e}_note"),
            )
            for e in THRIVE_ELEMENTS
        ]


class RiskReview(models.Model):
    """A review of an assessment: the questions asked again with the assessment's version,
    a new score and band, notes, and the next review date (None when closed or standard)."""

    assessment = models.ForeignKey(RiskAssessment, on_delete=models.CASCADE, related_name="reviews")
    questionnaire = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="reviews"
    )
    reviewed_at = models.DateTimeField(db_index=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewer_name = models.CharField(max_length=150, blank=True, default="")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="risk_reviews")
    answers = models.JSONField()
    score = models.IntegerField()
    previous_band = models.CharField(max_length=10, choices=BandChoices.choices)
    band = models.CharField(max_length=10, choices=BandChoices.choices)
    notes = models.TextField(blank=True, default="")
    closed = models.BooleanField(default=False, help_text="No further reviews needed")
    next_review_due = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self) -> str:
        return f"Review {self.pk} of assessment {self.assessment_id}"
