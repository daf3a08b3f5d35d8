"""Validating a citizen's data against a form schema. The portal and the API both call
`validate_form_data` with the validator `build_validator` made, so they cannot disagree."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import SchemaError

from .formats import FORMAT_CHECKER, SUPPORTED_FORMATS, is_masked_aadhaar, mask_aadhaar
from .keywords import (
    DRAFT_2020_12,
    PATTERN_PITFALLS,
    REFUSED_HINTS,
    SUPPORTED_KEYWORDS,
    UI_KEYWORDS,
)
from .rules import RULES, rule_errors

NON_FIELD = "non_field_errors"


class UnsupportedSchema(Exception):
    """The schema uses something a Seva form may not; `problems` are (pointer, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{pointer or '/'}: {message}" for pointer, message in problems))


def _pointer(parts: list[str | int]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def iter_subschemas(schema: Any, parts: list[str | int] | None = None):
    """Every subschema with its JSON pointer parts, the root included."""
    parts = parts or []
    yield parts, schema
    if not isinstance(schema, dict):
        return
    for key in ("properties", "$defs"):
        for name, sub in (schema.get(key) or {}).items():
            yield from iter_subschemas(sub, [*parts, key, name])
    for key in ("items", "if", "then", "else", "additionalProperties"):
        if key in schema and isinstance(schema[key], dict | bool):
            yield from iter_subschemas(schema[key], [*parts, key])
    for index, sub in enumerate(schema.get("allOf") or []):
        yield from iter_subschemas(sub, [*parts, "allOf", index])


def pattern_problems(pattern: str) -> list[str]:
    """Why `pattern` may not be used, if it may not."""
    try:
        re.compile(python_pattern(pattern))
    except re.error as exc:
        return [f"pattern '{pattern}' does not compile: {exc}"]
    found = []
    index = 0
    while index < len(pattern):
        if pattern[index] == "\\" and index + 1 < len(pattern):
            token = pattern[index : index + 2]
            if token in PATTERN_PITFALLS:
                found.append(f"pattern '{pattern}' uses {token}: {PATTERN_PITFALLS[token]}")
            index += 2
            continue
        for token, advice in PATTERN_PITFALLS.items():
            if token.startswith("(") and pattern.startswith(token, index):
                found.append(f"pattern '{pattern}' uses {token}: {advice}")
        index += 1
    return found


def unsupported_parts(schema: Any) -> list[tuple[str, str]]:
    """Keywords and references a Seva form may not use, as (pointer, message)."""
    problems: list[tuple[str, str]] = []
    if isinstance(schema, dict) and schema.get("$schema") != DRAFT_2020_12:
        problems.append(
            (
                "/$schema",
                f'must be "{DRAFT_2020_12}" (draft 2020-12); other drafts read some keywords '
                "differently and would validate the wrong things",
            )
        )
    for parts, sub in iter_subschemas(schema):
        if not isinstance(sub, dict):
            continue
        for keyword in sub:
            if keyword in SUPPORTED_KEYWORDS or keyword in UI_KEYWORDS:
                continue
            hint = REFUSED_HINTS.get(keyword)
            if hint is None and keyword.startswith("x-"):
                hint = "unknown UI hint; the known ones are " + ", ".join(sorted(UI_KEYWORDS))
            message = f"keyword '{keyword}' is not supported in Seva forms"
            problems.append(
                (_pointer([*parts, keyword]), f"{message}: {hint}" if hint else message)
            )
        if isinstance(sub.get("pattern"), str):
            problems += [
                (_pointer([*parts, "pattern"]), m) for m in pattern_problems(sub["pattern"])
            ]
        fmt = sub.get("format")
        if isinstance(fmt, str) and fmt not in SUPPORTED_FORMATS:
            problems.append(
                (
                    _pointer([*parts, "format"]),
                    f"format '{fmt}' is not known, so nothing would be checked; use one of "
                    + ", ".join(sorted(SUPPORTED_FORMATS)),
                )
            )
        ref = sub.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#/$defs/"):
            problems.append(
                (
                    _pointer([*parts, "$ref"]),
                    f"'{ref}' must point to a definition in the same file, like '#/$defs/name'",
                )
            )
    return problems


def python_pattern(pattern: str) -> str:
    """The pattern with each end anchor `$` (outside a character class) made `\\Z`.

    In the browser (ECMAScript) `$` matches only at the very end; in Python it also
    matches before a final newline, which would let "ABCDE1234F\\n" pass as a PAN.
    """
    out = []
    index = 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
        index += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(python_pattern(pattern))


def _pattern(validator, pattern, instance, schema):
    if isinstance(instance, str) and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _multiple_of(validator, step, instance, schema):
    # In binary floating point 2.3 / 0.01 is 229.99999999999997, so a citizen's 2.3 acres
    # would be refused as "not a multiple of 0.01". Decimal arithmetic on the written
    # numbers gives the answer a person expects.
    if not validator.is_type(instance, "number"):
        return
    try:
        remainder = Decimal(str(instance)) % Decimal(str(step))
    except InvalidOperation:  # the quotient is too large to be exact: not a multiple
        remainder = Decimal(1)
    if remainder != 0:
        yield ValidationError(f"{instance!r} is not a multiple of {step}")


def _rules(validator, rules, instance, schema):
    # The form's cross-field rules, each error keyed to the field the rule is about.
    for field, message in rule_errors(schema, instance):
        yield ValidationError(message, path=field.split("."))


# Draft 2020-12 with ECMAScript's reading of `$` in `pattern`, decimal `multipleOf`, and the
# form's cross-field rules (`x-rules`).
SevaValidator = validators.extend(
    Draft202012Validator,
    {"pattern": _pattern, "multipleOf": _multiple_of, RULES: _rules},
)


def build_validator(schema: Any) -> Draft202012Validator:
    """The one way a form schema becomes a validator: refused keywords, meta-schema, formats on."""
    problems = unsupported_parts(schema)
    if problems:
        raise UnsupportedSchema(problems)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise UnsupportedSchema([(_pointer(list(exc.absolute_path)), exc.message)]) from exc
    return SevaValidator(schema, format_checker=FORMAT_CHECKER)


# ------------------------------------------------------------------------------
# Error messages a citizen can act on, keyed by the field they belong to
# ------------------------------------------------------------------------------
def field_key(parts) -> str:
    return ".".join(str(p) for p in parts) or NON_FIELD


def _custom_message(schema: Any) -> str | None:
    if isinstance(schema, dict) and isinstance(schema.get("x-error"), dict):
        texts = schema["x-error"]
        return texts.get(get_language() or "en") or texts.get("en")
    return None


_FORMAT_MESSAGES = {
    "date": lambda: _("Enter a real date, like 2026-01-31."),
    "email": lambda: _("Enter an e-mail address, like name@example.com."),
    "mobile": lambda: _("Enter a 10-digit mobile number starting with 6, 7, 8 or 9."),
    "pincode": lambda: _("Enter a 6-digit PIN code."),
    "aadhaar": lambda: _("Enter a valid 12-digit Aadhaar number."),
    "document": lambda: _("Upload the document again."),
    "jurisdiction": lambda: _("Choose a place from the list."),
}

_TYPE_MESSAGES = {
    "string": lambda: _("Enter text."),
    "integer": lambda: _("Enter a whole number."),
    "number": lambda: _("Enter a number."),
    "boolean": lambda: _("Answer yes or no."),
    "object": lambda: _("Fill in this section."),
    "array": lambda: _("Enter a list."),
    "null": lambda: _("Leave this empty."),
}

# Whole sentences, not "Enter a number %(rule)s %(n)s.": Hindi puts the number before
# "से अधिक" (more than) but after "कम से कम" (at least).
_BOUND_MESSAGES = {
    "minimum": lambda: _("Enter a number at least %(n)s."),
    "exclusiveMinimum": lambda: _("Enter a number more than %(n)s."),
    "maximum": lambda: _("Enter a number at most %(n)s."),
    "exclusiveMaximum": lambda: _("Enter a number less than %(n)s."),
}


def _message(error: ValidationError) -> str:
    keyword = error.validator
    value = error.validator_value
    if keyword == RULES:  # the rule's own message, in the active language
        return error.message
    custom = _custom_message(error.schema)
    if custom and keyword not in ("required", "dependentRequired", "additionalProperties"):
        return custom
    if keyword == "type":
        types = value if isinstance(value, list) else [value]
        return _TYPE_MESSAGES.get(types[0], lambda: _("Enter a value of the right kind."))()
    if keyword == "format":
        return _FORMAT_MESSAGES.get(value, lambda: _("Enter a value in the right format."))()
    if keyword == "minLength":
        return _("Enter at least %(n)s characters.") % {"n": value}
    if keyword == "maxLength":
        return _("Enter at most %(n)s characters.") % {"n": value}
    if keyword == "pattern":
        return _("Enter a value in the right format.")
    if keyword in _BOUND_MESSAGES:
        return _BOUND_MESSAGES[keyword]() % {"n": value}
    if keyword == "multipleOf":
        return _("Enter a multiple of %(n)s.") % {"n": value}
    if keyword == "enum":
        return _("Choose one of the options.")
    if keyword == "const":
        return _("You must confirm this.") if value is True else _("This answer is not allowed.")
    if keyword == "minItems":
        return _("Add at least %(n)s.") % {"n": value}
    if keyword == "maxItems":
        return _("Add at most %(n)s.") % {"n": value}
    if keyword == "uniqueItems":
        return _("Each entry must be different.")
    if keyword in ("minProperties", "maxProperties"):
        return _("Fill in this section.")
    return _("This answer is not valid.")


def _error_items(error: ValidationError) -> list[tuple[str, str]]:
    parts = list(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        return [
            (field_key([*parts, name]), _("This field is required."))
            for name in error.validator_value
            if name not in instance
        ]
    if error.validator == "dependentRequired" and isinstance(instance, dict):
        items = []
        for trigger, needed in error.validator_value.items():
            if trigger in instance:
                items += [
                    (field_key([*parts, name]), _("This field is required."))
                    for name in needed
                    if name not in instance
                ]
        return items
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = set((error.schema.get("properties") or {}).keys())
        return [
            (field_key([*parts, name]), _("This field is not part of the form."))
            for name in instance
            if name not in known
        ]
    return [(field_key(parts), _message(error))]


def validate_form_data(validator: Draft202012Validator, data: Any) -> dict[str, list[str]]:
    """Errors keyed by field path (`family.0.age`); empty when the data is valid."""
    errors: dict[str, list[str]] = defaultdict(list)
    for error in validator.iter_errors(data):
        for key, message in _error_items(error):
            if message not in errors[key]:
                errors[key].append(message)
    return dict(sorted(errors.items()))


def mask_sensitive(schema: dict, data: Any) -> Any:
    """A copy of `data` with every Aadhaar number masked to its last four digits."""
    return _mask(schema, schema, data)


def _resolve(root: dict, schema: Any) -> Any:
    # Only "#/$defs/name" references pass the linter, so one lookup is enough.
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        name = schema["$ref"].removeprefix("#/$defs/")
        return (root.get("$defs") or {}).get(name, {})
    return schema


def _mask(root: dict, schema: Any, data: Any) -> Any:
    schema = _resolve(root, schema)
    if not isinstance(schema, dict):
        return data
    if isinstance(data, dict):
        properties = schema.get("properties") or {}
        return {key: _mask(root, properties.get(key), value) for key, value in data.items()}
    if isinstance(data, list):
        return [_mask(root, schema.get("items"), value) for value in data]
    if schema.get("format") == "aadhaar" and isinstance(data, str) and not is_masked_aadhaar(data):
        return mask_aadhaar(data)
    return data


# A Verhoeff-valid stand-in, used only while validating a correction in which the citizen
# kept an Aadhaar number that is stored masked (the whole number is no longer known).
_KEPT_AADHAAR_STAND_IN = "999999999999"


def with_kept_masked_values(schema: dict, data: Any, kept: Any) -> Any:
    """For validating a correction: each Aadhaar answer still equal to the stored masked value
    (the citizen kept it) is replaced by a valid stand-in; everything else is unchanged."""
    if isinstance(data, dict) and isinstance(kept, dict):
        properties = (schema or {}).get("properties") or {}
        return {
            k: with_kept_masked_values(properties.get(k) or {}, v, kept.get(k))
            for k, v in data.items()
        }
    if isinstance(data, list) and isinstance(kept, list):
        items = (schema or {}).get("items") or {}
        return [
            with_kept_masked_values(items, v, kept[i] if i < len(kept) else None)
            for i, v in enumerate(data)
        ]
    if (
        (schema or {}).get("format") == "aadhaar"
        and isinstance(data, str)
        and is_masked_aadhaar(data)
        and data == kept
    ):
        return _KEPT_AADHAAR_STAND_IN
    return data
