"""A department's services in the admin: the list, a service with its versions, a version's
three definition files as a download, two versions compared file by file, an earlier version
published again; and where a draft starts: a new service, a change to one, an import. Who
sees which services: `selectors.services_managed_by`; who changes and publishes them: the
services, which refuse anybody else."""

from __future__ import annotations

import zipfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise

from seva.core.errors import ActionNotAllowed

from ...files import version_zip, versions_compare
from ...selectors import (
    can_edit_services,
    can_publish_services,
    departments_editable_by,
    drafts_visible_to,
)
from ...services import (
    DraftEditRefused,
    draft_import,
    draft_start_from_service,
    draft_start_new,
    version_republish,
)
from ..access import managed_service, managed_services, refused, service_version
from ..forms.common import place_problems
from ..forms.service import NEW_SERVICE_PLACES, NewServiceForm


def service_list_view(request: HttpRequest) -> HttpResponse:
    services = list(managed_services(request))
    return render(
        request,
        "definitions/service_list.html",
        {
            "services": services,
            "drafts": list(drafts_visible_to(request.user)),
            "can_build": departments_editable_by(request.user).exists(),
        },
    )


def service_detail_view(request: HttpRequest, code: str) -> HttpResponse:
    service = managed_service(request, code)
    versions = list(service.versions.order_by("-number"))
    if not versions:
        raise Http404(f"{service.code} has no version yet.")
    shown = service.current_version or versions[0]
    return render(
        request,
        "definitions/service_detail.html",
        {
            "service": service,
            "versions": versions,
            "doc": shown.spec,
            "draft": drafts_visible_to(request.user).filter(code=service.code).first(),
            "publications": service.publications.select_related("version", "published_by")[:20],
            "can_edit": can_edit_services(request.user, service.department),
            "can_publish": can_publish_services(request.user, service.department),
        },
    )


def version_files_view(request: HttpRequest, code: str, number: str) -> HttpResponse:
    service = managed_service(request, code)
    version = service_version(service, number)
    response = HttpResponse(version_zip(version), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{service.code}-v{version.number}.zip"'
    return response


def versions_compare_view(request: HttpRequest, code: str) -> HttpResponse:
    service = managed_service(request, code)
    old = service_version(service, request.GET.get("from", ""))
    new = service_version(service, request.GET.get("to", ""))
    return render(
        request,
        "definitions/versions_compare.html",
        {"service": service, "old": old, "new": new, "changes": versions_compare(old, new)},
    )


def version_publish_view(request: HttpRequest, code: str, number: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("definitions:service", code=code)
    service = managed_service(request, code)
    version = service_version(service, number)
    try:
        version_republish(service=service, version=version, user=request.user)
    except ActionNotAllowed as exc:
        raise refused(exc) from exc
    messages.success(
        request, f"v{version.number} is published again: new applications are filed on it."
    )
    return redirect("definitions:service", code=code)


def service_new_view(request: HttpRequest) -> HttpResponse:
    departments = departments_editable_by(request.user)
    if not departments.exists():
        raise PermissionDenied("Only a department's service administrator builds its services.")
    form = NewServiceForm(request.POST or None, departments=departments)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                draft = draft_start_new(
                    user=request.user, department=form.cleaned_data["department"], **form.details()
                )
            except ActionNotAllowed as exc:
                raise refused(exc) from exc
            except DraftEditRefused as exc:
                place_problems(form, exc.problems, NEW_SERVICE_PLACES, "name_en")
            else:
                messages.success(
                    request,
                    "The draft is made. Shape its form, workflow and SMS, then send it for review.",
                )
                return redirect("definitions:draft", draft_id=draft.pk)
        status = 400
    return render(request, "definitions/service_new.html", {"form": form}, status=status)


def service_edit_view(request: HttpRequest, code: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("definitions:service", code=code)
    service = managed_service(request, code)
    try:
        draft = draft_start_from_service(user=request.user, service=service)
    except ActionNotAllowed as exc:
        raise refused(exc) from exc
    return redirect("definitions:draft", draft_id=draft.pk)


MAX_IMPORT_BYTES = 1024 * 1024


def service_import_view(request: HttpRequest) -> HttpResponse:
    if not departments_editable_by(request.user).exists():
        raise PermissionDenied("Only a department's service administrator imports services.")
    errors: list[str | Promise] = []
    if request.method == "POST":
        upload = request.FILES.get("archive")
        try:
            files = _zip_files(upload)
            draft = draft_import(user=request.user, files=files)
        except ValueError as exc:
            errors = [str(exc)]
        except DraftEditRefused as exc:
            errors = [p.message if ":" in p.message else str(p) for p in exc.problems]
        except ActionNotAllowed as exc:
            errors = [exc.message]
        else:
            messages.success(request, f"Imported as a draft of {draft.code}.")
            return redirect("definitions:draft", draft_id=draft.pk)
    return render(
        request,
        "definitions/service_import.html",
        {"errors": errors},
        status=400 if errors else 200,
    )


def _zip_files(upload) -> dict[str, str]:
    """{name: text} of a downloaded service archive, refusing anything else."""
    if upload is None:
        raise ValueError("Choose the .zip file downloaded from a service (three definition files).")
    if upload.size > MAX_IMPORT_BYTES:
        raise ValueError("The file is larger than 1 MB; a service's files are far smaller.")
    try:
        archive = zipfile.ZipFile(upload)
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(entries) > 10 or sum(i.file_size for i in entries) > 4 * MAX_IMPORT_BYTES:
            raise ValueError("The archive holds more than a service's three files.")
        return {i.filename: archive.read(i).decode("utf-8") for i in entries}
    except zipfile.BadZipFile as exc:
        raise ValueError(
            "This is not a .zip file; choose the file a service's Download gave you."
        ) from exc
    except UnicodeDecodeError as exc:
        raise ValueError("A file in the archive is not UTF-8 text.") from exc
