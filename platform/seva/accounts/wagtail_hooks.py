"""The second factor in the Wagtail admin: an officer's own devices (linked from their
account page), and a "Second factor" button beside each user in the state admin's list."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.widgets import Button

from . import urls


@hooks.register("register_admin_urls")
def register_second_factor_urls():
    return [
        path(
            "second-factor/",
            include((urls.devices_urlpatterns, "second_factor"), namespace="second_factor"),
        )
    ]


@hooks.register("register_account_menu_item")
def register_second_factor_account_item(request):
    return {
        "url": reverse("second_factor:devices"),
        "label": "Second factor",
        "help_text": "The authenticator app or mobile your sign-in codes come from.",
    }


@hooks.register("register_user_listing_buttons")
def register_second_factor_user_button(user, request_user):
    if not request_user.is_superuser:
        return []
    return [
        Button(
            "Second factor",
            url=reverse("second_factor:officer", args=[user.pk]),
            icon_name="key",
            priority=60,
        )
    ]
