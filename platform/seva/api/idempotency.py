"""Idempotency keys: a POST that creates something, sent again with the same
`Idempotency-Key` by the same caller, gets the first answer back and creates nothing more.

The key's record is written in the same transaction as the work, first: a retry that
arrives while the first request still runs waits on the record's unique index, then
replays the committed answer. A request that fails (an exception) leaves no record, so it
may be retried. The same key with a different body is refused (409)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import transaction
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from seva.core.errors import Conflict, ValidationFailed

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 100


def _request_hash(request: Request) -> str:
    try:
        body = json.dumps(request.data, sort_keys=True, default=str)
    except TypeError:
        body = repr(sorted(request.data.keys())) if hasattr(request.data, "keys") else ""
    files = sorted((name, f.size) for name, f in getattr(request, "FILES", {}).items())
    return hashlib.sha256(f"{request.path}\n{body}\n{files}".encode()).hexdigest()


def idempotent(request: Request, create: Callable[[], Response]) -> Response:
    """Run `create` once per (caller, Idempotency-Key); without the header, just run it."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return create()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed({HEADER: [f"At most {MAX_KEY_LENGTH} characters."]})
    digest = _request_hash(request)
    with transaction.atomic():
        record, created = IdempotencyRecord.objects.get_or_create(
            actor=request.user,
            key=key,
            defaults={
                "method_path": f"{request.method} {request.path}"[:300],
                "request_hash": digest,
                "status_code": 0,
                "response_body": {},
            },
        )
        if not created:
            if record.request_hash != digest:
                raise Conflict(f"{HEADER} '{key}' was used for a different request; use a new key.")
            response = Response(record.response_body, status=record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        response = create()
        # Kept as it was rendered, so that a replay is the same to the byte.
        rendered = json.loads(JSONRenderer().render(response.data) or b"null")
        record.status_code, record.response_body = response.status_code, rendered
        record.save(update_fields=["status_code", "response_body"])
    return response
