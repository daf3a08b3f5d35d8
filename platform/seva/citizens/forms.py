"""The fields and forms a citizen signs in with: their mobile number, and the code sent to it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from seva.formschemas.formats import is_mobile


class MobileField(forms.CharField):
    """An Indian mobile number: 10 digits starting with 6, 7, 8 or 9."""

    widget = forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "tel-national", "type": "tel"}
    )

    def __init__(self, **kwargs):
        super().__init__(max_length=10, **kwargs)

    def clean(self, value) -> str:
        mobile = super().clean(value).strip()
        if not is_mobile(mobile):
            raise forms.ValidationError(
                _("Enter a 10-digit mobile number starting with 6, 7, 8 or 9.")
            )
        return mobile


class MobileForm(forms.Form):
    mobile = MobileField(
        label=_("Mobile number"),
        help_text=_("We will send a 6-digit code to this number by SMS."),
    )


class OtpForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        help_text=_("The 6-digit code. It is valid for 5 minutes."),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
