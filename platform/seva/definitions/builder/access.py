"""The services and drafts a request may reach, for the builder's pages. Who sees which is the
selectors' to say (role x department); a refusal is a 403, a service or draft that is not
among the user's a 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from seva.core.errors import ActionNotAllowed

from ..models import Service, ServiceDraft, ServiceVersion
from ..selectors import can_edit_services, drafts_visible_to, services_managed_by


def refused(exc: ActionNotAllowed) -> PermissionDenied:
    return PermissionDenied(exc.message)


def managed_services(request: HttpRequest) -> QuerySet[Service]:
    try:
        return services_managed_by(request.user)
    except ActionNotAllowed as exc:
        raise refused(exc) from exc


def managed_service(request: HttpRequest, code: str) -> Service:
    try:
        return managed_services(request).get(code=code)
    except Service.DoesNotExist:
        raise Http404("No such service among yours.") from None


def service_version(service: Service, number: str) -> ServiceVersion:
    try:
        return service.versions.get(number=int(number))
    except (ValueError, ServiceVersion.DoesNotExist):
        raise Http404(f"{service.code} has no version {number}.") from None


def visible_draft(request: HttpRequest, draft_id: int) -> ServiceDraft:
    try:
        return drafts_visible_to(request.user).get(pk=draft_id)
    except ActionNotAllowed as exc:
        raise refused(exc) from exc
    except ServiceDraft.DoesNotExist:
        raise Http404("No such open draft among yours.") from None


def editable_draft(request: HttpRequest, draft_id: int) -> ServiceDraft:
    draft = visible_draft(request, draft_id)
    if not can_edit_services(request.user, draft.department):
        raise PermissionDenied("Only the department's service administrators change its services.")
    return draft
