"""Services in the staff workspace: a department's services, each with its versions; a
version's three definition files as a download; two versions compared file by file. Who
sees which services: `selectors.services_managed_by`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from seva.core.errors import ActionNotAllowed

from .files import version_zip, versions_compare
from .models import Service, ServiceVersion
from .selectors import services_managed_by


def _services(request: HttpRequest):
    try:
        return services_managed_by(request.user)
    except ActionNotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


def _service(request: HttpRequest, code: str) -> Service:
    try:
        return _services(request).get(code=code)
    except Service.DoesNotExist:
        raise Http404("No such service among yours.") from None


def _version(service: Service, number: str) -> ServiceVersion:
    try:
        return service.versions.get(number=int(number))
    except (ValueError, ServiceVersion.DoesNotExist):
        raise Http404(f"{service.code} has no version {number}.") from None


def service_list_view(request: HttpRequest) -> HttpResponse:
    services = list(_services(request))
    return render(request, "definitions/service_list.html", {"services": services})


def service_detail_view(request: HttpRequest, code: str) -> HttpResponse:
    service = _service(request, code)
    versions = list(service.versions.order_by("-number"))
    if not versions:
        raise Http404(f"{service.code} has no version yet.")
    shown = service.current_version or versions[0]
    return render(
        request,
        "definitions/service_detail.html",
        {"service": service, "versions": versions, "doc": shown.service_doc},
    )


def version_files_view(request: HttpRequest, code: str, number: str) -> HttpResponse:
    service = _service(request, code)
    version = _version(service, number)
    response = HttpResponse(version_zip(version), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{service.code}-v{version.number}.zip"'
    return response


def versions_compare_view(request: HttpRequest, code: str) -> HttpResponse:
    service = _service(request, code)
    old = _version(service, request.GET.get("from", ""))
    new = _version(service, request.GET.get("to", ""))
    return render(
        request,
        "definitions/versions_compare.html",
        {"service": service, "old": old, "new": new, "changes": versions_compare(old, new)},
    )
