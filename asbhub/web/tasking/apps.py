from django.apps import AppConfig


class TaskingConfig(AppConfig):
    name = "asbhub.web.tasking"
    label = "tasking"
    verbose_name = "Daily tasking briefing and weekly LPU data pack"
    default_auto_field = "django.db.models.BigAutoField"
