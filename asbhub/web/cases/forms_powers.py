"""Forms of the powers register: a use of a power, and what followed it."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from asbhub.records.cases.models import AgeBand, Pmp, PowerEventKind, PowerKind
from asbhub.web.cases.forms import DATE, VersionForm
from asbhub.web.dates import event_date


class PowerForm(forms.Form):
    """A use of any power of :class:`PowerKind`, on a person, premises or a plan's area."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(
        label="Power",
        choices=[("", "Choose a power"), *PowerKind.choices],
        error_messages={"required": "Choose the power used"},
    )
    person = forms.IntegerField(
        label="Person record number (optional)",
        required=False,
        min_value=1,
        help_text="The number of the person's record on the incident, if the power names them.",
        widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-10"}),
        error_messages={"invalid": "Enter the person record number as digits"},
    )
    premises = forms.CharField(
        label="Premises or place (optional)",
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "govuk-input"}),
    )
    pmp = forms.ModelChoiceField(
        label="Plan (optional)", required=False, queryset=Pmp.objects.none(), empty_label="No plan"
    )
    age_band = forms.ChoiceField(
        label="Age of the subject",
        required=False,
        widget=forms.RadioSelect,
        choices=AgeBand.choices,
        help_text="Needed for Criminal Behaviour Orders and civil injunctions.",
    )
    applied_on = forms.DateField(
        validators=[event_date],
        label="Applied for (to court)",
        required=False,
        **DATE,
        error_messages={"invalid": "Enter the date applied for as a real date"},
    )
    issued_on = forms.DateField(
        validators=[event_date],
        label="Issued, served or made",
        required=False,
        **DATE,
        error_messages={"invalid": "Enter the date issued as a real date"},
    )
    granted_on = forms.DateField(
        validators=[event_date],
        label="Granted by the court",
        required=False,
        **DATE,
        error_messages={"invalid": "Enter the date granted as a real date"},
    )
    interim = forms.BooleanField(label="Interim (injunctions)", required=False)
    power_of_arrest = forms.BooleanField(label="Power of arrest attached", required=False)
    notes = forms.CharField(
        label="Notes (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "govuk-textarea"}),
    )

    def __init__(self, *args: Any, plans: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plans is not None:
            cast(forms.ModelChoiceField, self.fields["pmp"]).queryset = plans
        self.fields["kind"].widget.attrs["class"] = "govuk-select"
        self.fields["pmp"].widget.attrs["class"] = "govuk-select"


class PowerEventForm(VersionForm):
    kind = forms.ChoiceField(
        label="What happened",
        choices=PowerEventKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happened"},
    )
    on = forms.DateField(
        validators=[event_date],
        label="Date",
        **DATE,
        error_messages={
            "required": "Enter the date it happened",
            "invalid": "Enter the date as a real date",
        },
    )
    notes = forms.CharField(
        label="Notes (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "govuk-textarea"}),
    )
