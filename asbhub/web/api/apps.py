from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "asbhub.web.api"
    label = "api"
    verbose_name = "JSON API (incidents, PMPs, powers) with token authentication"
    default_auto_field = "django.db.models.BigAutoField"
