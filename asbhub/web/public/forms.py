"""The public ASB report form: what, when, where, and optional contact details."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from asbhub.domain.vocab import AsbCategory
from asbhub.web.dates import event_date
from asbhub.web.partners.forms import GovukForm

#: Plain-English guidance for each NSIR category (seed 003, 5.1), with everyday examples.
CATEGORY_GUIDANCE: dict[str, tuple[str, str]] = {
    AsbCategory.PERSONAL.value: (
        "Aimed at you, your family or a particular person or group, rather than the "
        "community at large.",
        "Examples: being threatened, intimidated or harassed; targeted abuse; someone "
        "repeatedly causing trouble at your home.",
    ),
    AsbCategory.NUISANCE.value: (
        "Causes trouble, annoyance or suffering to the local community in general rather "
        "than to one person.",
        "Examples: rowdy or inconsiderate behaviour in the street; street drinking; "
        "nuisance vehicles or motorbikes; noisy gatherings.",
    ),
    AsbCategory.ENVIRONMENTAL.value: (
        "People spoiling a place for others who want to use and enjoy it.",
        "Examples: graffiti; fly-tipping; litter; dog fouling; damage to a park or bus shelter.",
    ),
}

CATEGORY_CHOICES = [(c.value, c.label) for c in AsbCategory]

# Inside Great Britain, roughly: anything else is a slip of the map or a forged request.
LAT_RANGE = (49.8, 61.0)
LON_RANGE = (-8.7, 2.0)


class PublicReportForm(GovukForm):
    """A resident's report of anti-social behaviour.

    A place is either a map point (the hidden ``latitude`` and ``longitude`` fields, set by
    ``report-map.js``) or a description typed by the resident; at least one is required.
    Contact details are optional. Widgets carry GOV.UK Frontend's classes through
    :class:`~asbhub.web.partners.forms.GovukForm`; the attrs here set only widths and hints
    to the browser.
    """

    category = forms.ChoiceField(
        label="What kind of anti-social behaviour is it?",
        choices=CATEGORY_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of anti-social behaviour"},
    )
    description = forms.CharField(
        label="What happened?",
        max_length=5000,
        help_text="Describe what you saw or heard, who was affected and whether it keeps "
        "happening. Do not include other people's names unless you need to.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Describe what happened"},
    )
    occurred_on = forms.DateField(
        validators=[event_date],
        label="Date it happened",
        help_text="For example, 27/3/2025",
        input_formats=["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"],
        widget=forms.DateInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
        error_messages={
            "required": "Enter the date it happened",
            "invalid": "Enter the date as day/month/year, for example 27/3/2025",
        },
    )
    occurred_at = forms.TimeField(
        label="Time it happened (optional)",
        required=False,
        help_text="For example, 21:30",
        widget=forms.TimeInput(attrs={"class": "govuk-input--width-5"}),
        error_messages={"invalid": "Enter the time as hours:minutes, for example 21:30"},
    )
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    location_text = forms.CharField(
        label="Describe the place",
        required=False,
        max_length=500,
        help_text="A street, landmark or park and the nearest town, for example "
        "'the play area behind Church Street, Belper'.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(
        label="Your name (optional)",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"class": "govuk-input--width-20", "autocomplete": "name", "spellcheck": "false"}
        ),
    )
    phone = forms.CharField(
        label="Phone number (optional)",
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={"class": "govuk-input--width-20", "autocomplete": "tel", "type": "tel"}
        ),
    )
    email = forms.EmailField(
        label="Email address (optional)",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"invalid": "Enter an email address like name@example.com"},
    )

    def clean_occurred_on(self) -> dt.date:
        day = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date it happened must be today or in the past")
        return day

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        lat, lon = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lon is None):
            lat = lon = None
        if (
            lat is not None
            and lon is not None
            and not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1])
        ):
            self.add_error(
                "location_text",
                "The point on the map is outside Great Britain: "
                "choose it again or describe the place",
            )
            lat = lon = None
        data["latitude"], data["longitude"] = lat, lon
        if (
            lat is None
            and not (data.get("location_text") or "").strip()
            and "location_text" not in self.errors
        ):
            self.add_error("location_text", "Choose the place on the map or describe it")
        return data
