"""Input that no page or endpoint can use, refused at the door with a 400 instead of an error
page: a NUL byte (PostgreSQL cannot store one, so any lookup with it fails), a lone UTF-16
surrogate (not a character; it cannot be encoded), and JSON nested deeper than any form needs
(Python's parser and the schema validator both recurse on it).

`OddInputMiddleware` checks the path, the query string and form fields of every request;
`json_loads_checked` is the JSON parser for input (the API's bodies, JSON typed into the
service builder). Both raise `OddInput`, a BadRequest, whose message names the field; the
project's handler400 shows it (as JSON under /api/)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

# Deeper than any answers a form collects (the deepest sample form's schema is 9 levels, its
# answers fewer); far below Python's recursion limit, so neither the parser nor the
# validator gets near it. Definitions typed into the service builder may go twice as deep.
MAX_JSON_DEPTH = 32

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class OddInput(BadRequest):
    """A request carrying input nothing can use; `str()` is the message for the person and
    `field` the parameter or field it was found in (a dotted path in JSON), if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def text_problem(text: str) -> str | None:
    """Why `text` cannot be taken, or None."""
    if "\x00" in text:
        return _("contains a NUL character, which cannot be used")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("contains a broken character (a lone surrogate); type it again")
    return None


def _refuse(where: str, problem: str, field: str | None = None) -> OddInput:
    return OddInput(_("%(where)s %(problem)s.") % {"where": where, "problem": problem}, field=field)


class OddInputMiddleware:
    """Refuse a request whose path, query parameters or form fields hold a NUL or a lone
    surrogate, before any view looks them up. Other content types are left to their parser
    (the API's JSON parser checks JSON the same way)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        check_request(request)
        return self.get_response(request)


def check_request(request: HttpRequest) -> None:
    problem = text_problem(request.path)
    if problem:
        raise _refuse(_("The address"), problem)
    for name, values in request.GET.lists():
        _check_field(_("The query parameter"), name, values)
    if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
        for name, values in request.POST.lists():
            _check_field(_("The field"), name, values)


def _printable(name: str) -> str:
    """A field's name as it can be shown back: a NUL as \\0, a lone surrogate escaped."""
    return name.replace("\x00", "\\0").encode("utf-8", "backslashreplace").decode()


def _check_field(kind: str, name: str, values: list[str]) -> None:
    for text in [name, *values]:
        problem = text_problem(text)
        if problem:
            shown = _printable(name)[:60]
            raise _refuse(f"{kind} “{shown}”", problem, field=shown)


def json_loads_checked(
    text: str | bytes, *, what: str | None = None, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """`json.loads`, refusing (OddInput) what `text_problem` refuses anywhere in the document
    and nesting deeper than `max_depth`. ValueError for JSON that does not parse, as
    `json.loads`. `what` names the input in messages ("The body" if not given)."""
    what = what or _("The body")
    try:
        value = json.loads(text)
    except RecursionError:
        raise OddInput(
            _("%(what)s is nested more than %(depth)s levels deep.")
            % {"what": what, "depth": max_depth}
        ) from None
    for path, depth, item in _walk(value):
        if depth > max_depth:
            raise OddInput(
                _("%(what)s is nested more than %(depth)s levels deep.")
                % {"what": what, "depth": max_depth}
            )
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                where = _("The field “%(path)s”") % {"path": path} if path else what
                raise _refuse(where, problem, field=path or None)
    return value


def _walk(value: Any) -> Iterator[tuple[str, int, Any]]:
    """(dotted path, depth, item) of every value, key names included as values, without
    recursion (the document may be deeper than Python's stack)."""
    stack: list[tuple[str, int, Any]] = [("", 0, value)]
    while stack:
        path, depth, item = stack.pop()
        yield path, depth, item
        if isinstance(item, dict):
            for key, sub in item.items():
                child = f"{path}.{key}" if path else str(key)
                shown = _printable(child)
                yield shown, depth + 1, key
                stack.append((shown, depth + 1, sub))
        elif isinstance(item, list):
            for index, sub in enumerate(item):
                stack.append((f"{path}.{index}" if path else str(index), depth + 1, sub))
