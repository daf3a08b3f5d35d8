"""The operator's forms at the counter (the workspace is in English). The rules that matter
beyond a field's type (a receipt for a fee, the code's lock-out) are the services'."""

from __future__ import annotations

from django import forms

from seva.citizens.forms import MobileField
from seva.org.forms import OrgAdminForm


class CitizenMobileForm(forms.Form):
    """The start of a filing: whom for, what for, and the language of the citizen's SMS. The
    code sent names the operator, the centre and the service."""

    mobile = MobileField(
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "type": "tel", "class": "c-short"}
        ),
        label="Citizen's mobile number",
        help_text="A 6-digit code goes to this number by SMS, naming you, this centre and the "
        "service; the citizen reads it out to you. That is their consent to your filing for them.",
    )
    service = forms.ChoiceField(label="Service the citizen applies for")
    fee_method = forms.ChoiceField(
        label="Paid by",
        choices=[("cash", "Cash"), ("upi", "UPI")],
        initial="cash",
        required=False,
        widget=forms.RadioSelect,
        help_text="For a UPI payment, enter its reference as the receipt number.",
    )
    language = forms.ChoiceField(
        label="Language of the citizen's SMS",
        choices=[("en", "English"), ("hi", "Hindi")],
        widget=forms.RadioSelect,
        help_text="Ask the citizen. The code and every later SMS about this application use it.",
    )

    def __init__(self, *args, service_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "Choose a service"), *service_choices]


class ConsentCodeForm(forms.Form):
    code = forms.CharField(
        label="Code the citizen reads out",
        help_text="6 digits, valid for 5 minutes.",
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "c-short"}
        ),
    )


class ServiceChoiceForm(forms.Form):
    service = forms.ChoiceField(label="Service the citizen applies for")

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "Choose a service"), *choices]


class FeeForm(forms.Form):
    fee_amount = forms.IntegerField(
        label="Fee collected (rupees)",
        min_value=0,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"class": "c-short"}),
        help_text="In whole rupees; 0 if nothing was taken.",
    )
    fee_receipt_number = forms.CharField(
        label="Receipt number",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "c-short"}),
        help_text="As printed on the receipt given to the citizen. Needed when a fee is taken.",
    )
    fee_method = forms.ChoiceField(
        label="Paid by",
        choices=[("cash", "Cash"), ("upi", "UPI")],
        initial="cash",
        required=False,
        widget=forms.RadioSelect,
        help_text="For a UPI payment, enter its reference as the receipt number.",
    )
    language = forms.ChoiceField(
        label="Language of the citizen's SMS",
        choices=[("en", "English"), ("hi", "Hindi")],
        widget=forms.RadioSelect,
    )


# ------------------------------------------------------------------------------
# The state admin's snippets
# ------------------------------------------------------------------------------
class ServiceCentreAdminForm(OrgAdminForm):
    locked_on_edit = ("code",)


class CentreOperatorAdminForm(OrgAdminForm):
    """An operator who moves to another centre gets a new link (and the old one is made
    inactive), so each filing's record of who worked where stays true."""

    locked_on_edit = ("user", "centre")


class HelplineAgentAdminForm(OrgAdminForm):
    locked_on_edit = ("user",)


# ------------------------------------------------------------------------------
# The helpline
# ------------------------------------------------------------------------------
class StatusQueryForm(forms.Form):
    mobile = MobileField(
        label="Caller's mobile number",
        help_text="The number the applications were made with (the caller's, as shown on the "
        "call). Only applications made with it are named.",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "type": "tel", "class": "c-short"}
        ),
    )
    reference = forms.CharField(
        label="Reference number (optional)",
        help_text="If the caller has it, e.g. HR-CMG-GRV-2026-000123.",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "c-short"}),
    )


class HelplineCallForm(forms.Form):
    language = forms.ChoiceField(
        label="Language of the caller's SMS",
        choices=[("en", "English"), ("hi", "Hindi")],
        initial="hi",
        widget=forms.RadioSelect,
    )


# ------------------------------------------------------------------------------
# A fee for an application filed already
# ------------------------------------------------------------------------------
class CounterFeeLookupForm(forms.Form):
    reference = forms.CharField(
        label="Reference number",
        help_text="From the citizen's acknowledgement or SMS, e.g. HR-REV-MRG-2026-000123.",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "c-short"}),
    )
    mobile = MobileField(
        label="The applicant's mobile number",
        help_text="The number the application was made with: the fee is taken only when both match.",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "type": "tel", "class": "c-short"}
        ),
    )


class CounterFeeForm(forms.Form):
    fee_method = forms.ChoiceField(
        label="Paid by",
        choices=[("cash", "Cash"), ("upi", "UPI")],
        initial="cash",
        widget=forms.RadioSelect,
    )
    fee_receipt_number = forms.CharField(
        label="Receipt number",
        max_length=40,
        widget=forms.TextInput(attrs={"class": "c-short", "autocomplete": "off"}),
        help_text="As printed on the receipt given to the citizen; for UPI, its reference.",
    )
