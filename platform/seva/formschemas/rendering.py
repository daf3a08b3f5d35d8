"""The citizen's form as HTML that works with JavaScript turned off, and the POSTed form
back as JSON.

Field names in the HTML are dotted paths ("applicant.full_name", "family_members.0.age"),
the keys `validate_form_data` reports errors under, so an error always lands next to its
field. The functions here turn the schema, the answers and the errors into plain context
dicts (presenters); the templates in templates/formschemas/ only lay them out, so a theme
can restyle every widget without touching this module.

A step's round trip in a view:

    post = request.POST.copy()  # each upload stored first: post[path] = its token
    step_data = parse_submission(schema, post, fields=step.fields)
    data = replace_step_answers(saved, step_data, fields=step.fields)
    data, command_ran = apply_row_commands(schema, data, post)
    data = prune_hidden(schema, data)
    errors = {} if command_ran else validate_form_data(validator, data)
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from seva.core.registry import Registry

from . import conditions
from .formats import DOCUMENT_RE, is_masked_aadhaar, mask_aadhaar
from .validation import NON_FIELD
from .widgets import default_widget

ADD_ROW = "_add"
REMOVE_ROW = "_remove"

# Labels the department already marked; the renderer adds "(optional)" only where missing.
_OPTIONAL_MARKERS = ("(optional)", "(वैकल्पिक)")
# Hindi keyboards type Devanagari digits; numbers and Indian ID formats want 0-9.
_DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")
# Written as on the card or a visiting card ("2345 6789 0124", "98123-45678").
_DIGIT_FORMATS = frozenset({"mobile", "pincode", "aadhaar"})
# Plain decimal notation only: an exponent ("1e999999") would make a huge number.
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})")
_INDEX_RE = re.compile(r"[0-9]{1,6}")
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


# ------------------------------------------------------------------------------
# Steps, title and declaration
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    id: str
    title: str  # in the requested language
    fields: list[str]  # top-level property names


def form_steps(schema: dict, language: str) -> list[Step]:
    """The pages of the form, from x-steps; without it, one step "main" with every field."""
    declared = schema.get("x-steps")
    if isinstance(declared, list) and declared:
        return [
            Step(
                id=str(step.get("id")),
                title=_text(step.get("title"), language),
                fields=list(step.get("fields") or []),
            )
            for step in declared
            if isinstance(step, dict)
        ]
    return [
        Step(
            id="main",
            title=form_title(schema, language),
            fields=list(schema.get("properties") or {}),
        )
    ]


def form_title(schema: dict, language: str) -> str:
    return _text(schema.get("x-title"), language) or str(schema.get("title") or "")


def form_declaration(schema: dict, language: str) -> str:
    return _text(schema.get("x-declaration"), language)


# ------------------------------------------------------------------------------
# Reading the POSTed form
# ------------------------------------------------------------------------------
def parse_submission(schema: dict, post: Mapping, *, fields: list[str]) -> dict:
    """The answers of one step as JSON data, for the top-level `fields` given.

    Empty inputs are left out, so that `required` fires; a value that cannot be coerced
    to the field's type is kept as text, so that the validator reports it on the field.
    File fields read the token in the POST under their own name (the view stores an
    upload first and writes its token into a copy of the POST).
    """
    root = _inline_refs(schema)
    return _parse_object(root, post, "", list(fields), inherited=[])


def replace_step_answers(data: dict, step_data: dict, *, fields: list[str]) -> dict:
    """`data` with the answers to `fields` replaced by `step_data`: a field left empty on
    the step loses its earlier answer instead of keeping it."""
    kept = {name: value for name, value in data.items() if name not in fields}
    return kept | step_data


def apply_row_commands(schema: dict, data: dict, post: Mapping) -> tuple[dict, bool]:
    """Carry out the "Add another" / "Remove" buttons of repeatable groups.

    Returns the new data and whether a row button was pressed (then the view shows the
    same step again, without errors). Row numbers in the button are those of the POST;
    they are mapped to the renumbered rows `parse_submission` produced.
    """
    if ADD_ROW in post:
        command, target = ADD_ROW, str(post.get(ADD_ROW) or "")
    elif REMOVE_ROW in post:
        command, target = REMOVE_ROW, str(post.get(REMOVE_ROW) or "")
    else:
        return data, False
    root = _inline_refs(schema)
    found = _renumbered_path(root, post, target)
    if found is None:
        return data, True
    segments, node = found
    data = copy.deepcopy(data)
    if command == ADD_ROW and _type(node) == "array":
        rows = _container(data, segments, create=True)
        max_items = node.get("maxItems")
        if isinstance(rows, list) and (not isinstance(max_items, int) or len(rows) < max_items):
            items = node.get("items") if isinstance(node.get("items"), dict) else {}
            rows.append({} if _type(items) == "object" else None)
    elif command == REMOVE_ROW and segments and isinstance(segments[-1], int):
        rows = _container(data, segments[:-1], create=False)
        if isinstance(rows, list) and segments[-1] < len(rows):
            del rows[segments[-1]]
    return data, True


def prune_hidden(schema: dict, data: dict) -> dict:
    """A copy of `data` without the answers to conditional fields that do not apply."""
    return conditions.prune_hidden(_inline_refs(schema), data)


def document_field(schema: dict, path: str) -> dict | None:
    """The schema of the file field at `path` ("documents.photo"), or None if it is not one.

    Lets a view check that an uploaded file's name is a file field of the form, and read
    its x-file (accept, max_bytes), before storing it.
    """
    node: Any = _inline_refs(schema)
    for segment in path.split("."):
        if not isinstance(node, dict):
            return None
        if _type(node) == "array" and _INDEX_RE.fullmatch(segment):
            node = node.get("items")
        elif _type(node) == "object":
            node = (node.get("properties") or {}).get(segment)
        else:
            return None
    if isinstance(node, dict) and node.get("format") == "document":
        return node
    return None


def _parse_object(
    object_schema: dict, post: Mapping, prefix: str, names: list[str], *, inherited: list[dict]
) -> dict:
    properties = object_schema.get("properties") or {}
    keep_when_empty = set(object_schema.get("required") or []) | _condition_names(
        object_schema, inherited
    )
    answers: dict = {}
    for name in names:
        sub = properties.get(name)
        if not isinstance(sub, dict):
            continue
        found, value = _parse_value(
            sub,
            post,
            _join(prefix, name),
            keep_when_empty=name in keep_when_empty,
            inherited=_child_branches(object_schema, inherited, name),
        )
        if found:
            answers[name] = value
    return answers


def _parse_value(
    schema: dict, post: Mapping, path: str, *, keep_when_empty: bool, inherited: list[dict]
) -> tuple[bool, Any]:
    return _PARSERS[_kind(schema)](
        schema, post, path, keep_when_empty=keep_when_empty, inherited=inherited
    )


def _parse_group(schema, post, path, *, keep_when_empty, inherited):
    # A group left wholly empty is kept when it must be answered, so that each of its
    # required fields gets its own "This field is required." rather than the group.
    if not keep_when_empty and not _has_input(post, path):
        return False, None
    return True, _parse_object(
        schema, post, path, list(schema.get("properties") or {}), inherited=inherited
    )


def _parse_rows(schema, post, path, *, keep_when_empty, inherited):
    items = schema["items"] if isinstance(schema.get("items"), dict) else {}
    item_branches = [b["items"] for b in inherited if isinstance(b.get("items"), dict)]
    rows = []
    for index, filled in sorted(_posted_rows(post, path).items()):
        if not filled:
            continue
        row_path = f"{path}.{index}"
        if _type(items) == "object":
            rows.append(
                _parse_object(
                    items,
                    post,
                    row_path,
                    list(items.get("properties") or {}),
                    inherited=item_branches,
                )
            )
        else:
            _found, value = _parse_value(
                items, post, row_path, keep_when_empty=True, inherited=item_branches
            )
            rows.append(value)
    if not rows and not keep_when_empty:
        return False, None
    return True, rows


def _parse_choices(schema, post, path, **_ignored):
    items = schema["items"] if isinstance(schema.get("items"), dict) else {}
    enum = list(items.get("enum") or [])
    chosen = []
    for raw in _getlist(post, path):
        text = (raw or "").strip()
        if text:
            value = _coerce_number(text, items) if _type(items) in ("integer", "number") else text
            if value not in chosen:
                chosen.append(value)
    if not chosen:
        return False, None
    in_enum_order = [value for value in enum if value in chosen]
    return True, in_enum_order + [value for value in chosen if value not in in_enum_order]


def _parse_checkbox(schema, post, path, **_ignored):
    # An unticked box is not posted at all: its absence is the answer "no".
    return True, path in post


def _parse_boolean(schema, post, path, **_ignored):
    text = (post.get(path) or "").strip()
    if not text:
        return False, None
    return True, {"true": True, "false": False}.get(text, text)


def _parse_number(schema, post, path, **_ignored):
    text = (post.get(path) or "").strip().translate(_DEVANAGARI_DIGITS)
    if not text:
        return False, None
    return True, _coerce_number(text, schema)


def _parse_document(schema, post, path, **_ignored):
    # Prefer a token: a form posted without multipart encoding would also send the chosen
    # file's name under the same name.
    values = [(v or "").strip() for v in _getlist(post, path)]
    tokens = [v for v in values if DOCUMENT_RE.fullmatch(v)]
    text = tokens[0] if tokens else next((v for v in values if v), "")
    return (True, text) if text else (False, None)


def _parse_text(schema, post, path, **_ignored):
    raw = post.get(path)
    if raw is None:
        return False, None
    text = str(raw).replace("\r\n", "\n").replace("\r", "\n").strip()
    if schema.get("format") in _DIGIT_FORMATS:
        text = re.sub(r"[\s-]", "", text.translate(_DEVANAGARI_DIGITS))
    return (True, text) if text else (False, None)


_PARSERS: dict[str, Callable[..., tuple[bool, Any]]] = {
    "group": _parse_group,
    "rows": _parse_rows,
    "choices": _parse_choices,
    "checkbox": _parse_checkbox,
    "boolean": _parse_boolean,
    "number": _parse_number,
    "document": _parse_document,
    "text": _parse_text,
}


def _kind(schema: dict) -> str:
    """How a field's POSTed value is read."""
    field_type = _type(schema)
    if _widget_name(schema) == "checkbox" and field_type == "boolean":
        return "checkbox"
    if field_type == "object":
        return "group"
    if field_type == "array":
        items = schema.get("items")
        return "choices" if isinstance(items, dict) and "enum" in items else "rows"
    if field_type == "boolean":
        return "boolean"
    if field_type in ("integer", "number"):
        return "number"
    if schema.get("format") == "document":
        return "document"
    return "text"


def _coerce_number(text: str, schema: dict) -> Any:
    """int when whole, float otherwise (read as a decimal: "2.30" is 2.3); else the text."""
    if not _NUMBER_RE.fullmatch(text):
        return text
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if number == number.to_integral_value():
        return int(number)
    return text if _type(schema) == "integer" else float(number)


def _getlist(post: Mapping, key: str) -> list:
    if hasattr(post, "getlist"):
        return post.getlist(key)
    return [post[key]] if key in post else []


def _posted_rows(post: Mapping, path: str) -> dict[int, bool]:
    """{row number in the POST: whether any of its inputs has a value}."""
    prefix = path + "."
    rows: dict[int, bool] = {}
    for key in post:
        if not key.startswith(prefix):
            continue
        head = key[len(prefix) :].split(".", 1)[0]
        if _INDEX_RE.fullmatch(head):
            filled = any(str(v or "").strip() for v in _getlist(post, key))
            rows[int(head)] = rows.get(int(head), False) or filled
    return rows


def _has_input(post: Mapping, path: str) -> bool:
    prefix = path + "."
    return any(
        key.startswith(prefix) and any(str(v or "").strip() for v in _getlist(post, key))
        for key in post
    )


def _renumbered_path(root: dict, post: Mapping, target: str) -> tuple[list, dict] | None:
    """The data path (row numbers renumbered as parse_submission did) and schema of `target`."""
    node: Any = root
    posted: list[str] = []
    segments: list[str | int] = []
    for segment in target.split(".") if target else []:
        if not isinstance(node, dict):
            return None
        if _type(node) == "array" and _INDEX_RE.fullmatch(segment):
            rows = _posted_rows(post, ".".join(posted))
            kept = [index for index in sorted(rows) if rows[index]]
            if int(segment) not in kept:
                return None  # an empty row: already dropped
            segments.append(kept.index(int(segment)))
            node = node.get("items")
        elif _type(node) == "object" and segment in (node.get("properties") or {}):
            segments.append(segment)
            node = node["properties"][segment]
        else:
            return None
        posted.append(segment)
    if not segments or not isinstance(node, dict):
        return None
    return segments, node


def _container(data: dict, segments: list, *, create: bool) -> Any:
    """The list at `segments` in data; with create, missing groups and the list are made."""
    node: Any = data
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if isinstance(node, dict):
            if segment not in node:
                if not create:
                    return None
                node[segment] = [] if last else {}
            node = node[segment]
        elif isinstance(node, list) and isinstance(segment, int) and segment < len(node):
            node = node[segment]
        else:
            return None
    return node


# ------------------------------------------------------------------------------
# Drawing the fields
# ------------------------------------------------------------------------------
def render_fields(
    schema: dict,
    data: dict,
    errors: dict[str, list[str]],
    *,
    fields: list[str],
    language: str,
    documents: dict[str, dict] | None = None,
) -> SafeString:
    """HTML for the given top-level fields with their answers, and each field's errors next to it."""
    root = _inline_refs(schema)
    renderer = _Renderer(errors or {}, language, documents or {})
    with translation.override(language):
        parts = renderer.object_fields(
            root, data if isinstance(data, dict) else {}, "", list(fields), inherited=[], top=True
        )
        if renderer.has_row_buttons:
            # Enter in a text box presses the form's first submit button; without this one
            # that would be the first row's "Remove".
            parts.insert(
                0, render_to_string("formschemas/default_submit.html", {"label": _("Continue")})
            )
    return mark_safe("\n".join(parts))


def field_id(path: str) -> str:
    """The HTML id of the input for `path`: "applicant.full_name" -> "f-applicant-full_name"."""
    return "f-" + path.replace(".", "-")


class _Renderer:
    def __init__(self, errors: dict, language: str, documents: dict) -> None:
        self.errors = errors
        self.language = language
        self.documents = documents
        self.has_row_buttons = False

    def object_fields(
        self,
        object_schema: dict,
        answers: dict,
        prefix: str,
        names: list[str],
        *,
        inherited: list[dict],
        top: bool = False,
    ) -> list[str]:
        properties = object_schema.get("properties") or {}
        required = set(object_schema.get("required") or [])
        touched = _condition_names(object_schema, inherited)
        conditional = conditions.conditional_fields(object_schema)
        parts = []
        for name in _ordered(object_schema, names):
            sub = properties.get(name)
            if not isinstance(sub, dict):
                continue
            if (
                top
                and name in conditional
                and not _controllers(conditional[name]) <= set(names)
                and not conditions.field_applies(object_schema, name, answers)
            ):
                # Its question was answered on another page, so that it does not apply.
                continue
            parts.append(
                self.field(
                    sub,
                    answers.get(name),
                    _join(prefix, name),
                    optional=name not in required and name not in touched,
                    show_when=_show_when(conditional.get(name), prefix),
                    inherited=_child_branches(object_schema, inherited, name),
                )
            )
        return parts

    def field(
        self,
        schema: dict,
        value: Any,
        path: str,
        *,
        optional: bool,
        show_when: str,
        inherited: list[dict],
    ) -> str:
        widget = _widget_name(schema)
        if widget not in PRESENTERS:  # the linter refuses it; draw a text box all the same
            widget = "text"
        context = self.base_context(schema, path, widget, optional=optional, show_when=show_when)
        template = PRESENTERS.get(widget)(self, schema, value, context, inherited)
        return render_to_string(f"formschemas/{template}.html", {"field": context})

    def base_context(
        self, schema: dict, path: str, widget: str, *, optional: bool, show_when: str
    ) -> dict:
        html_id = field_id(path)
        help_text = _text(schema.get("x-help"), self.language)
        messages = list(self.errors.get(path) or [])
        hint_id = f"{html_id}-hint" if help_text else ""
        error_id = f"{html_id}-error" if messages else ""
        return {
            "id": html_id,
            "name": path,
            "widget": widget,
            "label": _label(schema, path, self.language, optional=optional),
            "help": help_text,
            "hint_id": hint_id,
            "errors": messages,
            "error_id": error_id,
            "error_prefix": _("Error:"),
            "describedby": " ".join(part for part in (hint_id, error_id) if part),
            "show_when": show_when,
        }


PRESENTERS: Registry[Callable[..., str]] = Registry("widget presenter")


def _presents(*widgets: str):
    def decorator(function):
        for widget in widgets:
            PRESENTERS.register(widget)(function)
        return function

    return decorator


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


@_presents("text", "number", "date", "mobile", "pincode", "aadhaar", "email")
def _present_input(renderer, schema, value, context, inherited) -> str:
    attributes = dict(_INPUT_ATTRIBUTES[context["widget"]])
    if context["widget"] == "number":
        if _type(schema) == "number":
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
    context["value"] = _as_text(value)
    return "input"


@_presents("textarea")
def _present_textarea(renderer, schema, value, context, inherited) -> str:
    context["value"] = _as_text(value)
    if isinstance(schema.get("x-autocomplete"), str):
        context["autocomplete"] = schema["x-autocomplete"]
    return "textarea"


@_presents("select")
def _present_select(renderer, schema, value, context, inherited) -> str:
    current = _as_text(value)
    options = [
        {"value": _as_text(choice), "label": label, "selected": _as_text(choice) == current}
        for choice, label in _choices(schema, renderer.language)
    ]
    context["empty_label"] = _("Choose…")
    context["groups"] = [{"label": "", "options": options}]
    _keep_unknown_choice(context, current)
    return "select"


@_presents("jurisdiction")
def _present_jurisdiction(renderer, schema, value, context, inherited) -> str:
    current = _as_text(value)
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


@_presents("radio")
def _present_radios(renderer, schema, value, context, inherited) -> str:
    current = _as_text(value)
    context["options"] = [
        {
            "id": _option_id(context["id"], position),
            "value": _as_text(choice),
            "label": label,
            "checked": _as_text(choice) == current,
        }
        for position, (choice, label) in enumerate(_choices(schema, renderer.language))
    ]
    return "radios"


@_presents("checkbox")
def _present_checkbox(renderer, schema, value, context, inherited) -> str:
    context["checked"] = value is True
    return "checkbox"


@_presents("checkboxes")
def _present_checkboxes(renderer, schema, value, context, inherited) -> str:
    chosen = {_as_text(v) for v in value} if isinstance(value, list) else set()
    context["options"] = [
        {
            "id": _option_id(context["id"], position),
            "value": _as_text(choice),
            "label": label,
            "checked": _as_text(choice) in chosen,
        }
        for position, (choice, label) in enumerate(_choices(schema, renderer.language))
    ]
    return "checkboxes"


@_presents("file")
def _present_file(renderer, schema, value, context, inherited) -> str:
    spec = schema.get("x-file") if isinstance(schema.get("x-file"), dict) else {}
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


@_presents("group")
def _present_group(renderer, schema, value, context, inherited) -> str:
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


@_presents("repeat")
def _present_repeat(renderer, schema, value, context, inherited) -> str:
    renderer.has_row_buttons = True
    path = context["name"]
    items = schema["items"] if isinstance(schema.get("items"), dict) else {}
    item_branches = [b["items"] for b in inherited if isinstance(b.get("items"), dict)]
    item_label = _text(schema.get("x-item-label"), renderer.language) or context["label"]
    min_items = schema.get("minItems") if isinstance(schema.get("minItems"), int) else 0
    max_items = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None
    rows = list(value) if isinstance(value, list) else []
    # A group not yet answered starts with a row to fill in, even when it may be empty.
    wanted = min_items if isinstance(value, list) else max(min_items, 1)
    rows += [None] * (wanted - len(rows))
    context["rows"] = []
    for index, row in enumerate(rows):
        row_path = f"{path}.{index}"
        legend = f"{item_label} {index + 1}"
        if _type(items) == "object":
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


# ------------------------------------------------------------------------------
# Error summary and check-your-answers
# ------------------------------------------------------------------------------
def error_summary(schema: dict, errors: dict[str, list[str]], *, language: str) -> list[dict]:
    """One entry per message, in form order, for the error summary at the top of the page.

    `anchor` is the id of the field's input (the first radio or checkbox of a group, the
    fieldset of a group); None for `non_field_errors`, which come first.
    """
    root = _inline_refs(schema)
    entries = []
    with translation.override(language):
        positions = _step_positions(root, language)
        for path, messages in (errors or {}).items():
            order, label, anchor = _locate(root, path, positions, language)
            for message in messages:
                entries.append(
                    (order, {"path": path, "label": label, "message": message, "anchor": anchor})
                )
    entries.sort(key=lambda entry: entry[0])
    return [entry for _order, entry in entries]


def answers(
    schema: dict, data: dict, *, language: str, documents: dict[str, dict] | None = None
) -> list[dict]:
    """The answers per step, as display text, for the check-your-answers page.

    [{"step": Step, "rows": [{"label", "value", "path", "anchor"}]}]; fields without an
    answer, and conditional fields that do not apply, are left out. Aadhaar numbers are
    shown masked, as they will be stored.
    """
    root = _inline_refs(schema)
    data = conditions.prune_hidden(root, data if isinstance(data, dict) else {})
    presenter = _AnswerPresenter(language, documents or {})
    pages = []
    with translation.override(language):
        for step in form_steps(root, language):
            rows: list[dict] = []
            presenter.object_rows(root, data, "", step.fields, "", rows)
            pages.append({"step": step, "rows": rows})
    return pages


class _AnswerPresenter:
    def __init__(self, language: str, documents: dict) -> None:
        self.language = language
        self.documents = documents

    def object_rows(
        self, object_schema: dict, answers: dict, prefix: str, names: list, row_label: str, rows
    ) -> None:
        properties = object_schema.get("properties") or {}
        for name in _ordered(object_schema, list(names)):
            sub = properties.get(name)
            if isinstance(sub, dict) and name in answers:
                self.value_rows(sub, answers[name], _join(prefix, name), row_label, rows)

    def value_rows(self, schema: dict, value: Any, path: str, row_label: str, rows) -> None:
        kind = _kind(schema)
        if kind == "group" and isinstance(value, dict):
            names = list(schema.get("properties") or {})
            self.object_rows(schema, value, path, names, row_label, rows)
            return
        if kind == "rows" and isinstance(value, list):
            items = schema["items"] if isinstance(schema.get("items"), dict) else {}
            item_label = _text(schema.get("x-item-label"), self.language) or _text(
                schema.get("x-label"), self.language
            )
            for index, row in enumerate(value):
                legend = f"{item_label} {index + 1}"
                row_path = f"{path}.{index}"
                if isinstance(row, dict):
                    names = list(items.get("properties") or {})
                    self.object_rows(items, row, row_path, names, legend, rows)
                else:
                    rows.append(self.row(legend, self.display(items, row), row_path))
            return
        label = _text(schema.get("x-label"), self.language) or path.rsplit(".", 1)[-1]
        if row_label:
            label = f"{row_label}: {label}"
        rows.append(self.row(label, self.display(schema, value), path))

    @staticmethod
    def row(label: str, value: str, path: str) -> dict:
        return {"label": label, "value": value, "path": path, "anchor": field_id(path)}

    def display(self, schema: dict, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            items = schema["items"] if isinstance(schema.get("items"), dict) else {}
            labels = _enum_labels(schema, self.language)
            return ", ".join(labels.get(_as_text(v)) or self.display(items, v) for v in value)
        fmt = schema.get("format")
        if fmt == "document" and isinstance(value, str):
            return (self.documents.get(value) or {}).get("name") or _("Uploaded file")
        if fmt == "jurisdiction" and isinstance(value, str):
            level = str(schema.get("x-jurisdiction-level") or "")
            return _jurisdiction_names(level, self.language).get(value, value)
        if fmt == "date" and isinstance(value, str) and (match := _DATE_RE.fullmatch(value)):
            year, month, day = match.groups()
            return f"{day}-{month}-{year}"
        if fmt == "aadhaar" and isinstance(value, str) and not is_masked_aadhaar(value):
            return mask_aadhaar(value)
        labels = _enum_labels(schema, self.language)
        if _as_text(value) in labels:
            return labels[_as_text(value)]
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        return _as_text(value)


# ------------------------------------------------------------------------------
# Place lists
# ------------------------------------------------------------------------------
_PLACE_CHOICES: dict[tuple[str, str], list[tuple[str, list[tuple[str, str]]]]] = {}
_PLACE_NAMES: dict[tuple[str, str], dict[str, str]] = {}


# Where the places come from: the organisation's tree registers its loader ("jurisdictions")
# when Django starts (seva.org.places); a form only names a level.
PlaceGroups = list[tuple[str, list[tuple[str, str]]]]
PLACE_SOURCES: Registry[Callable[[str, str], PlaceGroups]] = Registry("place source")


def jurisdiction_choices(level: str, language: str) -> PlaceGroups:
    """[(district name, [(code, place name)])] for every place at `level`, by name.

    Above the district level there is one group with an empty name. Read once per
    (level, language) for the life of the process: restart after changing the tree
    (or call `clear_jurisdiction_choices`).
    """
    key = (level, language)
    if key not in _PLACE_CHOICES:
        _PLACE_CHOICES[key] = PLACE_SOURCES.get("jurisdictions")(level, language)
    return _PLACE_CHOICES[key]


def clear_jurisdiction_choices() -> None:
    _PLACE_CHOICES.clear()
    _PLACE_NAMES.clear()


def _jurisdiction_names(level: str, language: str) -> dict[str, str]:
    key = (level, language)
    if key not in _PLACE_NAMES:
        _PLACE_NAMES[key] = {
            code: f"{name}, {group}" if group and group != name else name
            for group, places in jurisdiction_choices(level, language)
            for code, name in places
        }
    return _PLACE_NAMES[key]


# ------------------------------------------------------------------------------
# Schema helpers
# ------------------------------------------------------------------------------
def _text(texts: Any, language: str) -> str:
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, dict):
        return ""
    return str(texts.get(language) or texts.get("en") or "")


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _option_id(html_id: str, position: int) -> str:
    # The first option carries the field's own id, so that an error links to it.
    return html_id if position == 0 else f"{html_id}-{position + 1}"


def _lower_first(text: str) -> str:
    # "Family member" -> "family member"; an acronym ("PAN card") or Hindi is left alone.
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _type(schema: Any) -> str | None:
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


def _widget_name(schema: dict) -> str:
    widget = schema.get("x-widget")
    return widget if isinstance(widget, str) and widget else default_widget(schema)


def _as_text(value: Any) -> str:
    """A value as the HTML form writes it: booleans as "true"/"false", numbers plainly."""
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def _enum_labels(schema: dict, language: str) -> dict[str, str]:
    labels = schema.get("x-enum-labels")
    if not isinstance(labels, dict):
        return {}
    return {str(key): _text(texts, language) for key, texts in labels.items()}


def _choices(schema: dict, language: str) -> list[tuple[Any, str]]:
    """(value, label) for each choice: the enum (or the items' enum), or yes/no."""
    labels = _enum_labels(schema, language)
    if _type(schema) == "array":
        items = schema["items"] if isinstance(schema.get("items"), dict) else {}
        values = list(items.get("enum") or [])
    elif "enum" in schema:
        values = list(schema["enum"])
    elif _type(schema) == "boolean":
        return [
            (True, labels.get("true") or _("Yes")),
            (False, labels.get("false") or _("No")),
        ]
    else:
        values = [schema["const"]] if "const" in schema else []
    return [(value, labels.get(_as_text(value)) or _as_text(value)) for value in values]


def _label(schema: dict, path: str, language: str, *, optional: bool) -> str:
    label = _text(schema.get("x-label"), language) or path.rsplit(".", 1)[-1].replace("_", " ")
    if optional:
        marker = _("(optional)")
        present = label.casefold()
        if not any(m.casefold() in present for m in (marker, *_OPTIONAL_MARKERS)):
            label = f"{label} {marker}"
    return label


def _inline_refs(schema: Any) -> Any:
    """The schema with each "#/$defs/name" reference replaced by the definition.

    The renderer walks the fields, and evaluates a condition's `if` on its own, so it
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


def _condition_names(object_schema: dict, inherited: list[dict]) -> set[str]:
    """Fields of this object that a condition names (so they are never marked optional).

    `inherited` are the parts of conditions further up that reach into this object, such
    as a top-level `then: {properties: {documents: {required: [...]}}}`.
    """
    names: set[str] = set()
    for branch in _branches(object_schema) + inherited:
        names |= set(branch.get("required") or []) | set(branch.get("properties") or {})
    return names


def _branches(object_schema: dict) -> list[dict]:
    return [
        item[part]
        for item in object_schema.get("allOf") or []
        if isinstance(item, dict)
        for part in ("then", "else")
        if isinstance(item.get(part), dict)
    ]


def _child_branches(object_schema: dict, inherited: list[dict], name: str) -> list[dict]:
    return [
        branch["properties"][name]
        for branch in _branches(object_schema) + inherited
        if isinstance((branch.get("properties") or {}).get(name), dict)
    ]


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


def _show_when(field_conditions: list[tuple[dict, bool]] | None, prefix: str) -> str:
    rule = _simple_rule(field_conditions)
    if rule is None:
        return ""
    controller, values = rule
    test = {"const": values[0]} if len(values) == 1 else {"enum": values}
    return json.dumps({"field": _join(prefix, controller), **test}, ensure_ascii=False)


def _controllers(field_conditions: list[tuple[dict, bool]]) -> set[str]:
    names: set[str] = set()
    for if_schema, _when_true in field_conditions:
        names |= set(if_schema.get("properties") or {}) | set(if_schema.get("required") or [])
    return names


def _ordered(object_schema: dict, names: list[str]) -> list[str]:
    """`names` with each conditional field moved right after the question that controls it."""
    controller_of = {}
    for name, field_conditions in conditions.conditional_fields(object_schema).items():
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


def _step_positions(root: dict, language: str) -> dict[str, tuple[int, int]]:
    positions = {}
    for step_index, step in enumerate(form_steps(root, language)):
        for position, name in enumerate(_ordered(root, step.fields)):
            positions[name] = (step_index, position)
    return positions


_UNKNOWN = 10**6


def _locate(
    root: dict, path: str, positions: dict[str, tuple[int, int]], language: str
) -> tuple[tuple, str, str | None]:
    """(sort key in form order, label, anchor id) for an error path."""
    if path == NON_FIELD:
        return (-1,), "", None
    segments = path.split(".")
    if segments[0] not in positions:
        return (_UNKNOWN,), "", None
    order = list(positions[segments[0]])
    node = (root.get("properties") or {})[segments[0]]
    label = _text(node.get("x-label"), language)
    known = [segments[0]]
    row_label = ""
    for segment in segments[1:]:
        if _type(node) == "array" and _INDEX_RE.fullmatch(segment):
            item_label = _text(node.get("x-item-label"), language) or label
            row_label = f"{item_label} {int(segment) + 1}"
            label = ""
            node = node.get("items") if isinstance(node.get("items"), dict) else {}
        elif _type(node) == "object" and segment in (node.get("properties") or {}):
            order.append(_ordered(node, list(node["properties"])).index(segment))
            node = node["properties"][segment]
            label = _text(node.get("x-label"), language)
        else:
            order.append(_UNKNOWN)
            break
        if _INDEX_RE.fullmatch(segment):
            order.append(int(segment))
        known.append(segment)
    text = ": ".join(part for part in (row_label, label) if part)
    return tuple(order), text, field_id(".".join(known))
