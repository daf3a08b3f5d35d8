"""The organisation in the Wagtail admin, for the state admin: departments, the jurisdiction
tree, roles, postings (with additional charges), leave and the holiday calendar. The data
files load the same tables; what is edited here is what routing and the RTS clock read."""

from wagtail import hooks
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from seva.core.snippets import SevaSnippetViewSet

from . import forms
from .models import Department, Holiday, Jurisdiction, Leave, OfficerProfile, Posting, Role
from .services import holiday_deadlines_follow


def _panels(form_class, *names: str) -> ObjectList:
    return ObjectList([FieldPanel(name) for name in names], base_form_class=form_class)


class DepartmentViewSet(SevaSnippetViewSet):
    model = Department
    icon = "site"
    list_display = ["name_en", "name_hi", "code", "short_code"]
    search_fields = ["name_en", "name_hi", "code"]
    search_backend_name = None
    edit_handler = _panels(forms.DepartmentForm, "code", "short_code", "name_en", "name_hi")


class JurisdictionViewSet(SevaSnippetViewSet):
    model = Jurisdiction
    icon = "globe"
    menu_label = "Places"
    list_display = ["name_en", "name_hi", "level", "code", "parent"]
    list_filter = ["level"]
    search_fields = ["name_en", "name_hi", "code"]
    search_backend_name = None
    edit_handler = _panels(forms.JurisdictionForm, "code", "name_en", "name_hi", "level", "parent")


class RoleViewSet(SevaSnippetViewSet):
    model = Role
    icon = "tag"
    list_display = ["name_en", "name_hi", "code", "level"]
    list_filter = ["level"]
    search_fields = ["name_en", "name_hi", "code"]
    search_backend_name = None
    edit_handler = _panels(
        forms.RoleForm, "code", "name_en", "name_hi", "level", "oversees", "second_factor"
    )


class PostingViewSet(SevaSnippetViewSet):
    model = Posting
    icon = "user"
    list_display = ["user", "role", "department", "jurisdiction", "kind", "starts_on", "ends_on"]
    list_filter = ["kind", "role", "department"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "jurisdiction__code"]
    search_backend_name = None
    edit_handler = _panels(
        forms.PostingForm,
        "user",
        "role",
        "department",
        "jurisdiction",
        "kind",
        "starts_on",
        "ends_on",
    )

    def get_queryset(self, request):
        return Posting.objects.select_related("user", "role", "department", "jurisdiction")


class LeaveViewSet(SevaSnippetViewSet):
    model = Leave
    icon = "time"
    list_display = ["user", "starts_on", "ends_on", "reason"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    search_backend_name = None
    edit_handler = _panels(forms.LeaveForm, "user", "starts_on", "ends_on", "reason")

    def get_queryset(self, request):
        return Leave.objects.select_related("user")


class OfficerProfileViewSet(SevaSnippetViewSet):
    """Where alerts and digests reach an officer: their mobile (SMS) and language; e-mail
    goes to the address on their user account."""

    model = OfficerProfile
    icon = "mail"
    menu_label = "Officer contacts"
    list_display = ["user", "mobile", "language"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "mobile"]
    search_backend_name = None
    edit_handler = _panels(forms.OfficerProfileForm, "user", "mobile", "language")

    def get_queryset(self, request):
        return OfficerProfile.objects.select_related("user")


class HolidayViewSet(SevaSnippetViewSet):
    model = Holiday
    icon = "date"
    list_display = ["date", "name_en", "name_hi", "district"]
    list_filter = ["district"]
    search_fields = ["name_en", "name_hi"]
    search_backend_name = None
    edit_handler = _panels(forms.HolidayForm, "date", "name_en", "name_hi", "district")


class OrganisationGroup(SnippetViewSetGroup):
    menu_label = "Organisation"
    menu_icon = "group"
    menu_order = 300
    items = (
        DepartmentViewSet,
        JurisdictionViewSet,
        RoleViewSet,
        PostingViewSet,
        LeaveViewSet,
        OfficerProfileViewSet,
        HolidayViewSet,
    )


register_snippet(OrganisationGroup)


def _holiday_changed(holidays) -> None:
    for holiday in holidays:
        holiday_deadlines_follow(district_id=holiday.district_id)


@hooks.register("after_create_snippet")
def holiday_created(request, instance):
    if isinstance(instance, Holiday):
        _holiday_changed([instance])


@hooks.register("after_edit_snippet")
def holiday_edited(request, instance):
    # The holiday may have moved from another district: recompute everywhere.
    if isinstance(instance, Holiday):
        holiday_deadlines_follow(district_id=None)


@hooks.register("after_delete_snippet")
def holiday_deleted(request, instances):
    _holiday_changed([i for i in instances if isinstance(i, Holiday)])
