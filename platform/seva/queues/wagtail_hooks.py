"""The officer's queue in the Wagtail admin: its URLs and a menu item."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import urls


@hooks.register("register_admin_urls")
def register_queue_urls():
    return [path("queue/", include(urls, namespace="queues"))]


@hooks.register("register_admin_menu_item")
def register_queue_menu_item():
    return MenuItem("My queue", reverse("queues:queue"), icon_name="list-ul", order=1)
