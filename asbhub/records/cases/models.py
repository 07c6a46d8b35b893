"""Problem Management Plans (PMPs) on SARA, the ASB powers register, and ASB Case Reviews.

The rules (stage requirements, review dates, working days, the Case Review threshold) live in
:mod:`asbhub.domain.cases`; the queries and the optimistic-locking save in
:mod:`asbhub.records.cases.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from asbhub.domain.cases import DEFAULT_REVIEW_CADENCE_DAYS, SaraStage
from asbhub.records.incidents.models import Incident, Location, Person
from asbhub.records.partners.models import Agency

# django-stubs lack TextChoices' functional form with (value, label) pairs, which Django takes
Stage = models.TextChoices("Stage", [(s.name, (s.value, s.label)) for s in SaraStage])  # type: ignore[call-overload]


class ProblemType(models.Model):
    """A kind of problem a PMP tackles (seeded with seed 003's list, section 5.33; extensible)."""

    name = models.CharField(max_length=200, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Pmp(models.Model):
    """A Problem Management Plan: one problem worked through Scanning, Analysis, Response and
    Assessment by an owner agency with its partners.

    ``version`` counts saves; an edit is written only if the row still has the version the
    editor started from (:func:`asbhub.records.cases.services.save_pmp`), so no update is lost.
    """

    reference = models.CharField(max_length=30, unique=True, help_text="e.g. PMP-2024-0007")
    title = models.CharField(max_length=200)
    problem_type = models.ForeignKey(ProblemType, on_delete=models.PROTECT, related_name="pmps")
    lpu = models.CharField("Local Policing Unit", max_length=100, db_index=True)
    area = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="SNT, ward or place, e.g. 'Bolsover town centre'",
    )
    locations = models.ManyToManyField(Location, blank=True, related_name="pmps")
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="owned_pmps")
    partner_agencies = models.ManyToManyField(Agency, blank=True, related_name="partner_pmps")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=SaraStage.SCANNING.value)
    # Scanning
    statement = models.TextField("Problem statement", blank=True, default="")
    data_summary = models.TextField("Data", blank=True, default="")
    # Analysis: the problem analysis triangle. Victim and offender text may name people: the
    # detail page shows them only to those entitled to victims' and perpetrators' details.
    victim = models.TextField(blank=True, default="")
    offender = models.TextField(blank=True, default="")
    location = models.TextField(blank=True, default="")
    # Assessment
    assessment = models.TextField(blank=True, default="")
    evaluation = models.JSONField(
        default=dict, blank=True, help_text="Counts and results of evaluate_intervention"
    )
    review_cadence_days = models.PositiveIntegerField(default=DEFAULT_REVIEW_CADENCE_DAYS)
    next_review_due = models.DateField(null=True, blank=True, db_index=True)
    opened_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    is_demo = models.BooleanField(default=False, help_text="Demonstration data, not a real case")

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = "problem management plan"

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class PmpIncident(models.Model):
    """An incident linked to a plan (picked on the map or by query)."""

    pmp = models.ForeignKey(Pmp, on_delete=models.CASCADE, related_name="incident_links")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="pmp_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pmp", "incident"], name="pmp_incident_unique")
        ]


class PmpPersonRole(models.TextChoices):
    VICTIM = "victim", "Victim"
    PERPETRATOR = "perpetrator", "Perpetrator"


class PmpPerson(models.Model):
    """A person (from the incident store) linked to a plan as victim or perpetrator."""

    pmp = models.ForeignKey(Pmp, on_delete=models.CASCADE, related_name="person_links")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="pmp_links")
    role = models.CharField(max_length=12, choices=PmpPersonRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pmp", "person", "role"], name="pmp_person_unique")
        ]


class PmpAction(models.Model):
    """One action of a plan's response, owned by an agency and due by a date."""

    pmp = models.ForeignKey(Pmp, on_delete=models.CASCADE, related_name="actions")
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="pmp_actions")
    description = models.TextField()
    due = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return f"{self.description[:50]} (due {self.due:%d/%m/%Y})"


class PmpReview(models.Model):
    """A supervisor's review of a plan."""

    pmp = models.ForeignKey(Pmp, on_delete=models.CASCADE, related_name="reviews")
    reviewed_at = models.DateTimeField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True, default="")
    next_review_due = models.DateField()

    class Meta:
        ordering = ["-reviewed_at"]


# --------------------------------------------------------------------------------------------
# ASB powers register
# --------------------------------------------------------------------------------------------


class PowerKind(models.TextChoices):
    """The powers of the Anti-social Behaviour, Crime and Policing Act 2014 that table 5.36
    counts, and dispersal directions."""

    CPW = "cpw", "Community Protection Warning"
    CPN = "cpn", "Community Protection Notice"
    CBO = "cbo", "Criminal Behaviour Order"
    INJUNCTION = "injunction", "Civil injunction"
    CLOSURE_NOTICE_24 = "closure_notice_24", "Closure Notice (24 hours)"
    CLOSURE_NOTICE_48 = "closure_notice_48", "Closure Notice (48 hours)"
    CLOSURE_ORDER = "closure_order", "Closure Order"
    PSPO = "pspo", "Public Spaces Protection Order"
    DISPERSAL = "dispersal", "Dispersal direction"


class AgeBand(models.TextChoices):
    OVER_18 = "over_18", "18 or over"
    UNDER_18 = "under_18", "Under 18"


class Power(models.Model):
    """One use of an ASB power, on a person, premises or the area of a plan.

    Dates: ``applied_on`` (to court, for orders and injunctions), ``issued_on`` (warnings,
    notices, directions; the day a PSPO is made), ``granted_on`` (by the court).
    """

    kind = models.CharField(max_length=20, choices=PowerKind.choices)
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="powers")
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="powers"
    )
    premises = models.CharField(max_length=300, blank=True, default="")
    pmp = models.ForeignKey(
        Pmp, on_delete=models.SET_NULL, null=True, blank=True, related_name="powers"
    )
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True, default="")
    applied_on = models.DateField(null=True, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    granted_on = models.DateField(null=True, blank=True)
    power_of_arrest = models.BooleanField(default=False)
    interim = models.BooleanField(default=False)
    notes = models.TextField(blank=True, default="")
    is_demo = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1, help_text="Counts saves (optimistic locking)")

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.person_id is None and not self.premises.strip() and self.pmp_id is None:
            errors["premises"] = "Link the power to a person, premises or a PMP."
        if self.kind in (PowerKind.CBO, PowerKind.INJUNCTION) and not self.age_band:
            errors["age_band"] = "Say whether the subject is 18 or over, or under 18."
        if not (self.applied_on or self.issued_on or self.granted_on):
            errors["issued_on"] = "Give at least one date: applied for, issued or granted."
        if errors:
            raise ValidationError(errors)


class PowerEventKind(models.TextChoices):
    BREACH = "breach", "Breach"
    FPN = "fpn", "Fixed penalty notice"
    PROSECUTION = "prosecution", "Prosecution for breach"
    REMEDIAL_ACTION = "remedial_action", "Remedial action taken"
    REMEDIAL_ORDER = "remedial_order", "Remedial order"
    FORFEITURE_ORDER = "forfeiture_order", "Forfeiture order"
    SEIZURE_WARRANT = "seizure_warrant", "Warrant authorising seizure"


class PowerEvent(models.Model):
    """Something that followed a power: a breach, a fixed penalty, a prosecution, an order."""

    power = models.ForeignKey(Power, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=PowerEventKind.choices)
    on = models.DateField()
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="e.g. who received a PSPO's FPN",
    )
    notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["on", "pk"]


# --------------------------------------------------------------------------------------------
# ASB Case Reviews (Community Trigger)
# --------------------------------------------------------------------------------------------


class ThresholdRule(models.Model):
    """The Case Review threshold an area has set (see :class:`asbhub.domain.cases.ThresholdRule`).

    ``area`` blank is the default rule for areas that have not set their own.
    """

    area = models.CharField(max_length=200, unique=True, blank=True, default="")
    complaints = models.PositiveIntegerField(default=3)
    window_months = models.PositiveIntegerField(default=6)
    report_within_days = models.PositiveIntegerField(default=31)
    count_people = models.BooleanField(default=False, help_text="Count people, not complaints")
    hate_incidents = models.PositiveIntegerField(
        null=True, blank=True, help_text="Hate incidents that alone meet it"
    )
    decision_working_days = models.PositiveIntegerField(default=10)

    def __str__(self) -> str:
        return f"Case Review threshold for {self.area or 'all areas'}"


class CaseReviewDecision(models.TextChoices):
    PENDING = "pending", "Not yet decided"
    MET = "met", "Threshold met: review to be held"
    NOT_MET = "not_met", "Threshold not met"


class CaseReview(models.Model):
    """An application for an ASB Case Review, its threshold check, decision and review."""

    reference = models.CharField(max_length=30, unique=True)
    applicant_name = models.CharField(max_length=200)
    applicant_contact = models.CharField(max_length=300, blank=True, default="")
    on_behalf_of = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="The victim, when someone applies for them",
    )
    from_public_form = models.BooleanField(default=False)
    area = models.CharField(max_length=200)
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="case_reviews")
    description = models.TextField(blank=True, default="")
    received_on = models.DateField()
    decision_due = models.DateField()
    rule_used = models.JSONField(default=dict, blank=True)
    threshold_met = models.BooleanField(null=True)
    threshold_reason = models.TextField(blank=True, default="")
    decision = models.CharField(
        max_length=10, choices=CaseReviewDecision.choices, default=CaseReviewDecision.PENDING
    )
    decided_on = models.DateField(null=True, blank=True)
    meeting_on = models.DateField(null=True, blank=True)
    recommendations = models.TextField(blank=True, default="")
    pmp = models.ForeignKey(
        Pmp,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="case_reviews",
        help_text="Actions are tracked here",
    )
    decision_notes = models.TextField(blank=True, default="")
    attendees = models.ManyToManyField(
        Agency,
        blank=True,
        related_name="case_review_meetings",
        help_text="Agencies at the review meeting",
    )
    is_demo = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1, help_text="Counts saves (optimistic locking)")

    class Meta:
        ordering = ["-received_on"]

    def __str__(self) -> str:
        return self.reference


class CaseReviewComplaint(models.Model):
    """A complaint linked to a Case Review application, for the threshold check."""

    case_review = models.ForeignKey(CaseReview, on_delete=models.CASCADE, related_name="complaints")
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(max_length=64)
    incident_on = models.DateField()
    reported_on = models.DateField()
    complainant = models.CharField(max_length=200, blank=True, default="")
    problem = models.CharField(max_length=200, blank=True, default="")
    hate = models.BooleanField(default=False)
    reported_to = models.CharField(
        max_length=100, blank=True, default="", help_text="Police, council, housing provider ..."
    )
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["reported_on", "pk"]


class CaseReviewAction(models.Model):
    """An action the Case Review meeting recommended, owned by an agency and due by a date."""

    case_review = models.ForeignKey(CaseReview, on_delete=models.CASCADE, related_name="actions")
    owner_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="case_review_actions"
    )
    description = models.TextField()
    due = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "pk"]


class ApplyingFor(models.TextChoices):
    SELF = "self", "Myself (I am the victim)"
    OTHER = "other", "Someone else, with their consent"


class CaseReviewApplicant(models.Model):
    """The applicant's details from the public form, kept apart from the application itself
    (as the public ASB report keeps its caller apart from the incident), so they are shown
    only to those entitled to victims' personal details of the owner agency."""

    case_review = models.OneToOneField(
        CaseReview, on_delete=models.CASCADE, related_name="applicant"
    )
    applying_for = models.CharField(max_length=5, choices=ApplyingFor.choices)
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    address = models.TextField(blank=True, default="")
    postcode = models.CharField(max_length=10, blank=True, default="")
    victim_name = models.CharField(max_length=200, blank=True, default="")
    relationship = models.CharField(max_length=100, blank=True, default="")
    consent = models.BooleanField(default=False)
    consented_at = models.DateTimeField(null=True, blank=True)
