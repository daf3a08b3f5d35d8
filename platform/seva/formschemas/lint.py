"""Checks a form schema must pass before it is published, so a submission never meets a
broken schema. Each problem is (JSON pointer, message)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings

from seva.core.levels import LEVELS

from .rules import expression_problems
from .validation import (
    UnsupportedSchema,
    _pointer,
    build_validator,
    validate_form_data,
)
from .widgets import WIDGETS, widget_for

Problem = tuple[str, str]

# Uploads are limited to what the portal can check by content.
ALLOWED_UPLOAD_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
LANGUAGE_NAMES = {"en": "English", "hi": "Hindi"}


def missing_languages(text: Any, languages: Iterable[str]) -> list[str]:
    if not isinstance(text, dict):
        return list(languages)
    return [
        lang for lang in languages if not (isinstance(text.get(lang), str) and text[lang].strip())
    ]


def _language_list(codes: list[str]) -> str:
    return ", ".join(f"{LANGUAGE_NAMES.get(c, c)} ({c})" for c in codes)


def text_problems(pointer: str, text: Any, what: str, languages: Iterable[str]) -> list[Problem]:
    missing = missing_languages(text, languages)
    if not missing:
        return []
    if not isinstance(text, dict):
        return [
            (pointer, f"{what} must give the text for each language, like {{en: ..., hi: ...}}")
        ]
    return [(pointer, f"{what} has no {_language_list(missing)} text")]


def _field_problems(pointer: str, name: str, schema: dict, languages: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    label = f"field '{name}'"
    problems += text_problems(
        _pointer_add(pointer, "x-label"),
        schema.get("x-label"),
        f"the label (x-label) of {label}",
        languages,
    )
    for key, what in (
        ("x-help", "help text"),
        ("x-error", "error message"),
        ("x-item-label", "row label"),
    ):
        if key in schema:
            problems += text_problems(
                _pointer_add(pointer, key), schema[key], f"the {what} ({key}) of {label}", languages
            )

    widget_name = schema.get("x-widget") or widget_for(schema).name
    if widget_name not in WIDGETS:
        problems.append(
            (
                _pointer_add(pointer, "x-widget"),
                f"{label} asks for widget '{widget_name}', which does not exist; "
                f"the widgets are {', '.join(WIDGETS.names())}",
            )
        )
    else:
        widget = WIDGETS.get(widget_name)
        field_type = schema.get("type")
        if field_type is not None and field_type not in widget.types:
            problems.append(
                (
                    pointer,
                    f"{label} is of type '{field_type}', which widget '{widget_name}' cannot edit "
                    f"(it edits {', '.join(sorted(widget.types))})",
                )
            )
        if widget.format and schema.get("format") != widget.format:
            problems.append(
                (
                    pointer,
                    f'{label} uses widget \'{widget_name}\' and so needs "format": "{widget.format}"',
                )
            )
        if widget.needs_enum and "enum" not in schema:
            problems.append(
                (pointer, f"{label} uses widget '{widget_name}' and so needs an enum of choices")
            )

    enum = schema.get("enum")
    if enum is None and schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        enum = schema["items"].get("enum")
    if enum is not None:
        labels = schema.get("x-enum-labels")
        if not isinstance(labels, dict):
            problems.append(
                (
                    pointer,
                    f"{label} has choices but no x-enum-labels giving each a label in every language",
                )
            )
        else:
            for value in enum:
                key = str(value).lower() if isinstance(value, bool) else str(value)
                problems += text_problems(
                    _pointer_add(pointer, "x-enum-labels", key),
                    labels.get(key),
                    f"choice '{key}' of {label}",
                    languages,
                )
            extra = set(labels) - {str(v).lower() if isinstance(v, bool) else str(v) for v in enum}
            for key in sorted(extra):
                problems.append(
                    (
                        _pointer_add(pointer, "x-enum-labels", key),
                        f"{label} labels choice '{key}', which is not in its enum",
                    )
                )

    if schema.get("format") == "document":
        spec = schema.get("x-file")
        if not isinstance(spec, dict) or "accept" not in spec or "max_bytes" not in spec:
            problems.append(
                (
                    pointer,
                    f"{label} is a file upload and needs x-file with 'accept' (media types) and 'max_bytes'",
                )
            )
        else:
            bad = [t for t in spec["accept"] if t not in ALLOWED_UPLOAD_TYPES]
            if bad or not spec["accept"]:
                problems.append(
                    (
                        _pointer_add(pointer, "x-file", "accept"),
                        f"{label} accepts {', '.join(bad) or 'nothing'}; uploads may be "
                        f"{', '.join(sorted(ALLOWED_UPLOAD_TYPES))}",
                    )
                )
            if (
                not isinstance(spec["max_bytes"], int)
                or not 0 < spec["max_bytes"] <= MAX_UPLOAD_BYTES
            ):
                problems.append(
                    (
                        _pointer_add(pointer, "x-file", "max_bytes"),
                        f"max_bytes of {label} must be a whole number from 1 to {MAX_UPLOAD_BYTES}",
                    )
                )
    if schema.get("format") == "jurisdiction" and schema.get("x-jurisdiction-level") not in LEVELS:
        problems.append(
            (
                pointer,
                f"{label} picks a place and needs x-jurisdiction-level, one of {', '.join(LEVELS)}",
            )
        )
    return problems


def _pointer_add(pointer: str, *parts: str | int) -> str:
    return pointer + _pointer(list(parts))


def _walk_fields(schema: dict, pointer: str, languages: list[str]) -> list[Problem]:
    """Check each field of an object schema, recursing into groups and repeatable rows."""
    problems: list[Problem] = []
    properties = schema.get("properties") or {}
    if properties and schema.get("additionalProperties") is not False:
        problems.append(
            (
                pointer,
                'every object with fields must say "additionalProperties": false, '
                "so that unknown fields are refused rather than stored",
            )
        )
    for keyword in ("required",):
        for name in schema.get(keyword) or []:
            if name not in properties:
                problems.append(
                    (
                        _pointer_add(pointer, keyword),
                        f"'{name}' is required but is not a field here",
                    )
                )
    for trigger, needed in (schema.get("dependentRequired") or {}).items():
        for name in [trigger, *needed]:
            if name not in properties:
                problems.append(
                    (_pointer_add(pointer, "dependentRequired"), f"'{name}' is not a field here")
                )
    for index, branch in enumerate(schema.get("allOf") or []):
        for part in ("if", "then", "else"):
            sub = branch.get(part) if isinstance(branch, dict) else None
            if not isinstance(sub, dict):
                continue
            for name in [*(sub.get("properties") or {}), *(sub.get("required") or [])]:
                if name not in properties:
                    problems.append(
                        (
                            _pointer_add(pointer, "allOf", index, part),
                            f"'{name}' is not a field of this form section",
                        )
                    )
    for name, sub in properties.items():
        sub_pointer = _pointer_add(pointer, "properties", name)
        if not isinstance(sub, dict):
            continue
        problems += _field_problems(sub_pointer, name, sub, languages)
        if sub.get("type") == "object":
            problems += _walk_fields(sub, sub_pointer, languages)
        items = sub.get("items")
        if sub.get("type") == "array" and isinstance(items, dict) and items.get("type") == "object":
            problems += text_problems(
                _pointer_add(sub_pointer, "x-item-label"),
                sub.get("x-item-label"),
                f"the row label (x-item-label) of repeatable group '{name}'",
                languages,
            )
            problems += _walk_fields(items, _pointer_add(sub_pointer, "items"), languages)
    return problems


def _step_problems(schema: dict, languages: list[str]) -> list[Problem]:
    steps = schema.get("x-steps")
    if steps is None:
        return []
    if not isinstance(steps, list) or not steps:
        return [("/x-steps", "x-steps must be a list of {id, title, fields}")]
    problems: list[Problem] = []
    properties = schema.get("properties") or {}
    placed: dict[str, int] = {}
    ids: set[Any] = set()
    for index, step in enumerate(steps):
        pointer = _pointer(["x-steps", index])
        if not isinstance(step, dict) or not isinstance(step.get("fields"), list):
            problems.append((pointer, "each step needs an id, a title and a list of fields"))
            continue
        if step.get("id") in ids or not isinstance(step.get("id"), str):
            problems.append((pointer, f"step id '{step.get('id')}' is missing or used twice"))
        ids.add(step.get("id"))
        problems += text_problems(
            _pointer_add(pointer, "title"),
            step.get("title"),
            f"the title of step '{step.get('id')}'",
            languages,
        )
        for name in step["fields"]:
            if name not in properties:
                problems.append(
                    (
                        _pointer_add(pointer, "fields"),
                        f"step '{step.get('id')}' lists '{name}', which is not a field",
                    )
                )
            elif name in placed:
                problems.append(
                    (
                        _pointer_add(pointer, "fields"),
                        f"'{name}' is already in step {placed[name] + 1}",
                    )
                )
            placed[name] = index
    for name in properties:
        if name not in placed:
            problems.append(
                ("/x-steps", f"field '{name}' is in no step, so the citizen would never see it")
            )
    return problems


def lint_form_schema(
    schema: Any,
    *,
    languages: list[str] | None = None,
    require_examples: bool = True,
    what: str = "application",
) -> list[Problem]:
    """Everything wrong with a form (or officer-input) schema; empty when it may be published."""
    languages = languages or list(settings.SEVA_LANGUAGES)
    if not isinstance(schema, dict):
        return [("", "a form schema must be a JSON object")]
    try:
        validator = build_validator(schema)
    except UnsupportedSchema as exc:
        return exc.problems
    problems: list[Problem] = []
    if schema.get("type") != "object" or not schema.get("properties"):
        problems.append(("", 'a form must be "type": "object" with "properties" (its fields)'))
    problems += _walk_fields(schema, "", languages)
    if "x-title" in schema:
        problems += text_problems(
            "/x-title", schema["x-title"], "the form's title (x-title)", languages
        )
    if "x-declaration" in schema:
        problems += text_problems(
            "/x-declaration", schema["x-declaration"], "the declaration (x-declaration)", languages
        )
    problems += _step_problems(schema, languages)
    problems += expression_problems(schema, languages)
    if require_examples:
        examples = schema.get("examples")
        if not isinstance(examples, list) or not examples:
            problems.append(
                ("/examples", f'a form needs "examples": at least one complete, valid {what}')
            )
        elif not problems:
            for index, example in enumerate(examples):
                for field, messages in validate_form_data(validator, example).items():
                    problems.append(
                        (
                            _pointer(["examples", index]),
                            f"example {index + 1} is not valid: '{field}': {' '.join(messages)}",
                        )
                    )
    return problems
