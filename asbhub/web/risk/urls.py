"""Pages of the risk app: included at the site root by asbhub.web.urls."""

from django.urls import path

from asbhub.web.risk import views

app_name = "risk"

urlpatterns = [
    path("risk/", views.due, name="due"),
    path("risk/calibration/", views.calibration, name="calibration"),
    path("risk/calibration.csv", views.calibration_csv, name="calibration-csv"),
    path("risk/incidents/<int:incident_pk>/victims/<int:person_pk>/", views.victim, name="victim"),
    path(
        "risk/incidents/<int:incident_pk>/victims/<int:person_pk>/assess/",
        views.assess,
        name="assess",
    ),
    path("risk/assessments/<int:pk>/", views.assessment, name="assessment"),
    path("risk/assessments/<int:pk>/review/", views.review, name="review"),
    path("risk/questionnaires/", views.versions, name="versions"),
    path("risk/questionnaires/<int:number>/", views.version, name="version"),
    path("risk/questionnaires/<int:number>/edit/", views.version_edit, name="version-edit"),
    path(
        "risk/questionnaires/<int:number>/publish/", views.version_publish, name="version-publish"
    ),
]
