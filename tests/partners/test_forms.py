"""GOV.UK Frontend's classes on Django's widgets (asbhub.web.partners.forms): each widget gets
its control's class, the error modifier when the field is in error, and aria-describedby that
points at the hint and the error message the templates draw."""

from __future__ import annotations

import doctest
import re

import pytest

from asbhub.store.db import setup_django

setup_django()

from django import forms  # noqa: E402

from asbhub.web.partners import forms as govuk_forms  # noqa: E402
from asbhub.web.partners.forms import GovukForm  # noqa: E402

CHOICES = [("a", "Apple"), ("b", "Banana")]


class Everything(GovukForm):
    text = forms.CharField(help_text="A hint")
    number = forms.IntegerField(widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}))
    email = forms.EmailField(widget=forms.EmailInput(attrs={"class": "govuk-input app-x"}))
    body = forms.CharField(widget=forms.Textarea)
    pick = forms.ChoiceField(choices=CHOICES)
    many = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple)
    one = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)
    agree = forms.BooleanField()
    upload = forms.FileField()
    secret = forms.CharField(widget=forms.HiddenInput)


def _tags(html: str, name: str) -> list[str]:
    return re.findall(rf'<(?:input|textarea|select)\b[^>]*\bname="{name}"[^>]*>', html)


def _class(tag: str) -> list[str]:
    found = re.search(r'\bclass="([^"]*)"', tag)
    return found.group(1).split() if found else []


EXPECTED = {
    # field: (classes when valid, classes when in error)
    "text": (["govuk-input"], ["govuk-input", "govuk-input--error"]),
    "number": (
        ["govuk-input--width-3", "govuk-input"],
        ["govuk-input--width-3", "govuk-input", "govuk-input--error"],
    ),
    "email": (["govuk-input", "app-x"], ["govuk-input", "app-x", "govuk-input--error"]),
    "body": (["govuk-textarea"], ["govuk-textarea", "govuk-textarea--error"]),
    "pick": (["govuk-select"], ["govuk-select", "govuk-select--error"]),
    "many": (["govuk-checkboxes__input"], ["govuk-checkboxes__input"]),
    "one": (["govuk-radios__input"], ["govuk-radios__input"]),
    "agree": (["govuk-checkboxes__input"], ["govuk-checkboxes__input"]),
    "upload": (["govuk-file-upload"], ["govuk-file-upload", "govuk-file-upload--error"]),
    "secret": ([], []),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_widget_gets_its_govuk_classes(name: str) -> None:
    valid = Everything()
    invalid = Everything({})  # every field is required: all are in error
    assert not invalid.is_valid() and name in invalid.errors
    for form, want in ((valid, EXPECTED[name][0]), (invalid, EXPECTED[name][1])):
        tags = _tags(str(form[name]), name)
        # One tag per choice for radios and checkboxes, each with the class.
        assert len(tags) == (2 if name in ("many", "one") else 1), tags
        for tag in tags:
            assert _class(tag) == want, (name, tag)


def test_error_and_hint_are_described_and_flagged() -> None:
    form = Everything({"text": ""})
    html = str(form["text"])
    assert 'aria-invalid="true"' in html
    described = re.search(r'aria-describedby="([^"]+)"', html).group(1).split()
    assert described == ["id_text_helptext", "id_text_error"]
    assert "aria-invalid" not in str(Everything()["text"])
    assert 'aria-describedby="id_text_helptext"' in str(Everything()["text"])


def test_the_widget_itself_is_left_unchanged() -> None:
    """The classes are added per render: the field's widget (shared by every instance of the
    form) keeps its own attrs, so one request's error never shows on another's form."""
    str(Everything({})["number"])
    assert Everything.base_fields["number"].widget.attrs["class"] == "govuk-input--width-3"
    assert "govuk-input--error" not in str(Everything()["number"])


def test_forms_of_the_public_and_scrutiny_pages_use_it() -> None:
    from asbhub.web.public.forms import PublicReportForm
    from asbhub.web.scrutiny.forms import AnswerForm, AskQuestionForm

    report = PublicReportForm()
    assert _class(str(report["description"])) == ["govuk-textarea"]
    assert _class(str(report["occurred_on"])) == ["govuk-input--width-10", "govuk-input"]
    ask = AskQuestionForm()
    assert _class(str(ask["text"])) == ["govuk-textarea"]
    assert _class(str(ask["theme"])) == ["govuk-select"]
    assert _class(str(ask["email"])) == ["govuk-input"]
    assert 'autocomplete="email"' in str(ask["email"])
    assert _class(str(AnswerForm()["answered_by"])) == ["govuk-input"]


def test_module_examples_run() -> None:
    result = doctest.testmod(govuk_forms, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0
