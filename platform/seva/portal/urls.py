from django.contrib.auth.decorators import login_required
from django.urls import path

from . import csp_reports, eligibility_views, issued, payments, views

app_name = "portal"

urlpatterns = [
    path("login/", views.login_start, name="login"),
    path("login/code/", views.login_verify, name="login-verify"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.set_language, name="set-language"),
    path("eligibility/", eligibility_views.finder, name="eligibility"),
    path("apply/<slug:code>/", views.apply_start, name="apply"),
    path("apply/draft/<uuid:draft_id>/check/", views.apply_check, name="apply-check"),
    path("apply/draft/<uuid:draft_id>/discard/", views.apply_discard, name="apply-discard"),
    path("apply/draft/<uuid:draft_id>/<slug:step_id>/", views.apply_step, name="apply-step"),
    path("my/", views.my_applications, name="my-applications"),
    path("my/messages/", views.message_choices, name="message-choices"),
    path("my/<str:reference>/", views.my_application, name="my-application"),
    path("my/<str:reference>/acknowledgement/", views.acknowledgement, name="acknowledgement"),
    path("my/<str:reference>/act/", views.citizen_act, name="citizen-act"),
    path("my/<str:reference>/correct/", views.correct_start, name="correct"),
    path("my/<str:reference>/feedback/", views.feedback, name="feedback"),
    path(
        "my/<str:reference>/issued/<str:public_id>/<str:language>/",
        login_required(issued.issued_file),
        name="issued-file",
    ),
    path("my/<str:reference>/fees/<slug:code>/pay/", payments.fee_pay, name="fee-pay"),
    path("my/<str:reference>/fees/<slug:code>/challan/", payments.fee_challan, name="fee-challan"),
    path(
        "my/<str:reference>/payments/<str:order_id>/challan/",
        payments.payment_challan,
        name="payment-challan",
    ),
    path(
        "my/<str:reference>/payments/<str:order_id>/receipt/",
        payments.payment_receipt,
        name="payment-receipt",
    ),
    path("payments/return/<slug:gateway_name>/", payments.payment_return, name="payment-return"),
    path(
        "payments/callback/<slug:gateway_name>/", payments.payment_callback, name="payment-callback"
    ),
    path("track/", views.track, name="track"),
    path("track/download/<str:token>/", issued.track_download, name="track-download"),
    path("t/<str:reference>/", issued.sms_link, name="sms-link"),
    path("verify/keys.json", issued.verification_keys, name="verification-keys"),
    path("verify/<path:number>/", issued.verify, name="verify"),
    path("documents/<str:token>/", views.document_download, name="document"),
    path("csp-report/", csp_reports.csp_report, name="csp-report"),
]
