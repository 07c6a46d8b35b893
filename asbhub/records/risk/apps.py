from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "asbhub.records.risk"
    label = "risk"
    verbose_name = "Victim risk questionnaires and assessments"
    default_auto_field = "django.db.models.BigAutoField"
