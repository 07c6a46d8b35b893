"""Pages of the tasking app: included by asbhub.web.urls."""

from django.urls import path  # noqa: F401

app_name = "tasking"

urlpatterns: list = []
