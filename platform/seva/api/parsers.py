"""The API's JSON parser: DRF's, with the project's checks for input nothing can use."""

from __future__ import annotations

import codecs

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from seva.core.oddinput import json_loads_checked


class CheckedJSONParser(JSONParser):
    """Refuses, with a 400 naming the field, a NUL or a lone surrogate anywhere in the body
    and nesting deeper than a form needs (which made the parser or the validator recurse
    until the request failed with a 500). The OddInput it raises is answered by
    `seva.api.errors.exception_handler`."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json_loads_checked(text)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
