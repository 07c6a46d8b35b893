"""Pages of the cases app: PMPs, the powers register and ASB Case Reviews."""

from django.urls import path

from asbhub.web.cases import views

app_name = "cases"

urlpatterns = [
    path("pmps/", views.pmp_list, name="pmp-list"),
    path("pmps/new/", views.pmp_create, name="pmp-create"),
    path("pmps/<int:pk>/", views.pmp_detail, name="pmp-detail"),
    path("pmps/<int:pk>/edit/", views.pmp_edit, name="pmp-edit"),
    path("powers/", views.powers_page, name="powers"),
    path("case-reviews/new/", views.case_review_create, name="case-review-create"),
]
