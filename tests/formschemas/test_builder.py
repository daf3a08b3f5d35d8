"""The form builder and the raw JSON Schema are two views of one document: every form in the
repository survives the round trip through the builder unchanged (up to the order of
`required` and `allOf`, which mean the same in any order); what the builder writes passes the
form linter, conditions included; the example it makes is a valid application."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from seva.formschemas.builder import (
    KINDS,
    FieldDesign,
    FormDesign,
    design_from_schema,
    example_for,
    schema_from_design,
)
from seva.formschemas.conditions import field_applies
from seva.formschemas.lint import lint_form_schema
from seva.formschemas.validation import build_validator, validate_form_data

FORMS = sorted((Path(settings.SEVA_DEFINITIONS_ROOT) / settings.SEVA_FORM_DIR).rglob("*.json"))
TEXT = {"en": "A label", "hi": "एक लेबल"}


def _same(a: dict, b: dict) -> bool:
    def norm(schema: dict) -> dict:
        out = {k: v for k, v in schema.items() if k not in ("examples", "title")}
        for key in ("required", "allOf"):
            if key in out:
                out[key] = sorted(json.dumps(x, sort_keys=True) for x in out[key])
        return out

    return norm(a) == norm(b)


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.stem)
def test_every_form_in_the_repository_survives_the_builder(path):
    schema = json.loads(path.read_text())
    design = design_from_schema(schema)
    assert _same(schema_from_design(design), schema)
    # The order the citizen sees is the steps' order, kept.
    order = [name for step in schema.get("x-steps", []) for name in step["fields"]]
    assert [row.name for row in design.fields][: len(order)] == order


def test_each_kind_the_builder_offers_passes_the_linter_and_its_example_is_valid():
    fields = []
    for kind in KINDS:
        if kind == "custom":
            continue
        row = FieldDesign(name=f"f_{kind}", kind=kind, label=dict(TEXT))
        if kind == "choice":
            row.choices = [("a", {"en": "A", "hi": "ए"}), ("b", {"en": "B", "hi": "बी"})]
        if kind == "group":
            row.sub_fields = [
                FieldDesign("name", "text", dict(TEXT)),
                FieldDesign("age", "number", dict(TEXT)),
            ]
        fields.append(row)
    schema = schema_from_design(
        FormDesign(title=dict(TEXT), steps=[{"id": "one", "title": dict(TEXT)}], fields=fields)
    )
    assert lint_form_schema(schema, languages=["en", "hi"]) == []
    assert validate_form_data(build_validator(schema), schema["examples"][0]) == {}


def test_a_condition_shows_a_field_only_for_its_answer_and_requires_it_then():
    design = FormDesign(
        title=dict(TEXT),
        steps=[{"id": "one", "title": dict(TEXT)}],
        fields=[
            FieldDesign("married", "yes_no", dict(TEXT)),
            FieldDesign("spouse_name", "text", dict(TEXT), show_when=("married", "yes")),
        ],
    )
    schema = schema_from_design(design)
    assert lint_form_schema(schema, languages=["en", "hi"]) == []
    assert field_applies(schema, "spouse_name", {"married": True})
    assert not field_applies(schema, "spouse_name", {"married": False})
    errors = validate_form_data(build_validator(schema), {"married": True})
    assert list(errors) == ["spouse_name"]
    # And read back, the builder shows the same condition.
    again = design_from_schema(schema)
    assert again.fields[1].show_when == ("married", "yes") and again.fields[1].required


def test_a_field_the_builder_cannot_describe_is_kept_whole_as_custom():
    schema = json.loads(
        (
            Path(settings.SEVA_DEFINITIONS_ROOT)
            / settings.SEVA_FORM_DIR
            / "revenue/income_certificate.json"
        ).read_text()
    )
    design = design_from_schema(schema)
    pan = next(row for row in design.fields if row.name == "pan")
    assert pan.kind == "custom" and pan.schema == schema["properties"]["pan"]


def test_the_example_fills_a_field_shown_by_the_example_answer():
    schema = {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {"type": "string", "enum": ["other", "known"]},
            "detail": {"type": "string", "minLength": 3},
        },
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": "other"}}, "required": ["kind"]},
                "then": {"required": ["detail"]},
            }
        ],
    }
    assert example_for(schema) == {"kind": "other", "detail": "Sample answer"}


def test_the_departments_own_examples_are_kept_while_they_fit_the_form():
    path = Path(settings.SEVA_DEFINITIONS_ROOT) / settings.SEVA_FORM_DIR
    schema = json.loads((path / "social_justice/disability_pension.json").read_text())
    kept = schema_from_design(design_from_schema(schema))
    assert kept["examples"] == schema["examples"]  # a made-up one would break its rules
    assert lint_form_schema(kept) == []

    design = design_from_schema(schema)
    design.fields = [row for row in design.fields if row.name != "disability_percent"]
    changed = schema_from_design(design)  # the examples answer a field no longer there
    assert changed["examples"] != schema["examples"]
    assert "disability_percent" not in changed["examples"][0]
