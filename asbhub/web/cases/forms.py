"""Forms for PMPs and ASB Case Review applications (input parsing only: rules live elsewhere)."""

from __future__ import annotations

from django import forms

from asbhub.web.cases.models import Pmp, ProblemType
from asbhub.web.cases.services import EDITABLE_FIELDS
from asbhub.web.partners.models import Agency


class PmpForm(forms.ModelForm):
    """A plan's fields; ``version`` carries the version the editor started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Pmp
        fields = list(EDITABLE_FIELDS)
        widgets = {"next_review_due": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem_type"].queryset = ProblemType.objects.filter(is_active=True)
        self.fields["next_review_due"].required = False


class PmpCreateForm(PmpForm):
    partner_agencies = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.filter(is_active=True), required=False,
        widget=forms.CheckboxSelectMultiple)

    class Meta(PmpForm.Meta):
        fields = [f for f in EDITABLE_FIELDS if f != "stage"]


class CaseReviewForm(forms.Form):
    """An application for an ASB Case Review, taken by staff or from the public form."""

    applicant_name = forms.CharField(label="Applicant's name", max_length=200)
    applicant_contact = forms.CharField(label="How to contact the applicant", max_length=300,
                                        required=False)
    on_behalf_of = forms.CharField(label="Applying on behalf of (leave blank if the victim "
                                         "applies)", max_length=200, required=False)
    area = forms.CharField(label="Area (district or LPU)", max_length=200)
    received_on = forms.DateField(label="Date received",
                                  widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label="What has been happening", widget=forms.Textarea,
                                  required=False)
