"""The eligibility finder: a few questions, and the services whose rules match, with why.

The form is sent by GET so that a result can be bookmarked or shared, and it works without
JavaScript. Every question is optional: a rule about an unanswered question is "not checked".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from .catalogue import (
    STATUS_LABELS,
    STATUS_ORDER,
    EligibilityResult,
    Question,
    eligibility_questions,
    eligibility_results,
)


class WholeNumberField(forms.IntegerField):
    """An integer typed the way people write amounts: "1,50,000", "1 50 000" or "₹150000"."""

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[\s,₹]", "", value)
            value = re.sub(r"^(rs\.?|रु\.?)", "", value, flags=re.IGNORECASE)
        return super().to_python(value)


def _whole_number_message(question: Question) -> str:
    low, high = question.minimum, question.maximum
    if low is not None and high is not None:
        return _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
    if low is not None:
        return _("Enter a whole number, %(low)s or more, without decimals.") % {"low": low}
    return _("Enter a whole number, without decimals.")


def _form_field(question: Question) -> forms.Field:
    common = {"label": question.label, "help_text": question.hint, "required": False}
    if question.answer_type == "integer":
        message = _whole_number_message(question)
        return WholeNumberField(
            **common,
            min_value=question.minimum,
            max_value=question.maximum,
            error_messages={"invalid": message, "min_value": message, "max_value": message},
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        )
    if question.answer_type == "number":
        return forms.FloatField(
            **common,
            min_value=question.minimum,
            max_value=question.maximum,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        )
    if question.answer_type == "date":
        return forms.DateField(
            **common,
            input_formats=["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"],
            error_messages={"invalid": _("Enter a date, for example 1960-08-15.")},
            widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        )
    choices = [("", _("Not answered")), *question.choices]
    invalid = {"invalid_choice": _("Choose one of the answers in the list.")}
    if question.answer_type == "boolean":
        return forms.TypedChoiceField(
            **common,
            choices=choices,
            coerce=lambda value: value == "true",
            empty_value=None,
            error_messages=invalid,
        )
    return forms.ChoiceField(**common, choices=choices, error_messages=invalid)


class EligibilityForm(forms.Form):
    def __init__(self, data=None, *, questions: list[Question]) -> None:
        super().__init__(data)
        for question in questions:
            self.fields[question.name] = _form_field(question)

    def answers(self) -> dict[str, Any]:
        """fact name -> answer, for the questions answered (a date as YYYY-MM-DD)."""
        return {
            name: value.isoformat() if isinstance(value, dt.date) else value
            for name, value in self.cleaned_data.items()
            if value is not None and value != ""
        }


def _grouped(results: list[EligibilityResult]) -> list[dict]:
    return [
        {
            "status": status,
            "label": STATUS_LABELS[status],
            "results": [r for r in results if r.status == status],
        }
        for status in STATUS_ORDER
        if any(r.status == status for r in results)
    ]


def finder(request: HttpRequest) -> HttpResponse:
    language = (translation.get_language() or "en")[:2]
    questions = eligibility_questions(language)
    submitted = any(question.name in request.GET for question in questions)
    form = EligibilityForm(request.GET if submitted else None, questions=questions)
    groups: list[dict] = []
    if submitted and form.is_valid():
        groups = _grouped(eligibility_results(form.answers(), language))
    error_summary = [
        {"anchor": form[name].auto_id, "label": form[name].label, "message": errors[0]}
        for name, errors in form.errors.items()
    ]
    return render(
        request,
        "portal/eligibility.html",
        {
            "form": form,
            "submitted": submitted,
            "groups": groups,
            "answered": len(form.answers()) if submitted and form.is_valid() else 0,
            "error_summary": error_summary,
        },
    )
