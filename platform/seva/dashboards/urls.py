from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.board_view, name="board"),
    path("export.<slug:fmt>", views.export_view, name="export"),
    path("at-risk/", views.at_risk_view, name="at-risk"),
    path("fees/", views.fees_view, name="fees"),
    path("fees/payments.<slug:fmt>", views.fee_payments_export_view, name="fee-payments"),
]
