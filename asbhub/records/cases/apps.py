from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "asbhub.records.cases"
    label = "cases"
    verbose_name = "Problem solving, powers and ASB Case Reviews"
    default_auto_field = "django.db.models.BigAutoField"
