from django.apps import AppConfig


class RiskPagesConfig(AppConfig):
    name = "asbhub.web.risk"
    label = "risk_pages"
    verbose_name = "Victim risk pages"
    default_auto_field = "django.db.models.BigAutoField"
