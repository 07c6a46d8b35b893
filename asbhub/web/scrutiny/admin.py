from django.contrib import admin

from asbhub.web.scrutiny.models import Meeting


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    """Meetings are set up by the Commissioner's office; questions move through the queue."""

    list_display = ("date", "title")
    ordering = ("-date",)
