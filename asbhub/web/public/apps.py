from django.apps import AppConfig


class PublicConfig(AppConfig):
    name = "asbhub.web.public"
    label = "public"
    verbose_name = "Public pages: report ASB, advice, area figures"
    default_auto_field = "django.db.models.BigAutoField"
