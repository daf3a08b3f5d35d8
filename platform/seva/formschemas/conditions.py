"""Conditional fields: shown only when another answer makes them apply.

A field of an object is conditional when an `allOf` item of that object names it in its
`then` (or `else`) branch and the object does not require it anyway. It applies when, for
some branch naming it, the `if` holds on the object's answers (for `else`, does not hold).
An answer to a field that does not apply is dropped before validation, never kept.

On a page, a conditional field follows the question that controls it (`ordered`), and one
controlled by a plain "answer to X is one of ..." test says so for the page's script
(`show_when`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from .fields import join
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


def condition_names(object_schema: dict, inherited: list[dict]) -> set[str]:
    """Fields of this object that a condition names (so they are never marked optional).

    `inherited` are the parts of conditions further up that reach into this object, such
    as a top-level `then: {properties: {documents: {required: [...]}}}`.
    """
    names: set[str] = set()
    for branch in _branches(object_schema) + inherited:
        names |= set(branch.get("required") or []) | set(branch.get("properties") or {})
    return names


def child_branches(object_schema: dict, inherited: list[dict], name: str) -> list[dict]:
    """The parts of conditions (this object's and `inherited`) that reach into field `name`."""
    return [
        branch["properties"][name]
        for branch in _branches(object_schema) + inherited
        if isinstance((branch.get("properties") or {}).get(name), dict)
    ]


def _branches(object_schema: dict) -> list[dict]:
    return [
        item[part]
        for item in object_schema.get("allOf") or []
        if isinstance(item, dict)
        for part in ("then", "else")
        if isinstance(item.get(part), dict)
    ]


def show_when(field_conditions: list[tuple[dict, bool]] | None, prefix: str) -> str:
    """The page script's rule for showing the field (JSON), or "" when it has none."""
    rule = _simple_rule(field_conditions)
    if rule is None:
        return ""
    controller, values = rule
    test = {"const": values[0]} if len(values) == 1 else {"enum": values}
    return json.dumps({"field": join(prefix, controller), **test}, ensure_ascii=False)


def controllers(field_conditions: list[tuple[dict, bool]]) -> set[str]:
    """The fields whose answers the conditions test."""
    names: set[str] = set()
    for if_schema, _when_true in field_conditions:
        names |= set(if_schema.get("properties") or {}) | set(if_schema.get("required") or [])
    return names


def ordered(object_schema: dict, names: list[str]) -> list[str]:
    """`names` with each conditional field moved right after the question that controls it."""
    controller_of = {}
    for name, field_conditions in conditional_fields(object_schema).items():
        rule = _simple_rule(field_conditions)
        if rule and rule[0] in names and rule[0] != name:
            controller_of[name] = rule[0]
    placed: list[str] = []

    def place(name: str) -> None:
        placed.append(name)
        for other in names:
            if controller_of.get(other) == name and other not in placed:
                place(other)

    for name in names:
        if name not in placed and name not in controller_of:
            place(name)
    return placed + [name for name in names if name not in placed]


def _simple_rule(field_conditions: list[tuple[dict, bool]] | None) -> tuple[str, list] | None:
    """(controlling sibling, values that show the field) when every condition is a plain
    "answer to X is one of ..." test on the same sibling; None otherwise."""
    if not field_conditions:
        return None
    controller = None
    values: list = []
    for if_schema, when_true in field_conditions:
        test = _simple_test(if_schema) if when_true else None
        if test is None or controller not in (None, test[0]):
            return None
        controller = test[0]
        values += [value for value in test[1] if value not in values]
    return (controller, values) if controller is not None else None


def _simple_test(if_schema: dict) -> tuple[str, list] | None:
    properties = if_schema.get("properties")
    if set(if_schema) - {"properties", "required"} or not isinstance(properties, dict):
        return None
    if len(properties) != 1:
        return None
    ((controller, test),) = properties.items()
    # Without `required` the `if` also holds when the question is unanswered.
    if if_schema.get("required") != [controller] or not isinstance(test, dict):
        return None
    if set(test) == {"const"}:
        return controller, [test["const"]]
    if set(test) == {"enum"} and isinstance(test["enum"], list):
        return controller, list(test["enum"])
    return None
