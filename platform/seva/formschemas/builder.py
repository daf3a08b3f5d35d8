"""The form builder's view of a form schema: fields of common kinds with labels and help in
each language, required, a condition, a step. `design_from_schema` and `schema_from_design`
turn one into the other, and a schema the builder made comes back from the round trip
unchanged, so the builder and the raw JSON Schema stay two views of one document.

A field the builder cannot describe exactly (any keyword it would not write itself) is kept
as a "custom" field: its schema is carried through untouched, to be edited as JSON.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from .conditions import condition_holds
from .keywords import DRAFT_2020_12
from .rules import COMPUTE
from .validation import UnsupportedSchema, build_validator, validate_form_data

Text = dict[str, str]

FILE_TYPES = ["application/pdf", "image/jpeg", "image/png"]
FILE_MAX_BYTES = 1024 * 1024
YES_NO = {"true": {"en": "Yes", "hi": "हाँ"}, "false": {"en": "No", "hi": "नहीं"}}
ADDRESS_PARTS = {
    "house": {"en": "House number and street", "hi": "मकान नंबर और गली"},
    "village_or_ward": {"en": "Village, town or ward", "hi": "गाँव, कस्बा या वार्ड"},
    "pincode": {"en": "PIN code", "hi": "पिन कोड"},
}
LEVEL_NAMES = {
    "state": {"en": "State", "hi": "राज्य"},
    "division": {"en": "Division", "hi": "मंडल"},
    "district": {"en": "District", "hi": "ज़िला"},
    "subdivision": {"en": "Sub-division", "hi": "उपमंडल"},
    "tehsil": {"en": "Tehsil", "hi": "तहसील"},
    "village": {"en": "Village", "hi": "गाँव"},
}
# Keys of the form's top level that the builder writes itself; any other is kept as it is.
_OWN_TOP_KEYS = {
    "$schema",
    "title",
    "x-title",
    "x-declaration",
    "type",
    "additionalProperties",
    "required",
    "x-steps",
    "properties",
    "allOf",
    "examples",
    "x-rules",
}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass
class FieldDesign:
    name: str
    kind: str
    label: Text = field(default_factory=dict)
    help: Text = field(default_factory=dict)
    required: bool = True
    step: int = 1  # 1-based position in the form's steps
    choices: list[tuple[str, Text]] = field(default_factory=list)  # choice: (value, labels)
    show_when: tuple[str, str] | None = None  # (other field, the answer that shows this one)
    sub_fields: list[FieldDesign] = field(default_factory=list)  # group: the row's fields
    level: str = "district"  # address: the jurisdiction level picked
    schema: dict | None = None  # custom: the field's schema, untouched
    compute: str = ""  # an expression the server computes the answer with (x-compute)


@dataclass
class FormDesign:
    title: Text = field(default_factory=dict)
    declaration: Text = field(default_factory=dict)
    steps: list[dict] = field(default_factory=list)  # [{id, title: Text}]
    fields: list[FieldDesign] = field(default_factory=list)
    extra_conditions: list[dict] = field(default_factory=list)  # allOf items kept as written
    extra: dict = field(default_factory=dict)  # other top-level keys kept as written
    # The department's own examples, kept while they still fit the form as edited.
    examples: list = field(default_factory=list)
    rules: list = field(default_factory=list)  # x-rules: cross-field rules, as written


# ------------------------------------------------------------------------------
# Kinds: what the builder writes for each
# ------------------------------------------------------------------------------
def _labelled(row: FieldDesign, schema: dict) -> dict:
    schema["x-label"] = dict(row.label)
    if any(row.help.values()):
        schema["x-help"] = dict(row.help)
    return schema


def _text_schema(row: FieldDesign) -> dict:
    return _labelled(row, {"type": "string", "minLength": 1, "maxLength": 200})


def _long_text_schema(row: FieldDesign) -> dict:
    return _labelled(
        row, {"type": "string", "minLength": 1, "maxLength": 2000, "x-widget": "textarea"}
    )


def _number_schema(row: FieldDesign) -> dict:
    return _labelled(row, {"type": "integer", "minimum": 0, "maximum": 1000000000})


def _format_schema(fmt: str):
    return lambda row: _labelled(row, {"type": "string", "format": fmt})


def _choice_schema(row: FieldDesign) -> dict:
    return _labelled(
        row,
        {
            "type": "string",
            "enum": [value for value, _labels in row.choices],
            "x-widget": "select",
            "x-enum-labels": {value: dict(labels) for value, labels in row.choices},
        },
    )


def _yes_no_schema(row: FieldDesign) -> dict:
    return _labelled(
        row, {"type": "boolean", "x-widget": "radio", "x-enum-labels": copy.deepcopy(YES_NO)}
    )


def _confirm_schema(row: FieldDesign) -> dict:
    return _labelled(row, {"type": "boolean", "const": True})


def _file_schema(row: FieldDesign) -> dict:
    return _labelled(
        row,
        {
            "type": "string",
            "format": "document",
            "x-widget": "file",
            "x-file": {"accept": list(FILE_TYPES), "max_bytes": FILE_MAX_BYTES},
        },
    )


def _address_schema(row: FieldDesign) -> dict:
    level = row.level
    parts = {
        "house": {
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "x-label": ADDRESS_PARTS["house"],
        },
        "village_or_ward": {
            "type": "string",
            "minLength": 2,
            "maxLength": 100,
            "x-label": ADDRESS_PARTS["village_or_ward"],
        },
        level: {
            "type": "string",
            "format": "jurisdiction",
            "x-widget": "jurisdiction",
            "x-jurisdiction-level": level,
            "x-label": LEVEL_NAMES[level],
        },
        "pincode": {"type": "string", "format": "pincode", "x-label": ADDRESS_PARTS["pincode"]},
    }
    return _labelled(
        row,
        {
            "type": "object",
            "additionalProperties": False,
            "required": list(parts),
            "properties": copy.deepcopy(parts),
        },
    )


def _group_schema(row: FieldDesign) -> dict:
    items = _object_schema(row.sub_fields)
    return _labelled(
        row,
        {
            "type": "array",
            "minItems": 1 if row.required else 0,
            "maxItems": 20,
            "x-item-label": dict(row.label),
            "items": items,
        },
    )


def _custom_schema(row: FieldDesign) -> dict:
    return copy.deepcopy(row.schema or {})


KINDS: dict[str, tuple[str, Any]] = {
    "text": ("Text", _text_schema),
    "long_text": ("Long text", _long_text_schema),
    "number": ("Whole number", _number_schema),
    "date": ("Date", _format_schema("date")),
    "choice": ("Choice from a list", _choice_schema),
    "yes_no": ("Yes or no", _yes_no_schema),
    "mobile": ("Mobile number", _format_schema("mobile")),
    "pincode": ("PIN code", _format_schema("pincode")),
    "aadhaar": ("Aadhaar number", _format_schema("aadhaar")),
    "email": ("E-mail", _format_schema("email")),
    "address": ("Address (with the office's area)", _address_schema),
    "file": ("File upload", _file_schema),
    "group": ("Repeatable group of fields", _group_schema),
    "confirm": ("Tick box that must be ticked", _confirm_schema),
    "custom": ("Custom (edit as JSON)", _custom_schema),
}
# Sub-fields of a repeatable group: the simple kinds only.
ROW_KINDS = ("text", "long_text", "number", "date", "choice", "yes_no", "mobile", "pincode")
LEVELS = tuple(LEVEL_NAMES)


def field_schema_for(row: FieldDesign) -> dict:
    schema = KINDS[row.kind][1](row)
    if row.compute:
        schema[COMPUTE] = row.compute
    return schema


def _object_schema(rows: list[FieldDesign]) -> dict:
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False}
    required = [r.name for r in rows if r.required and not r.show_when]
    if required:
        schema["required"] = required
    schema["properties"] = {r.name: field_schema_for(r) for r in rows}
    return schema


# ------------------------------------------------------------------------------
# Schema -> design
# ------------------------------------------------------------------------------
def _texts(value: Any) -> Text:
    return dict(value) if isinstance(value, dict) else {}


def _guess_row(name: str, schema: Any, required: bool) -> FieldDesign:
    """The builder row that writes exactly `schema`, or a custom row keeping it."""
    if not isinstance(schema, dict):
        return FieldDesign(name=name, kind="custom", required=required, schema=schema)
    compute = schema.get(COMPUTE)
    if isinstance(compute, str):
        # A computed answer is a field (of a kind, or custom) with its expression beside it.
        plain = _guess_row(name, {k: v for k, v in schema.items() if k != COMPUTE}, required)
        plain.compute = compute
        return plain
    base = FieldDesign(
        name=name,
        kind="custom",
        label=_texts(schema.get("x-label")),
        help=_texts(schema.get("x-help")),
        required=required,
    )
    candidates: list[FieldDesign] = []
    for kind in KINDS:
        if kind == "custom":
            continue
        row = copy.deepcopy(base)
        row.kind = kind
        if kind == "choice":
            labels = schema.get("x-enum-labels") or {}
            row.choices = [(str(v), _texts(labels.get(str(v)))) for v in schema.get("enum") or []]
        elif kind == "address":
            level = next(
                (
                    p.get("x-jurisdiction-level")
                    for p in (schema.get("properties") or {}).values()
                    if isinstance(p, dict) and p.get("format") == "jurisdiction"
                ),
                None,
            )
            if level not in LEVEL_NAMES:
                continue
            row.level = level
        elif kind == "group":
            items = schema.get("items")
            if not isinstance(items, dict) or items.get("type") != "object":
                continue
            row.required = bool(schema.get("minItems"))
            inner_required = set(items.get("required") or [])
            row.sub_fields = [
                _guess_row(n, s, n in inner_required)
                for n, s in (items.get("properties") or {}).items()
            ]
            if any(s.kind == "custom" for s in row.sub_fields):
                continue
        candidates.append(row)
    for row in candidates:
        if field_schema_for(row) == schema:
            return row
    base.schema = copy.deepcopy(schema)
    return base


def _condition_of(item: Any) -> tuple[str, str, str, bool] | None:
    """(trigger field, answer, conditional field, required when shown) for an allOf item
    of the one shape the builder writes; None for any other."""
    if not isinstance(item, dict) or set(item) != {"if", "then"}:
        return None
    cond, then = item["if"], item["then"]
    if not isinstance(cond, dict) or set(cond) != {"properties", "required"}:
        return None
    props = cond["properties"]
    if not isinstance(props, dict) or len(props) != 1:
        return None
    trigger, test = next(iter(props.items()))
    if cond["required"] != [trigger] or not isinstance(test, dict) or set(test) != {"const"}:
        return None
    answer = test["const"]
    if isinstance(answer, bool):
        answer = "yes" if answer else "no"
    if not isinstance(then, dict):
        return None
    if (
        set(then) == {"required"}
        and isinstance(then["required"], list)
        and len(then["required"]) == 1
    ):
        return trigger, str(answer), then["required"][0], True
    if (
        set(then) == {"properties"}
        and isinstance(then["properties"], dict)
        and len(then["properties"]) == 1
        and next(iter(then["properties"].values())) == {}
    ):
        return trigger, str(answer), next(iter(then["properties"])), False
    return None


def design_from_schema(schema: dict) -> FormDesign:
    examples = schema.get("examples")
    design = FormDesign(
        title=_texts(schema.get("x-title")),
        declaration=_texts(schema.get("x-declaration")),
        extra={k: copy.deepcopy(v) for k, v in schema.items() if k not in _OWN_TOP_KEYS},
        examples=copy.deepcopy(examples) if isinstance(examples, list) else [],
        rules=copy.deepcopy(schema["x-rules"]) if isinstance(schema.get("x-rules"), list) else [],
    )
    if "x-rules" in schema and not isinstance(schema["x-rules"], list):
        design.extra["x-rules"] = copy.deepcopy(schema["x-rules"])  # kept for the checks
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    rows = {name: _guess_row(name, sub, name in required) for name, sub in properties.items()}
    for item in schema.get("allOf") or []:
        found = _condition_of(item)
        if found and found[2] in rows and found[2] not in required and not rows[found[2]].show_when:
            trigger, answer, name, needed = found
            rows[name].show_when = (trigger, answer)
            rows[name].required = needed
        else:
            design.extra_conditions.append(copy.deepcopy(item))
    steps = schema.get("x-steps")
    placed: list[str] = []
    if isinstance(steps, list) and steps:
        for index, step in enumerate(steps, start=1):
            if not isinstance(step, dict):
                continue
            design.steps.append(
                {"id": str(step.get("id") or f"step-{index}"), "title": _texts(step.get("title"))}
            )
            for name in step.get("fields") or []:
                if name in rows and name not in placed:
                    rows[name].step = len(design.steps)
                    placed.append(name)
    # The steps' lists keep the order the citizen sees; the properties may not (PostgreSQL
    # keeps a JSON object's keys in an order of its own).
    design.fields = [rows[n] for n in placed] + [r for n, r in rows.items() if n not in placed]
    return design


# ------------------------------------------------------------------------------
# Design -> schema
# ------------------------------------------------------------------------------
def _answer_value(trigger: FieldDesign | None, answer: str) -> Any:
    """The answer as the trigger field stores it: yes/no as true/false, numbers as numbers."""
    kind = field_schema_for(trigger).get("type") if trigger is not None else None
    if kind == "boolean":
        return answer.strip().lower() in ("yes", "true", "हाँ")
    if kind in ("integer", "number"):
        try:
            return int(answer)
        except ValueError:
            return answer
    return answer


def schema_from_design(design: FormDesign) -> dict:
    """The form's JSON Schema, with an example made from it (lint checks a form has one)."""
    by_name = {row.name: row for row in design.fields}
    schema: dict[str, Any] = {"$schema": DRAFT_2020_12}
    if design.title.get("en"):
        schema["title"] = design.title["en"]
    if any(design.title.values()):
        schema["x-title"] = dict(design.title)
    if any(design.declaration.values()):
        schema["x-declaration"] = dict(design.declaration)
    schema.update(_object_schema(design.fields))
    schema.pop("properties")
    if design.steps:
        schema["x-steps"] = [
            {
                "id": step["id"],
                "title": dict(step["title"]),
                "fields": [r.name for r in design.fields if r.step == index],
            }
            for index, step in enumerate(design.steps, start=1)
        ]
    schema["properties"] = {r.name: field_schema_for(r) for r in design.fields}
    conditions = []
    for row in design.fields:
        if row.show_when:
            trigger, answer = row.show_when
            value = _answer_value(by_name.get(trigger), answer)
            then: dict[str, Any] = (
                {"required": [row.name]} if row.required else {"properties": {row.name: {}}}
            )
            conditions.append(
                {
                    "if": {"properties": {trigger: {"const": value}}, "required": [trigger]},
                    "then": then,
                }
            )
    conditions += copy.deepcopy(design.extra_conditions)
    if conditions:
        schema["allOf"] = conditions
    if design.rules:
        schema["x-rules"] = copy.deepcopy(design.rules)
    schema.update(copy.deepcopy(design.extra))
    schema["examples"] = _kept_examples(schema, design.examples) or [example_for(schema)]
    return schema


def _kept_examples(schema: dict, examples: list) -> list:
    """The form's own examples (real answers a department wrote, which its rules hold on),
    if every one still fits the form as edited; else none, and one is made up."""
    if not examples:
        return []
    try:
        validator = build_validator(schema)
    except UnsupportedSchema:
        return []
    if all(not validate_form_data(validator, example) for example in examples):
        return copy.deepcopy(examples)
    return []


def step_id(title: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:30] or "step"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


# ------------------------------------------------------------------------------
# An example application made from a schema
# ------------------------------------------------------------------------------
_FORMAT_EXAMPLES = {
    "mobile": "9812345678",
    "pincode": "133001",
    "aadhaar": "234567890124",
    "date": "1990-01-15",
    "email": "applicant@example.com",
    "document": "doc_" + "0" * 31 + "1",
    "jurisdiction": "HR-AMB",
}


def example_for(schema: Any) -> Any:
    """A value the schema accepts, for the common keywords: the form's example application
    (and the dry run's synthetic ones). Conditional fields are filled when shown."""
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties") or {}
        value = {
            name: example_for(properties[name])
            for name in schema.get("required") or []
            if name in properties
        }
        for item in schema.get("allOf") or []:
            if isinstance(item, dict) and isinstance(item.get("if"), dict):
                try:
                    holds = condition_holds(item["if"], value)
                except Exception:  # an unusable condition: the linter reports it
                    holds = False
                branch = item.get("then" if holds else "else")
                if isinstance(branch, dict):
                    for name in branch.get("required") or []:
                        if name in properties and name not in value:
                            value[name] = example_for(properties[name])
        return value
    if kind == "array":
        count = max(int(schema.get("minItems") or 0), 1)
        return [example_for(schema.get("items") or {}) for _ in range(count)]
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "string":
        if schema.get("format") in _FORMAT_EXAMPLES:
            return _FORMAT_EXAMPLES[schema["format"]]
        text = "Sample answer"
        minimum = int(schema.get("minLength") or 0)
        text = (text + " x" * minimum)[: max(minimum, len(text))]
        maximum = schema.get("maxLength")
        return text[:maximum] if isinstance(maximum, int) else text
    return None
