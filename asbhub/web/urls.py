from django.contrib import admin
from django.urls import path

from asbhub.web.incidents import views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("api/incidents/latest-asb.geojson", views.latest_asb_geojson, name="latest-asb-geojson"),
    path("admin/", admin.site.urls),
]
