"""The service file in the builder: a new service's first details, and the details editor
(the service file less its SMS templates, the documents it issues and its fees paid through
Seva, each with an editor of its own)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import cast

from django import forms
from django.db.models import QuerySet

from seva.core.levels import PROCESSING_LEVELS
from seva.org.models import Department

from .common import LANGUAGES, bilingual, offer_roles

# The three roles the Right to Services Act names, which a service's file sets.
ROLE_FIELDS = ("designated_officer", "first_appellate_authority", "second_appellate_authority")


class NewServiceForm(forms.Form):
    department: forms.ModelChoiceField[Department] = forms.ModelChoiceField(
        queryset=None, empty_label=None
    )
    code = forms.RegexField(
        regex=r"^[a-z][a-z0-9-]{2,59}$",
        help_text="Lower-case letters, digits and hyphens, e.g. arms-licence-renewal. It cannot change later.",
        error_messages={
            "invalid": "Use lower-case letters, digits and hyphens, starting with a letter."
        },
    )
    reference_code = forms.RegexField(
        regex=r"^[A-Z]{2,5}$",
        help_text="2 to 5 capital letters, used in reference numbers (HR-REV-ALR-2026-000123).",
        error_messages={"invalid": "Use 2 to 5 capital letters."},
    )
    kind = forms.ChoiceField(
        choices=[("service", "Service"), ("scheme", "Scheme"), ("grievance", "Grievance")]
    )
    name_en = forms.CharField(label="Name in English", max_length=120)
    name_hi = forms.CharField(label="Name in Hindi", max_length=120)
    processing_level = forms.ChoiceField(
        choices=[(lvl, lvl.title()) for lvl in PROCESSING_LEVELS],
        initial="tehsil",
        help_text="The office that processes an application: the applicant picks this place.",
    )
    rts_days = forms.IntegerField(
        label="RTS timeline (working days)", min_value=1, max_value=365, initial=7
    )
    designated_officer = forms.ChoiceField(label="Designated officer (decides)")
    first_appellate_authority = forms.ChoiceField()
    second_appellate_authority = forms.ChoiceField()

    def __init__(self, *args, departments: QuerySet[Department], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A copy of the declared field (django-stubs types `fields` as plain Field).
        cast("forms.ModelChoiceField[Department]", self.fields["department"]).queryset = departments
        offer_roles(self, *ROLE_FIELDS)

    def details(self) -> dict:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "reference_code": data["reference_code"],
            "kind": data["kind"],
            "name": bilingual(data["name_en"], data["name_hi"]),
            "processing_level": data["processing_level"],
            "designated_officer": data["designated_officer"],
            "first_appellate_authority": data["first_appellate_authority"],
            "second_appellate_authority": data["second_appellate_authority"],
            "rts_days": data["rts_days"],
        }


NEW_SERVICE_PLACES = [
    ("/code", "code"),
    ("/reference_code", "reference_code"),
    ("/name", "name_en"),
    ("/rts/designated_officer", "designated_officer"),
    ("/rts/first_appellate_authority", "first_appellate_authority"),
    ("/rts/second_appellate_authority", "second_appellate_authority"),
]


# ------------------------------------------------------------------------------
# Details (the service file, less its SMS, documents and fees)
# ------------------------------------------------------------------------------
class DetailsForm(forms.Form):
    name_en = forms.CharField(label="Name (English)", required=False)
    name_hi = forms.CharField(label="Name (Hindi)", required=False)
    short_name_en = forms.CharField(
        label="Short name for SMS (English)", required=False, help_text="At most 30 characters."
    )
    short_name_hi = forms.CharField(label="Short name for SMS (Hindi)", required=False)
    description_en = forms.CharField(
        label="Description (English)", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    description_hi = forms.CharField(
        label="Description (Hindi)", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    eligibility_en = forms.CharField(label="Who may apply (English)", required=False)
    eligibility_hi = forms.CharField(label="Who may apply (Hindi)", required=False)
    kind = forms.ChoiceField(
        choices=[("service", "Service"), ("scheme", "Scheme"), ("grievance", "Grievance")]
    )
    reference_code = forms.CharField(label="Reference code", required=False)
    fee_amount = forms.CharField(
        label="Fee paid outside Seva (rupees)",
        required=False,
        help_text=(
            "A fee paid at an office's counter, shown for information: whole rupees, or an "
            "expression over the form's answers that gives them, e.g. data.registration_fee "
            "(see docs/definitions/expressions.md). Fees paid through Seva (online, by challan "
            "or at a service centre) are set in the Fees editor instead."
        ),
    )
    rts_days = forms.IntegerField(label="RTS timeline (days)", required=False)
    rts_day_type = forms.ChoiceField(
        label="Counted in", choices=[("working", "Working days"), ("calendar", "Calendar days")]
    )
    act_en = forms.CharField(label="The Act (English)", required=False)
    act_hi = forms.CharField(label="The Act (Hindi)", required=False)
    designated_officer = forms.ChoiceField(label="Designated officer")
    first_appellate_authority = forms.ChoiceField(label="First appellate authority")
    second_appellate_authority = forms.ChoiceField(label="Second appellate authority")
    processing_level = forms.ChoiceField(
        label="Processed at", choices=[(lvl, lvl.title()) for lvl in PROCESSING_LEVELS]
    )
    name_field = forms.CharField(label="Form field with the applicant's name", required=False)
    mobile_field = forms.CharField(label="Form field with the applicant's mobile", required=False)
    jurisdiction_field = forms.CharField(
        label="Form field with the place that decides the office", required=False
    )

    def __init__(self, *args, fees_through_seva: Sequence[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        offer_roles(self, *ROLE_FIELDS)
        # A service with fees paid through Seva (`fees`, the Fees editor's) may not also have
        # a fee paid outside it (`fee`): the input is not offered, and its fee not written.
        self.fees_through_seva = list(fees_through_seva)
        if self.fees_through_seva:
            del self.fields["fee_amount"]

    def clean_fee_amount(self) -> int | str:
        """Whole rupees as a number; anything else is kept as an expression, which the
        draft's checks compile against the form (their problem is shown beside this input)."""
        text = (self.cleaned_data.get("fee_amount") or "").strip()
        if not text:
            return 0
        if text.lstrip("-").isdigit():
            if int(text) < 0:
                raise forms.ValidationError("A fee is 0 rupees or more.")
            return int(text)
        return text

    @staticmethod
    def initial_from(doc: dict) -> dict:
        rts, applicant = doc.get("rts") or {}, doc.get("applicant") or {}
        summary = (doc.get("eligibility") or {}).get("summary") or {}
        initial = {
            "kind": doc.get("kind"),
            "reference_code": doc.get("reference_code"),
            "fee_amount": (doc.get("fee") or {}).get("amount"),
            "rts_days": rts.get("days"),
            "rts_day_type": rts.get("day_type"),
            "designated_officer": rts.get("designated_officer"),
            "first_appellate_authority": rts.get("first_appellate_authority"),
            "second_appellate_authority": rts.get("second_appellate_authority"),
            "processing_level": doc.get("processing_level"),
            "name_field": applicant.get("name_field"),
            "mobile_field": applicant.get("mobile_field"),
            "jurisdiction_field": applicant.get("jurisdiction_field"),
            "eligibility_en": summary.get("en", ""),
            "eligibility_hi": summary.get("hi", ""),
        }
        for key in ("name", "short_name", "description"):
            for lang, _name in LANGUAGES:
                initial[f"{key}_{lang}"] = (doc.get(key) or {}).get(lang, "")
        for lang, _name in LANGUAGES:
            initial[f"act_{lang}"] = (rts.get("act") or {}).get(lang, "")
        return initial

    def apply_to(self, doc: dict) -> dict:
        data, doc = self.cleaned_data, copy.deepcopy(doc)
        for key in ("name", "short_name", "description"):
            doc[key] = bilingual(data[f"{key}_en"], data[f"{key}_hi"])
        summary = bilingual(data["eligibility_en"], data["eligibility_hi"])
        if any(summary.values()) or (doc.get("eligibility") or {}).get("rules"):
            doc["eligibility"] = {**(doc.get("eligibility") or {}), "summary": summary}
        else:
            doc.pop("eligibility", None)
        doc["kind"], doc["reference_code"] = data["kind"], data["reference_code"].strip()
        if "fee_amount" in self.fields:
            doc["fee"] = {**(doc.get("fee") or {}), "amount": data["fee_amount"]}
        doc["rts"] = {
            **(doc.get("rts") or {}),
            "days": data["rts_days"],
            "day_type": data["rts_day_type"],
            "act": bilingual(data["act_en"], data["act_hi"]),
            "designated_officer": data["designated_officer"],
            "first_appellate_authority": data["first_appellate_authority"],
            "second_appellate_authority": data["second_appellate_authority"],
        }
        doc["processing_level"] = data["processing_level"]
        doc["applicant"] = {
            "name_field": data["name_field"].strip(),
            "mobile_field": data["mobile_field"].strip(),
            "jurisdiction_field": data["jurisdiction_field"].strip(),
        }
        return doc


DETAIL_PLACES = [
    ("/name", "name_en"),
    ("/short_name", "short_name_en"),
    ("/description", "description_en"),
    ("/eligibility/summary", "eligibility_en"),
    ("/kind", "kind"),
    ("/reference_code", "reference_code"),
    ("/fee", "fee_amount"),
    ("/rts/days", "rts_days"),
    ("/rts/day_type", "rts_day_type"),
    ("/rts/act", "act_en"),
    ("/rts/designated_officer", "designated_officer"),
    ("/rts/first_appellate_authority", "first_appellate_authority"),
    ("/rts/second_appellate_authority", "second_appellate_authority"),
    ("/processing_level", "processing_level"),
    ("/applicant/name_field", "name_field"),
    ("/applicant/mobile_field", "mobile_field"),
    ("/applicant/jurisdiction_field", "jurisdiction_field"),
]
