from django.contrib import admin
from django.urls import include, path

from asbhub.web.incidents import hotspot_forecast, hotspot_places, hotspots, views

urlpatterns = [
    path("", views.overview, name="overview"),
    path("hotspots/", hotspots.hotspots_page, name="hotspots"),
    path("api/incidents/latest-asb.geojson", views.latest_asb_geojson, name="latest-asb-geojson"),
    path("api/hotspots.geojson", hotspots.hotspots_geojson, name="hotspots-geojson"),
    # -- places that concentrate records (issue #16 item 4): staff only --
    path("hotspots/places/", hotspot_places.places_page, name="hotspot-places"),
    path("hotspots/places.csv", hotspot_places.places_csv, name="hotspot-places-csv"),
    path(
        "api/hotspot-places.geojson",
        hotspot_places.places_geojson_view,
        name="hotspot-places-geojson",
    ),
    # -- forecast accuracy of hot-spot methods (issue #16 item 5): staff only --
    path("hotspots/forecast/", hotspot_forecast.forecast_page, name="hotspot-forecast"),
    path("hotspots/forecast.csv", hotspot_forecast.forecast_csv, name="hotspot-forecast-csv"),
    path(
        "hotspots/forecast.csv.json",
        hotspot_forecast.forecast_stamp_view,
        name="hotspot-forecast-stamp",
    ),
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

# -- health probe (issue #18 item 5): asbhub/web/health.py; no sign-in, no personal data --
from asbhub.web.health import healthz  # noqa: E402

urlpatterns.append(path("healthz", healthz, name="healthz"))
# -- end health probe
