"""Pages of the people app (linked people, the review queue): included by asbhub.web.urls."""

from django.urls import path

from asbhub.web.people import views

app_name = "people"

urlpatterns = [
    path("people/review/", views.review_queue, name="queue"),
    path("people/review/<int:pk>/decide/", views.decide_pair, name="decide"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/merge/", views.merge_form, name="merge"),
    path("people/<int:pk>/split/<int:person_pk>/", views.split_form, name="split"),
]
