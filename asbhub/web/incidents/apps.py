from django.apps import AppConfig


class IncidentsPagesConfig(AppConfig):
    name = "asbhub.web.incidents"
    label = "incidents_pages"
    verbose_name = "Incident pages"
    default_auto_field = "django.db.models.BigAutoField"
