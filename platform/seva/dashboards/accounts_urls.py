"""The accounts officer's pages, under /admin/accounts/ (seva.dashboards.accounts)."""

from django.urls import path

from . import accounts

app_name = "accounts_office"

urlpatterns = [
    path("", accounts.exceptions_view, name="exceptions"),
    path("exceptions/<int:pk>/resolve/", accounts.exception_resolve_view, name="exception-resolve"),
    path("held/", accounts.held_view, name="held"),
    path("held/<str:order_id>/resolve/", accounts.held_resolve_view, name="held-resolve"),
    path("refunds/", accounts.refunds_view, name="refunds"),
    path("refunds/<str:refund_id>/paid/", accounts.refund_paid_view, name="refund-paid"),
    path("settlements/", accounts.settlements_view, name="settlements"),
    path("settlements/upload/", accounts.settlement_upload_view, name="settlement-upload"),
]
