"""The RTS board in the Wagtail admin: its URLs and a menu item."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import urls


@hooks.register("register_admin_urls")
def register_dashboard_urls():
    return [path("dashboard/rts/", include(urls, namespace="dashboards"))]


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return MenuItem("RTS dashboard", reverse("dashboards:board"), icon_name="table", order=2)
