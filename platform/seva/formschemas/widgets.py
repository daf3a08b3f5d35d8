"""Widgets a form field may ask for with `x-widget`, each described once: the JSON types it
can edit and the format or enum it needs (the linter checks a field against them), how it
reads its posted value (`parse`, seva.formschemas.readers) and how it draws itself
(`draw`, seva.formschemas.drawers). `widget_for` chooses a field's widget; the parsing and
drawing modules go through it, and keep no table of their own."""

from __future__ import annotations

from dataclasses import dataclass

from seva.core.registry import Registry

from .drawers import (
    Draw,
    draw_checkbox,
    draw_checkboxes,
    draw_computed,
    draw_file,
    draw_group,
    draw_input,
    draw_jurisdiction,
    draw_radios,
    draw_repeat,
    draw_select,
    draw_textarea,
)
from .readers import Parse, read_by_type, read_nothing, read_tick


@dataclass(frozen=True)
class Widget:
    name: str
    types: frozenset[str]  # the JSON types it can edit
    parse: Parse
    draw: Draw
    format: str | None = None  # the format a field drawn with it must have
    needs_enum: bool = False


WIDGETS: Registry[Widget] = Registry("widget")


def _widget(
    name: str,
    types: set[str],
    *,
    parse: Parse,
    draw: Draw,
    format: str | None = None,
    needs_enum: bool = False,
) -> None:
    WIDGETS.register(name)(Widget(name, frozenset(types), parse, draw, format, needs_enum))


_widget("text", {"string"}, parse=read_by_type, draw=draw_input)
_widget("textarea", {"string"}, parse=read_by_type, draw=draw_textarea)
_widget("number", {"integer", "number"}, parse=read_by_type, draw=draw_input)
_widget("date", {"string"}, format="date", parse=read_by_type, draw=draw_input)
_widget("select", {"string", "integer"}, needs_enum=True, parse=read_by_type, draw=draw_select)
_widget("radio", {"string", "integer", "boolean"}, parse=read_by_type, draw=draw_radios)
_widget("checkbox", {"boolean"}, parse=read_tick, draw=draw_checkbox)
_widget("checkboxes", {"array"}, parse=read_by_type, draw=draw_checkboxes)
_widget("mobile", {"string"}, format="mobile", parse=read_by_type, draw=draw_input)
_widget("pincode", {"string"}, format="pincode", parse=read_by_type, draw=draw_input)
_widget("aadhaar", {"string"}, format="aadhaar", parse=read_by_type, draw=draw_input)
_widget("email", {"string"}, format="email", parse=read_by_type, draw=draw_input)
_widget("file", {"string"}, format="document", parse=read_by_type, draw=draw_file)
_widget(
    "jurisdiction", {"string"}, format="jurisdiction", parse=read_by_type, draw=draw_jurisdiction
)
_widget("group", {"object"}, parse=read_by_type, draw=draw_group)
_widget("repeat", {"array"}, parse=read_by_type, draw=draw_repeat)
# A computed answer (x-compute) is shown read-only, whatever its type; it is never read.
_widget(
    "computed",
    {"string", "integer", "number", "boolean"},
    parse=read_nothing,
    draw=draw_computed,
)


def widget_for(schema: dict) -> Widget:
    """The widget of a field: the one its x-widget names, else the one its format, enum or
    type suggests. An x-widget that is not registered (the linter refuses it) is drawn as a
    text box all the same."""
    if "x-compute" in schema:
        return WIDGETS.get("computed")
    declared = schema.get("x-widget")
    if isinstance(declared, str) and declared:
        return WIDGETS.get(declared if declared in WIDGETS else "text")
    field_format = schema.get("format")
    field_type = schema.get("type")
    if field_format:
        for name in WIDGETS:
            if WIDGETS.get(name).format == field_format:
                return WIDGETS.get(name)
    if "enum" in schema:
        return WIDGETS.get("radio" if len(schema["enum"]) <= 4 else "select")
    if field_type == "boolean":
        return WIDGETS.get("checkbox")
    if field_type in ("integer", "number"):
        return WIDGETS.get("number")
    if field_type == "object":
        return WIDGETS.get("group")
    if field_type == "array":
        items = schema.get("items") or {}
        has_choices = isinstance(items, dict) and "enum" in items
        return WIDGETS.get("checkboxes" if has_choices else "repeat")
    return WIDGETS.get("text")
