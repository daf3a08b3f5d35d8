"""The RTS board in the Wagtail admin, and the accounts officer's pages: their URLs and menu
items (the "Accounts" menu only for accounts officers, its settlement files only for the
state's treasury cell)."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from seva.payments.selectors import is_accounts_officer, keeps_state_accounts

from . import accounts_urls, urls


@hooks.register("register_admin_urls")
def register_dashboard_urls():
    return [path("dashboard/rts/", include(urls, namespace="dashboards"))]


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return MenuItem("RTS dashboard", reverse("dashboards:board"), icon_name="table", order=2)


# ------------------------------------------------------------------------------
# Accounts
# ------------------------------------------------------------------------------
class AccountsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        # Asked once per item and page: remembered on the request.
        if not hasattr(request, "_seva_accounts_officer"):
            request._seva_accounts_officer = is_accounts_officer(request.user)
        return request._seva_accounts_officer


class StateAccountsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        if not hasattr(request, "_seva_state_accounts"):
            request._seva_state_accounts = keeps_state_accounts(request.user)
        return request._seva_state_accounts


@hooks.register("register_admin_urls")
def register_accounts_urls():
    return [path("accounts/", include(accounts_urls, namespace="accounts_office"))]


@hooks.register("register_admin_menu_item")
def register_accounts_menu():
    menu = Menu(
        items=[
            AccountsMenuItem(
                _("Exceptions"), reverse("accounts_office:exceptions"), icon_name="warning", order=1
            ),
            AccountsMenuItem(
                _("Held payments"), reverse("accounts_office:held"), icon_name="lock", order=2
            ),
            AccountsMenuItem(
                _("Refunds owed"), reverse("accounts_office:refunds"), icon_name="resubmit", order=3
            ),
            StateAccountsMenuItem(
                _("Settlement files"),
                reverse("accounts_office:settlements"),
                icon_name="doc-full",
                order=4,
            ),
            StateAccountsMenuItem(
                _("Upload a settlement file"),
                reverse("accounts_office:settlement-upload"),
                icon_name="upload",
                order=5,
            ),
        ]
    )
    return SubmenuMenuItem(
        _("Accounts"), menu, name="accounts-office", icon_name="clipboard-list", order=6
    )
