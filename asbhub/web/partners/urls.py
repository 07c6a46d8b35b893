"""Pages of the partners app: included at the site root by asbhub.web.urls."""

from django.urls import path

from asbhub.records.partners.access import requires_action
from asbhub.web.partners import views

app_name = "partners"

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    # Every action route carries its action permission (asbhub.records.partners.access).
    path("sign-out/", requires_action("account.own")(views.SignOutView.as_view()), name="sign-out"),
    path("partners/usage/", views.usage_page, name="usage"),
    path("partners/audit/", views.audit_log_page, name="audit-log"),
    path("partners/incidents/<int:pk>/", views.incident_record, name="incident"),
]
