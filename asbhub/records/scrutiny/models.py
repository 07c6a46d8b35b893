"""Performance Scrutiny Meetings and the public's questions to them (seed 002).

A question moves received -> assigned -> answered -> approved -> published. Every move goes
through :func:`check_transition` (pure: statuses and facts in, an error or nothing out) and
:meth:`Question.move_to`, so the rules live in one place and the views cannot skip a step.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from asbhub.records.partners.models import Agency


class Theme(models.TextChoices):
    """The themes the PCC's office grouped the 21 March 2023 questions under (seed 002)."""

    VISIBLE_POLICING = "visible_policing", "Visible policing"
    ASB_HOTSPOTS = "asb_hotspots", "ASB hot spots"
    PARKING = "parking", "Parking and vehicles"
    E_SCOOTERS = "e_scooters", "E-scooters"
    SPECIFIC_PLACES = "specific_places", "Specific places"
    POLICE_PERFORMANCE = "police_performance", "Police performance"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    """Where a question is on its way from the public page to the published answers."""

    RECEIVED = "received", "Received"
    ASSIGNED = "assigned", "Assigned for an answer"
    ANSWERED = "answered", "Answered, awaiting approval"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"


#: The moves allowed from each status. Reassigning and revising an answer stay in place;
#: sending an answer back, or withdrawing an approval, returns the question a step. Nothing
#: leaves "published": the answer is then on the public record.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.ASSIGNED}),
    Status.ASSIGNED: frozenset({Status.ASSIGNED, Status.ANSWERED}),
    Status.ANSWERED: frozenset({Status.ANSWERED, Status.ASSIGNED, Status.APPROVED}),
    Status.APPROVED: frozenset({Status.ANSWERED, Status.PUBLISHED}),
    Status.PUBLISHED: frozenset(),
}


class IllegalTransition(ValueError):
    """A move the workflow does not allow, or one whose conditions are not met."""


def check_transition(
    current: str,
    target: str,
    *,
    has_assignee: bool = False,
    answer: str = "",
    has_approver: bool = False,
    has_meeting: bool = False,
) -> None:
    """Refuse a move that the workflow does not allow; return None when it may go ahead.

    Parameters
    ----------
    current, target : str
        :class:`Status` codes.
    has_assignee : bool
        A person or agency is named to answer (needed for ``assigned``).
    answer : str
        The answer text (must not be blank for ``answered``).
    has_approver : bool
        Someone is recorded as approving (needed for ``approved``).
    has_meeting : bool
        The meeting the answer is published with is set (needed for ``published``).

    Raises
    ------
    IllegalTransition
        Saying what is wrong and what to do instead.

    Examples
    --------
    >>> check_transition("received", "assigned", has_assignee=True)
    >>> check_transition("received", "published", has_meeting=True)
    Traceback (most recent call last):
    ...
    asbhub.records.scrutiny.models.IllegalTransition: a question that is received cannot be \
published; from received it can only be assigned
    """
    labels = dict(Status.choices)
    if current not in TRANSITIONS or target not in TRANSITIONS:
        raise IllegalTransition(
            f"unknown status {current!r} or {target!r}; expected one of {', '.join(Status.values)}"
        )
    allowed = TRANSITIONS[current]
    if target not in allowed:
        then = ", ".join(sorted(allowed)) or "nothing (it is on the public record)"
        raise IllegalTransition(
            f"a question that is {current} cannot be {target}; from {current} it can only be {then}"
        )
    if target == Status.ASSIGNED and not has_assignee:
        raise IllegalTransition("name a person or an agency to answer the question")
    if target == Status.ANSWERED and not answer.strip():
        raise IllegalTransition("write the answer before marking the question answered")
    if target == Status.APPROVED and not has_approver:
        raise IllegalTransition("an approval must record who approved the answer")
    if target == Status.PUBLISHED and not has_meeting:
        raise IllegalTransition(
            f"choose the meeting the answer is published with "
            f"({labels[Status.APPROVED].lower()} answers only)"
        )


class MeetingQuerySet(models.QuerySet):
    def upcoming(self, on: dt.date | None = None) -> MeetingQuerySet:
        """Meetings on or after ``on`` (default today), soonest first."""
        return self.filter(date__gte=on or timezone.localdate()).order_by("date")

    def past_with_answers(self, on: dt.date | None = None) -> MeetingQuerySet:
        """Meetings held by ``on`` that published at least one answer, latest first."""
        return (
            self.filter(date__lte=on or timezone.localdate(), questions__status=Status.PUBLISHED)
            .distinct()
            .order_by("-date")
        )


class Meeting(models.Model):
    """A Performance Scrutiny Meeting, e.g. 21 March 2023 on neighbourhood crime and ASB."""

    date = models.DateField()
    title = models.CharField(max_length=200, help_text="e.g. 'Performance Scrutiny Meeting'")
    theme = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="The Police and Crime Plan priority, e.g. "
        "'Priority 2: Neighbourhood crime & ASB'",
    )

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.title}, {self.date:%-d %B %Y}" + (f" ({self.theme})" if self.theme else "")


class QuestionQuerySet(models.QuerySet):
    def published(self) -> QuestionQuerySet:
        """Questions whose approved answers are on the public record."""
        return self.filter(status=Status.PUBLISHED, meeting__isnull=False)


class Question(models.Model):
    """A question from the public page, with its answer and where it is in the workflow.

    ``asker_name`` is published only with ``name_consent``; ``email`` never is: public pages
    read :meth:`public_asker`, not the fields.
    """

    asker_name = models.CharField(max_length=200, blank=True, default="")
    name_consent = models.BooleanField(
        default=False, help_text="The asker agreed to their name being published"
    )
    email = models.EmailField(blank=True, default="")
    area = models.CharField(max_length=200, help_text="Where the asker lives, e.g. 'Bolsover'")
    text = models.TextField()
    theme = models.CharField(max_length=32, choices=Theme.choices, default=Theme.OTHER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(default=timezone.now)
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.TextField(blank=True, default="")
    answered_by = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="Who the answer is from, e.g. 'Constabulary'",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questions",
        help_text="The meeting the question is for and published with",
    )
    published_at = models.DateTimeField(null=True, blank=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"Question {self.pk} ({self.get_status_display()})"

    def public_asker(self) -> str:
        """How the published page names the asker: 'Resident from Bolsover', or their name
        if they agreed to it being published."""
        if self.name_consent and self.asker_name.strip():
            return f"{self.asker_name.strip()}, {self.area}"
        return f"Resident from {self.area}"

    def move_to(self, target: str, *, user: Any = None, **changes: Any) -> None:
        """Apply ``changes``, check the move to ``target`` and save; nothing is saved if the
        move is refused.

        Parameters
        ----------
        target : str
            A :class:`Status` code.
        user : User, optional
            Who is acting: recorded as the approver on ``approved``.
        **changes
            Fields to set with the move: ``assigned_user``, ``assigned_agency``, ``answer``,
            ``answered_by``, ``meeting``.

        Raises
        ------
        IllegalTransition
        """
        allowed = {"assigned_user", "assigned_agency", "answer", "answered_by", "meeting"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise TypeError(
                f"cannot set {', '.join(unknown)} with a move; "
                f"expected some of {', '.join(sorted(allowed))}"
            )
        after = {f: getattr(self, f) for f in allowed} | changes
        approver = user if target == Status.APPROVED else self.approved_by
        check_transition(
            self.status,
            target,
            has_assignee=bool(after["assigned_user"] or after["assigned_agency"]),
            answer=after["answer"] or "",
            has_approver=approver is not None and getattr(approver, "is_authenticated", False),
            has_meeting=after["meeting"] is not None,
        )
        for name, value in changes.items():
            setattr(self, name, value)
        now = timezone.now()
        if target == Status.APPROVED:
            self.approved_by, self.approved_at = user, now
        elif target in (Status.ANSWERED, Status.ASSIGNED):
            # A changed answer, or one sent back, needs approving again.
            self.approved_by, self.approved_at = None, None
        if target == Status.PUBLISHED:
            self.published_at = now
        self.status = target
        self.save()
