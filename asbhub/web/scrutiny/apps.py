from django.apps import AppConfig


class ScrutinyPagesConfig(AppConfig):
    name = "asbhub.web.scrutiny"
    label = "scrutiny_pages"
    verbose_name = "Public questions and the Commissioner's dashboard pages"
    default_auto_field = "django.db.models.BigAutoField"
