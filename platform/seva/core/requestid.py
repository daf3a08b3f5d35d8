"""The request id: one name for everything a request causes, in the web node's log, the
access log and the Celery tasks it queues (ADR 0022, docs/operations.md "Logs").

The middleware takes the caller's `X-Request-Id` when it is sane (a load balancer or another
service already named the request) or makes one, keeps it in a context variable for the
request's thread, and returns it on the response. `RequestIdFilter` puts it on every log
record; the Celery signals (seva.config.celery) carry it into the tasks."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-Id"
# What the header may hold: ids of load balancers and tracing systems (UUIDs, hex, AWS's
# "Root=1-..."), nothing that could break a log line or a header.
_SANE = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")

current_request_id: ContextVar[str | None] = ContextVar("seva_request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(value: str | None) -> str | None:
    """The value if it may serve as a request id, else None."""
    if value and _SANE.fullmatch(value):
        return value
    return None


class RequestIdMiddleware:
    """Outermost, so that every log line of the request, the other middleware's included,
    carries the id. The id stays set until the response is closed (`request_finished`):
    Django logs a 4xx or 5xx answer after the last middleware has returned."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = sane_request_id(request.META.get("HTTP_X_REQUEST_ID")) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        current_request_id.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _forget_request_id(**kwargs: object) -> None:
    current_request_id.set(None)


request_finished.connect(_forget_request_id, dispatch_uid="seva.core.requestid")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (None outside a request or a task). Set on the
    handlers, so that records from every logger get it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True
