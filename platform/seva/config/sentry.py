"""The error tracker: Sentry, started by the production settings when SENTRY_DSN is set
(ADR 0022, docs/operations.md "Errors").

An event carries the error, its stack and the request's method and URL path, never personal
data: no cookies, user, address, request body, query string or local variables, and any
mobile-number-like run of digits left in a message is masked."""

from __future__ import annotations

import re
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from seva.core.requestid import current_request_id

# An Indian mobile number (10 digits from 6-9, with or without +91/0), an Aadhaar-like run of
# 12 digits: whatever a message, a breadcrumb or an exception's text might quote. Standing
# alone: a run of digits inside a word (a hexadecimal id, a hash) is not a number anyone has.
_DIGITS = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?91[\s-]?|0)?[6-9]\d{9}(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])\d{4}\s?\d{4}\s?\d{4}(?![0-9A-Za-z])"
)
MASK = "[digits removed]"


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return _DIGITS.sub(MASK, value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def without_personal_data(event: Any, hint: Any) -> Any:
    """Sentry's `before_send`: the event as Sentry would send it, without personal data."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("query_string", "data", "cookies", "env"):
            request.pop(key, None)
    event.pop("user", None)
    event = _masked(event)
    # The request's id (seva.core.requestid): the way from the event to its log lines. Ours,
    # of a bounded alphabet, and added after the masking, which must never alter it.
    request_id = current_request_id.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def _breadcrumb(crumb: Any, hint: Any) -> Any:
    return _masked(crumb)


def sentry_start(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float
) -> None:
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=without_personal_data,
        before_breadcrumb=_breadcrumb,
        environment=environment,
        release=release,
        traces_sample_rate=traces_sample_rate,
    )
