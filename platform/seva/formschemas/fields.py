"""What a form schema says about one field, as the parsing, drawing and answers modules read
it: its JSON type, its label and choices in a language, its input's id, its answer as text.

Field names are dotted paths ("applicant.full_name", "family_members.0.age"), the keys
`validate_form_data` reports errors under, so an error always lands next to its field.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

# A row number in a dotted path ("family_members.0.age").
INDEX_RE = re.compile(r"[0-9]{1,6}")

# Labels the department already marked; the renderer adds "(optional)" only where missing.
_OPTIONAL_MARKERS = ("(optional)", "(वैकल्पिक)")


def field_type(schema: Any) -> str | None:
    """The field's JSON type: its `type` (the first that is not "null"), else what its
    const or enum holds, else "object" or "array" by its properties or items."""
    if not isinstance(schema, dict):
        return None
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if isinstance(declared, str):
        return declared
    samples = [schema["const"]] if "const" in schema else list(schema.get("enum") or [])
    for sample in samples[:1]:
        if isinstance(sample, bool):
            return "boolean"
        if isinstance(sample, int):
            return "integer"
        if isinstance(sample, float):
            return "number"
        if isinstance(sample, str):
            return "string"
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return None


def items_of(schema: dict) -> dict:
    """The schema of a list's items ({} when it gives none)."""
    return schema["items"] if isinstance(schema.get("items"), dict) else {}


def has_enum_items(schema: dict) -> bool:
    """Whether a list's answers are picked from its items' enum (ticked choices), not rows."""
    items = schema.get("items")
    return isinstance(items, dict) and "enum" in items


def text(texts: Any, language: str) -> str:
    """A text given per language ({en: ..., hi: ...}) in `language`, else in English."""
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, dict):
        return ""
    return str(texts.get(language) or texts.get("en") or "")


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def field_id(path: str) -> str:
    """The HTML id of the input for `path`: "applicant.full_name" -> "f-applicant-full_name"."""
    return "f-" + path.replace(".", "-")


def as_text(value: Any) -> str:
    """A value as the HTML form writes it: booleans as "true"/"false", numbers plainly."""
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def enum_labels(schema: dict, language: str) -> dict[str, str]:
    labels = schema.get("x-enum-labels")
    if not isinstance(labels, dict):
        return {}
    return {str(key): text(texts, language) for key, texts in labels.items()}


def choices(schema: dict, language: str) -> list[tuple[Any, str]]:
    """(value, label) for each choice: the enum (or the items' enum), or yes/no."""
    labels = enum_labels(schema, language)
    if field_type(schema) == "array":
        values = list(items_of(schema).get("enum") or [])
    elif "enum" in schema:
        values = list(schema["enum"])
    elif field_type(schema) == "boolean":
        return [
            (True, labels.get("true") or _("Yes")),
            (False, labels.get("false") or _("No")),
        ]
    else:
        values = [schema["const"]] if "const" in schema else []
    return [(value, labels.get(as_text(value)) or as_text(value)) for value in values]


def label(schema: dict, path: str, language: str, *, optional: bool) -> str:
    """The field's label, from x-label or its name, marked "(optional)" when it is."""
    shown = text(schema.get("x-label"), language) or path.rsplit(".", 1)[-1].replace("_", " ")
    if optional:
        marker = _("(optional)")
        present = shown.casefold()
        if not any(m.casefold() in present for m in (marker, *_OPTIONAL_MARKERS)):
            shown = f"{shown} {marker}"
    return shown


def inline_refs(schema: Any) -> Any:
    """The schema with each "#/$defs/name" reference replaced by the definition.

    The form layer walks the fields, and evaluates a condition's `if` on its own, so it
    cannot follow references.
    """
    if not isinstance(schema, dict) or not isinstance(schema.get("$defs"), dict):
        return schema
    definitions = schema["$defs"]

    def inline(node: Any, depth: int) -> Any:
        if depth > 32:  # a definition that refers to itself
            return node
        if isinstance(node, list):
            return [inline(item, depth + 1) for item in node]
        if not isinstance(node, dict):
            return node
        result = {
            key: value if key in _DATA_KEYWORDS else inline(value, depth + 1)
            for key, value in node.items()
            if key != "$ref"
        }
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = inline(definitions.get(ref.removeprefix("#/$defs/"), {}), depth + 1)
            if isinstance(target, dict):
                result = {**target, **result}
        return result

    return inline(schema, 0)


# Keywords whose value is data, never a schema.
_DATA_KEYWORDS = frozenset(
    {"$defs", "enum", "const", "default", "examples", "required", "x-enum-labels"}
)
