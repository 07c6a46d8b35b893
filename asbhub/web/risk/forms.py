"""Forms generated from a questionnaire version: the assessment, the review, and a new version
with edited weights and thresholds (input parsing only: the rules live in
:mod:`asbhub.domain.risk`)."""

from __future__ import annotations

from typing import Any

from django import forms

from asbhub.domain import risk as rules

_GRADES = [("", "Not graded"), *((g, g.capitalize()) for g in rules.THRIVE_GRADES)]


def _question_fields(form: forms.Form, questionnaire: rules.Questionnaire) -> None:
    for q in questionnaire.questions:
        form.fields[f"q_{q.id}"] = forms.ChoiceField(
            label=q.text,
            help_text=q.hint,
            choices=[(o.value, o.label) for o in q.options],
            widget=forms.RadioSelect(attrs={"class": "govuk-radios__input"}),
            error_messages={
                "required": f"Answer the question: {q.text}",
                "invalid_choice": "Choose one of the answers given",
            },
        )


class QuestionsForm(forms.Form):
    """The questions of one version, as radio buttons named ``q_<question id>``."""

    def __init__(self, questionnaire: rules.Questionnaire, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        _question_fields(self, questionnaire)

    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"q_{q.id}"] for q in self.questionnaire.questions]

    def answers(self) -> dict[str, str]:
        return {q.id: self.cleaned_data[f"q_{q.id}"] for q in self.questionnaire.questions}


class AssessmentForm(QuestionsForm):
    """An assessment: the questions, then THRIVE at first contact (grade and note each)."""

    def __init__(self, questionnaire: rules.Questionnaire, *args: Any, **kwargs: Any) -> None:
        super().__init__(questionnaire, *args, **kwargs)
        for element in rules.THRIVE_ELEMENTS:
            self.fields[f"thrive_{element}"] = forms.ChoiceField(
                label=f"{element.capitalize()}",
                choices=_GRADES,
                required=False,
                widget=forms.Select(attrs={"class": "govuk-select"}),
            )
            self.fields[f"thrive_{element}_note"] = forms.CharField(
                label=f"{element.capitalize()}: note",
                max_length=300,
                required=False,
                widget=forms.TextInput(attrs={"class": "govuk-input"}),
            )
        self.fields["thrive_notes"] = forms.CharField(
            label="Anything else from first contact",
            required=False,
            widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 3}),
        )

    def thrive_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"thrive_{e}"], self[f"thrive_{e}_note"]) for e in rules.THRIVE_ELEMENTS]

    def thrive(self) -> dict[str, str]:
        out = {}
        for element in rules.THRIVE_ELEMENTS:
            out[element] = self.cleaned_data[f"thrive_{element}"]
            out[f"{element}_note"] = self.cleaned_data[f"thrive_{element}_note"]
        return out


class ReviewForm(QuestionsForm):
    notes = forms.CharField(
        label="Review notes",
        required=False,
        help_text="What has changed, and what is being done",
        widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 4}),
    )
    close = forms.BooleanField(
        label="Close: the victim needs no further reviews",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "govuk-checkboxes__input"}),
    )


class VersionForm(forms.Form):
    """A new version from an existing one: every weight, both thresholds, the review days."""

    medium = forms.IntegerField(label="Medium risk from a score of", min_value=1)
    high = forms.IntegerField(label="High risk from a score of", min_value=1)
    review_high = forms.IntegerField(label="Review high risk every (days)", min_value=1)
    review_medium = forms.IntegerField(
        label="Review medium risk every (days)",
        min_value=1,
        required=False,
        help_text="Leave blank for no reviews",
    )
    change_note = forms.CharField(
        label="What changed, and why",
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "govuk-textarea", "rows": 3}),
        error_messages={"required": "Say what changed and why"},
    )
    publish = forms.BooleanField(
        label="Publish: new assessments use this version",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "govuk-checkboxes__input"}),
    )

    def __init__(self, questionnaire: rules.Questionnaire, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "medium": questionnaire.medium,
                "high": questionnaire.high,
                "review_high": questionnaire.review_days.get(rules.Band.HIGH),
                "review_medium": questionnaire.review_days.get(rules.Band.MEDIUM),
                **{
                    self.weight_name(q.id, o.value): o.weight
                    for q in questionnaire.questions
                    for o in q.options
                },
            },
        )
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        for name in ("medium", "high", "review_high", "review_medium"):
            self.fields[name].widget.attrs["class"] = "govuk-input govuk-input--width-4"
        for q in questionnaire.questions:
            for o in q.options:
                self.fields[self.weight_name(q.id, o.value)] = forms.IntegerField(
                    label=f"{q.text} {o.label}",
                    min_value=0,
                    max_value=100,
                    widget=forms.NumberInput(attrs={"class": "govuk-input govuk-input--width-3"}),
                )

    @staticmethod
    def weight_name(qid: str, value: str) -> str:
        return f"w_{qid}__{value}"

    def weight_rows(self) -> list[tuple[rules.Question, list[tuple[Any, forms.BoundField]]]]:
        return [
            (q, [(o, self[self.weight_name(q.id, o.value)]) for o in q.options])
            for q in self.questionnaire.questions
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()  # Form.clean returns cleaned_data; the stubs allow None
        data = self.cleaned_data
        if self.errors:
            return data
        weights = {
            (q.id, o.value): data[self.weight_name(q.id, o.value)]
            for q in self.questionnaire.questions
            for o in q.options
        }
        try:
            data["questionnaire"] = self.questionnaire.edited(
                weights,
                medium=data["medium"],
                high=data["high"],
                review_days={"high": data["review_high"], "medium": data.get("review_medium")},
            )
        except rules.QuestionnaireError as exc:
            for problem in exc.problems:
                self.add_error(
                    "high" if problem.startswith("thresholds") else None,
                    problem[0].upper() + problem[1:] + ".",
                )
        return data
