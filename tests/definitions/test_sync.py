"""sync_definitions: idempotent, one immutable version per change, applications pinned."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from seva.applications.services import application_submit
from seva.definitions.models import ImmutableVersionError, Service, ServiceVersion
from seva.definitions.services import definitions_sync
from tests.helpers import example_with_documents

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def root(tmp_path) -> Path:
    """A copy of the repository's definitions that a test may change."""
    for folder in (settings.SEVA_SERVICE_DIR, settings.SEVA_FORM_DIR, settings.SEVA_WORKFLOW_DIR):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def _edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2))


@pytest.mark.django_db
def test_a_second_sync_with_no_change_writes_nothing(root, capsys):
    before = ServiceVersion.objects.count()
    report = definitions_sync(root=root)
    assert not report.changed_anything
    assert report.created == []
    assert ServiceVersion.objects.count() == before
    call_command("sync_definitions", root=root)
    assert "0 new version(s)" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_changed_form_makes_a_new_version_and_old_applications_stay_pinned(root, user):
    service = Service.objects.get(code="income-certificate")
    old_version = service.current_version
    old = application_submit(
        service=service,
        data=example_with_documents(service, user("citizen")),
        applicant=user("citizen"),
    )

    def tighten(form):
        form["properties"]["applicant"]["properties"]["occupation"]["maxLength"] = 60

    _edit_json(root / "form_schemas/revenue/income_certificate.json", tighten)
    report = definitions_sync(root=root)
    assert report.created == [f"income-certificate v{old_version.number + 1}"]

    service.refresh_from_db()
    assert service.current_version.number == old_version.number + 1
    assert (
        service.current_version.form_schema["properties"]["applicant"]["properties"]["occupation"][
            "maxLength"
        ]
        == 60
    )
    old.refresh_from_db()
    assert old.service_version_id == old_version.pk
    new = application_submit(
        service=service,
        data=example_with_documents(service, user("citizen")),
        applicant=user("citizen"),
    )
    assert new.service_version_id == service.current_version_id != old.service_version_id


@pytest.mark.django_db
def test_a_changed_shared_workflow_makes_a_new_version_of_every_service_using_it(root):
    users = [
        code
        for (code,) in Service.objects.filter(
            current_version__service_doc__workflow="certificate_verification"
        ).values_list("code")
    ]
    assert len(users) >= 1

    def slower(workflow):
        workflow["states"]["scrutiny"]["sla_days"] = 4

    _edit_yaml(root / "workflows_yaml/certificate_verification.yaml", slower)
    report = definitions_sync(root=root)
    assert sorted(line.split(" v")[0] for line in report.created) == sorted(users)


@pytest.mark.django_db
def test_going_back_to_an_earlier_file_republishes_that_version(root):
    service = Service.objects.get(code="income-certificate")
    first = service.current_version
    path = root / "service_definitions/revenue/income-certificate.yaml"
    original = path.read_text()
    _edit_yaml(path, lambda doc: doc["fee"].update(amount=10))
    definitions_sync(root=root)
    path.write_text(original)
    report = definitions_sync(root=root)
    service.refresh_from_db()
    assert service.current_version_id == first.pk
    assert report.created == [f"income-certificate v{first.number} (republished)"]


@pytest.mark.django_db
def test_a_published_version_cannot_be_changed():
    version = ServiceVersion.objects.first()
    version.service_doc = {**version.service_doc, "code": "changed"}
    with pytest.raises(ImmutableVersionError):
        version.save()
    version.refresh_from_db()
    assert version.service_doc["code"] != "changed"
