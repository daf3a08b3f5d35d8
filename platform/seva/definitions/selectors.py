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


# Roles that manage a department's services in the admin (see roles.yaml).
SERVICE_ROLES = ("service_admin", "service_approver")


def services_managed_by(user) -> QuerySet[Service]:
    """The services `user` may see in the admin: every one for the state admin and the CMO
    (a posting with no department over the state); their department's for a service
    administrator or approver. Raises ActionNotAllowed for anybody else."""
    from seva.core.errors import ActionNotAllowed
    from seva.org.selectors import posting_sees_everything, postings_active

    services = Service.objects.select_related("department", "current_version").order_by(
        "department__name_en", "code"
    )
    if getattr(user, "is_superuser", False):
        return services
    departments = set()
    for posting in postings_active(user):
        if posting_sees_everything(posting):
            return services
        if posting.role.code in SERVICE_ROLES:
            departments.add(posting.department_id)
    if not departments:
        raise ActionNotAllowed("Services are managed by each department's service administrator.")
    return services.filter(department_id__in=departments)
