from django.apps import AppConfig


class PartnersConfig(AppConfig):
    verbose_name = "Partners, sharing and audit"
    name = "asbhub.web.partners"
    label = "partners"
    default_auto_field = "django.db.models.BigAutoField"
