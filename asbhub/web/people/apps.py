from django.apps import AppConfig


class PeoplePagesConfig(AppConfig):
    name = "asbhub.web.people"
    label = "people_pages"
    verbose_name = "Linked people pages"
    default_auto_field = "django.db.models.BigAutoField"
