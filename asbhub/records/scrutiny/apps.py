from django.apps import AppConfig


class ScrutinyConfig(AppConfig):
    name = "asbhub.records.scrutiny"
    label = "scrutiny"
    verbose_name = "Performance Scrutiny: public questions and the Commissioner's dashboard"
    default_auto_field = "django.db.models.BigAutoField"
