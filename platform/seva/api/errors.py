"""One error body for the whole API: {"detail": "...", "errors": {"field.path": ["..."]}}."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from seva.core.errors import ActionNotAllowed, Conflict, NotFound, SevaError, ValidationFailed
from seva.core.oddinput import OddInput

_STATUS = {
    ValidationFailed: status.HTTP_400_BAD_REQUEST,
    NotFound: status.HTTP_404_NOT_FOUND,
    ActionNotAllowed: status.HTTP_403_FORBIDDEN,
    Conflict: status.HTTP_409_CONFLICT,
}


class ErrorBody(serializers.Serializer):
    """Every refusal the API makes has this shape (written by `exception_handler` below)."""

    detail = serializers.CharField(help_text="What went wrong, in words a person can act on.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=(
            "Only when input was refused (400): each field, named by its dotted path "
            "(`data.applicant.mobile`, `family_members.0.age`), with its messages."
        ),
    )


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error details -> {"a.b.0": ["message"]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = (
                "non_field_errors" if key == "non_field_errors" and not prefix else f"{prefix}{key}"
            )
            flat.update(_flatten(value, f"{name}."))
        return flat
    if isinstance(detail, list) and detail and all(not isinstance(d, dict | list) for d in detail):
        return {prefix.rstrip(".") or "non_field_errors": [str(d) for d in detail]}
    if isinstance(detail, list):
        flat = {}
        for index, value in enumerate(detail):
            flat.update(_flatten(value, f"{prefix}{index}."))
        return flat
    return {prefix.rstrip(".") or "non_field_errors": [str(detail)]}


def odd_input_body(exc: OddInput) -> dict[str, Any]:
    """The refusal of input no endpoint can use: the message, and under `errors` the field
    it was found in, when it was in one."""
    body: dict[str, Any] = {"detail": str(exc)}
    if exc.field:
        body["errors"] = {exc.field: [str(exc)]}
    return body


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, OddInput):
        return Response(odd_input_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, SevaError):
        body: dict[str, Any] = {"detail": exc.message}
        if isinstance(exc, ValidationFailed):
            body["errors"] = exc.errors
        code = next((c for kind, c in _STATUS.items() if isinstance(exc, kind)), None)
        return Response(body, status=code or status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            {
                "detail": "Some of the information given is not valid.",
                "errors": _flatten(exc.detail),
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    return drf_exception_handler(exc, context)
