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


class TrackForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number"),
        help_text=_("As on your acknowledgement, for example HR-REV-INC-2026-000123."),
        max_length=40,
    )
    mobile = MobileField(label=_("Mobile number given in the application"))

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How well was your application handled?"),
        choices=[(n, n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("5 is very well, 1 is very badly."),
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea,
    )


class MessageChoicesForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of your SMS"),
        help_text=_("This site will use it too."),
        choices=[("en", "English"), ("hi", "हिन्दी")],
        widget=forms.RadioSelect,
    )
    other_messages = forms.BooleanField(
        label=_("Also send me messages that are not about the status of my applications"),
        help_text=_(
            "For example, a request to rate a service after it is done. Messages about your "
            "applications' status and sign-in codes are always sent."
        ),
        required=False,
    )
