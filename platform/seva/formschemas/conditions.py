"""Conditional fields: shown only when another answer makes them apply.

A field of an object is conditional when an `allOf` item of that object names it in its
`then` (or `else`) branch and the object does not require it anyway. It applies when, for
some branch naming it, the `if` holds on the object's answers (for `else`, does not hold).
An answer to a field that does not apply is dropped before validation, never kept.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from .keywords import DRAFT_2020_12
from .validation import build_validator


@lru_cache(maxsize=1024)
def _if_validator(if_json: str):
    return build_validator({"$schema": DRAFT_2020_12, **json.loads(if_json)})


def condition_holds(if_schema: dict, answers: Any) -> bool:
    return _if_validator(json.dumps(if_schema, sort_keys=True)).is_valid(answers)


def conditional_fields(object_schema: dict) -> dict[str, list[tuple[dict, bool]]]:
    """{field name: [(if schema, shown when the if holds?)]} for the object's conditional fields."""
    required = set(object_schema.get("required") or [])
    found: dict[str, list[tuple[dict, bool]]] = {}
    for item in object_schema.get("allOf") or []:
        if not isinstance(item, dict) or not isinstance(item.get("if"), dict):
            continue
        for branch, when_true in (("then", True), ("else", False)):
            sub = item.get(branch)
            if not isinstance(sub, dict):
                continue
            for name in [*(sub.get("required") or []), *(sub.get("properties") or {})]:
                if name not in required:
                    found.setdefault(name, [])
                    if (item["if"], when_true) not in found[name]:
                        found[name].append((item["if"], when_true))
    return found


def field_applies(object_schema: dict, name: str, answers: dict) -> bool:
    conditions = conditional_fields(object_schema).get(name)
    if not conditions:
        return True
    return any(
        condition_holds(if_schema, answers) == when_true for if_schema, when_true in conditions
    )


def prune_hidden(schema: dict, data: Any) -> Any:
    """A copy of `data` without answers to conditional fields that do not apply."""
    if not isinstance(schema, dict):
        return data
    if isinstance(data, dict):
        properties = schema.get("properties") or {}
        conditional = conditional_fields(schema)
        kept = {}
        for name, value in data.items():
            if name in conditional and not field_applies(schema, name, data):
                continue
            kept[name] = prune_hidden(properties.get(name) or {}, value)
        return kept
    if isinstance(data, list):
        items = schema.get("items") or {}
        return [prune_hidden(items, value) for value in data]
    return data
