"""Changing services in the admin, as services: a draft is checked by the same rules as the
files, an edit that adds a problem is refused whole, a department's admin cannot touch another
department's services, the approver publishes, applications already filed stay on their
version, an earlier version can be published again, and a service exported and imported (or
synced from its files) behaves the same."""

from __future__ import annotations

import copy
import io
import zipfile

import pytest
from django.utils import timezone

from seva.applications.services import application_submit
from seva.core.errors import ActionNotAllowed
from seva.definitions.files import version_files
from seva.definitions.models import (
    DraftStatus,
    Publication,
    Service,
    ServiceDraft,
    ServiceVersion,
    VersionSource,
)
from seva.definitions.selectors import workflow_for
from seva.definitions.services import (
    DraftEditRefused,
    DraftNotReady,
    definitions_sync,
    draft_discard,
    draft_import,
    draft_publish,
    draft_start_from_service,
    draft_start_new,
    draft_submit,
    draft_update,
    version_republish,
)
from seva.org.models import Department
from seva.org.selectors import working_calendar_for
from seva.workflows.clock import DayType, due_date
from tests.helpers import example_with_documents

NEW = {
    "code": "arms-licence-renewal",
    "reference_code": "ALR",
    "kind": "service",
    "name": {"en": "Arms licence renewal", "hi": "शस्त्र लाइसेंस नवीनीकरण"},
    "processing_level": "tehsil",
    "designated_officer": "tehsildar",
    "first_appellate_authority": "sdm",
    "second_appellate_authority": "deputy_commissioner",
    "rts_days": 5,
}


def _new_draft(user, **changes):
    return draft_start_new(
        user=user("admin.revenue"),
        department=Department.objects.get(code="revenue"),
        **{**NEW, **changes},
    )


def _publish(draft, user):
    draft_submit(draft=draft, user=user("admin.revenue"))
    return draft_publish(draft=draft, user=user("approver.revenue"))


@pytest.mark.django_db
def test_a_new_service_starts_valid_and_is_published_by_the_approver(user):
    draft = _new_draft(user)
    assert draft.status == DraftStatus.EDITING
    assert draft.service is None and not Service.objects.filter(code=NEW["code"]).exists()
    draft_submit(draft=draft, user=user("admin.revenue"))
    with pytest.raises(ActionNotAllowed):  # the admin cannot publish their own change
        draft_publish(draft=draft, user=user("admin.revenue"))
    version = draft_publish(draft=draft, user=user("approver.revenue"))
    service = Service.objects.get(code=NEW["code"])
    assert service.current_version == version and version.source == VersionSource.ADMIN
    assert service.current_set_in_admin
    assert Publication.objects.get(service=service).published_by == user("approver.revenue")
    rts = version.service_doc["rts"]
    assert (rts["days"], rts["day_type"]) == (5, "working")


@pytest.mark.django_db
def test_an_invalid_form_edit_is_refused_with_the_field_named_and_nothing_saved(user):
    draft = _new_draft(user)
    form = copy.deepcopy(draft.form_schema)
    del form["properties"]["mobile"]["x-label"]["hi"]
    with pytest.raises(DraftEditRefused) as refused:
        draft_update(draft=draft, user=user("admin.revenue"), part="form", form_schema=form)
    assert [(p.part, p.pointer) for p in refused.value.problems] == [
        ("form", "/properties/mobile/x-label")
    ]
    assert "Hindi (hi)" in refused.value.problems[0].message
    draft.refresh_from_db()
    assert draft.form_schema["properties"]["mobile"]["x-label"]["hi"] == "मोबाइल नंबर"
    assert draft.revisions.count() == 1


@pytest.mark.django_db
def test_an_invalid_workflow_edit_is_refused_with_the_state_named(user):
    draft = _new_draft(user)
    workflow = copy.deepcopy(draft.workflow_doc)
    workflow["states"]["pending"]["role"] = "collector_of_everything"
    workflow["states"]["on_hold"] = {
        "label": {"en": "On hold", "hi": "रोका गया"},
        "role": "tehsildar",
        "sla_days": 2,
    }
    with pytest.raises(DraftEditRefused) as refused:
        draft_update(
            draft=draft, user=user("admin.revenue"), part="workflow", workflow_doc=workflow
        )
    found = {(p.pointer, p.message) for p in refused.value.problems}
    assert any(p == "/states/pending/role" and "collector_of_everything" in m for p, m in found)
    assert any(p.startswith("/states/on_hold") and "reach" in m for p, m in found)
    draft.refresh_from_db()
    assert "on_hold" not in draft.workflow_doc["states"]


@pytest.mark.django_db
def test_a_workflow_sms_without_a_template_blocks_review_until_the_template_is_written(user):
    draft = _new_draft(user)
    workflow = copy.deepcopy(draft.workflow_doc)
    workflow["states"]["approved"]["sms_on_enter"] = ["approved"]
    problems, _notes = draft_update(
        draft=draft, user=user("admin.revenue"), part="workflow", workflow_doc=workflow
    )
    assert [(p.part, p.pointer) for p in problems] == [("service", "/sms")]
    with pytest.raises(DraftNotReady):
        draft_submit(draft=draft, user=user("admin.revenue"))
    doc = copy.deepcopy(draft.service_doc)
    doc["sms"] = {
        "approved": {
            "en": {
                "dlt_template_id": "1107161234500009901",
                "text": "Your application {#var#} is approved. -HRSEVA",
                "variables": ["reference"],
            },
            "hi": {
                "dlt_template_id": "1107161234500009902",
                "text": "आपका आवेदन {#var#} स्वीकृत हुआ। -HRSEVA",
                "variables": ["reference"],
            },
        }
    }
    draft.refresh_from_db()
    problems, _notes = draft_update(
        draft=draft, user=user("admin.revenue"), part="sms", service_doc=doc
    )
    assert problems == []
    draft_submit(draft=draft, user=user("admin.revenue"))


@pytest.mark.django_db
def test_a_department_admin_cannot_touch_another_departments_services(user):
    health = Service.objects.get(code="birth-registration")
    with pytest.raises(ActionNotAllowed):
        draft_start_from_service(user=user("admin.revenue"), service=health)
    with pytest.raises(ActionNotAllowed):
        draft_start_new(user=user("admin.revenue"), department=health.department, **NEW)
    own = draft_start_from_service(
        user=user("admin.revenue"), service=Service.objects.get(code="income-certificate")
    )
    with pytest.raises(ActionNotAllowed):  # an officer is not a service administrator
        draft_update(
            draft=own, user=user("tehsildar.ambala"), part="details", service_doc=own.service_doc
        )
    with pytest.raises(ActionNotAllowed):  # the CMO sees every service but changes none
        draft_update(draft=own, user=user("cmo"), part="details", service_doc=own.service_doc)
    archive = dict(version_files(health.current_version))
    with pytest.raises(ActionNotAllowed):
        draft_import(user=user("admin.revenue"), files=archive)


@pytest.mark.django_db
def test_applications_already_filed_stay_on_their_version_and_a_rollback_restores_the_old(user):
    service = Service.objects.get(code="income-certificate")
    first = service.current_version
    citizen = user("citizen")
    before = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )

    draft = draft_start_from_service(user=user("admin.revenue"), service=service)
    doc = copy.deepcopy(draft.service_doc)
    doc["rts"]["days"] = 10
    draft_update(draft=draft, user=user("admin.revenue"), part="details", service_doc=doc)
    second = _publish(draft, user)
    assert second.number == first.number + 1

    service.refresh_from_db()
    after = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    before.refresh_from_db()
    assert before.service_version == first and after.service_version == second
    # Filed the same day: the earlier one keeps its 15 working days, the later gets 10.
    assert after.rts_due_at < before.rts_due_at

    # The files still hold v1: sync leaves the admin's v2 alone and says so.
    report = definitions_sync()
    assert [c.split(":")[0] for c in report.conflicts] == ["income-certificate"]
    service.refresh_from_db()
    assert service.current_version == second

    # Rolled back: new applications go on v1 again; only the approver may do it.
    with pytest.raises(ActionNotAllowed):
        version_republish(service=service, version=first, user=user("admin.revenue"))
    version_republish(service=service, version=first, user=user("approver.revenue"))
    service.refresh_from_db()
    assert service.current_version == first
    rolled_back = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    assert rolled_back.service_version == first


@pytest.mark.django_db
def test_a_service_made_in_the_admin_exports_and_imports_to_the_same_behaviour(user, tmp_path):
    from tests.definitions.test_service_admin import _definitions_root

    version = _publish(_new_draft(user), user)
    files = version_files(version)
    made_in_admin = (version.service_doc, version.form_schema, version.workflow_doc)

    # Imported back into the admin: a draft equal to what was published.
    draft = draft_import(user=user("admin.revenue"), files=copy.deepcopy(files))
    assert (draft.service_doc, draft.form_schema, draft.workflow_doc) == made_in_admin
    draft_discard(draft=draft, user=user("admin.revenue"))

    # Synced into a database that has never seen it: the service as the admin made it.
    service = Service.objects.get(code=NEW["code"])
    Service.objects.filter(pk=service.pk).update(current_version=None)
    Publication.objects.filter(service=service).delete()
    ServiceDraft.objects.filter(code=NEW["code"]).delete()
    ServiceVersion.objects.filter(service=service).delete()
    service.delete()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    report = definitions_sync(root=_definitions_root(out.getvalue(), tmp_path))
    assert report.created == [f"{NEW['code']} v1"]
    synced = Service.objects.get(code=NEW["code"]).current_version
    assert (synced.service_doc, synced.form_schema, synced.workflow_doc) == made_in_admin
    assert synced.content_hash == version.content_hash and synced.source == VersionSource.FILES

    # And it behaves the same: the same form accepts the application, the same RTS period
    # runs, the same officer acts.
    citizen = user("citizen")
    data = synced.form_schema["examples"][0] | {"address": _address()}
    application = application_submit(service=synced.service, data=data, applicant=citizen)
    expected_due = due_date(
        start=timezone.localdate(application.submitted_at),
        days=5,
        day_type=DayType.WORKING,
        calendar=working_calendar_for(application.office),
    )
    assert timezone.localdate(application.rts_due_at) == expected_due
    actions = workflow_for(synced).actions_for(application.state, ["tehsildar"])
    assert sorted(t.action for t in actions) == ["approve", "reject"]


def _address() -> dict:
    return {
        "house": "12",
        "village_or_ward": "Babyal",
        "tehsil": "HR-AMB-AMB-AMB",
        "pincode": "133005",
    }


@pytest.mark.django_db
def test_files_with_a_problem_are_refused_on_import_with_file_and_line(user):
    files = version_files(Service.objects.get(code="income-certificate").current_version)
    name = next(n for n in files if n.startswith("workflows_yaml/"))
    files[name] = files[name].replace("initial: scrutiny", "initial: nowhere")
    with pytest.raises(DraftEditRefused) as refused:
        draft_import(user=user("admin.revenue"), files=files)
    assert any("nowhere" in p.message and name in p.message for p in refused.value.problems)
    assert not ServiceVersion.objects.filter(source=VersionSource.ADMIN).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("folder", ["form_schemas/", "workflows_yaml/"])
def test_a_file_nested_without_end_is_refused_on_import_naming_it(user, folder):
    """Brackets opened thousands of times made the parser recurse until the import failed
    with a server error; now the file is named and nothing is made."""
    files = version_files(Service.objects.get(code="income-certificate").current_version)
    name = next(n for n in files if n.startswith(folder))
    files[name] = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(DraftEditRefused) as refused:
        draft_import(user=user("admin.revenue"), files=files)
    assert any(
        name in p.message and "nested deeper than any definition can be" in p.message
        for p in refused.value.problems
    ), [p.message for p in refused.value.problems]
    assert not ServiceVersion.objects.filter(source=VersionSource.ADMIN).exists()
