"""Errors keyed by the field they belong to, in words a citizen can act on; the schema gate
refuses what the renderer cannot draw or the browser would read differently."""

import pytest

from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.validation import (
    UnsupportedSchema,
    build_validator,
    mask_sensitive,
    validate_form_data,
)

FORM = {
    "$schema": DRAFT_2020_12,
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "members"],
    "properties": {
        "name": {"type": "string", "minLength": 2},
        "aadhaar": {"type": "string", "format": "aadhaar"},
        "has_land": {"type": "boolean"},
        "acres": {"type": "number", "exclusiveMinimum": 0},
        "members": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["age"],
                "properties": {
                    "age": {"type": "integer", "minimum": 0, "maximum": 120},
                    "id": {"type": "string", "format": "aadhaar"},
                },
            },
        },
    },
    "allOf": [
        {
            "if": {"properties": {"has_land": {"const": True}}, "required": ["has_land"]},
            "then": {"required": ["acres"]},
        }
    ],
}


def errors(data):
    return validate_form_data(build_validator(FORM), data)


def test_valid_data_has_no_errors():
    assert errors({"name": "Asha", "members": [{"age": 30}]}) == {}


def test_each_error_is_keyed_by_its_field_path():
    found = errors({"name": "A", "members": [{"age": 30}, {"age": 200}, {}], "extra": 1})
    assert found == {
        "name": ["Enter at least 2 characters."],
        "members.1.age": ["Enter a number at most 120."],
        "members.2.age": ["This field is required."],
        "extra": ["This field is not part of the form."],
    }


def test_a_field_required_by_a_condition_is_named_only_when_it_applies():
    assert errors({"name": "Asha", "members": [{"age": 1}], "has_land": False}) == {}
    assert errors({"name": "Asha", "members": [{"age": 1}], "has_land": True}) == {
        "acres": ["This field is required."]
    }


def test_aadhaar_numbers_are_masked_wherever_they_sit():
    data = {
        "name": "Asha",
        "aadhaar": "234567890124",
        "members": [{"age": 3, "id": "543210987652"}],
    }
    masked = mask_sensitive(FORM, data)
    assert masked["aadhaar"] == "XXXXXXXX0124" and masked["members"][0]["id"] == "XXXXXXXX7652"
    assert data["aadhaar"] == "234567890124"  # the input is not changed in place


@pytest.mark.parametrize(
    "schema,named",
    [
        ({"type": "object", "dependencies": {"a": ["b"]}}, "dependencies"),
        ({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}}, "oneOf"),
        ({"type": "string", "pattern": "^[0-9]{6}$", "format": "ipv4"}, "ipv4"),
        ({"type": "string", "pattern": "^\\d{6}$"}, "\\d"),
        ({"type": "string", "pattern": "^(?P<pin>[0-9]{6})$"}, "(?P<"),
        ({"type": "string", "pattern": "^[0-9"}, "does not compile"),
        ({"$ref": "https://example.com/other.json"}, "same file"),
        ({"type": "object", "x-colour": "red"}, "x-colour"),
    ],
)
def test_the_schema_gate_refuses_by_name(schema, named):
    with pytest.raises(UnsupportedSchema) as excinfo:
        build_validator({"$schema": DRAFT_2020_12, **schema})
    assert named in str(excinfo.value)


def test_a_schema_of_another_draft_is_refused():
    with pytest.raises(UnsupportedSchema, match="2020-12"):
        build_validator({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"})


def test_a_pin_code_pattern_written_with_ascii_digits_refuses_devanagari_digits():
    validator = build_validator(
        {"$schema": DRAFT_2020_12, "type": "string", "pattern": "^[1-9][0-9]{5}$"}
    )
    assert validate_form_data(validator, "560001") == {}
    assert validate_form_data(validator, "5६0001") != {}


@pytest.mark.parametrize(
    "acres,ok", [(2.3, True), (0.07, True), (4.35, True), (12, True), (2.345, False)]
)
def test_decimal_steps_accept_what_a_person_would_write(acres, ok):
    validator = build_validator({"$schema": DRAFT_2020_12, "type": "number", "multipleOf": 0.01})
    assert (validate_form_data(validator, acres) == {}) is ok
