"""URLs under /api/v1/ (included by asbhub.web.urls): the JSON API and the tokens page.

The API's names live in the ``api`` namespace (``api:openapi-json``, ``api:openapi-view``);
the tokens page in ``api-tokens``.
"""

from django.urls import include, path

from asbhub.web.api import views
from asbhub.web.api.api import api

token_patterns = (
    [
        path("", views.tokens_page, name="list"),
        path("<int:pk>/revoke/", views.revoke, name="revoke"),
    ],
    "api-tokens",
)

urlpatterns = [
    path("tokens/", include(token_patterns)),
    path("", api.urls),
]
