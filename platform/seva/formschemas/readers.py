"""How a widget reads its posted value: each widget's `parse` (seva.formschemas.widgets).

A reader returns (found, value). Empty inputs are no answer (found is False), so that
`required` fires; a value that cannot be coerced to the field's type is kept as text, so
that the validator reports it on the field.

Most widgets post one value, or the inputs of a group or of rows, and their answer is read
as the field's JSON type says (`read_by_type`): a form that asks a field for an odd widget
(the linter refuses most; a field with no "type" escapes the check) still has its answer
read as its type. The single checkbox reads its input its own way (`read_tick`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from .fields import INDEX_RE, field_type, has_enum_items, items_of
from .formats import DOCUMENT_RE

# Hindi keyboards type Devanagari digits; numbers and Indian ID formats want 0-9.
_DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")
# Written as on the card or a visiting card ("2345 6789 0124", "98123-45678").
_DIGIT_FORMATS = frozenset({"mobile", "pincode", "aadhaar"})
# Plain decimal notation only: an exponent ("1e999999") would make a huge number.
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})")


class FormReader(Protocol):
    """The POST being read, and how to read the fields inside a group or a row
    (seva.formschemas.parsing, which chooses each field's widget)."""

    post: Mapping

    def object_answers(
        self, object_schema: dict, prefix: str, names: list[str], *, inherited: list[dict]
    ) -> dict: ...

    def value(
        self, schema: dict, path: str, *, keep_when_empty: bool, inherited: list[dict]
    ) -> tuple[bool, Any]: ...


class Parse(Protocol):
    """A widget's reader: (found, value) for the field at `path`. `keep_when_empty` says an
    empty answer must still be given (the field is required or a condition names it);
    `inherited` are the parts of conditions further up that reach into the field."""

    def __call__(
        self,
        reader: FormReader,
        schema: dict,
        path: str,
        *,
        keep_when_empty: bool,
        inherited: list[dict],
    ) -> tuple[bool, Any]: ...


def read_by_type(
    reader: FormReader, schema: dict, path: str, *, keep_when_empty: bool, inherited: list[dict]
) -> tuple[bool, Any]:
    """The answer read as the field's JSON type: a group's fields, the ticked choices of a
    list of an enum, rows, yes/no, a number, an uploaded file's token, or text."""
    answer_type = field_type(schema)
    if answer_type == "object":
        return _read_group(
            reader, schema, path, keep_when_empty=keep_when_empty, inherited=inherited
        )
    if answer_type == "array" and has_enum_items(schema):
        return _read_choices(reader.post, schema, path)
    if answer_type == "array":
        return _read_rows(
            reader, schema, path, keep_when_empty=keep_when_empty, inherited=inherited
        )
    if answer_type == "boolean":
        return _read_yes_no(reader.post, path)
    if answer_type in ("integer", "number"):
        return _read_number(reader.post, schema, path)
    if schema.get("format") == "document":
        return _read_document(reader.post, path)
    return _read_text(reader.post, schema, path)


def read_tick(
    reader: FormReader, schema: dict, path: str, *, keep_when_empty: bool, inherited: list[dict]
) -> tuple[bool, Any]:
    """A single checkbox: an unticked box is not posted at all, so its absence is "no"."""
    if field_type(schema) != "boolean":  # the linter refuses it: read as the type says
        return read_by_type(
            reader, schema, path, keep_when_empty=keep_when_empty, inherited=inherited
        )
    return True, path in reader.post


def _read_group(
    reader: FormReader, schema: dict, path: str, *, keep_when_empty: bool, inherited: list[dict]
) -> tuple[bool, Any]:
    # A group left wholly empty is kept when it must be answered, so that each of its
    # required fields gets its own "This field is required." rather than the group.
    if not keep_when_empty and not _has_input(reader.post, path):
        return False, None
    return True, reader.object_answers(
        schema, path, list(schema.get("properties") or {}), inherited=inherited
    )


def _read_rows(
    reader: FormReader, schema: dict, path: str, *, keep_when_empty: bool, inherited: list[dict]
) -> tuple[bool, Any]:
    items = items_of(schema)
    item_branches = [b["items"] for b in inherited if isinstance(b.get("items"), dict)]
    rows = []
    for index, filled in sorted(posted_rows(reader.post, path).items()):
        if not filled:
            continue
        row_path = f"{path}.{index}"
        if field_type(items) == "object":
            rows.append(
                reader.object_answers(
                    items, row_path, list(items.get("properties") or {}), inherited=item_branches
                )
            )
        else:
            _found, value = reader.value(
                items, row_path, keep_when_empty=True, inherited=item_branches
            )
            rows.append(value)
    if not rows and not keep_when_empty:
        return False, None
    return True, rows


def _read_choices(post: Mapping, schema: dict, path: str) -> tuple[bool, Any]:
    items = items_of(schema)
    enum = list(items.get("enum") or [])
    chosen = []
    for raw in getlist(post, path):
        text = (raw or "").strip()
        if text:
            value = (
                coerce_number(text, items) if field_type(items) in ("integer", "number") else text
            )
            if value not in chosen:
                chosen.append(value)
    if not chosen:
        return False, None
    in_enum_order = [value for value in enum if value in chosen]
    return True, in_enum_order + [value for value in chosen if value not in in_enum_order]


def _read_yes_no(post: Mapping, path: str) -> tuple[bool, Any]:
    text = (post.get(path) or "").strip()
    if not text:
        return False, None
    return True, {"true": True, "false": False}.get(text, text)


def _read_number(post: Mapping, schema: dict, path: str) -> tuple[bool, Any]:
    text = (post.get(path) or "").strip().translate(_DEVANAGARI_DIGITS)
    if not text:
        return False, None
    return True, coerce_number(text, schema)


def _read_document(post: Mapping, path: str) -> tuple[bool, Any]:
    # Prefer a token: a form posted without multipart encoding would also send the chosen
    # file's name under the same name.
    values = [(v or "").strip() for v in getlist(post, path)]
    tokens = [v for v in values if DOCUMENT_RE.fullmatch(v)]
    text = tokens[0] if tokens else next((v for v in values if v), "")
    return (True, text) if text else (False, None)


def _read_text(post: Mapping, schema: dict, path: str) -> tuple[bool, Any]:
    raw = post.get(path)
    if raw is None:
        return False, None
    text = str(raw).replace("\r\n", "\n").replace("\r", "\n").strip()
    if schema.get("format") in _DIGIT_FORMATS:
        text = re.sub(r"[\s-]", "", text.translate(_DEVANAGARI_DIGITS))
    return (True, text) if text else (False, None)


def coerce_number(text: str, schema: dict) -> Any:
    """int when whole, float otherwise (read as a decimal: "2.30" is 2.3); else the text."""
    if not _NUMBER_RE.fullmatch(text):
        return text
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if number == number.to_integral_value():
        return int(number)
    return text if field_type(schema) == "integer" else float(number)


def getlist(post: Mapping, key: str) -> list:
    if hasattr(post, "getlist"):
        return post.getlist(key)
    return [post[key]] if key in post else []


def posted_rows(post: Mapping, path: str) -> dict[int, bool]:
    """{row number in the POST: whether any of its inputs has a value}."""
    prefix = path + "."
    rows: dict[int, bool] = {}
    for key in post:
        if not key.startswith(prefix):
            continue
        head = key[len(prefix) :].split(".", 1)[0]
        if INDEX_RE.fullmatch(head):
            filled = any(str(v or "").strip() for v in getlist(post, key))
            rows[int(head)] = rows.get(int(head), False) or filled
    return rows


def _has_input(post: Mapping, path: str) -> bool:
    prefix = path + "."
    return any(
        key.startswith(prefix) and any(str(v or "").strip() for v in getlist(post, key))
        for key in post
    )


def read_nothing(
    reader: FormReader, schema: dict, path: str, *, keep_when_empty: bool, inherited: list[dict]
) -> tuple[bool, Any]:
    """A computed answer: whatever is posted for it is ignored (the server computes it)."""
    return False, None
