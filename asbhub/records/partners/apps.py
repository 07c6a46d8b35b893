from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "asbhub.records.partners"
    label = "partners"
    verbose_name = "Partners, sharing and audit"
    default_auto_field = "django.db.models.BigAutoField"
