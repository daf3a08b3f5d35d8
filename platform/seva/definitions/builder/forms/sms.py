"""The SMS templates' editor: a table of (event, language) rows, each a template as
registered on DLT, turned into the service file's `sms` and back."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from django import forms

from ...draft_checks import DraftProblem
from .common import LANGUAGES, BaseRowFormSet, code_field, place_problems, row_formset, words


class SmsRowForm(forms.Form):
    event = code_field("Event")
    language = forms.ChoiceField(label="Language", choices=LANGUAGES, initial="en")
    dlt_template_id = forms.CharField(label="DLT template id", required=False)
    text = forms.CharField(
        label="Text as registered on DLT", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    variables = forms.CharField(label="Values for each {#var#}, in order", required=False)


class BaseSmsFormSet(BaseRowFormSet[SmsRowForm]):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen = set()
        for form in self.kept_forms():
            key = (form.cleaned_data["event"], form.cleaned_data["language"])
            if key in seen:
                form.add_error("language", f"'{key[0]}' already has a template in this language.")
            seen.add(key)


SmsFormSet = row_formset(SmsRowForm, BaseSmsFormSet, extra=2)


def sms_initial(doc: dict) -> list[dict]:
    rows = []
    for event, per_language in (doc.get("sms") or {}).items():
        for language, template in (per_language or {}).items():
            rows.append(
                {
                    "event": event,
                    "language": language,
                    "dlt_template_id": template.get("dlt_template_id", ""),
                    "text": template.get("text", ""),
                    "variables": ", ".join(template.get("variables") or []),
                }
            )
    return rows


def sms_from_rows(rows: BaseSmsFormSet, doc: dict) -> dict:
    sms: dict = {}
    for form in rows.kept_forms():
        data = form.cleaned_data
        sms.setdefault(data["event"], {})[data["language"]] = {
            "dlt_template_id": data["dlt_template_id"].strip(),
            "text": data["text"].strip(),
            "variables": words(data["variables"]),
        }
    return {**copy.deepcopy(doc), "sms": sms}


def place_sms_problems(
    rows: BaseSmsFormSet, problems: Iterable[DraftProblem]
) -> list[DraftProblem]:
    by_key = {
        (f.cleaned_data.get("event"), f.cleaned_data.get("language")): f
        for f in rows.kept_forms()
        if hasattr(f, "cleaned_data")
    }
    left = []
    for problem in problems:
        parts = problem.pointer.split("/")
        if len(parts) >= 4 and parts[1] == "sms" and (parts[2], parts[3]) in by_key:
            rest = "/" + "/".join(parts[4:]) if len(parts) > 4 else ""
            place_problems(
                by_key[(parts[2], parts[3])],
                [DraftProblem(problem.part, rest, problem.message)],
                [("/dlt_template_id", "dlt_template_id"), ("/variables", "variables")],
                "text",
            )
        else:
            left.append(problem)
    return left
