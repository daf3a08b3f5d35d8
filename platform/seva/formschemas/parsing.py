"""The POSTed form back as JSON answers: each field read by its widget
(seva.formschemas.widgets), the "Add another" and "Remove" buttons of repeatable groups, and
the answers to questions that do not apply dropped.

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
from collections.abc import Mapping
from typing import Any

from . import conditions
from .fields import INDEX_RE, field_type, inline_refs, items_of, join
from .readers import posted_rows
from .widgets import widget_for

ADD_ROW = "_add"
REMOVE_ROW = "_remove"


def parse_submission(schema: dict, post: Mapping, *, fields: list[str]) -> dict:
    """The answers of one step as JSON data, for the top-level `fields` given.

    Empty inputs are left out, so that `required` fires; a value that cannot be coerced
    to the field's type is kept as text, so that the validator reports it on the field.
    File fields read the token in the POST under their own name (the view stores an
    upload first and writes its token into a copy of the POST).
    """
    root = inline_refs(schema)
    return _Reader(post).object_answers(root, "", list(fields), inherited=[])


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
    root = inline_refs(schema)
    found = _renumbered_path(root, post, target)
    if found is None:
        return data, True
    segments, node = found
    data = copy.deepcopy(data)
    if command == ADD_ROW and field_type(node) == "array":
        rows = _container(data, segments, create=True)
        max_items = node.get("maxItems")
        if isinstance(rows, list) and (not isinstance(max_items, int) or len(rows) < max_items):
            rows.append({} if field_type(items_of(node)) == "object" else None)
    elif command == REMOVE_ROW and segments and isinstance(segments[-1], int):
        rows = _container(data, segments[:-1], create=False)
        if isinstance(rows, list) and segments[-1] < len(rows):
            del rows[segments[-1]]
    return data, True


def prune_hidden(schema: dict, data: dict) -> dict:
    """A copy of `data` without the answers to conditional fields that do not apply."""
    return conditions.prune_hidden(inline_refs(schema), data)


def document_field(schema: dict, path: str) -> dict | None:
    """The schema of the file field at `path` ("documents.photo"), or None if it is not one.

    Lets a view check that an uploaded file's name is a file field of the form, and read
    its x-file (accept, max_bytes), before storing it.
    """
    node: Any = inline_refs(schema)
    for segment in path.split("."):
        if not isinstance(node, dict):
            return None
        if field_type(node) == "array" and INDEX_RE.fullmatch(segment):
            node = node.get("items")
        elif field_type(node) == "object":
            node = (node.get("properties") or {}).get(segment)
        else:
            return None
    if isinstance(node, dict) and node.get("format") == "document":
        return node
    return None


class _Reader:
    """Reads a POST field by field, each with its widget's `parse` (a readers.FormReader)."""

    def __init__(self, post: Mapping) -> None:
        self.post = post

    def object_answers(
        self, object_schema: dict, prefix: str, names: list[str], *, inherited: list[dict]
    ) -> dict:
        properties = object_schema.get("properties") or {}
        keep_when_empty = set(object_schema.get("required") or []) | conditions.condition_names(
            object_schema, inherited
        )
        answers: dict = {}
        for name in names:
            sub = properties.get(name)
            if not isinstance(sub, dict):
                continue
            found, value = self.value(
                sub,
                join(prefix, name),
                keep_when_empty=name in keep_when_empty,
                inherited=conditions.child_branches(object_schema, inherited, name),
            )
            if found:
                answers[name] = value
        return answers

    def value(
        self, schema: dict, path: str, *, keep_when_empty: bool, inherited: list[dict]
    ) -> tuple[bool, Any]:
        return widget_for(schema).parse(
            self, schema, path, keep_when_empty=keep_when_empty, inherited=inherited
        )


def _renumbered_path(root: dict, post: Mapping, target: str) -> tuple[list, dict] | None:
    """The data path (row numbers renumbered as parse_submission did) and schema of `target`."""
    node: Any = root
    posted: list[str] = []
    segments: list[str | int] = []
    for segment in target.split(".") if target else []:
        if not isinstance(node, dict):
            return None
        if field_type(node) == "array" and INDEX_RE.fullmatch(segment):
            rows = posted_rows(post, ".".join(posted))
            kept = [index for index in sorted(rows) if rows[index]]
            if int(segment) not in kept:
                return None  # an empty row: already dropped
            segments.append(kept.index(int(segment)))
            node = node.get("items")
        elif field_type(node) == "object" and segment in (node.get("properties") or {}):
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
