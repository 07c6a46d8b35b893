from django.urls import path

from asbhub.web.public import views

app_name = "public"

urlpatterns = [
    path("report-asb/", views.report_asb, name="report"),
    path("report-asb/places/", views.report_places, name="report-places"),
    path("report-asb/done/<str:reference>/", views.report_done, name="report-done"),
    path("asb-advice/", views.advice, name="advice"),
    path("asb-figures/", views.figures, name="figures"),
]
