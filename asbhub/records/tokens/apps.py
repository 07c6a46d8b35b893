from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "asbhub.records.tokens"
    label = "api"
    verbose_name = "API tokens"
    default_auto_field = "django.db.models.BigAutoField"
