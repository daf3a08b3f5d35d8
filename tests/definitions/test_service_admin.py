"""Services in the staff workspace: each department's service administrator and approver
see their department's services (the CMO and the state admin all of them, nobody else
any); a version downloads as its three definition files, which `sync_definitions` reads
back into the very same version; two versions compare file by file; `sync_definitions`
never loads files over a version published in the admin, and says so."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from seva.definitions.models import Service, ServiceVersion, VersionSource
from seva.definitions.services import content_hash, definitions_sync


def _codes(client, user, username: str) -> set[str] | int:
    client.force_login(user(username))
    response = client.get(reverse("definitions:services"))
    if response.status_code != 200:
        return response.status_code
    page = response.content.decode()
    return {
        code
        for code in Service.objects.values_list("code", flat=True)
        if f'data-code="{code}"' in page
    }


def _definitions_root(archive: bytes, root: Path) -> Path:
    """A definitions root holding the downloaded files and the state's organisation files."""
    zipfile.ZipFile(io.BytesIO(archive)).extractall(root)
    org = Path(settings.SEVA_DEFINITIONS_ROOT) / settings.SEVA_SERVICE_DIR / "_org"
    shutil.copytree(org, root / settings.SEVA_SERVICE_DIR / "_org")
    return root


def _made_in_admin(*, rts_days: int) -> ServiceVersion:
    """Version 2 of the income certificate, as the admin would make it: another RTS."""
    service = Service.objects.get(code="income-certificate")
    first = service.current_version
    doc = {**first.service_doc, "rts": {**first.service_doc["rts"], "days": rts_days}}
    bundle = {"service": doc, "form": first.form_schema, "workflow": first.workflow_doc}
    return ServiceVersion.objects.create(
        service=service,
        number=2,
        content_hash=content_hash(bundle),
        service_doc=doc,
        form_schema=first.form_schema,
        workflow_doc=first.workflow_doc,
        source=VersionSource.ADMIN,
        created_at=timezone.now(),
    )


@pytest.mark.django_db
def test_each_reader_sees_the_services_of_their_department(client, user):
    revenue = set(Service.objects.filter(department__code="revenue").values_list("code", flat=True))
    assert revenue == {
        "caste-certificate",
        "domicile-certificate",
        "income-certificate",
        "land-mutation",
        "marriage-registration",
    }
    assert _codes(client, user, "admin.revenue") == revenue
    assert _codes(client, user, "approver.revenue") == revenue
    assert _codes(client, user, "cmo") == set(Service.objects.values_list("code", flat=True))
    assert _codes(client, user, "admin") == set(Service.objects.values_list("code", flat=True))
    # An officer who is not a service administrator is turned back (Wagtail redirects a
    # refusal to the dashboard with the reason).
    assert _codes(client, user, "tehsildar.ambala") == 302

    client.force_login(user("admin.revenue"))
    other = reverse("definitions:service", args=["birth-registration"])
    assert client.get(other).status_code == 404  # another department's service
    files = reverse("definitions:files", args=["birth-registration", 1])
    assert client.get(files).status_code == 404
    own = client.get(reverse("definitions:service", args=["income-certificate"]))
    assert own.status_code == 200 and "15 working days" in own.content.decode()


@pytest.mark.django_db
def test_a_version_downloads_as_files_that_sync_back_into_the_same_version(client, user, tmp_path):
    client.force_login(user("admin.revenue"))
    response = client.get(reverse("definitions:files", args=["income-certificate", 1]))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [
        "form_schemas/revenue/income_certificate.json",
        "service_definitions/revenue/income-certificate.yaml",
        "workflows_yaml/certificate_verification.yaml",
    ]

    versions = ServiceVersion.objects.filter(service__code="income-certificate").count()
    report = definitions_sync(root=_definitions_root(response.content, tmp_path))
    assert report.created == [] and report.unchanged == ["income-certificate v1"]
    assert ServiceVersion.objects.filter(service__code="income-certificate").count() == versions


@pytest.mark.django_db
def test_two_versions_compare_file_by_file(client, user):
    _made_in_admin(rts_days=10)
    client.force_login(user("approver.revenue"))
    detail = client.get(reverse("definitions:service", args=["income-certificate"])).content
    assert b"Compare v1 with v2" in detail
    page = client.get(
        reverse("definitions:compare", args=["income-certificate"]), {"from": 1, "to": 2}
    ).content.decode()
    assert '<span class="s-remove">-  days: 15</span>' in page
    assert '<span class="s-add">+  days: 10</span>' in page
    assert page.count("No change.") == 2  # the form and the workflow
    missing = client.get(
        reverse("definitions:compare", args=["income-certificate"]), {"from": 1, "to": 9}
    )
    assert missing.status_code == 404


@pytest.mark.django_db
def test_sync_never_overwrites_a_version_published_in_the_admin(client, user, tmp_path, capsys):
    made_in_admin = _made_in_admin(rts_days=10)
    service = made_in_admin.service
    Service.objects.filter(pk=service.pk).update(current_version=made_in_admin)

    # The files still say 15 days: they are not loaded over the admin's v2, and it is said.
    report = definitions_sync()
    assert [line.split(":")[0] for line in report.conflicts] == ["income-certificate"]
    service.refresh_from_db()
    assert service.current_version == made_in_admin and service.versions.count() == 2
    call_command("sync_definitions")
    captured = capsys.readouterr()
    assert "not loaded: income-certificate: v2 was published in the admin" in captured.err
    assert "1 left as published in the admin" in captured.out

    # With v2's own files in the definitions folder, there is nothing to report.
    client.force_login(user("admin.revenue"))
    archive = client.get(reverse("definitions:files", args=["income-certificate", 2])).content
    report = definitions_sync(root=_definitions_root(archive, tmp_path))
    assert report.conflicts == [] and report.unchanged == ["income-certificate v2"]
