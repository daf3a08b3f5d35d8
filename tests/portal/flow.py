"""Filling the portal's forms with Django's test client, the way a browser without
JavaScript would: every step is a POST of plain fields named by dotted paths."""

from __future__ import annotations

import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from seva.applications.documents import document_fields
from seva.formschemas.steps import form_steps
from seva.notifications.models import OutboxMessage
from tests.helpers import file_for


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Form data as a browser posts it: [("applicant.full_name", "Sunita Devi"), ...]."""
    if isinstance(value, dict):
        pairs = []
        for key, item in value.items():
            pairs += flatten(item, f"{prefix}{key}.")
        return pairs
    if isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            pairs = []
            for index, item in enumerate(value):
                pairs += flatten(item, f"{prefix}{index}.")
            return pairs
        return [(prefix.rstrip("."), str(item)) for item in value]
    if isinstance(value, bool):
        return [(prefix.rstrip("."), "true" if value else "false")]
    return [(prefix.rstrip("."), str(value))]


def step_post(
    schema: dict, data: dict, step, *, files: bool = True, extra: dict | None = None
) -> dict:
    """The POST of one step: its fields from `data`, files uploaded fresh for file fields."""
    post: dict[str, Any] = {}
    step_data = {name: data[name] for name in step.fields if name in data}
    file_paths = {path for path, _token, _s in document_fields(schema, step_data)}
    for name, value in flatten(step_data):
        if name in file_paths:
            continue
        post.setdefault(name, []).append(value)
    if files:
        for path, _token, field_schema in document_fields(schema, step_data):
            file_name, content, content_type = file_for(field_schema["x-file"]["accept"])
            post[path] = SimpleUploadedFile(file_name, content, content_type)
    post.update(extra or {})
    return post


def sign_in(client, mobile: str = "9812345678") -> None:
    response = client.post("/login/", {"mobile": mobile, "next": "/my/"})
    assert response.status_code == 302, response.content.decode()[:2000]
    message = OutboxMessage.objects.filter(recipient=mobile, event="otp").order_by("-id").first()
    code = re.search(r"\b([0-9]{6})\b", message.body).group(1)
    response = client.post("/login/code/", {"code": code, "next": "/my/"})
    assert response.status_code == 302 and response["Location"] == "/my/"


def steps_of(schema: dict, language: str = "en"):
    return form_steps(schema, language)
