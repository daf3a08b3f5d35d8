"""The form builder: the application form's title, declaration and steps, and a table of its
fields, turned into the form's JSON Schema and back."""

from __future__ import annotations

import json
from collections.abc import Iterable

from django import forms

from seva.core.oddinput import OddInput, json_loads_checked
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

from ...draft_checks import DraftProblem
from .common import (
    DEFINITION_DEPTH,
    BaseRowFormSet,
    bilingual,
    code_field,
    dump_json,
    dump_yaml,
    parse_yaml,
    pipe_lines,
    place_problems,
    row_formset,
)

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

    rules = forms.CharField(
        label="Rules across fields (YAML)",
        widget=forms.Textarea(attrs={"rows": 3, "class": "s-code"}),
        required=False,
        help_text=(
            "A list: each with an id, the field it is about, an expression that must hold "
            "(data.date_of_marriage > data.groom_dob) and a message in English and Hindi"
        ),
    )

    def clean_rules(self) -> list:
        text = self.cleaned_data["rules"]
        return parse_yaml(text, "rules", of=list) if text.strip() else []

    def clean_steps(self) -> list[tuple[str, str]]:
        steps = []
        for number, parts in enumerate(pipe_lines(self.cleaned_data["steps"]), start=1):
            if len(parts) != 2 or not all(parts):
                raise forms.ValidationError(f"Line {number}: write English title | Hindi title.")
            steps.append((parts[0], parts[1]))
        return steps


class FieldRowForm(forms.Form):
    name = code_field("Field name", help_text="lower_case, stored with the answer", shortest=1)
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
    compute = forms.CharField(
        label="Computed as (an expression)",
        required=False,
        help_text=(
            "Worked out on the server from the other answers and shown read-only, e.g. "
            "sum(data.income_rows.map(r, r.amount)); empty for a question"
        ),
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
            for number, parts in enumerate(pipe_lines(data.get("choices") or ""), start=1):
                if len(parts) != 3 or not all(parts):
                    self.add_error("choices", f"Line {number}: write value | English | Hindi.")
                    break
                choices.append((parts[0], {"en": parts[1], "hi": parts[2]}))
            if not choices and not self.has_error("choices"):
                self.add_error("choices", "A choice field needs at least one choice.")
            data["choice_list"] = choices
        if kind == "group":
            rows = []
            for number, parts in enumerate(pipe_lines(data.get("sub_fields") or ""), start=1):
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
            "schema_json": dump_json(row.schema) if row.kind == "custom" else "",
            "compute": row.compute,
        }

    def design(self) -> FieldDesign:
        data = self.cleaned_data
        return FieldDesign(
            name=data["name"],
            kind=data["kind"],
            label=bilingual(data["label_en"], data["label_hi"]),
            help=bilingual(data["help_en"], data["help_hi"]),
            required=data["required"],
            step=data["step"],
            choices=data.get("choice_list", []),
            show_when=(data["show_when_field"].strip(), data["show_when_value"].strip())
            if data.get("show_when_field")
            else None,
            sub_fields=data.get("sub_list", []),
            level=data["level"],
            schema=data.get("custom_schema"),
            compute=(data.get("compute") or "").strip(),
        )


class BaseFieldRowFormSet(BaseRowFormSet[FieldRowForm]):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: dict[str, int] = {}
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


FieldRowFormSet = row_formset(FieldRowForm, BaseFieldRowFormSet, extra=1)


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
        "rules": dump_yaml(design.rules) if design.rules else "",
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
        title=bilingual(top.cleaned_data["title_en"], top.cleaned_data["title_hi"]),
        declaration=bilingual(
            top.cleaned_data["declaration_en"], top.cleaned_data["declaration_hi"]
        ),
        steps=steps,
        fields=[form.design() for form in rows.kept_forms()],
        extra_conditions=kept.extra_conditions,
        extra=kept.extra,
        examples=kept.examples,
        rules=top.cleaned_data["rules"],
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
        ("/x-compute", "compute"),
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
                    ("/x-rules", "rules"),
                ],
                None,
            )
    return left
