from django import forms
from django.utils.translation import gettext_lazy as _

from seva.citizens.forms import MobileField


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
