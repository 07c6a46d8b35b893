"""Forms of the scrutiny pages: the public question, the queue's steps and the dashboard's
choices. Their widgets carry GOV.UK Frontend's classes (:mod:`asbhub.web.partners.forms`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from asbhub.records.incidents.selectors import month_label
from asbhub.records.partners.models import Agency
from asbhub.records.scrutiny.models import Meeting, Question
from asbhub.web.partners.forms import GovukForm, GovukModelForm

#: Longest question accepted: seed 002's longest is under 1,000 characters.
MAX_QUESTION = 2000


class AskQuestionForm(GovukModelForm):
    """A question from the public page. The email is for a reply only and is never shown."""

    class Meta:
        model = Question
        fields = ["text", "theme", "area", "asker_name", "name_consent", "email"]
        labels = {
            "text": "Your question",
            "theme": "What is it about?",
            "area": "Where do you live?",
            "asker_name": "Your name (optional)",
            "name_consent": "Publish my name with the question and answer",
            "email": "Your email address (optional)",
        }
        help_texts = {
            "text": f"Up to {MAX_QUESTION:,} characters. Do not include anyone's personal "
            "details or report a crime here: call 999 in an emergency or 101 otherwise.",
            "area": "Your town, village or district, e.g. Bolsover. It is published as "
            "'Resident from Bolsover'.",
            "asker_name": "Not published unless you tick the box below.",
            "email": "Only to tell you when the answer is published. It is never published.",
        }
        error_messages = {
            "area": {"required": "Enter where you live, e.g. Bolsover."},
            "text": {"required": "Write your question."},
        }
        widgets = {
            "text": forms.Textarea(attrs={"rows": 6}),
            "area": forms.TextInput(
                attrs={"class": "govuk-input--width-20", "autocomplete": "address-level2"}
            ),
            "asker_name": forms.TextInput(
                attrs={
                    "class": "govuk-input--width-20",
                    "autocomplete": "name",
                    "spellcheck": "false",
                }
            ),
            "email": forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        }

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if len(text) < 10:
            raise forms.ValidationError("Write your question in at least 10 characters.")
        if len(text) > MAX_QUESTION:
            raise forms.ValidationError(
                f"Your question is {len(text):,} characters long; "
                f"shorten it to {MAX_QUESTION:,} or fewer."
            )
        return text

    def clean_area(self) -> str:
        area = self.cleaned_data["area"].strip()
        if not area:
            raise forms.ValidationError("Enter where you live, e.g. Bolsover.")
        return area

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        if data.get("name_consent") and not (data.get("asker_name") or "").strip():
            self.add_error("asker_name", "Enter your name, or untick the box to stay anonymous.")
        return data


class AssignForm(GovukForm):
    """Name a person, an agency or both to answer the question."""

    assigned_user = forms.ModelChoiceField(
        label="Person",
        required=False,
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
    )
    assigned_agency = forms.ModelChoiceField(
        label="Agency", required=False, queryset=Agency.objects.filter(is_active=True)
    )

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        if not data.get("assigned_user") and not data.get("assigned_agency"):
            raise forms.ValidationError("Choose a person or an agency to answer the question.")
        return data


class AnswerForm(GovukForm):
    """The answer, and who gives it."""

    answer = forms.CharField(label="Answer", widget=forms.Textarea(attrs={"rows": 8}))
    answered_by = forms.CharField(
        label="Response from",
        max_length=200,
        initial="Constabulary",
        help_text="As published, e.g. 'Constabulary Response'",
    )


class PublishForm(GovukForm):
    """The meeting an approved answer is published with."""

    meeting = forms.ModelChoiceField(label="Meeting", queryset=Meeting.objects.all())


class DashboardForm(GovukForm):
    """The month and LPU of the dashboard; choices come from the data loaded."""

    def __init__(
        self, data: dict[str, Any], *, months: list[str], lpus: list[str], force_name: str
    ) -> None:
        super().__init__(data)
        self.fields["period"] = forms.ChoiceField(
            label="12 months to", choices=[(m, month_label(m)) for m in reversed(months)]
        )
        self.fields["area"] = forms.ChoiceField(
            label="Area",
            required=False,
            choices=[("", f"All of {force_name}")] + [(lpu, f"{lpu} LPU") for lpu in lpus],
        )
