"""Services in the Wagtail admin: the builder's URLs and a menu item for those who manage
services."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from seva.core.errors import ActionNotAllowed

from .builder import urls
from .selectors import services_managed_by


class ServicesMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        try:
            services_managed_by(request.user)
        except ActionNotAllowed:
            return False
        return True


@hooks.register("register_admin_urls")
def register_service_urls():
    return [path("services/", include(urls, namespace="definitions"))]


@hooks.register("register_admin_menu_item")
def register_services_menu_item():
    return ServicesMenuItem("Services", reverse("definitions:services"), icon_name="form", order=3)
