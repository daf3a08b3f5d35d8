"""API tokens in the Wagtail admin, under Settings, for those with the token permissions."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import token_admin


class _PermittedMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm("api.view_apitoken")


@hooks.register("register_admin_urls")
def register_token_urls():
    return [path("api-tokens/", include(token_admin, namespace="api_tokens"))]


@hooks.register("register_settings_menu_item")
def register_token_menu_item():
    return _PermittedMenuItem("API tokens", reverse("api_tokens:list"), icon_name="key", order=900)
