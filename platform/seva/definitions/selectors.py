"""Reads of services and their versions, with the compiled objects cached per version."""

from __future__ import annotations

from functools import lru_cache

from django.db.models import QuerySet
from jsonschema import Draft202012Validator

from seva.core.errors import NotFound
from seva.formschemas.validation import build_validator
from seva.workflows.engine import Workflow, compile_workflow

from .models import Service, ServiceVersion


def service_list() -> QuerySet[Service]:
    return (
        Service.objects.filter(current_version__isnull=False)
        .select_related("department", "current_version")
        .order_by("department__name_en", "code")
    )


def service_get(*, code: str) -> Service:
    try:
        return service_list().get(code=code)
    except Service.DoesNotExist:
        raise NotFound(f"No service with code '{code}'.") from None


# Versions never change, so what is compiled from one can be kept for the process's life.
# The content hash is part of the key so that a reused id (SQLite after a rollback) can
# never be served another version's compiled form.
@lru_cache(maxsize=2048)
def _validator(version_id: int, content_hash: str) -> Draft202012Validator:
    return build_validator(
        ServiceVersion.objects.values_list("form_schema", flat=True).get(pk=version_id)
    )


@lru_cache(maxsize=2048)
def _workflow(version_id: int, content_hash: str) -> Workflow:
    return compile_workflow(
        ServiceVersion.objects.values_list("workflow_doc", flat=True).get(pk=version_id)
    )


def form_validator_for(version: ServiceVersion) -> Draft202012Validator:
    return _validator(version.pk, version.content_hash)


def workflow_for(version: ServiceVersion) -> Workflow:
    return _workflow(version.pk, version.content_hash)
