"""Pages of the cases app: PMPs, the powers register and ASB Case Reviews."""

from django.urls import path

from asbhub.web.cases import views, views_plan, views_registers

app_name = "cases"

urlpatterns = [
    path("pmps/", views.pmp_list, name="pmp-list"),
    path("pmps/new/", views.pmp_create, name="pmp-create"),
    path("pmps/<int:pk>/", views.pmp_detail, name="pmp-detail"),
    path("pmps/<int:pk>/edit/", views.pmp_edit, name="pmp-edit"),
    path("pmps/<int:pk>/incidents/", views_plan.pmp_incidents, name="pmp-incidents"),
    path(
        "pmps/<int:pk>/incidents.geojson",
        views_plan.pmp_incidents_geojson,
        name="pmp-incidents-geojson",
    ),
    path("pmps/<int:pk>/stage/", views_plan.pmp_stage, name="pmp-stage"),
    path("pmps/<int:pk>/actions/", views_plan.pmp_action, name="pmp-action"),
    path("pmps/<int:pk>/evaluate/", views_plan.pmp_evaluate, name="pmp-evaluate"),
    path("pmps/<int:pk>/review/", views_plan.pmp_review, name="pmp-review"),
    path("powers/", views.powers_page, name="powers"),
    path("powers/new/", views_registers.power_form, name="power-create"),
    path("powers/<int:pk>/", views_registers.power_detail, name="power-detail"),
    path("powers/<int:pk>/edit/", views_registers.power_form, name="power-edit"),
    path("case-reviews/", views_registers.case_review_list, name="case-review-list"),
    path("case-reviews/new/", views.case_review_create, name="case-review-create"),
    path("case-reviews/thresholds/", views_registers.threshold_rules, name="threshold-rules"),
    path("case-reviews/<int:pk>/", views_registers.case_review_detail, name="case-review-detail"),
    path(
        "case-reviews/<int:pk>/<slug:what>/",
        views_registers.case_review_change,
        name="case-review-change",
    ),
    path("case-review/apply/", views_registers.public_apply, name="public-apply"),
    path(
        "case-review/apply/done/<str:reference>/",
        views_registers.public_apply_done,
        name="public-apply-done",
    ),
]
