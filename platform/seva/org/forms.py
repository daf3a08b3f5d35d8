"""Forms of the state admin's organisation pages (Wagtail snippets): the same rules as the
data-file loaders, each error on the field it is about."""

from __future__ import annotations

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from seva.formschemas.formats import is_mobile

from .models import Holiday, Jurisdiction
from .services import jurisdiction_placement_errors


class OrgAdminForm(WagtailAdminModelForm):
    """Codes are how definitions, reference numbers and filed applications name a thing, so
    they are set once, when it is created. A subclass lists them in `locked_on_edit`."""

    locked_on_edit: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in self.locked_on_edit:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[
                        name
                    ].help_text = (
                        "Fixed once created: filed applications and definitions refer to it."
                    )


class DepartmentForm(OrgAdminForm):
    locked_on_edit = ("code", "short_code")


def _yes_no_or_empty(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


class RoleForm(OrgAdminForm):
    locked_on_edit = ("code",)

    # Three answers, the first being "not said": roles.yaml's `second_factor` absent.
    second_factor = forms.TypedChoiceField(
        label="Second factor at sign-in",
        choices=[
            ("", "By the default rule: yes if the role can approve or reject a file"),
            ("true", "Always"),
            ("false", "Never"),
        ],
        coerce=_yes_no_or_empty,
        empty_value=None,
        required=False,
        help_text="Whether officers in this role must give a code from their phone when they "
        "sign in, besides their password.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        value = self.instance.second_factor
        self.initial["second_factor"] = "" if value is None else str(value).lower()


class JurisdictionForm(OrgAdminForm):
    """A new place goes under an existing one. A place is not moved once created: every
    application filed there carries its path, which is what decides who may see it."""

    locked_on_edit = ("code", "level", "parent")

    def clean(self):
        cleaned = super().clean()
        level, parent = cleaned.get("level"), cleaned.get("parent")
        if level and not self.instance.pk:
            for field, messages in jurisdiction_placement_errors(
                level=level, parent=parent
            ).items():
                for message in messages:
                    self.add_error(field, message)
        return cleaned

    def save(self, commit=True):
        place: Jurisdiction = super().save(commit=False)
        if not place.path:
            parent = place.parent
            place.path = f"{parent.path if parent else '/'}{place.code}/"
        if commit:
            place.save()
            self.save_m2m()
        return place


class _DateRangeForm(OrgAdminForm):
    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", forms.ValidationError("The end date is before the start."))
        return cleaned


class PostingForm(_DateRangeForm):
    pass


class LeaveForm(_DateRangeForm):
    pass


class HolidayForm(OrgAdminForm):
    def clean(self):
        cleaned = super().clean()
        date, district = cleaned.get("date"), cleaned.get("district")
        if date:
            clash = Holiday.objects.filter(date=date, district=district).exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                where = district.name_en if district else "the whole state"
                self.add_error("date", f"There is already a holiday on this date for {where}.")
        return cleaned


class OfficerProfileForm(OrgAdminForm):
    locked_on_edit = ("user",)

    def clean_mobile(self) -> str:
        mobile = (self.cleaned_data.get("mobile") or "").strip()
        if mobile and not is_mobile(mobile):
            raise forms.ValidationError(
                "Enter a 10-digit mobile number starting with 6, 7, 8 or 9, or leave it empty."
            )
        return mobile
