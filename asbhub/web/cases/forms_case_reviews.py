"""Forms for ASB Case Reviews: staff's complaint, decision, meeting, action and threshold
rule forms, and the public application form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone

from asbhub.records.cases.models import ApplyingFor, CaseReviewDecision, ThresholdRule
from asbhub.records.partners.models import Agency
from asbhub.web.cases.forms import DATE, TEXTAREA, VersionForm
from asbhub.web.dates import event_date, planning_date

#: How many incidents the public form has rows for (one is required).
PUBLIC_INCIDENT_ROWS = 3
INPUT = {"class": "govuk-input"}


class ComplaintForm(VersionForm):
    reference = forms.CharField(
        label="Incident or complaint reference",
        max_length=64,
        widget=forms.TextInput(attrs=INPUT),
        error_messages={"required": "Enter the reference"},
    )
    incident_on = forms.DateField(
        validators=[event_date],
        label="Date it happened",
        **DATE,
        error_messages={"required": "Enter the date it happened", "invalid": "Enter a real date"},
    )
    reported_on = forms.DateField(
        validators=[event_date],
        label="Date reported",
        **DATE,
        error_messages={
            "required": "Enter the date it was reported",
            "invalid": "Enter a real date",
        },
    )
    complainant = forms.CharField(
        label="Who complained",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=INPUT),
        help_text="Any stable name or key: the per-person rule counts different people.",
    )
    problem = forms.CharField(
        label="The problem it is about",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=INPUT),
        help_text="Complaints about the same problem are added up.",
    )
    hate = forms.BooleanField(label="A hate incident or crime", required=False)


class DecisionForm(VersionForm):
    decision = forms.ChoiceField(
        label="Is the threshold met?",
        widget=forms.RadioSelect,
        choices=[
            (CaseReviewDecision.MET.value, CaseReviewDecision.MET.label),
            (CaseReviewDecision.NOT_MET.value, CaseReviewDecision.NOT_MET.label),
        ],
        error_messages={"required": "Choose whether the threshold is met"},
    )
    notes = forms.CharField(
        label="Reasons for the decision",
        widget=TEXTAREA,
        max_length=5000,
        error_messages={"required": "Give the reasons for the decision"},
    )


class MeetingForm(VersionForm):
    meeting_on = forms.DateField(
        validators=[planning_date],
        label="Date of the review meeting",
        **DATE,
        error_messages={
            "required": "Enter the date of the meeting",
            "invalid": "Enter a real date",
        },
    )
    attendees = forms.ModelMultipleChoiceField(
        label="Agencies that attended",
        queryset=Agency.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the agencies that attended"},
    )
    recommendations = forms.CharField(
        label="Recommendations",
        widget=TEXTAREA,
        max_length=10000,
        error_messages={"required": "Write the recommendations"},
    )


class CaseReviewActionForm(VersionForm):
    description = forms.CharField(
        label="Action",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "govuk-textarea"}),
        error_messages={"required": "Describe the action"},
    )
    owner_agency = forms.ModelChoiceField(
        label="Owner agency",
        queryset=Agency.objects.filter(is_active=True),
        error_messages={"required": "Choose the owner agency"},
    )
    due = forms.DateField(
        validators=[planning_date],
        label="Due by",
        **DATE,
        error_messages={"required": "Enter the due date", "invalid": "Enter a real date"},
    )


class ThresholdRuleForm(forms.ModelForm):
    class Meta:
        model = ThresholdRule
        fields = [
            "area",
            "complaints",
            "window_months",
            "report_within_days",
            "count_people",
            "hate_incidents",
            "decision_working_days",
        ]
        labels = {
            "area": "Area (LPU or district; blank for the default rule)",
            "complaints": "Complaints (or people) needed",
            "window_months": "Within how many months",
            "report_within_days": "Each reported within how many days of the incident",
            "count_people": "Count different people, not complaints",
            "hate_incidents": "Hate incidents that alone meet it (optional)",
            "decision_working_days": "Decision due within how many working days",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].required = False
        for name in (
            "complaints",
            "window_months",
            "report_within_days",
            "decision_working_days",
            "hate_incidents",
        ):
            self.fields[name].validators.append(
                MinValueValidator(1, message="Enter a whole number of 1 or more")
            )
            self.fields[name].widget.attrs.update(
                {"min": 1, "class": "govuk-input govuk-input--width-4"}
            )

    def validate_unique(self) -> None:
        # Saving an area's rule again replaces it (services.save_rule), so a second form for
        # the same area is not an error.
        return None


def _past(value: dt.date, what: str) -> dt.date:
    if value > timezone.localdate():
        raise forms.ValidationError(f"The date {what} must be today or in the past")
    return value


class PublicCaseReviewForm(forms.Form):
    """A resident's application for an ASB Case Review (no sign-in)."""

    applying_for = forms.ChoiceField(
        label="Who are you applying for?",
        choices=ApplyingFor.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who you are applying for"},
    )
    name = forms.CharField(
        label="Your full name",
        max_length=200,
        widget=forms.TextInput(attrs={**INPUT, "autocomplete": "name"}),
        error_messages={"required": "Enter your full name"},
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={**INPUT, "autocomplete": "tel", "type": "tel"}),
    )
    email = forms.EmailField(
        label="Email address",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={**INPUT, "autocomplete": "email"}),
        error_messages={"invalid": "Enter an email address like name@example.com"},
    )
    address = forms.CharField(
        label="Address (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(
            attrs={"rows": 3, "class": "govuk-textarea", "autocomplete": "street-address"}
        ),
    )
    postcode = forms.CharField(
        label="Postcode (optional)",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={**INPUT, "autocomplete": "postal-code"}),
    )
    victim_name = forms.CharField(
        label="The victim's full name (if you apply for someone else)",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs=INPUT),
    )
    relationship = forms.CharField(
        label="Your relationship to them (optional)",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs=INPUT),
        help_text="For example: daughter, carer, councillor.",
    )
    # Issue #12 item 7: the place in the resident's words, not a police area; staff get the
    # LPU derived from it (``locate_area``), or none to set when the words name no one LPU.
    place = forms.CharField(
        label="Where is the problem?",
        max_length=300,
        widget=forms.TextInput(attrs={"class": "govuk-input", "autocomplete": "off"}),
        help_text="The street or place and the town or village, for example 'the shops on "
        "Market Place, Long Eaton' or 'Sandiacre park'.",
        error_messages={
            "required": "Say where the problem is: a street or place and the town or village"
        },
    )
    problem = forms.CharField(
        label="What is the problem, in a few words?",
        max_length=200,
        widget=forms.TextInput(attrs=INPUT),
        help_text="For example: noise from a neighbour; youths gathering outside the shops.",
        error_messages={"required": "Say in a few words what the problem is"},
    )
    description = forms.CharField(
        label="What has been happening, and what was done about it?",
        max_length=10000,
        widget=TEXTAREA,
        error_messages={"required": "Describe what has been happening"},
    )
    consent = forms.BooleanField(
        label="I agree that the police, council and housing provider may share the information "
        "in this application with each other to carry out the Case Review",
        error_messages={
            "required": "You must agree to the information being shared for the review to go ahead"
        },
    )

    def __init__(
        self, *args: Any, locate_area: Callable[[str], str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.locate_area = locate_area
        for n in range(1, PUBLIC_INCIDENT_ROWS + 1):
            self.fields[f"happened_on_{n}"] = forms.DateField(
                validators=[event_date],
                label=f"Incident {n}: date it happened",
                required=False,
                input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                **DATE,
                error_messages={"invalid": "Enter a real date, for example 27/3/2025"},
            )
            self.fields[f"reported_on_{n}"] = forms.DateField(
                validators=[event_date],
                label=f"Incident {n}: date you reported it",
                required=False,
                input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                **DATE,
                error_messages={"invalid": "Enter a real date, for example 28/3/2025"},
            )
            self.fields[f"reported_to_{n}"] = forms.CharField(
                label=f"Incident {n}: who you reported it to",
                required=False,
                max_length=100,
                widget=forms.TextInput(attrs=INPUT),
                help_text="Police, council or housing provider, with any reference you were given.",
            )
            self.fields[f"what_{n}"] = forms.CharField(
                label=f"Incident {n}: what happened",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2, "class": "govuk-textarea"}),
            )

    def incident_rows(self) -> list[list[Any]]:
        """The incident fields, row by row, for the template."""
        return [
            [self[f"{k}_{n}"] for k in ("happened_on", "reported_on", "reported_to", "what")]
            for n in range(1, PUBLIC_INCIDENT_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        place = " ".join((data.get("place") or "").split())
        if place:
            data["area"] = self.locate_area(place) if self.locate_area else ""
            # Kept with the application, where the staff who read it see it first.
            data["description"] = (
                f"Where the problem is: {place}\n\n{data.get('description') or ''}"
            )
        if (
            not (data.get("phone") or "").strip()
            and not data.get("email")
            and "email" not in self.errors
        ):
            self.add_error(
                "phone", "Give a phone number or an email address, so we can tell you the decision"
            )
        if (
            data.get("applying_for") == ApplyingFor.OTHER
            and not (data.get("victim_name") or "").strip()
        ):
            self.add_error("victim_name", "Enter the name of the person you are applying for")
        incidents = []
        for n in range(1, PUBLIC_INCIDENT_ROWS + 1):
            happened, reported = data.get(f"happened_on_{n}"), data.get(f"reported_on_{n}")
            what = (data.get(f"what_{n}") or "").strip()
            if f"happened_on_{n}" in self.errors or f"reported_on_{n}" in self.errors:
                continue
            if not (happened or reported or what):
                continue
            if happened is None:
                self.add_error(f"happened_on_{n}", f"Enter the date incident {n} happened")
                continue
            if reported is None:
                self.add_error(f"reported_on_{n}", f"Enter the date you reported incident {n}")
                continue
            try:
                _past(happened, f"incident {n} happened")
                _past(reported, f"incident {n} was reported")
            except forms.ValidationError as exc:
                self.add_error(f"happened_on_{n}", exc)
                continue
            if reported < happened:
                self.add_error(
                    f"reported_on_{n}", f"Incident {n} cannot have been reported before it happened"
                )
                continue
            incidents.append(
                {
                    "happened_on": happened,
                    "reported_on": reported,
                    "reported_to": (data.get(f"reported_to_{n}") or "").strip(),
                    "what": what,
                }
            )
        if not incidents and not any(
            k.startswith(("happened_on_", "reported_on_")) for k in self.errors
        ):
            self.add_error(
                "happened_on_1",
                "Tell us about at least one incident: the date it "
                "happened and the date you reported it",
            )
        data["incidents"] = incidents
        for key in (
            "name",
            "phone",
            "address",
            "postcode",
            "victim_name",
            "relationship",
            "problem",
            "description",
        ):
            data[key] = (data.get(key) or "").strip()
        data["email"] = data.get("email") or ""
        return data
