from django.urls import path

from . import partner_views as views

urlpatterns = [
    path(
        "partner/applications/",
        views.PartnerApplicationsApi.as_view(),
        name="partner-applications",
    ),
    path(
        "partner/applications/<str:reference>/",
        views.PartnerApplicationDetailApi.as_view(),
        name="partner-application",
    ),
    path("partner/changes/", views.PartnerChangesApi.as_view(), name="partner-changes"),
]
