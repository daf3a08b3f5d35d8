"""Dotted paths into form data and schemas: "family_members.0.age"."""

from __future__ import annotations

from typing import Any


def schema_at(schema: dict, dotted: str) -> dict | None:
    """The subschema for the value at `dotted` (row indices step into `items`)."""
    node: Any = schema
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        if node.get("type") == "array":
            node = node.get("items")
            if part.isdigit():
                continue
        if not isinstance(node, dict):
            return None
        node = (node.get("properties") or {}).get(part)
    return node if isinstance(node, dict) else None


def get_path(data: Any, dotted: str) -> Any:
    node = data
    for part in dotted.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def set_path(data: dict, dotted: str, value: Any) -> None:
    """Set the value at `dotted`, making the objects on the way (rows must already exist)."""
    parts = dotted.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value
