"""Widgets a form field may ask for with `x-widget`. The portal's renderer draws each one;
the linter checks a field's widget is registered and can edit the field's type."""

from dataclasses import dataclass

from seva.core.registry import Registry


@dataclass(frozen=True)
class Widget:
    name: str
    types: frozenset[str]
    format: str | None = None
    needs_enum: bool = False


WIDGETS: Registry[Widget] = Registry("widget")


def _widget(name: str, types: set[str], *, format: str | None = None, needs_enum: bool = False):
    WIDGETS.register(name)(Widget(name, frozenset(types), format, needs_enum))


_widget("text", {"string"})
_widget("textarea", {"string"})
_widget("number", {"integer", "number"})
_widget("date", {"string"}, format="date")
_widget("select", {"string", "integer"}, needs_enum=True)
_widget("radio", {"string", "integer", "boolean"})
_widget("checkbox", {"boolean"})
_widget("checkboxes", {"array"})
_widget("mobile", {"string"}, format="mobile")
_widget("pincode", {"string"}, format="pincode")
_widget("aadhaar", {"string"}, format="aadhaar")
_widget("email", {"string"}, format="email")
_widget("file", {"string"}, format="document")
_widget("jurisdiction", {"string"}, format="jurisdiction")
_widget("group", {"object"})
_widget("repeat", {"array"})


def default_widget(schema: dict) -> str:
    """The widget a field gets when it names none."""
    field_type = schema.get("type")
    fmt = schema.get("format")
    for widget_name in ("date", "mobile", "pincode", "aadhaar", "email", "file", "jurisdiction"):
        if fmt and WIDGETS.get(widget_name).format == fmt:
            return widget_name
    if "enum" in schema:
        return "radio" if len(schema["enum"]) <= 4 else "select"
    if field_type == "boolean":
        return "checkbox"
    if field_type in ("integer", "number"):
        return "number"
    if field_type == "object":
        return "group"
    if field_type == "array":
        items = schema.get("items") or {}
        return "checkboxes" if isinstance(items, dict) and "enum" in items else "repeat"
    return "text"
