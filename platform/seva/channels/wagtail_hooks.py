"""The channels in the Wagtail admin: the counter's screens with their "Assisted filing"
menu (shown to active centre operators only), the helpline's with their "Helpline" menu
(active agents only), and centres, operators and agents as snippets for the state admin."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from seva.core.snippets import SevaSnippetViewSet

from . import forms, urls
from .models import CentreOperator, HelplineAgent, ServiceCentre
from .selectors import is_centre_operator, is_helpline_agent
from .services import helpline_agent_access_sync, operator_access_sync


# ------------------------------------------------------------------------------
# The counter
# ------------------------------------------------------------------------------
class OperatorMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        # Asked once per item and page: remembered on the request.
        if not hasattr(request, "_seva_centre_operator"):
            request._seva_centre_operator = is_centre_operator(request.user)
        return request._seva_centre_operator


class AgentMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        if not hasattr(request, "_seva_helpline_agent"):
            request._seva_helpline_agent = is_helpline_agent(request.user)
        return request._seva_helpline_agent


@hooks.register("register_admin_urls")
def register_channel_urls():
    return [
        path("assisted/", include((urls.counter_urlpatterns, "channels"), namespace="channels")),
        path("helpline/", include((urls.helpline_urlpatterns, "helpline"), namespace="helpline")),
    ]


@hooks.register("register_admin_menu_item")
def register_assisted_filing_menu():
    menu = Menu(
        items=[
            OperatorMenuItem(
                "File for a citizen", reverse("channels:start"), icon_name="form", order=1
            ),
            OperatorMenuItem(
                "Filed at this centre", reverse("channels:filed"), icon_name="list-ul", order=2
            ),
            OperatorMenuItem(
                "Take a fee", reverse("channels:fee-take"), icon_name="doc-full", order=3
            ),
        ]
    )
    return SubmenuMenuItem("Assisted filing", menu, icon_name="user", order=4)


@hooks.register("register_admin_menu_item")
def register_helpline_menu():
    menu = Menu(
        items=[
            AgentMenuItem(
                "Register a grievance", reverse("helpline:grievance"), icon_name="form", order=1
            ),
            AgentMenuItem("Status query", reverse("helpline:status"), icon_name="search", order=2),
        ]
    )
    # Not named "helpline": the sidebar opens every submenu whose name begins another's
    # open path, so "help..." would open Wagtail's Help menu over this one.
    return SubmenuMenuItem("Helpline", menu, name="channel-helpline", icon_name="mail", order=5)


# ------------------------------------------------------------------------------
# Centres and operators, for the state admin
# ------------------------------------------------------------------------------
class ServiceCentreViewSet(SevaSnippetViewSet):
    model = ServiceCentre
    icon = "home"
    menu_label = "Service centres"
    list_display = ["name", "code", "kind", "jurisdiction"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    search_backend_name = None
    edit_handler = ObjectList(
        [FieldPanel("code"), FieldPanel("name"), FieldPanel("kind"), FieldPanel("jurisdiction")],
        base_form_class=forms.ServiceCentreAdminForm,
    )

    def get_queryset(self, request):
        return ServiceCentre.objects.select_related("jurisdiction")


class CentreOperatorViewSet(SevaSnippetViewSet):
    model = CentreOperator
    icon = "user"
    menu_label = "Centre operators"
    list_display = ["user", "centre", "active"]
    list_filter = ["active", "centre"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "centre__code"]
    search_backend_name = None
    edit_handler = ObjectList(
        [FieldPanel("user"), FieldPanel("centre"), FieldPanel("active")],
        base_form_class=forms.CentreOperatorAdminForm,
    )

    def get_queryset(self, request):
        return CentreOperator.objects.select_related("user", "centre")


class HelplineAgentViewSet(SevaSnippetViewSet):
    model = HelplineAgent
    icon = "mail"
    menu_label = "Helpline agents"
    list_display = ["user", "active"]
    list_filter = ["active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    search_backend_name = None
    edit_handler = ObjectList(
        [FieldPanel("user"), FieldPanel("active")],
        base_form_class=forms.HelplineAgentAdminForm,
    )

    def get_queryset(self, request):
        return HelplineAgent.objects.select_related("user")


class ChannelsGroup(SnippetViewSetGroup):
    menu_label = "Channels"
    menu_icon = "home"
    menu_order = 310
    items = (ServiceCentreViewSet, CentreOperatorViewSet, HelplineAgentViewSet)


register_snippet(ChannelsGroup)


# Operators and agents reach the workspace while (and only while) they are active.
ACCESS_SYNC = {CentreOperator: operator_access_sync, HelplineAgent: helpline_agent_access_sync}


def _access_follows(instances) -> None:
    for instance in instances:
        sync = ACCESS_SYNC.get(type(instance))
        if sync is not None:
            sync(user=instance.user)


@hooks.register("after_create_snippet")
def channel_person_created(request, instance):
    _access_follows([instance])


@hooks.register("after_edit_snippet")
def channel_person_edited(request, instance):
    _access_follows([instance])


@hooks.register("after_delete_snippet")
def channel_people_deleted(request, instances):
    _access_follows(instances)
