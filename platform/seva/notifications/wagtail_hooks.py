"""The SMS log in the Wagtail admin, for those with the outbox permissions."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import urls


class _PermittedMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm("notifications.view_outboxmessage")


@hooks.register("register_admin_urls")
def register_message_urls():
    return [path("sms/", include(urls, namespace="notifications"))]


@hooks.register("register_admin_menu_item")
def register_message_menu_item():
    return _PermittedMenuItem(
        "SMS log", reverse("notifications:messages"), icon_name="mail", order=900
    )
