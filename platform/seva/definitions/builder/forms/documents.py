"""The documents' editor: one row per document the service issues (its `issues`), turned
into the service file's list and back. The body of each language is YAML, a list of
`heading:`, `paragraph:` and `facts:` blocks, as in the file (docs/definitions/documents.md)."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django import forms

from seva.org.models import Role
from seva.workflows.engine import compile_workflow

from ...draft_checks import DraftProblem
from ...issued import KINDS
from .common import (
    BaseRowFormSet,
    bilingual,
    code_field,
    dump_yaml,
    parse_yaml,
    place_problems,
    row_formset,
)

KIND_LABELS = {
    "certificate": "Certificate",
    "sanction_order": "Sanction order",
    "permit": "Permit",
    "licence": "Licence",
    "registration": "Registration",
    "no_objection_certificate": "No-objection certificate",
    "rejection_order": "Rejection order (the speaking order of a rejection)",
    "demand_note": "Demand note",
    "action_taken_report": "Action taken report",
    "order": "Order",
}
PERIODS = ("years", "months", "days")
VALIDITY_KINDS = [
    ("", "Does not expire"),
    ("years", "Years from the day of issue"),
    ("months", "Months from the day of issue"),
    ("days", "Days from the day of issue"),
    ("until", "Until the date an expression gives"),
]


class DocumentRowForm(forms.Form):
    code = code_field("Code", help_text="Unique in the service, e.g. certificate.")
    kind = forms.ChoiceField(
        label="Kind", choices=[(k, KIND_LABELS.get(k, k)) for k in KINDS], initial=KINDS[0]
    )
    state = forms.ChoiceField(
        label="Issued on entering the state",
        help_text="Signed in the name of the officer whose action enters it.",
    )
    name_en = forms.CharField(label="Name in English", max_length=200, required=False)
    name_hi = forms.CharField(label="Name in Hindi", max_length=200, required=False)
    title_en = forms.CharField(label="Title in English", max_length=300, required=False)
    title_hi = forms.CharField(label="Title in Hindi", max_length=300, required=False)
    series = forms.CharField(
        label="Number series",
        max_length=60,
        help_text=(
            "The number's prefix; six digits follow. Tokens: {state}, {department}, "
            "{service}, {district}, {office}, {year}."
        ),
    )
    validity_kind = forms.ChoiceField(label="Valid", choices=VALIDITY_KINDS, required=False)
    validity_value = forms.CharField(
        label="For how many (or the expression)",
        required=False,
        help_text="A whole number of years, months or days; or an expression giving YYYY-MM-DD.",
    )
    sms = forms.ChoiceField(label="SMS once signed", required=False)
    revoked_by = forms.MultipleChoiceField(
        label="May revoke or correct it",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="None chosen: the roles whose actions enter the state.",
    )
    holder = forms.CharField(
        label="Holder (an expression)",
        required=False,
        help_text="Whom it names, e.g. data.applicant.full_name; empty: the applicant.",
    )
    body_en = forms.CharField(
        label="Body in English (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "s-code"}),
    )
    body_hi = forms.CharField(
        label="Body in Hindi (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "s-code"}),
    )

    def __init__(
        self,
        *args: Any,
        states: Sequence[tuple[str, str]] = (),
        sms_events: Iterable[str] = (),
        roles: Sequence[tuple[str, Sequence[tuple[str, str]]]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        state_choices = list(states)
        known = {code for code, _label in state_choices}
        shown = self.initial.get("state")
        if shown and shown not in known:
            # Shown as it is, so that the checks' message stands beside it.
            state_choices.append((shown, f"{shown} (not a state of the workflow)"))
        field = self._choice("state")
        field.choices = state_choices
        field.initial = state_choices[0][0] if state_choices else None
        events = list(sms_events)
        if self.initial.get("sms") and self.initial["sms"] not in events:
            events.append(self.initial["sms"])
        self._choice("sms").choices = [("", "No SMS"), *((e, e) for e in events)]
        role_choices: list[tuple[str, Sequence[tuple[str, str]]]] = list(roles)
        offered = {code for _group, group in role_choices for code, _label in group}
        missing = [r for r in self.initial.get("revoked_by") or () if r not in offered]
        if missing:
            role_choices.append(("Not defined", [(r, r) for r in missing]))
        self._choice("revoked_by").choices = role_choices

    def _choice(self, name: str) -> forms.ChoiceField:
        # `fields` holds copies of the declared fields; django-stubs types them as Field.
        return cast(forms.ChoiceField, self.fields[name])

    def _body(self, name: str) -> list | None:
        text = self.cleaned_data.get(name) or ""
        return parse_yaml(text, name, of=list) if text.strip() else None

    def clean_body_en(self) -> list | None:
        return self._body("body_en")

    def clean_body_hi(self) -> list | None:
        return self._body("body_hi")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, value = data.get("validity_kind"), (data.get("validity_value") or "").strip()
        if kind in PERIODS:
            if not value.isdigit() or int(value) < 1:
                self.add_error("validity_value", f"Write a whole number of {kind}, 1 or more.")
            else:
                data["validity_value"] = int(value)
        elif kind == "until" and not value:
            self.add_error("validity_value", "Write the expression that gives the last day.")
        return data

    def issue(self) -> dict[str, Any]:
        """The document as the service file writes it."""
        data = self.cleaned_data
        issue: dict[str, Any] = {
            "code": data["code"],
            "kind": data["kind"],
            "state": data["state"],
            "name": bilingual(data["name_en"], data["name_hi"]),
            "series": data["series"].strip(),
        }
        if data.get("validity_kind"):
            issue["validity"] = {data["validity_kind"]: data["validity_value"]}
        if data.get("sms"):
            issue["sms"] = data["sms"]
        if data.get("revoked_by"):
            issue["revoked_by"] = list(data["revoked_by"])
        if data.get("holder", "").strip():
            issue["holder"] = data["holder"].strip()
        issue["title"] = bilingual(data["title_en"], data["title_hi"])
        issue["body"] = {
            language: blocks
            for language in ("en", "hi")
            if (blocks := data.get(f"body_{language}")) is not None
        }
        return issue


class BaseDocumentFormSet(BaseRowFormSet[DocumentRowForm]):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen = set()
        for form in self.kept_forms():
            code = form.cleaned_data["code"]
            if code in seen:
                form.add_error("code", f"Another document already has the code '{code}'.")
            seen.add(code)


DocumentFormSet = row_formset(DocumentRowForm, BaseDocumentFormSet, extra=1)


def state_choices(workflow_doc: dict) -> list[tuple[str, str]]:
    """The workflow's states, each by its English label and its code."""
    states = workflow_doc.get("states") if isinstance(workflow_doc, dict) else None
    if not isinstance(states, dict):
        return []
    choices = []
    for code, state in states.items():
        label = state.get("label") if isinstance(state, dict) else None
        english = label.get("en") if isinstance(label, dict) else None
        choices.append((code, f"{english} ({code})" if english else code))
    return choices


def roles_service_first(
    service_doc: dict, workflow_doc: dict
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The roles in two groups: those of this service (its workflow's and its Right to
    Service officers') first, then the others."""
    rts = service_doc.get("rts")
    own = {
        code
        for key in ("designated_officer", "first_appellate_authority", "second_appellate_authority")
        if isinstance(rts, dict) and isinstance(code := rts.get(key), str)
    }
    # A workflow that does not compile has its own editor's problems; its roles are left out.
    with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError):
        own |= compile_workflow(workflow_doc).roles_used()
    mine: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    for role in Role.objects.order_by("name_en"):
        (mine if role.code in own else others).append((role.code, f"{role.name_en} ({role.code})"))
    return [("Roles in this service", mine), ("Other roles", others)]


def documents_initial(doc: dict) -> list[dict]:
    rows = []
    for issue in doc.get("issues") or ():
        if not isinstance(issue, dict):
            continue
        validity = issue.get("validity") or {}
        ((validity_kind, validity_value),) = (
            validity.items() if isinstance(validity, dict) and len(validity) == 1 else [("", "")]
        )
        name, title = issue.get("name") or {}, issue.get("title") or {}
        body = issue.get("body") or {}
        rows.append(
            {
                "code": issue.get("code", ""),
                "kind": issue.get("kind", ""),
                "state": issue.get("state", ""),
                "name_en": name.get("en", ""),
                "name_hi": name.get("hi", ""),
                "title_en": title.get("en", ""),
                "title_hi": title.get("hi", ""),
                "series": issue.get("series", ""),
                "validity_kind": validity_kind,
                "validity_value": "" if validity_value is None else str(validity_value),
                "sms": issue.get("sms", ""),
                "revoked_by": list(issue.get("revoked_by") or ()),
                "holder": issue.get("holder", ""),
                "body_en": dump_yaml(body["en"]) if body.get("en") else "",
                "body_hi": dump_yaml(body["hi"]) if body.get("hi") else "",
            }
        )
    return rows


def documents_from_rows(rows: BaseDocumentFormSet, doc: dict) -> dict:
    """The service file with the rows' documents; none left takes `issues` out."""
    result = copy.deepcopy(doc)
    issues = [form.issue() for form in rows.kept_forms()]
    if issues:
        result["issues"] = issues
    else:
        result.pop("issues", None)
    return result


# Where a document's problems go, by the pointer under `/issues/<n>`; a message about the
# Hindi text of a name, title or body goes to its Hindi input (common.place_problems).
DOCUMENT_PLACES = [
    ("/code", "code"),
    ("/kind", "kind"),
    ("/state", "state"),
    ("/name", "name_en"),
    ("/name/en", "name_en"),
    ("/name/hi", "name_hi"),
    ("/title", "title_en"),
    ("/title/en", "title_en"),
    ("/title/hi", "title_hi"),
    ("/series", "series"),
    ("/validity", "validity_kind"),
    ("/validity/years", "validity_value"),
    ("/validity/months", "validity_value"),
    ("/validity/days", "validity_value"),
    ("/validity/until", "validity_value"),
    ("/sms", "sms"),
    ("/revoked_by", "revoked_by"),
    ("/holder", "holder"),
    ("/body", "body_en"),
    ("/body/en", "body_en"),
    ("/body/hi", "body_hi"),
]


def place_document_problems(
    rows: BaseDocumentFormSet, problems: Iterable[DraftProblem]
) -> list[DraftProblem]:
    """Each problem under `/issues/<n>` beside its input on the n-th document; returns the
    others (about the list itself, or a document no row shows)."""
    kept = [f for f in rows.kept_forms() if hasattr(f, "cleaned_data")]
    left = []
    for problem in problems:
        parts = problem.pointer.split("/")
        if len(parts) >= 3 and parts[1] == "issues" and parts[2].isdigit():
            index = int(parts[2])
            if index < len(kept):
                rest = "/" + "/".join(parts[3:]) if len(parts) > 3 else ""
                where = _block_named(parts[3:])
                message = f"{where}: {problem.message}" if where else problem.message
                place_problems(
                    kept[index],
                    [DraftProblem(problem.part, rest, message)],
                    DOCUMENT_PLACES,
                    "code",
                )
                continue
        left.append(problem)
    return left


def _block_named(parts: list[str]) -> str:
    """["body", "en", "1", "facts", "3", "value"] -> "Block 2, facts row 4, value": where in
    a body the problem is, counted as the admin counts."""
    if len(parts) < 3 or parts[0] != "body" or not parts[2].isdigit():
        return ""
    named = f"Block {int(parts[2]) + 1}"
    rest = parts[3:]
    if len(rest) >= 3 and rest[0] == "facts" and rest[1].isdigit():
        return f"{named}, facts row {int(rest[1]) + 1}, {' '.join(rest[2:])}"
    return ", ".join([named, *rest])
