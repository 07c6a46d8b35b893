"""Pages of the tasking app: included by asbhub.web.urls."""

from django.urls import path

from asbhub.web.tasking import views

app_name = "tasking"

urlpatterns = [
    path("briefing/", views.briefing_page, name="briefing"),
    path("weekly/", views.weekly_page, name="weekly"),
    path("weekly/map.png", views.weekly_map, name="weekly-map"),
    path("weekly/pack.csv", views.weekly_csv, name="weekly-csv"),
]
