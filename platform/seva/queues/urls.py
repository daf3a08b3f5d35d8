from django.urls import path

from . import views

app_name = "queues"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("bulk/", views.bulk_view, name="bulk"),
    path("<str:reference>/", views.application_view, name="application"),
    path("<str:reference>/act/", views.act_view, name="act"),
    path(
        "<str:reference>/consultations/<slug:code>/answer/",
        views.consultation_answer_view,
        name="consultation-answer",
    ),
]
