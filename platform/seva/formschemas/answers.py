"""The answers read back: as display text per step for the check-your-answers and review
pages, and the errors as a summary for the top of a page, both in form order."""

from __future__ import annotations

import re
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from . import conditions
from .fields import (
    INDEX_RE,
    as_text,
    enum_labels,
    field_id,
    field_type,
    has_enum_items,
    inline_refs,
    items_of,
    join,
    text,
)
from .formats import is_masked_aadhaar, mask_aadhaar
from .places import jurisdiction_names
from .steps import form_steps
from .validation import NON_FIELD

_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def error_summary(schema: dict, errors: dict[str, list[str]], *, language: str) -> list[dict]:
    """One entry per message, in form order, for the error summary at the top of the page.

    `anchor` is the id of the field's input (the first radio or checkbox of a group, the
    fieldset of a group); None for `non_field_errors`, which come first.
    """
    root = inline_refs(schema)
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
    root = inline_refs(schema)
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
        self,
        object_schema: dict,
        answers: dict,
        prefix: str,
        names: list,
        row_label: str,
        rows: list[dict],
    ) -> None:
        properties = object_schema.get("properties") or {}
        for name in conditions.ordered(object_schema, list(names)):
            sub = properties.get(name)
            if isinstance(sub, dict) and name in answers:
                self.value_rows(sub, answers[name], join(prefix, name), row_label, rows)

    def value_rows(
        self, schema: dict, value: Any, path: str, row_label: str, rows: list[dict]
    ) -> None:
        answer_type = field_type(schema)
        if answer_type == "object" and isinstance(value, dict):
            names = list(schema.get("properties") or {})
            self.object_rows(schema, value, path, names, row_label, rows)
            return
        if answer_type == "array" and not has_enum_items(schema) and isinstance(value, list):
            items = items_of(schema)
            item_label = text(schema.get("x-item-label"), self.language) or text(
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
        label = text(schema.get("x-label"), self.language) or path.rsplit(".", 1)[-1]
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
            items = items_of(schema)
            labels = enum_labels(schema, self.language)
            return ", ".join(labels.get(as_text(v)) or self.display(items, v) for v in value)
        fmt = schema.get("format")
        if fmt == "document" and isinstance(value, str):
            return (self.documents.get(value) or {}).get("name") or _("Uploaded file")
        if fmt == "jurisdiction" and isinstance(value, str):
            level = str(schema.get("x-jurisdiction-level") or "")
            return jurisdiction_names(level, self.language).get(value, value)
        if fmt == "date" and isinstance(value, str) and (match := _DATE_RE.fullmatch(value)):
            year, month, day = match.groups()
            return f"{day}-{month}-{year}"
        if fmt == "aadhaar" and isinstance(value, str) and not is_masked_aadhaar(value):
            return mask_aadhaar(value)
        labels = enum_labels(schema, self.language)
        if as_text(value) in labels:
            return labels[as_text(value)]
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        return as_text(value)


def _step_positions(root: dict, language: str) -> dict[str, tuple[int, int]]:
    positions = {}
    for step_index, step in enumerate(form_steps(root, language)):
        for position, name in enumerate(conditions.ordered(root, step.fields)):
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
    label = text(node.get("x-label"), language)
    known = [segments[0]]
    row_label = ""
    for segment in segments[1:]:
        if field_type(node) == "array" and INDEX_RE.fullmatch(segment):
            item_label = text(node.get("x-item-label"), language) or label
            row_label = f"{item_label} {int(segment) + 1}"
            label = ""
            node = items_of(node)
        elif field_type(node) == "object" and segment in (node.get("properties") or {}):
            order.append(conditions.ordered(node, list(node["properties"])).index(segment))
            node = node["properties"][segment]
            label = text(node.get("x-label"), language)
        else:
            order.append(_UNKNOWN)
            break
        if INDEX_RE.fullmatch(segment):
            order.append(int(segment))
        known.append(segment)
    text_label = ": ".join(part for part in (row_label, label) if part)
    return tuple(order), text_label, field_id(".".join(known))
