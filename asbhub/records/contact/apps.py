from django.apps import AppConfig


class ContactConfig(AppConfig):
    verbose_name = "Contact handling (999, 101)"
    name = "asbhub.records.contact"
    label = "contact"
    default_auto_field = "django.db.models.BigAutoField"
