"""GOV.UK Frontend's classes on Django's form widgets, in one place.

A form built on :class:`GovukForm` or :class:`GovukModelForm` (or any form that sets
``bound_field_class = GovukBoundField``) renders ``{{ field }}`` as the GOV.UK Frontend control
for its widget: ``govuk-input``, ``govuk-textarea``, ``govuk-select``, ``govuk-radios__input``,
``govuk-checkboxes__input`` or ``govuk-file-upload``, with the ``--error`` modifier when the
field has an error. Classes a form sets on a widget (a width such as ``govuk-input--width-10``)
are kept. Django itself adds ``aria-invalid`` and points ``aria-describedby`` at
``<id>_helptext`` and ``<id>_error``, so a template gives the hint and the error message those
ids (``{{ field.auto_id }}_helptext``, ``{{ field.auto_id }}_error``).

The label, hint, error message and form group around the control stay in the templates, as
GOV.UK's own Nunjucks macros keep them: see ``public/_field.html``.

>>> from django import forms
>>> class Example(GovukForm):
...     name = forms.CharField(widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}))
>>> Example({"name": ""})["name"].as_widget()  # doctest: +ELLIPSIS
'<input type="text" name="name" class="govuk-input--width-20 govuk-input govuk-input--error" ...'
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.forms.widgets import Input

#: Widget class -> (GOV.UK class, its error modifier or "" where the error belongs to the
#: group, as with radios and checkboxes). Looked up in this order: subclasses before the
#: classes they extend (CheckboxSelectMultiple is a RadioSelect, HiddenInput an Input).
WIDGET_CLASSES: tuple[tuple[type[forms.Widget], str, str], ...] = (
    (forms.HiddenInput, "", ""),
    (forms.MultipleHiddenInput, "", ""),
    (forms.CheckboxSelectMultiple, "govuk-checkboxes__input", ""),
    (forms.RadioSelect, "govuk-radios__input", ""),
    (forms.CheckboxInput, "govuk-checkboxes__input", ""),
    (forms.Textarea, "govuk-textarea", "govuk-textarea--error"),
    (forms.Select, "govuk-select", "govuk-select--error"),
    (forms.FileInput, "govuk-file-upload", "govuk-file-upload--error"),
    (Input, "govuk-input", "govuk-input--error"),
)


def govuk_classes(widget: forms.Widget, *, error: bool) -> list[str]:
    """The GOV.UK Frontend classes for ``widget``, with the error modifier if ``error``.

    >>> govuk_classes(forms.Textarea(), error=True)
    ['govuk-textarea', 'govuk-textarea--error']
    >>> govuk_classes(forms.HiddenInput(), error=True)
    []
    """
    for kind, name, error_name in WIDGET_CLASSES:
        if isinstance(widget, kind):
            return [c for c in (name, error_name if error else "") if c]
    return []


class GovukBoundField(BoundField):
    """A bound field whose widget carries GOV.UK Frontend's classes."""

    def build_widget_attrs(
        self, attrs: dict[str, Any], widget: forms.Widget | None = None
    ) -> dict[str, Any]:
        widget = widget or self.field.widget
        attrs = super().build_widget_attrs(attrs, widget)
        # The widget's own classes come first (a width, say), then GOV.UK's, each once.
        # attrs replaces the widget's "class" when rendered, so both are merged here.
        classes: list[str] = []
        for source in (
            str(widget.attrs.get("class", "")),
            str(attrs.get("class", "")),
            " ".join(govuk_classes(widget, error=bool(self.errors))),
        ):
            classes += [c for c in source.split() if c not in classes]
        if classes:
            attrs["class"] = " ".join(classes)
        return attrs


class GovukForm(forms.Form):
    """A form whose fields render with GOV.UK Frontend's classes."""

    bound_field_class = GovukBoundField


class GovukModelForm(forms.ModelForm):
    """A model form whose fields render with GOV.UK Frontend's classes."""

    bound_field_class = GovukBoundField
