from django.apps import AppConfig


class ApiPagesConfig(AppConfig):
    name = "asbhub.web.api"
    label = "api_pages"
    verbose_name = "JSON API and the API tokens page"
    default_auto_field = "django.db.models.BigAutoField"
