"""Pages of the api app: included by asbhub.web.urls."""

from django.urls import path  # noqa: F401

app_name = "api"

urlpatterns: list = []
