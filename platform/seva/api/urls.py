from django.urls import include, path

from . import token_views, views

app_name = "api"

urlpatterns = [
    path("services/", views.ServiceListApi.as_view(), name="service-list"),
    path("services/<slug:code>/", views.ServiceDetailApi.as_view(), name="service-detail"),
    path("services/<slug:code>/form/", views.ServiceFormApi.as_view(), name="service-form"),
    path("applications/", views.ApplicationListApi.as_view(), name="application-list"),
    path(
        "applications/<str:reference>/",
        views.ApplicationDetailApi.as_view(),
        name="application-detail",
    ),
    path(
        "applications/<str:reference>/documents/",
        views.ApplicationDocumentsApi.as_view(),
        name="application-documents",
    ),
    path(
        "applications/<str:reference>/documents/<str:public_id>/<str:language>/",
        views.ApplicationDocumentFileApi.as_view(),
        name="application-document-file",
    ),
    path(
        "applications/<str:reference>/actions/",
        views.ApplicationActionsApi.as_view(),
        name="application-actions",
    ),
    path(
        "applications/<str:reference>/consultations/<str:code>/",
        views.ConsultationAnswerApi.as_view(),
        name="application-consultation-answer",
    ),
    path("queue/", views.QueueApi.as_view(), name="queue"),
    path("consultations/", views.ConsultationListApi.as_view(), name="consultations"),
    path("dashboard/rts/", views.DashboardRtsApi.as_view(), name="dashboard-rts"),
    path("documents/", views.DocumentUploadApi.as_view(), name="document-upload"),
    path("documents/revoke/", views.DocumentRevokeApi.as_view(), name="document-revoke"),
    path("documents/reissue/", views.DocumentReissueApi.as_view(), name="document-reissue"),
    path("auth/token/", token_views.TokenApi.as_view(), name="auth-token"),
    path("auth/tokens/", token_views.TokenListApi.as_view(), name="auth-tokens"),
    path(
        "auth/tokens/<str:token_id>/",
        token_views.TokenDetailApi.as_view(),
        name="auth-token-detail",
    ),
    path("auth/logout/", token_views.LogoutApi.as_view(), name="auth-logout"),
    path("sms/delivery-reports/", views.DeliveryReportApi.as_view(), name="sms-delivery-report"),
    path("", include("seva.api.partner_urls")),
]
