"""The admin's editors as Django forms: each turns one part of a draft (the service's details,
its form, its workflow, its SMS templates) into inputs and back, and puts each problem the
definition checks find beside the input it is about.

Every editor also has the part as raw text (YAML or JSON) for what the tables do not cover;
both are views of the same document, so saving either shows the other updated."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable

import yaml
from django import forms
from django.forms import formset_factory

from seva.core.levels import PROCESSING_LEVELS
from seva.core.oddinput import MAX_JSON_DEPTH, OddInput, json_loads_checked
from seva.formschemas.builder import (
    KINDS,
    LEVELS,
    ROW_KINDS,
    FieldDesign,
    FormDesign,
    design_from_schema,
    schema_from_design,
    step_id,
)
from seva.org.models import Role
from seva.workflows.engine import Outcome

from .draft_checks import DraftProblem

OUTCOMES = [outcome.value for outcome in Outcome]
LANGUAGES = [("en", "English"), ("hi", "Hindi")]


def _role_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = [(r.code, f"{r.name_en} ({r.code})") for r in Role.objects.order_by("name_en")]
    return ([("", blank)] if blank is not None else []) + choices


def _code_field(label: str, *, help_text: str = "", shortest: int = 2) -> forms.RegexField:
    """A name stored in the documents (a field, state, action or SMS event): lower_case."""
    return forms.RegexField(
        regex=rf"^[a-z][a-z0-9_]{{{shortest - 1},39}}$",
        label=label,
        help_text=help_text,
        error_messages={"invalid": "Use lower-case letters, digits and _, starting with a letter."},
    )


def _words(text: str) -> list[str]:
    """'a, b c' -> ['a', 'b', 'c']"""
    return [w for w in text.replace(",", " ").split() if w]


def _pipe_lines(text: str) -> list[list[str]]:
    return [
        [part.strip() for part in line.split("|")] for line in text.splitlines() if line.strip()
    ]


def _text(en: str, hi: str) -> dict[str, str]:
    return {"en": en.strip(), "hi": hi.strip()}


# Definitions typed here (a form's schema, a field's own JSON Schema) may nest deeper than
# the answers they collect.
DEFINITION_DEPTH = 2 * MAX_JSON_DEPTH


def _dump_yaml(doc) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)


def _dump_json(doc) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False)


def parse_yaml(text: str, field: str) -> dict:
    try:
        doc = yaml.safe_load(text)
    except RecursionError:
        raise forms.ValidationError(
            f"This YAML is nested more than any definition needs (over {DEFINITION_DEPTH} levels)."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise forms.ValidationError(
            f"This is not valid YAML{where}: {getattr(exc, 'problem', exc)}"
        ) from exc
    if not isinstance(doc, dict):
        raise forms.ValidationError("Write a mapping (key: value lines) here.")
    return doc


def parse_json(text: str) -> dict:
    try:
        doc = json_loads_checked(text, what="This JSON", max_depth=DEFINITION_DEPTH)
    except OddInput as exc:
        raise forms.ValidationError(str(exc)) from exc
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            f"This is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from exc
    if not isinstance(doc, dict):
        raise forms.ValidationError("Write a JSON object ({ ... }) here.")
    return doc


def place_problems(
    form: forms.Form,
    problems: Iterable[DraftProblem],
    places: list[tuple[str, str]],
    fallback: str | None,
) -> list[DraftProblem]:
    """Add each problem to the input of the longest matching pointer in `places`
    ([(pointer, field name)]); a message about the Hindi text goes to the `_hi` input.
    Returns the problems no input took (shown with the raw text)."""
    left = []
    ordered = sorted(places, key=lambda p: len(p[0]), reverse=True)
    for problem in problems:
        target = next(
            (
                name
                for pointer, name in ordered
                if problem.pointer == pointer or problem.pointer.startswith(pointer + "/")
            ),
            None,
        )
        if target and target.endswith("_en") and "Hindi (hi)" in problem.message:
            target = target[:-3] + "_hi"
        if target is None and fallback is not None:
            target = fallback
        if target is None:
            left.append(problem)
            continue
        where = "" if target != fallback else f"{problem.pointer or '(whole document)'}: "
        form.add_error(target, f"{where}{problem.message}")
    return left


# ------------------------------------------------------------------------------
# New service
# ------------------------------------------------------------------------------
class NewServiceForm(forms.Form):
    department = forms.ModelChoiceField(queryset=None, empty_label=None)
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

    def __init__(self, *args, departments, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        for name in (
            "designated_officer",
            "first_appellate_authority",
            "second_appellate_authority",
        ):
            self.fields[name].choices = _role_choices()

    def details(self) -> dict:
        data = self.cleaned_data
        return {
            "code": data["code"],
            "reference_code": data["reference_code"],
            "kind": data["kind"],
            "name": _text(data["name_en"], data["name_hi"]),
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
# Details (the service file, less its SMS)
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
    fee_amount = forms.IntegerField(label="Fee (rupees)", min_value=0, required=False)
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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in (
            "designated_officer",
            "first_appellate_authority",
            "second_appellate_authority",
        ):
            self.fields[name].choices = _role_choices()

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
            doc[key] = _text(data[f"{key}_en"], data[f"{key}_hi"])
        summary = _text(data["eligibility_en"], data["eligibility_hi"])
        if any(summary.values()) or (doc.get("eligibility") or {}).get("rules"):
            doc["eligibility"] = {**(doc.get("eligibility") or {}), "summary": summary}
        else:
            doc.pop("eligibility", None)
        doc["kind"], doc["reference_code"] = data["kind"], data["reference_code"].strip()
        doc["fee"] = {**(doc.get("fee") or {}), "amount": data["fee_amount"] or 0}
        doc["rts"] = {
            **(doc.get("rts") or {}),
            "days": data["rts_days"],
            "day_type": data["rts_day_type"],
            "act": _text(data["act_en"], data["act_hi"]),
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


class RawTextForm(forms.Form):
    """A whole document as text: YAML (service file, workflow) or JSON (form)."""

    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "s-code"})
    )

    def __init__(self, *args, language: str, label: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language = language
        self.fields["text"].label = label

    def clean_text(self) -> dict:
        text = self.cleaned_data["text"]
        return parse_json(text) if self.language == "json" else parse_yaml(text, "text")

    @staticmethod
    def dump(doc, language: str) -> str:
        return _dump_json(doc) if language == "json" else _dump_yaml(doc)


# ------------------------------------------------------------------------------
# The form builder
# ------------------------------------------------------------------------------
KIND_CHOICES = [(kind, label) for kind, (label, _make) in KINDS.items()]


class FormTopForm(forms.Form):
    title_en = forms.CharField(label="Form title (English)", required=False)
    title_hi = forms.CharField(label="Form title (Hindi)", required=False)
    declaration_en = forms.CharField(
        label="Declaration (English)", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    declaration_hi = forms.CharField(
        label="Declaration (Hindi)", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    steps = forms.CharField(
        label="Steps",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One step (page) per line: English title | Hindi title. Fields name their step by number.",
    )

    def clean_steps(self) -> list[tuple[str, str]]:
        steps = []
        for number, parts in enumerate(_pipe_lines(self.cleaned_data["steps"]), start=1):
            if len(parts) != 2 or not all(parts):
                raise forms.ValidationError(f"Line {number}: write English title | Hindi title.")
            steps.append((parts[0], parts[1]))
        return steps


class FieldRowForm(forms.Form):
    name = _code_field("Field name", help_text="lower_case, stored with the answer", shortest=1)
    kind = forms.ChoiceField(label="Type", choices=KIND_CHOICES, initial="text")
    label_en = forms.CharField(label="Label (English)", required=False)
    label_hi = forms.CharField(label="Label (Hindi)", required=False)
    help_en = forms.CharField(label="Help (English)", required=False)
    help_hi = forms.CharField(label="Help (Hindi)", required=False)
    required = forms.BooleanField(label="Required", required=False)
    step = forms.IntegerField(label="Step", min_value=1, initial=1)
    choices = forms.CharField(
        label="Choices",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Choice fields: one per line, value | English | Hindi",
    )
    show_when_field = forms.CharField(
        label="Show only when field", required=False, help_text="Another field's name"
    )
    show_when_value = forms.CharField(
        label="has the answer", required=False, help_text="A choice's value, or yes / no"
    )
    level = forms.ChoiceField(
        label="Area picked (address)",
        choices=[(lvl, lvl.title()) for lvl in LEVELS],
        initial="district",
    )
    sub_fields = forms.CharField(
        label="Fields of each row",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=f"Repeatable groups: one per line, name | type | English | Hindi | required (yes/no); types: {', '.join(ROW_KINDS)}",
    )
    schema_json = forms.CharField(
        label="Field schema (JSON)",
        widget=forms.Textarea(attrs={"rows": 3, "class": "s-code"}),
        required=False,
        help_text="Custom fields only: the field's JSON Schema",
    )

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == "choice":
            choices = []
            for number, parts in enumerate(_pipe_lines(data.get("choices") or ""), start=1):
                if len(parts) != 3 or not all(parts):
                    self.add_error("choices", f"Line {number}: write value | English | Hindi.")
                    break
                choices.append((parts[0], {"en": parts[1], "hi": parts[2]}))
            if not choices and not self.has_error("choices"):
                self.add_error("choices", "A choice field needs at least one choice.")
            data["choice_list"] = choices
        if kind == "group":
            rows = []
            for number, parts in enumerate(_pipe_lines(data.get("sub_fields") or ""), start=1):
                if (
                    len(parts) != 5
                    or parts[1] not in ROW_KINDS
                    or parts[4].lower() not in ("yes", "no")
                ):
                    self.add_error(
                        "sub_fields",
                        f"Line {number}: write name | type | English | Hindi | yes or no; the types are {', '.join(ROW_KINDS)}.",
                    )
                    break
                rows.append(
                    FieldDesign(
                        parts[0],
                        parts[1],
                        {"en": parts[2], "hi": parts[3]},
                        required=parts[4].lower() == "yes",
                    )
                )
            if not rows and not self.has_error("sub_fields"):
                self.add_error("sub_fields", "A repeatable group needs the fields of its rows.")
            data["sub_list"] = rows
        if kind == "custom":
            try:
                data["custom_schema"] = json_loads_checked(
                    data.get("schema_json") or "", what="This JSON", max_depth=DEFINITION_DEPTH
                )
            except OddInput as exc:
                self.add_error("schema_json", str(exc))
            except json.JSONDecodeError as exc:
                self.add_error(
                    "schema_json",
                    f"Not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}",
                )
        if bool(data.get("show_when_field")) != bool(data.get("show_when_value")):
            self.add_error(
                "show_when_value", "Give both the field and the answer that shows this one."
            )
        return data

    @staticmethod
    def initial_from(row: FieldDesign) -> dict:
        return {
            "name": row.name,
            "kind": row.kind,
            "label_en": row.label.get("en", ""),
            "label_hi": row.label.get("hi", ""),
            "help_en": row.help.get("en", ""),
            "help_hi": row.help.get("hi", ""),
            "required": row.required,
            "step": row.step,
            "choices": "\n".join(
                f"{v} | {t.get('en', '')} | {t.get('hi', '')}" for v, t in row.choices
            ),
            "show_when_field": row.show_when[0] if row.show_when else "",
            "show_when_value": row.show_when[1] if row.show_when else "",
            "level": row.level,
            "sub_fields": "\n".join(
                f"{s.name} | {s.kind} | {s.label.get('en', '')} | {s.label.get('hi', '')} | {'yes' if s.required else 'no'}"
                for s in row.sub_fields
            ),
            "schema_json": _dump_json(row.schema) if row.kind == "custom" else "",
        }

    def design(self) -> FieldDesign:
        data = self.cleaned_data
        return FieldDesign(
            name=data["name"],
            kind=data["kind"],
            label=_text(data["label_en"], data["label_hi"]),
            help=_text(data["help_en"], data["help_hi"]),
            required=data["required"],
            step=data["step"],
            choices=data.get("choice_list", []),
            show_when=(data["show_when_field"].strip(), data["show_when_value"].strip())
            if data.get("show_when_field")
            else None,
            sub_fields=data.get("sub_list", []),
            level=data["level"],
            schema=data.get("custom_schema"),
        )


class BaseRowFormSet(forms.BaseFormSet):
    def kept_forms(self) -> list[forms.Form]:
        """The rows that make the document: those shown from it and those filled in, less
        those marked for deletion (unbound: the document's rows)."""
        if not self.is_bound:
            return [f for f in self.forms if f.initial]
        return [
            f
            for f in self.forms
            if (f.has_changed() or f.initial)
            and not (self.can_delete and self._should_delete_form(f))
        ]


class BaseFieldRowFormSet(BaseRowFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen = {}
        for form in self.kept_forms():
            name = form.cleaned_data["name"]
            if name in seen:
                form.add_error(
                    "name", f"'{name}' is used by field {seen[name]} too; field names must differ."
                )
            seen[name] = len(seen) + 1
        for form in self.kept_forms():
            trigger = form.cleaned_data.get("show_when_field")
            if trigger and trigger not in seen:
                form.add_error("show_when_field", f"There is no field '{trigger}'.")


FieldRowFormSet = formset_factory(
    FieldRowForm, formset=BaseFieldRowFormSet, extra=1, can_delete=True
)


def form_builder_initial(schema: dict) -> tuple[dict, list[dict], FormDesign]:
    design = design_from_schema(schema)
    top = {
        "title_en": design.title.get("en", ""),
        "title_hi": design.title.get("hi", ""),
        "declaration_en": design.declaration.get("en", ""),
        "declaration_hi": design.declaration.get("hi", ""),
        "steps": "\n".join(
            f"{s['title'].get('en', '')} | {s['title'].get('hi', '')}" for s in design.steps
        ),
    }
    return top, [FieldRowForm.initial_from(row) for row in design.fields], design


def form_from_builder(top: FormTopForm, rows: BaseFieldRowFormSet, previous: dict) -> dict:
    """The form schema the builder's inputs describe; what the builder does not show (other
    conditions, other top-level keys) is kept from `previous`."""
    kept = design_from_schema(previous)
    taken: set[str] = set()
    steps = []
    for index, (en, hi) in enumerate(top.cleaned_data["steps"]):
        old = kept.steps[index]["id"] if index < len(kept.steps) else step_id(en, taken)
        old = old if old not in taken else step_id(en, taken)
        taken.add(old)
        steps.append({"id": old, "title": {"en": en, "hi": hi}})
    design = FormDesign(
        title=_text(top.cleaned_data["title_en"], top.cleaned_data["title_hi"]),
        declaration=_text(top.cleaned_data["declaration_en"], top.cleaned_data["declaration_hi"]),
        steps=steps,
        fields=[form.design() for form in rows.kept_forms()],
        extra_conditions=kept.extra_conditions,
        extra=kept.extra,
    )
    return schema_from_design(design)


def place_form_problems(
    top: FormTopForm, rows: BaseFieldRowFormSet, problems: Iterable[DraftProblem]
) -> list[DraftProblem]:
    """Builder problems beside their inputs; returns those about the raw JSON only."""
    by_name = {
        f.cleaned_data.get("name"): f for f in rows.kept_forms() if hasattr(f, "cleaned_data")
    }
    conditional = [
        f for f in rows.kept_forms() if getattr(f, "cleaned_data", {}).get("show_when_field")
    ]
    left = []
    row_places = [
        ("/x-label", "label_en"),
        ("/x-help", "help_en"),
        ("/x-item-label", "label_en"),
        ("/x-enum-labels", "choices"),
        ("/enum", "choices"),
        ("/items", "sub_fields"),
        ("/x-jurisdiction-level", "level"),
        ("/properties", "sub_fields"),
    ]
    for problem in problems:
        parts = problem.pointer.split("/")
        if len(parts) >= 3 and parts[1] == "properties" and parts[2] in by_name:
            form = by_name[parts[2]]
            rest = DraftProblem(
                problem.part, "/" + "/".join(parts[3:]) if len(parts) > 3 else "", problem.message
            )
            place_problems(form, [rest], row_places, "name")
        elif (
            len(parts) >= 3
            and parts[1] == "allOf"
            and parts[2].isdigit()
            and int(parts[2]) < len(conditional)
        ):
            conditional[int(parts[2])].add_error("show_when_field", problem.message)
        else:
            left += place_problems(
                top,
                [problem],
                [
                    ("/x-title", "title_en"),
                    ("/x-declaration", "declaration_en"),
                    ("/x-steps", "steps"),
                ],
                None,
            )
    return left


# ------------------------------------------------------------------------------
# The workflow editor
# ------------------------------------------------------------------------------
class WorkflowTopForm(forms.Form):
    name_en = forms.CharField(label="Workflow name (English)", required=False)
    name_hi = forms.CharField(label="Workflow name (Hindi)", required=False)
    initial = forms.CharField(label="First state", help_text="The state a new application enters")


class StateRowForm(forms.Form):
    code = _code_field("State")
    label_en = forms.CharField(label="Label (English)", required=False)
    label_hi = forms.CharField(label="Label (Hindi)", required=False)
    role = forms.ChoiceField(label="Held by (role)", required=False)
    with_citizen = forms.BooleanField(label="With the citizen (clock stops)", required=False)
    sla_days = forms.IntegerField(label="Stage SLA (days)", required=False)
    escalate_to = forms.CharField(label="Escalates to (roles, in order)", required=False)
    sms_on_enter = forms.CharField(label="SMS on entry (events)", required=False)
    outcome = forms.ChoiceField(
        label="Closes as",
        required=False,
        choices=[("", "Open (not closed)")] + [(o, o.title()) for o in OUTCOMES],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(blank="Nobody (closed or with the citizen)")

    @staticmethod
    def initial_from(code: str, spec: dict) -> dict:
        return {
            "code": code,
            "label_en": (spec.get("label") or {}).get("en", ""),
            "label_hi": (spec.get("label") or {}).get("hi", ""),
            "role": spec.get("role", ""),
            "with_citizen": bool(spec.get("with_citizen")),
            "sla_days": spec.get("sla_days"),
            "escalate_to": ", ".join(spec.get("escalate_to") or []),
            "sms_on_enter": ", ".join(spec.get("sms_on_enter") or []),
            "outcome": spec.get("outcome", ""),
        }

    def spec(self) -> dict:
        data = self.cleaned_data
        spec: dict = {"label": _text(data["label_en"], data["label_hi"])}
        if data["role"]:
            spec["role"] = data["role"]
        if data["with_citizen"]:
            spec["with_citizen"] = True
        if data["sla_days"] is not None:
            spec["sla_days"] = data["sla_days"]
        if _words(data["escalate_to"]):
            spec["escalate_to"] = _words(data["escalate_to"])
        if _words(data["sms_on_enter"]):
            spec["sms_on_enter"] = _words(data["sms_on_enter"])
        if data["outcome"]:
            spec["terminal"], spec["outcome"] = True, data["outcome"]
        return spec


STATE_PLACES = [
    ("/label", "label_en"),
    ("/role", "role"),
    ("/with_citizen", "with_citizen"),
    ("/sla_days", "sla_days"),
    ("/escalate_to", "escalate_to"),
    ("/sms_on_enter", "sms_on_enter"),
    ("/outcome", "outcome"),
    ("/terminal", "outcome"),
]
_TRANSITION_COLUMNS = {
    "action",
    "label",
    "from",
    "to",
    "roles",
    "remarks",
    "guards",
    "sms",
    "input_schema",
}


class TransitionRowForm(forms.Form):
    action = _code_field("Action")
    label_en = forms.CharField(label="Button (English)", required=False)
    label_hi = forms.CharField(label="Button (Hindi)", required=False)
    from_states = forms.CharField(label="From (states)")
    to_state = forms.CharField(label="To (state)")
    roles = forms.CharField(label="Who (roles, or citizen)")
    remarks = forms.ChoiceField(
        label="Remarks", required=False, choices=[("", "Optional"), ("required", "Required")]
    )
    guards = forms.CharField(label="Conditions (guards)", required=False)
    sms = forms.CharField(label="SMS (events)", required=False)
    input_schema = forms.CharField(
        label="Officer inputs (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "s-code"}),
        help_text="A JSON Schema of what the officer fills in, written as YAML",
    )
    other = forms.CharField(
        label="Other settings (YAML)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "s-code"}),
        help_text="when, bulk, corrects_form, back_to_sender, counts_as",
    )

    def clean_input_schema(self):
        text = self.cleaned_data["input_schema"]
        return parse_yaml(text, "input_schema") if text.strip() else None

    def clean_other(self):
        text = self.cleaned_data["other"]
        return parse_yaml(text, "other") if text.strip() else {}

    @staticmethod
    def initial_from(spec: dict) -> dict:
        sources = spec.get("from")
        other = {k: v for k, v in spec.items() if k not in _TRANSITION_COLUMNS}
        return {
            "action": spec.get("action", ""),
            "label_en": (spec.get("label") or {}).get("en", ""),
            "label_hi": (spec.get("label") or {}).get("hi", ""),
            "from_states": sources if isinstance(sources, str) else ", ".join(sources or []),
            "to_state": spec.get("to", ""),
            "roles": ", ".join(spec.get("roles") or []),
            "remarks": "required" if spec.get("remarks") == "required" else "",
            "guards": ", ".join(spec.get("guards") or []),
            "sms": ", ".join(spec.get("sms") or []),
            "input_schema": _dump_yaml(spec["input_schema"]) if "input_schema" in spec else "",
            "other": _dump_yaml(other) if other else "",
        }

    def spec(self) -> dict:
        data = self.cleaned_data
        sources = _words(data["from_states"])
        spec: dict = {
            "action": data["action"],
            "label": _text(data["label_en"], data["label_hi"]),
            "from": sources[0] if len(sources) == 1 else sources,
            "to": data["to_state"].strip(),
            "roles": _words(data["roles"]),
        }
        if data["remarks"]:
            spec["remarks"] = data["remarks"]
        if _words(data["guards"]):
            spec["guards"] = _words(data["guards"])
        if _words(data["sms"]):
            spec["sms"] = _words(data["sms"])
        if data["input_schema"] is not None:
            spec["input_schema"] = data["input_schema"]
        spec.update(data["other"])
        return spec


TRANSITION_PLACES = [
    ("/action", "action"),
    ("/label", "label_en"),
    ("/from", "from_states"),
    ("/to", "to_state"),
    ("/roles", "roles"),
    ("/remarks", "remarks"),
    ("/guards", "guards"),
    ("/sms", "sms"),
    ("/input_schema", "input_schema"),
]


class BaseStateFormSet(BaseRowFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen = set()
        for form in self.kept_forms():
            code = form.cleaned_data["code"]
            if code in seen:
                form.add_error("code", f"State '{code}' is listed twice.")
            seen.add(code)


StateFormSet = formset_factory(StateRowForm, formset=BaseStateFormSet, extra=1, can_delete=True)
TransitionFormSet = formset_factory(
    TransitionRowForm, formset=BaseRowFormSet, extra=1, can_delete=True
)


def workflow_initial(doc: dict) -> tuple[dict, list[dict], list[dict]]:
    top = {
        "name_en": (doc.get("name") or {}).get("en", ""),
        "name_hi": (doc.get("name") or {}).get("hi", ""),
        "initial": doc.get("initial", ""),
    }
    states = [
        StateRowForm.initial_from(code, spec or {})
        for code, spec in (doc.get("states") or {}).items()
    ]
    transitions = [
        TransitionRowForm.initial_from(spec or {}) for spec in doc.get("transitions") or []
    ]
    return top, states, transitions


def workflow_from_tables(
    top: WorkflowTopForm, states: BaseStateFormSet, transitions: BaseRowFormSet, previous: dict
) -> dict:
    doc = {
        k: copy.deepcopy(v)
        for k, v in previous.items()
        if k not in ("name", "initial", "states", "transitions")
    }
    doc["name"] = _text(top.cleaned_data["name_en"], top.cleaned_data["name_hi"])
    doc["initial"] = top.cleaned_data["initial"].strip()
    doc["states"] = {form.cleaned_data["code"]: form.spec() for form in states.kept_forms()}
    doc["transitions"] = [form.spec() for form in transitions.kept_forms()]
    ordered = {k: doc[k] for k in ("code", "name", "initial") if k in doc}
    return {**ordered, **doc}


def _named_key(message: str, places: list[tuple[str, str]]) -> str:
    """For a problem about a whole row, the pointer of the key its message names ("needs
    sla_days" -> "/sla_days"), so that it is shown beside that input; else the row's."""
    for pointer, _field in places:
        if pointer.lstrip("/") in message:
            return pointer
    return ""


def place_workflow_problems(
    top: WorkflowTopForm,
    states: BaseStateFormSet,
    transitions: BaseRowFormSet,
    problems: Iterable[DraftProblem],
) -> list[DraftProblem]:
    by_code = {
        f.cleaned_data.get("code"): f for f in states.kept_forms() if hasattr(f, "cleaned_data")
    }
    rows = transitions.kept_forms()
    left = []
    for problem in problems:
        parts = problem.pointer.split("/")
        rest = "/" + "/".join(parts[3:]) if len(parts) > 3 else ""
        if len(parts) >= 3 and parts[1] == "states" and parts[2] in by_code:
            rest = rest or _named_key(problem.message, STATE_PLACES)
            place_problems(
                by_code[parts[2]],
                [DraftProblem(problem.part, rest, problem.message)],
                STATE_PLACES,
                "code",
            )
        elif (
            len(parts) >= 3
            and parts[1] == "transitions"
            and parts[2].isdigit()
            and int(parts[2]) < len(rows)
        ):
            place_problems(
                rows[int(parts[2])],
                [DraftProblem(problem.part, rest, problem.message)],
                TRANSITION_PLACES,
                "other",
            )
        else:
            left += place_problems(
                top, [problem], [("/initial", "initial"), ("/name", "name_en")], None
            )
    return left


# ------------------------------------------------------------------------------
# SMS templates
# ------------------------------------------------------------------------------
class SmsRowForm(forms.Form):
    event = _code_field("Event")
    language = forms.ChoiceField(label="Language", choices=LANGUAGES, initial="en")
    dlt_template_id = forms.CharField(label="DLT template id", required=False)
    text = forms.CharField(
        label="Text as registered on DLT", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    variables = forms.CharField(label="Values for each {#var#}, in order", required=False)


class BaseSmsFormSet(BaseRowFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen = set()
        for form in self.kept_forms():
            key = (form.cleaned_data["event"], form.cleaned_data["language"])
            if key in seen:
                form.add_error("language", f"'{key[0]}' already has a template in this language.")
            seen.add(key)


SmsFormSet = formset_factory(SmsRowForm, formset=BaseSmsFormSet, extra=2, can_delete=True)


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
            "variables": _words(data["variables"]),
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
