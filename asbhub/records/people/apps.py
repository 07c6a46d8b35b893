from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "asbhub.records.people"
    label = "people"
    verbose_name = "Linked people: person linkage results, review queue, merges and splits"
    default_auto_field = "django.db.models.BigAutoField"
