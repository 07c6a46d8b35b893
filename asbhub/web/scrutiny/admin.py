from typing import Any

from django import forms
from django.contrib import admin

from asbhub.records.scrutiny.models import Meeting
from asbhub.web.dates import planning_date


class MeetingForm(forms.ModelForm):
    """A meeting's date follows the one date rule (asbhub.domain.dates)."""

    class Meta:
        model = Meeting
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].validators.append(planning_date)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Meetings are set up by the Commissioner's office; questions move through the queue."""

    form = MeetingForm
    list_display = ("date", "title")
    ordering = ("-date",)
