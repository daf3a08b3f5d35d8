from django.urls import path

from . import views

app_name = "queues"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("bulk/", views.bulk_view, name="bulk"),
    path("<str:reference>/", views.application_view, name="application"),
    path("<str:reference>/act/", views.act_view, name="act"),
    path(
        "<str:reference>/issued/<str:public_id>/revoke/",
        views.document_revoke_view,
        name="document-revoke",
    ),
    path(
        "<str:reference>/issued/<str:public_id>/reissue/",
        views.document_reissue_view,
        name="document-reissue",
    ),
    path(
        "<str:reference>/issued/<str:public_id>/<str:language>/",
        views.issued_file_view,
        name="issued-file",
    ),
    path(
        "<str:reference>/consultations/<slug:code>/answer/",
        views.consultation_answer_view,
        name="consultation-answer",
    ),
]
