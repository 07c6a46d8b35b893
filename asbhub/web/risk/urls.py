"""Pages of the risk app: included by asbhub.web.urls."""

from django.urls import path  # noqa: F401

app_name = "risk"

urlpatterns: list = []
