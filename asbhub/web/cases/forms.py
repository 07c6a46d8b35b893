"""Forms for PMPs and ASB Case Review applications (input parsing only: rules live elsewhere)."""

from __future__ import annotations

from typing import Any, cast

import polars as pl
from django import forms
from django.utils import timezone

from asbhub.domain.dates import month_problem
from asbhub.records.cases.models import Pmp, ProblemType
from asbhub.records.cases.services import EDITABLE_FIELDS
from asbhub.records.partners.models import Agency
from asbhub.web.dates import event_date, planning_date


class PmpForm(forms.ModelForm):
    """A plan's fields; ``version`` carries the version the editor started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Pmp
        fields = list(EDITABLE_FIELDS)
        widgets = {"next_review_due": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, current: Pmp | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        problem_type = cast(forms.ModelChoiceField, self.fields["problem_type"])
        problem_type.queryset = ProblemType.objects.filter(is_active=True)
        self.fields["next_review_due"].required = False
        self.fields["next_review_due"].validators.append(planning_date)
        self._place_fields(current or self.instance)

    # LPU and neighbourhood come from the force's area hierarchy (issue 12): a free-text LPU
    # such as "Ilkeston" gave a plan whose incident finder and evaluation found nothing.
    def _place_fields(self, current: Pmp | None) -> None:
        from asbhub.records.incidents.selectors import area_hierarchy

        areas = area_hierarchy()
        self._areas = areas
        self._old_lpu = (getattr(current, "lpu", "") or "").strip()
        self._old_area = (getattr(current, "area", "") or "").strip()
        lpus: list[tuple[str, str]] = [("", "Choose the LPU"), *((x, x) for x in areas.lpus)]
        if self._old_lpu and self._old_lpu not in areas.lpus:
            lpus.append(
                (
                    self._old_lpu,
                    f"{self._old_lpu} (entered before: not an LPU of "
                    f"{areas.force_name}, choose one)",
                )
            )
        self.fields["lpu"] = forms.ChoiceField(
            label="Local Policing Unit",
            choices=lpus,
            help_text="The incident finder and the evaluation use this LPU's LSOAs.",
            error_messages={
                "required": "Choose the plan's Local Policing Unit",
                "invalid_choice": f"'%(value)s' is not a Local Policing Unit of "
                f"{areas.force_name}: choose one of "
                f"{', '.join(areas.lpus)}",
            },
            widget=forms.Select(attrs={"class": "govuk-select"}),
        )
        hoods: list[tuple[str, Any]] = [("", "Whole LPU (no one neighbourhood)")]
        for lpu in areas.lpus:
            names = areas.neighbourhoods.filter(pl.col("lpu") == lpu).sort("snt_name")
            hoods.append((lpu, [(n, n) for n in names["snt_name"].to_list()]))
        if self._old_area and self._old_area not in self._hood_lpu():
            hoods.append((self._old_area, f"{self._old_area} (entered before)"))
        self.fields["area"] = forms.ChoiceField(
            label="Neighbourhood (Safer Neighbourhood Team)",
            choices=hoods,
            required=False,
            help_text="Optional: the neighbourhood within the LPU.",
            error_messages={
                "invalid_choice": "'%(value)s' is not a neighbourhood of "
                f"{areas.force_name}: choose one from the list, "
                "or the whole LPU"
            },
            widget=forms.Select(attrs={"class": "govuk-select"}),
        )

    def _hood_lpu(self) -> dict[str, str]:
        return dict(self._areas.neighbourhoods.select("snt_name", "lpu").iter_rows())

    def clean_lpu(self) -> str:
        lpu = self.cleaned_data["lpu"]
        if lpu not in self._areas.lpus:
            raise forms.ValidationError(
                f"'{lpu}' is not a Local Policing Unit of {self._areas.force_name}: choose one of "
                f"{', '.join(self._areas.lpus)}. A place such as a town goes in Neighbourhood, "
                "or in the problem statement."
            )
        return lpu

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        lpu, area = data.get("lpu"), data.get("area") or ""
        hood_lpu = self._hood_lpu()
        if lpu and area in hood_lpu and hood_lpu[area] != lpu:
            self.add_error(
                "area",
                f"The neighbourhood {area} is in {hood_lpu[area]} LPU, not "
                f"{lpu}: choose one of {lpu}'s neighbourhoods, or the whole "
                "LPU.",
            )
        return data


class PmpCreateForm(PmpForm):
    partner_agencies = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta(PmpForm.Meta):
        fields = [f for f in EDITABLE_FIELDS if f != "stage"]


class CaseReviewForm(forms.Form):
    """An application for an ASB Case Review, taken by staff or from the public form."""

    applicant_name = forms.CharField(label="Applicant's name", max_length=200)
    applicant_contact = forms.CharField(
        label="How to contact the applicant", max_length=300, required=False
    )
    on_behalf_of = forms.CharField(
        label="Applying on behalf of (leave blank if the victim applies)",
        max_length=200,
        required=False,
    )
    area = forms.CharField(label="Area (district or LPU)", max_length=200)
    received_on = forms.DateField(
        validators=[event_date],
        label="Date received",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    description = forms.CharField(
        label="What has been happening", widget=forms.Textarea, required=False
    )


# --------------------------------------------------------------------------------------------
# SARA stage pages, actions, reviews, the incident picker and the evaluation
# --------------------------------------------------------------------------------------------

DATE: dict[str, Any] = {
    "widget": forms.DateInput(attrs={"type": "date", "class": "govuk-input govuk-input--width-10"})
}
TEXTAREA = forms.Textarea(attrs={"rows": 5, "class": "govuk-textarea"})
MONTH_WIDGET = forms.TextInput(
    attrs={"type": "month", "class": "govuk-input govuk-input--width-10", "placeholder": "YYYY-MM"}
)

#: The plan's fields each stage's page edits (Response edits actions; Closed nothing).
STAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "scanning": ("statement", "data_summary"),
    "analysis": ("victim", "offender", "location"),
    "response": (),
    "assessment": ("assessment",),
    "closed": (),
}


class VersionForm(forms.Form):
    """Any write to a versioned record carries the version its editor started from."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": "The form lost its version: open the page again."},
    )


class StageForm(VersionForm):
    """The current stage's content, and whether to move on (or back) when saving."""

    statement = forms.CharField(
        label="Problem statement",
        required=False,
        widget=TEXTAREA,
        help_text="What is happening, where, when and to whom.",
    )
    data_summary = forms.CharField(
        label="Data",
        required=False,
        widget=TEXTAREA,
        help_text="The counts, places and times that show the problem.",
    )
    victim = forms.CharField(
        label="Victim",
        required=False,
        widget=TEXTAREA,
        help_text="Who is harmed, and why they are vulnerable to it.",
    )
    offender = forms.CharField(
        label="Offender",
        required=False,
        widget=TEXTAREA,
        help_text="Who causes it, and what draws them.",
    )
    location = forms.CharField(
        label="Location",
        required=False,
        widget=TEXTAREA,
        help_text="What about the place lets it happen.",
    )
    assessment = forms.CharField(
        label="Assessment",
        required=False,
        widget=TEXTAREA,
        help_text="What changed, and did the response work?",
    )
    move_to = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, stage: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = set(STAGE_FIELDS[stage]) | {"version", "move_to"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]


class ActionForm(VersionForm):
    description = forms.CharField(
        label="Action",
        widget=forms.Textarea(attrs={"rows": 3, "class": "govuk-textarea"}),
        max_length=2000,
        error_messages={"required": "Describe the action"},
    )
    owner_agency = forms.ModelChoiceField(
        label="Owner agency",
        queryset=Agency.objects.none(),
        error_messages={"required": "Choose the agency that owns the action"},
    )
    due = forms.DateField(
        validators=[planning_date],
        label="Due by",
        **DATE,
        error_messages={
            "required": "Enter the date the action is due",
            "invalid": "Enter the due date as a real date",
        },
    )

    def __init__(self, *args: Any, agencies: list[Agency] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner_agency"]).queryset = Agency.objects.filter(
            pk__in=[a.pk for a in agencies or []]
        )
        self.fields["owner_agency"].widget.attrs["class"] = "govuk-select"


class ReviewForm(VersionForm):
    notes = forms.CharField(
        label="Review notes",
        widget=TEXTAREA,
        max_length=5000,
        error_messages={"required": "Write what the review found"},
    )
    next_review_due = forms.DateField(
        validators=[planning_date],
        label="Next review due (optional)",
        required=False,
        **DATE,
        help_text="Leave blank for the plan's cadence from today.",
        error_messages={"invalid": "Enter the next review date as a real date"},
    )


class PickerQueryForm(forms.Form):
    """The no-JavaScript query (and the map's): month range, crime type, LSOA or area."""

    first = forms.CharField(label="From month", widget=MONTH_WIDGET)
    last = forms.CharField(label="To month", widget=MONTH_WIDGET)
    crime_type = forms.ChoiceField(label="Crime type", required=False, choices=[("", "All")])
    area = forms.CharField(
        label="Neighbourhood, street or LSOA (optional)",
        required=False,
        help_text="Part of a neighbourhood's name, a street description "
        '("Market Place") or an LSOA code or name; any case.',
        max_length=100,
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20"}),
    )

    def __init__(self, *args: Any, crime_types: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        crime_type = cast(forms.ChoiceField, self.fields["crime_type"])
        crime_type.choices = [("", "All"), *((c, c) for c in crime_types or [])]
        self.fields["crime_type"].widget.attrs["class"] = "govuk-select"

    def clean(self) -> dict[str, object]:
        from asbhub.records.cases.plan_work import check_query

        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        if "first" in data and "last" in data:
            for problem in check_query(data["first"], data["last"]):
                self.add_error("first" if "From" in problem else "last", problem)
        return data


class EvaluationForm(forms.Form):
    before_first = forms.CharField(label="Before: first month", widget=MONTH_WIDGET)
    before_last = forms.CharField(label="Before: last month", widget=MONTH_WIDGET)
    after_first = forms.CharField(label="After: first month", widget=MONTH_WIDGET)
    after_last = forms.CharField(label="After: last month", widget=MONTH_WIDGET)

    def clean(self) -> dict[str, object]:
        from asbhub.domain.months import MONTH_RE

        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        for name in ("before_first", "before_last", "after_first", "after_last"):
            if name in data and not MONTH_RE.fullmatch(data[name]):
                self.add_error(
                    name, f"Enter a month as YYYY-MM, for example 2019-01; got '{data[name]}'"
                )
            elif name in data and (problem := month_problem(data[name], timezone.localdate())):
                # The one date rule: a month in 0999 would ask for 28,000 months of counts.
                self.add_error(name, f"Enter a month from January 2000 to this month; {problem}")
        return data
