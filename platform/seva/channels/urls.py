"""Two sets of pages in the staff workspace: the service-centre counter (namespace
`channels`, under /admin/assisted/) and the helpline (namespace `helpline`, under
/admin/helpline/). wagtail_hooks.py mounts them."""

from django.urls import path

from . import views

counter_urlpatterns = [
    path("", views.start_view, name="start"),
    path("filed/", views.filed_view, name="filed"),
    path("fees/", views.fee_take_view, name="fee-take"),
    path("fees/<str:order_id>/receipt/", views.fee_receipt_view, name="fee-receipt"),
    path("filed/<str:reference>/", views.acknowledgement_view, name="acknowledgement"),
    path(
        "filed/<str:reference>/issued/<str:public_id>/<str:language>/",
        views.issued_file_view,
        name="issued-file",
    ),
    path("<uuid:draft_id>/consent/", views.consent_view, name="consent"),
    path("<uuid:draft_id>/service/", views.service_view, name="service"),
    path("<uuid:draft_id>/check/", views.check_view, name="check"),
    path("<uuid:draft_id>/discard/", views.discard_view, name="discard"),
    path("<uuid:draft_id>/step/<slug:step_id>/", views.step_view, name="step"),
]

helpline_urlpatterns = [
    path("", views.helpline_status_view, name="status"),
    path("grievance/", views.helpline_grievance_view, name="grievance"),
    path("grievance/<str:reference>/", views.helpline_registered_view, name="registered"),
]
