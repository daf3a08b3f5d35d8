"""The citizen's form as HTML that works with JavaScript turned off: each field drawn by its
widget (seva.formschemas.widgets) with its label, hint, answer and errors next to it, in
the citizen's language.

Inputs are named by the field's dotted path ("applicant.full_name"), the keys
`validate_form_data` reports errors under, and seva.formschemas.parsing reads them back.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import conditions
from .fields import field_id, inline_refs, join, label, text
from .widgets import widget_for


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
    root = inline_refs(schema)
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


class _Renderer:
    """Draws fields one by one, each with its widget's `draw` (a drawers.FieldRenderer)."""

    def __init__(self, errors: dict, language: str, documents: dict[str, dict]) -> None:
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
        touched = conditions.condition_names(object_schema, inherited)
        conditional = conditions.conditional_fields(object_schema)
        parts = []
        for name in conditions.ordered(object_schema, names):
            sub = properties.get(name)
            if not isinstance(sub, dict):
                continue
            if (
                top
                and name in conditional
                and not conditions.controllers(conditional[name]) <= set(names)
                and not conditions.field_applies(object_schema, name, answers)
            ):
                # Its question was answered on another page, so that it does not apply.
                continue
            parts.append(
                self.field(
                    sub,
                    answers.get(name),
                    join(prefix, name),
                    optional=name not in required and name not in touched,
                    show_when=conditions.show_when(conditional.get(name), prefix),
                    inherited=conditions.child_branches(object_schema, inherited, name),
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
        widget = widget_for(schema)
        context = self.base_context(
            schema, path, widget.name, optional=optional, show_when=show_when
        )
        template = widget.draw(self, schema, value, context, inherited)
        return render_to_string(f"formschemas/{template}.html", {"field": context})

    def base_context(
        self, schema: dict, path: str, widget: str, *, optional: bool, show_when: str
    ) -> dict:
        html_id = field_id(path)
        help_text = text(schema.get("x-help"), self.language)
        messages = list(self.errors.get(path) or [])
        hint_id = f"{html_id}-hint" if help_text else ""
        error_id = f"{html_id}-error" if messages else ""
        return {
            "id": html_id,
            "name": path,
            "widget": widget,
            "label": label(schema, path, self.language, optional=optional),
            "help": help_text,
            "hint_id": hint_id,
            "errors": messages,
            "error_id": error_id,
            "error_prefix": _("Error:"),
            "describedby": " ".join(part for part in (hint_id, error_id) if part),
            "show_when": show_when,
        }
