from django.apps import AppConfig


class PartnersPagesConfig(AppConfig):
    name = "asbhub.web.partners"
    label = "partners_pages"
    verbose_name = "Sign-in, usage and audit pages"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from asbhub.web.partners import auth

        # dispatch_uid: connected once however often ready() runs (tests may re-run setup).
        user_login_failed.connect(auth.on_login_failed, dispatch_uid="asbhub_login_failed")
        user_logged_in.connect(auth.on_logged_in, dispatch_uid="asbhub_logged_in")
        user_logged_out.connect(auth.on_logged_out, dispatch_uid="asbhub_logged_out")
