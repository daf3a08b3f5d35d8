"""How a widget draws itself: each widget's `draw` (seva.formschemas.widgets).

A drawer fills the field's template context (the label, hint and errors are already in it)
and names its template in templates/formschemas/; the templates only lay the context out,
so a theme can restyle every widget without touching this module.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.template.defaultfilters import filesizeformat
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .fields import as_text, choices, field_id, field_type, items_of, text
from .places import jurisdiction_choices


class FieldRenderer(Protocol):
    """The page being drawn, and how to draw the fields inside a group or a row
    (seva.formschemas.drawing, which chooses each field's widget)."""

    language: str
    documents: dict[str, dict]
    has_row_buttons: bool

    def object_fields(
        self,
        object_schema: dict,
        answers: dict,
        prefix: str,
        names: list[str],
        *,
        inherited: list[dict],
        top: bool = False,
    ) -> list[str]: ...

    def field(
        self,
        schema: dict,
        value: Any,
        path: str,
        *,
        optional: bool,
        show_when: str,
        inherited: list[dict],
    ) -> str: ...


class Draw(Protocol):
    """A widget's drawer: fills `context` for the field's `value` and returns the name of
    its template. `inherited` are the parts of conditions further up that reach into it."""

    def __call__(
        self,
        renderer: FieldRenderer,
        schema: dict,
        value: Any,
        context: dict,
        inherited: list[dict],
    ) -> str: ...


# The input element each text-like widget draws; x-autocomplete overrides the default.
_INPUT_ATTRIBUTES: dict[str, dict[str, str]] = {
    "text": {"type": "text"},
    "number": {"type": "text", "inputmode": "numeric"},
    "date": {"type": "date"},
    "mobile": {
        "type": "tel",
        "inputmode": "numeric",
        "autocomplete": "tel-national",
        "spellcheck": "false",
    },
    "pincode": {
        "type": "text",
        "inputmode": "numeric",
        "autocomplete": "postal-code",
        "spellcheck": "false",
    },
    "aadhaar": {
        "type": "text",
        "inputmode": "numeric",
        "autocomplete": "off",
        "spellcheck": "false",
    },
    "email": {"type": "email", "autocomplete": "email", "spellcheck": "false"},
}


def draw_input(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    attributes = dict(_INPUT_ATTRIBUTES[context["widget"]])
    if context["widget"] == "number":
        if field_type(schema) == "number":
            attributes["inputmode"] = "decimal"
        else:
            # A hint for the numeric keypad only: the server checks the number.
            attributes["pattern"] = "[0-9]*"
    elif isinstance(schema.get("pattern"), str):
        attributes["pattern"] = schema["pattern"]
    if isinstance(schema.get("x-autocomplete"), str):
        attributes["autocomplete"] = schema["x-autocomplete"]
    context["input_type"] = attributes.pop("type")
    context["attributes"] = sorted(attributes.items())
    context["value"] = as_text(value)
    return "input"


def draw_textarea(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    context["value"] = as_text(value)
    if isinstance(schema.get("x-autocomplete"), str):
        context["autocomplete"] = schema["x-autocomplete"]
    return "textarea"


def draw_select(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    current = as_text(value)
    options = [
        {"value": as_text(choice), "label": label, "selected": as_text(choice) == current}
        for choice, label in choices(schema, renderer.language)
    ]
    context["empty_label"] = _("Choose…")
    context["groups"] = [{"label": "", "options": options}]
    _keep_unknown_choice(context, current)
    return "select"


def draw_jurisdiction(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    current = as_text(value)
    level = str(schema.get("x-jurisdiction-level") or "")
    context["empty_label"] = _("Choose…")
    context["groups"] = [
        {
            "label": group_label,
            "options": [
                {"value": code, "label": name, "selected": code == current} for code, name in places
            ],
        }
        for group_label, places in jurisdiction_choices(level, renderer.language)
    ]
    _keep_unknown_choice(context, current)
    return "select"


def _keep_unknown_choice(context: dict, current: str) -> None:
    # A value that is not on the list (a place since removed, a tampered POST) stays
    # selected, so the citizen sees what was sent and the validator's message.
    known = {option["value"] for group in context["groups"] for option in group["options"]}
    if current and current not in known:
        context["groups"].insert(
            0, {"label": "", "options": [{"value": current, "label": current, "selected": True}]}
        )


def draw_radios(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    current = as_text(value)
    context["options"] = [
        {
            "id": _option_id(context["id"], position),
            "value": as_text(choice),
            "label": label,
            "checked": as_text(choice) == current,
        }
        for position, (choice, label) in enumerate(choices(schema, renderer.language))
    ]
    return "radios"


def draw_checkbox(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    context["checked"] = value is True
    return "checkbox"


def draw_checkboxes(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    chosen = {as_text(v) for v in value} if isinstance(value, list) else set()
    context["options"] = [
        {
            "id": _option_id(context["id"], position),
            "value": as_text(choice),
            "label": label,
            "checked": as_text(choice) in chosen,
        }
        for position, (choice, label) in enumerate(choices(schema, renderer.language))
    ]
    return "checkboxes"


def _option_id(html_id: str, position: int) -> str:
    # The first option carries the field's own id, so that an error links to it.
    return html_id if position == 0 else f"{html_id}-{position + 1}"


def draw_file(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    spec = schema["x-file"] if isinstance(schema.get("x-file"), dict) else {}
    accept = [t for t in spec.get("accept") or [] if isinstance(t, str)]
    context["accept"] = ",".join(accept + [ext for t in accept for ext in _EXTENSIONS.get(t, ())])
    max_bytes = spec.get("max_bytes")
    if isinstance(max_bytes, int):
        context["max_bytes"] = max_bytes
        context["too_large"] = _("The file must be %(size)s or smaller.") % {
            "size": filesizeformat(max_bytes)
        }
    token = value if isinstance(value, str) else ""
    context["token"] = token
    if token:
        document = renderer.documents.get(token) or {}
        context["uploaded_id"] = f"{context['id']}-uploaded"
        context["uploaded_intro"] = _("Already uploaded:")
        context["uploaded_name"] = document.get("name") or _("a file")
        size = document.get("size")
        context["uploaded_size"] = filesizeformat(size) if isinstance(size, int) else ""
        context["replace_hint"] = _("Choose a file only if you want to replace it.")
        context["describedby"] = " ".join(
            part for part in (context["describedby"], context["uploaded_id"]) if part
        )
    return "file"


_EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}


def draw_group(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    answers = value if isinstance(value, dict) else {}
    context["children"] = mark_safe(
        "\n".join(
            renderer.object_fields(
                schema,
                answers,
                context["name"],
                list(schema.get("properties") or {}),
                inherited=inherited,
            )
        )
    )
    return "group"


def draw_repeat(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    renderer.has_row_buttons = True
    path = context["name"]
    items = items_of(schema)
    item_branches = [b["items"] for b in inherited if isinstance(b.get("items"), dict)]
    item_label = text(schema.get("x-item-label"), renderer.language) or context["label"]
    min_items: int = schema["minItems"] if isinstance(schema.get("minItems"), int) else 0
    max_items: int | None = schema["maxItems"] if isinstance(schema.get("maxItems"), int) else None
    rows = list(value) if isinstance(value, list) else []
    # A group not yet answered starts with a row to fill in, even when it may be empty.
    wanted = min_items if isinstance(value, list) else max(min_items, 1)
    rows += [None] * (wanted - len(rows))
    context["rows"] = []
    for index, row in enumerate(rows):
        row_path = f"{path}.{index}"
        legend = f"{item_label} {index + 1}"
        if field_type(items) == "object":
            children = renderer.object_fields(
                items,
                row if isinstance(row, dict) else {},
                row_path,
                list(items.get("properties") or {}),
                inherited=item_branches,
            )
        else:
            children = [
                renderer.field(
                    {**items, "x-label": {renderer.language: legend}},
                    row,
                    row_path,
                    optional=False,
                    show_when="",
                    inherited=item_branches,
                )
            ]
        context["rows"].append(
            {
                "id": field_id(row_path),
                "legend": legend,
                "children": mark_safe("\n".join(children)),
                "remove_value": row_path if len(rows) > min_items else "",
                "remove_label": _("Remove"),
            }
        )
    if max_items is None or len(rows) < max_items:
        context["add_label"] = _("Add another %(item)s") % {"item": _lower_first(item_label)}
    return "repeat"


def _lower_first(phrase: str) -> str:
    # "Family member" -> "family member"; an acronym ("PAN card") or Hindi is left alone.
    if len(phrase) > 1 and phrase[0].isupper() and phrase[1].islower():
        return phrase[0].lower() + phrase[1:]
    return phrase


def draw_computed(
    renderer: FieldRenderer, schema: dict, value: Any, context: dict, inherited: list[dict]
) -> str:
    """A computed answer (x-compute): shown, never asked; the server computes it. A sum of
    rupees worked out in decimals reads as a whole number when it is one (1000, not 1000.0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    context["value"] = as_text(value)
    return "computed"
