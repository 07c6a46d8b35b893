"""Pages of the scrutiny app: included at the site root by asbhub.web.urls."""

from django.urls import path

from asbhub.web.scrutiny import views

app_name = "scrutiny"

urlpatterns = [
    path("scrutiny/questions/", views.published_questions, name="questions"),
    path("scrutiny/questions/ask/", views.ask_question, name="ask"),
    path("scrutiny/questions/ask/thanks/", views.ask_thanks, name="ask-thanks"),
    path("scrutiny/queue/", views.question_queue, name="queue"),
    path("scrutiny/queue/<int:pk>/", views.question_detail, name="question"),
    path("scrutiny/dashboard/", views.dashboard, name="dashboard"),
]
