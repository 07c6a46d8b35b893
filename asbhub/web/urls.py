from django.contrib import admin
from django.urls import include, path

from asbhub.web.incidents import hotspots, views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("hotspots/", hotspots.hotspots_page, name="hotspots"),
    path("api/incidents/latest-asb.geojson", views.latest_asb_geojson, name="latest-asb-geojson"),
    path("api/hotspots.geojson", hotspots.hotspots_geojson, name="hotspots-geojson"),
    path("", include("asbhub.web.partners.urls")),
    path("", include("asbhub.web.cases.urls")),
    path("", include("asbhub.web.public.urls")),
    path("", include("asbhub.web.scrutiny.urls")),
    path("", include("asbhub.web.risk.urls")),
    path("", include("asbhub.web.tasking.urls")),
    path("", include("asbhub.web.people.urls")),
    path("api/v1/", include("asbhub.web.api.urls")),
    path("admin/", admin.site.urls),
]
