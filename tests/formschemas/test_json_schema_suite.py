"""The official JSON Schema Test Suite (draft 2020-12), run through the exact path a
submission takes: `build_validator` (which refuses what Seva forms may not use) and
`validate_form_data`. Every supported keyword must give the suite's verdict; every
case using an unsupported keyword (or an unknown format) must be refused by name.

One deliberate difference: Seva asserts formats (a mistyped date is refused, not merely
annotated), so for the formats it supports the suite's "only an annotation by default"
cases are expected invalid, and the optional format files for those formats apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seva.formschemas.keywords import DRAFT_2020_12
from seva.formschemas.validation import (
    UnsupportedSchema,
    build_validator,
    unsupported_parts,
    validate_form_data,
)

SUITE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "corpora"
    / "json-schema-test-suite"
    / "draft2020-12"
)
if not SUITE.is_dir():  # the repository may be checked out somewhere else
    SUITE = Path("/work/shared/corpora/json-schema-test-suite/draft2020-12")

# Optional format files for the formats Seva supports and checks the standard way.
OPTIONAL_FORMATS = ["date", "email"]
ANNOTATION_ONLY = "only an annotation by default"


def _cases():
    files = sorted(SUITE.glob("*.json")) + [
        SUITE / "optional" / "format" / f"{name}.json" for name in OPTIONAL_FORMATS
    ]
    for path in files:
        for index, case in enumerate(json.loads(path.read_text())):
            yield pytest.param(
                case, id=f"{path.relative_to(SUITE)}::{index}::{case['description']}"
            )


def _as_submitted(schema):
    # The suite's files for this draft omit $schema in a few cases; Seva requires it.
    if isinstance(schema, dict) and "$schema" not in schema:
        return {"$schema": DRAFT_2020_12, **schema}
    return schema


pytestmark = pytest.mark.skipif(not SUITE.is_dir(), reason="JSON Schema Test Suite not found")


@pytest.mark.parametrize("case", list(_cases()) if SUITE.is_dir() else [])
def test_suite_case(case):
    schema = _as_submitted(case["schema"])
    refused = unsupported_parts(schema)
    if refused:
        with pytest.raises(UnsupportedSchema) as excinfo:
            build_validator(schema)
        # The refusal names what is wrong and where.
        assert all(pointer and message for pointer, message in excinfo.value.problems)
        return
    validator = build_validator(schema)
    for test in case["tests"]:
        expected_valid = test["valid"] and ANNOTATION_ONLY not in test["description"]
        errors = validate_form_data(validator, test["data"])
        assert (not errors) == expected_valid, (
            f"{test['description']}: data={test['data']!r} errors={errors}"
        )


# Each supported keyword with a file of its own in the suite, and that file's name.
KEYWORD_FILES = {
    "additionalProperties": "additionalProperties",
    "allOf": "allOf",
    "const": "const",
    "dependentRequired": "dependentRequired",
    "enum": "enum",
    "exclusiveMaximum": "exclusiveMaximum",
    "exclusiveMinimum": "exclusiveMinimum",
    "format": "format",
    "if": "if-then-else",
    "items": "items",
    "maxItems": "maxItems",
    "maxLength": "maxLength",
    "maxProperties": "maxProperties",
    "maximum": "maximum",
    "minItems": "minItems",
    "minLength": "minLength",
    "minProperties": "minProperties",
    "minimum": "minimum",
    "multipleOf": "multipleOf",
    "pattern": "pattern",
    "properties": "properties",
    "$ref": "ref",
    "required": "required",
    "type": "type",
    "uniqueItems": "uniqueItems",
    "default": "default",
}


@pytest.mark.parametrize("keyword,name", sorted(KEYWORD_FILES.items()))
def test_every_supported_keyword_is_exercised_by_its_suite_file(keyword, name):
    """Refusing a keyword's every case would make its file pass vacuously."""
    cases = json.loads((SUITE / f"{name}.json").read_text())
    supported = [c for c in cases if not unsupported_parts(_as_submitted(c["schema"]))]
    assert supported, f"no case of {name}.json runs through the validator"
    assert sum(len(c["tests"]) for c in supported) >= 2
