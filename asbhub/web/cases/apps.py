from django.apps import AppConfig


class CasesPagesConfig(AppConfig):
    name = "asbhub.web.cases"
    label = "cases_pages"
    verbose_name = "PMP, powers and ASB Case Review pages"
    default_auto_field = "django.db.models.BigAutoField"
