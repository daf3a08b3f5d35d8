"""Writes: loading the definition files into immutable versions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models, transaction
from django.utils import timezone

from seva.core.errors import ActionNotAllowed, SevaError, ValidationFailed
from seva.formschemas.builder import FieldDesign, FormDesign, schema_from_design
from seva.org.models import Department, Role
from seva.workflows.engine import compile_workflow

from .draft_checks import (
    FORM,
    SERVICE,
    WORKFLOW,
    DraftProblem,
    FilesRefused,
    bundle_from_files,
    bundle_problems,
)
from .events import ServicesChanged, services_changed
from .lint import DefinitionProblem, load_definitions
from .models import (
    OPEN_DRAFT_STATUSES,
    DraftRevision,
    DraftStatus,
    Publication,
    PublicationKind,
    Service,
    ServiceDraft,
    ServiceVersion,
    VersionSource,
)
from .selectors import can_edit_services, can_publish_services


class DefinitionsInvalid(SevaError):
    def __init__(self, problems: list[DefinitionProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the definitions; nothing was loaded")


def service_version_create(
    *,
    service: Service,
    content_hash: str,
    service_doc: dict,
    form_schema: dict,
    workflow_doc: dict,
    source: str,
    created_at,
) -> ServiceVersion:
    """The service's next immutable version, from documents that passed the checks, with the
    roles its workflow names recorded beside it (who may read its files)."""
    last = service.versions.order_by("-number").first()
    version = ServiceVersion.objects.create(
        service=service,
        number=(last.number + 1) if last else 1,
        content_hash=content_hash,
        service_doc=service_doc,
        form_schema=form_schema,
        workflow_doc=workflow_doc,
        source=source,
        created_at=created_at,
    )
    version.roles.set(Role.objects.filter(code__in=compile_workflow(workflow_doc).roles_used()))
    return version


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)  # "code vN"
    unchanged: list[str] = field(default_factory=list)
    # Services whose published version was made in the admin and differs from the files:
    # left as they are, and said so.
    conflicts: list[str] = field(default_factory=list)
    departments_written: int = 0
    roles_written: int = 0

    @property
    def changed_anything(self) -> bool:
        return bool(self.created or self.departments_written or self.roles_written)


def content_hash(bundle: dict) -> str:
    canonical = json.dumps(bundle, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _upsert(model, lookup: dict, values: dict) -> bool:
    """Create or update a row; True when something was written."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        model.objects.create(**lookup, **values)
        return True
    changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
    if changed:
        model.objects.filter(pk=obj.pk).update(**changed)
    return bool(changed)


@transaction.atomic
def definitions_sync(*, root: Path | None = None) -> SyncReport:
    """Load every definition under `root`, all or nothing. A second run with no change writes nothing.

    A changed service, form or workflow file becomes a new version of each service using it;
    applications already filed stay on the version they were filed under.
    """
    dset, problems = load_definitions(root)
    if problems:
        raise DefinitionsInvalid(problems)
    report = SyncReport()
    for code, item in dset.departments.items():
        report.departments_written += _upsert(
            Department,
            {"code": code},
            {
                "short_code": item["short_code"],
                "name_en": item["name"]["en"],
                "name_hi": item["name"]["hi"],
            },
        )
    for code, item in dset.roles.items():
        report.roles_written += _upsert(
            Role,
            {"code": code},
            {
                "name_en": item["name"]["en"],
                "name_hi": item["name"]["hi"],
                "level": item["level"],
                "oversees": item.get("oversees", ""),
                "second_factor": item.get("second_factor"),
            },
        )
    now = timezone.now()
    for code in sorted(dset.services):
        bundle = dset.bundle(code)
        digest = content_hash(bundle)
        doc = bundle["service"]
        known = (
            Service.objects.select_for_update(of=("self",))
            .filter(code=code)
            .select_related("current_version")
            .first()
        )
        current = known.current_version if known else None
        chosen_in_admin = known is not None and (
            known.current_set_in_admin or (current and current.source == VersionSource.ADMIN)
        )
        if current and chosen_in_admin and current.content_hash != digest:
            report.conflicts.append(
                f"{code}: v{current.number} was published in the admin and differs from the "
                f"files, which were not loaded. Put v{current.number}'s files (Services -> "
                f"{code} -> Download) in the definitions folder, or change it in the admin."
            )
            continue
        department = Department.objects.get(code=doc["department"])
        service, _ = Service.objects.select_for_update().get_or_create(
            code=code,
            defaults={
                "department": department,
                "kind": doc["kind"],
                "reference_code": doc["reference_code"],
            },
        )
        _upsert(
            Service,
            {"pk": service.pk},
            {
                "department": department,
                "kind": doc["kind"],
                "reference_code": doc["reference_code"],
            },
        )
        existing = service.versions.filter(content_hash=digest).first()
        if existing is not None:
            if service.current_version_id != existing.pk:
                Service.objects.filter(pk=service.pk).update(
                    current_version=existing, current_set_in_admin=False
                )
                report.created.append(f"{code} v{existing.number} (republished)")
            else:
                report.unchanged.append(f"{code} v{existing.number}")
            continue
        version = service_version_create(
            service=service,
            content_hash=digest,
            service_doc=bundle["service"],
            form_schema=bundle["form"],
            workflow_doc=bundle["workflow"],
            source=VersionSource.FILES,
            created_at=now,
        )
        Service.objects.filter(pk=service.pk).update(
            current_version=version, current_set_in_admin=False
        )
        report.created.append(f"{code} v{version.number}")
    services_changed.notify_on_commit(ServicesChanged("sync"))
    return report


# ------------------------------------------------------------------------------
# Drafts: a service changed (or built) in the admin, reviewed, published
# ------------------------------------------------------------------------------
class DraftEditRefused(SevaError):
    """An edit would add problems to the part edited; nothing was saved."""

    def __init__(self, problems: list[DraftProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); the change was not saved")


class DraftNotReady(SevaError):
    """The draft still has problems, so it cannot go to review or be published."""

    def __init__(self, problems: list[DraftProblem]) -> None:
        self.problems = problems
        super().__init__(f"Fix the {len(problems)} problem(s) listed first.")


RTS_ACT = {"en": "Haryana Right to Service Act, 2014", "hi": "हरियाणा सेवा का अधिकार अधिनियम, 2014"}


def _must_edit(user, department) -> None:
    if not can_edit_services(user, department):
        raise ActionNotAllowed(
            f"Only a service administrator of {department.name_en} changes its services."
        )


def _must_publish(user, department) -> None:
    if not can_publish_services(user, department):
        raise ActionNotAllowed(f"Only the service approver of {department.name_en} publishes.")


def underscored(code: str) -> str:
    return code.replace("-", "_")


def skeleton_bundle(
    *,
    department: Department,
    code: str,
    reference_code: str,
    kind: str,
    name: dict[str, str],
    processing_level: str,
    designated_officer: str,
    first_appellate_authority: str,
    second_appellate_authority: str,
    rts_days: int,
) -> dict[str, dict]:
    """A complete, valid service to start from: applicant's name, mobile and address, a
    declaration; one officer stage that approves or rejects within the RTS period."""

    form = schema_from_design(
        FormDesign(
            title=dict(name),
            declaration={
                "en": "I declare that the information given is true to the best of my knowledge.",
                "hi": "मैं घोषणा करता/करती हूँ कि दी गई जानकारी मेरी जानकारी के अनुसार सत्य है।",
            },
            steps=[
                {"id": "about-you", "title": {"en": "About you", "hi": "आपके बारे में"}},
                {"id": "declaration", "title": {"en": "Declaration", "hi": "घोषणा"}},
            ],
            fields=[
                FieldDesign("full_name", "text", {"en": "Full name", "hi": "पूरा नाम"}),
                FieldDesign("mobile", "mobile", {"en": "Mobile number", "hi": "मोबाइल नंबर"}),
                FieldDesign(
                    "address",
                    "address",
                    {"en": "Address", "hi": "पता"},
                    level=processing_level,
                ),
                FieldDesign(
                    "declaration",
                    "confirm",
                    {
                        "en": "I confirm the declaration above",
                        "hi": "मैं उपरोक्त घोषणा की पुष्टि करता/करती हूँ",
                    },
                    step=2,
                ),
            ],
        )
    )
    workflow_code = underscored(code)
    workflow = {
        "code": workflow_code,
        "name": dict(name),
        "initial": "pending",
        "states": {
            "pending": {
                "label": {"en": "With the office for a decision", "hi": "निर्णय हेतु कार्यालय में"},
                "role": designated_officer,
                "sla_days": rts_days,
            },
            "approved": {
                "label": {"en": "Approved", "hi": "स्वीकृत"},
                "terminal": True,
                "outcome": "approved",
            },
            "rejected": {
                "label": {"en": "Rejected", "hi": "अस्वीकृत"},
                "terminal": True,
                "outcome": "rejected",
            },
        },
        "transitions": [
            {
                "action": "approve",
                "label": {"en": "Approve", "hi": "स्वीकृत करें"},
                "from": "pending",
                "to": "approved",
                "roles": [designated_officer],
            },
            {
                "action": "reject",
                "label": {"en": "Reject", "hi": "अस्वीकार करें"},
                "from": "pending",
                "to": "rejected",
                "roles": [designated_officer],
                "remarks": "required",
            },
        ],
    }
    service = {
        "code": code,
        "reference_code": reference_code,
        "department": department.code,
        "kind": kind,
        "name": dict(name),
        "short_name": {lang: text[:30] for lang, text in name.items()},
        "description": dict(name),
        "documents": [],
        "fee": {"amount": 0},
        "rts": {
            "days": rts_days,
            "day_type": "working",
            "act": dict(RTS_ACT),
            "designated_officer": designated_officer,
            "first_appellate_authority": first_appellate_authority,
            "second_appellate_authority": second_appellate_authority,
        },
        "processing_level": processing_level,
        "form": f"{department.code}/{underscored(code)}.json",
        "workflow": workflow_code,
        "applicant": {
            "name_field": "full_name",
            "mobile_field": "mobile",
            "jurisdiction_field": f"address.{processing_level}",
        },
        "sms": {},
    }
    return {"service": service, "form": form, "workflow": workflow}


def _revision(draft: ServiceDraft, *, user, part: str) -> None:
    last = draft.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    DraftRevision.objects.create(
        draft=draft,
        number=last + 1,
        part=part,
        service_doc=draft.service_doc,
        form_schema=draft.form_schema,
        workflow_doc=draft.workflow_doc,
        author=user,
        created_at=timezone.now(),
    )


@transaction.atomic
def draft_start_new(*, user, department: Department, **details) -> ServiceDraft:
    """A draft of a brand-new service, from a valid skeleton the admin then shapes."""
    _must_edit(user, department)
    bundle = skeleton_bundle(department=department, **details)
    problems = bundle_problems(
        service_doc=bundle["service"], form_schema=bundle["form"], workflow_doc=bundle["workflow"]
    )
    if problems:
        raise DraftEditRefused(problems)
    return _draft_create(user=user, department=department, bundle=bundle, part="created")


def _draft_create(
    *, user, department: Department, bundle: dict, part: str, service=None, based_on=None
) -> ServiceDraft:
    now = timezone.now()
    draft = ServiceDraft.objects.create(
        department=department,
        code=bundle["service"]["code"],
        service=service,
        based_on=based_on,
        service_doc=bundle["service"],
        form_schema=bundle["form"],
        workflow_doc=bundle["workflow"],
        created_by=user,
        created_at=now,
        updated_at=now,
    )
    _revision(draft, user=user, part=part)
    return draft


@transaction.atomic
def draft_start_from_service(*, user, service: Service) -> ServiceDraft:
    """The open draft of `service`, or a new one copied from its current version."""
    _must_edit(user, service.department)
    Service.objects.select_for_update().get(pk=service.pk)
    open_draft = ServiceDraft.objects.filter(
        code=service.code, status__in=OPEN_DRAFT_STATUSES
    ).first()
    if open_draft is not None:
        return open_draft
    version = service.current_version
    if version is None:
        raise ActionNotAllowed(f"'{service.code}' has no published version to start from.")
    bundle = {
        "service": version.service_doc,
        "form": version.form_schema,
        "workflow": version.workflow_doc,
    }
    return _draft_create(
        user=user,
        department=service.department,
        bundle=bundle,
        part=f"copied from v{version.number}",
        service=service,
        based_on=version,
    )


def _shared_names(draft: ServiceDraft) -> tuple[set[str], set[str]]:
    """Form paths and workflow codes that other services' current versions use."""
    forms, workflows = set(), set()
    for doc in (
        ServiceVersion.objects.filter(service__current_version_id=models.F("id"))
        .exclude(service__code=draft.code)
        .values_list("service_doc", flat=True)
    ):
        forms.add(doc.get("form"))
        workflows.add(doc.get("workflow"))
    return forms, workflows


def _own_names(
    draft: ServiceDraft, service_doc: dict, *, form_changed: bool, workflow_changed: bool
) -> list[str]:
    """A form or workflow shared with other services becomes this service's own when it
    changes here, so that the files exported stay true for the others. Says what it did."""
    notes = []
    forms, workflows = _shared_names(draft)
    if form_changed and service_doc.get("form") in forms:
        own = f"{draft.department.code}/{underscored(draft.code)}.json"
        notes.append(
            f"The form was shared with other services; it is now this service's own, {own}."
        )
        service_doc["form"] = own
    if workflow_changed and service_doc.get("workflow") in workflows:
        own = underscored(draft.code)
        notes.append(
            f"The workflow was shared with other services; it is now this service's own, '{own}'."
        )
        service_doc["workflow"] = own
    return notes


def _documents_from_form(service_doc: dict, form_schema: dict) -> list[dict]:
    """The service's list of documents, kept in step with the form's file uploads: one entry
    per top-level upload (its label and whether it is required); entries naming no upload,
    or an upload inside a group, are kept as written."""
    properties = form_schema.get("properties") or {}
    required = set(form_schema.get("required") or [])
    kept = [d for d in service_doc.get("documents") or [] if "field" not in d or "." in d["field"]]
    made = []
    for name, schema in properties.items():
        if isinstance(schema, dict) and schema.get("format") == "document":
            made.append(
                {
                    "code": name,
                    "required": name in required,
                    "field": name,
                    "name": dict(schema.get("x-label") or {}),
                }
            )
    return made + kept


@transaction.atomic
def draft_update(
    *,
    draft: ServiceDraft,
    user,
    part: str,
    service_doc: dict | None = None,
    form_schema: dict | None = None,
    workflow_doc: dict | None = None,
) -> tuple[list[DraftProblem], list[str]]:
    """Save a change to one part of a draft, refused (DraftEditRefused, nothing saved) when it
    adds a problem to the documents it changes. Returns the problems the draft still has
    and notes on what was adjusted with the change."""
    _must_edit(user, draft.department)
    draft = ServiceDraft.objects.select_for_update().get(pk=draft.pk)
    if not draft.is_open:
        raise ActionNotAllowed("This draft is closed; start a new one from the service.")
    before = set(draft_problems(draft))
    new_service = dict(service_doc if service_doc is not None else draft.service_doc)
    new_form = form_schema if form_schema is not None else draft.form_schema
    new_workflow = workflow_doc if workflow_doc is not None else draft.workflow_doc
    notes = _own_names(
        draft,
        new_service,
        form_changed=form_schema is not None,
        workflow_changed=workflow_doc is not None,
    )
    if isinstance(new_workflow, dict) and workflow_doc is not None:
        new_workflow = {**new_workflow, "code": new_service.get("workflow")}
    if form_schema is not None and isinstance(new_form, dict):
        new_service["documents"] = _documents_from_form(new_service, new_form)
    after = bundle_problems(
        service_doc=new_service, form_schema=new_form, workflow_doc=new_workflow, draft=draft
    )
    edited = (
        {SERVICE for given in (service_doc,) if given is not None}
        | {FORM for given in (form_schema,) if given is not None}
        | {WORKFLOW for given in (workflow_doc,) if given is not None}
    )
    introduced = [p for p in after if p.part in edited and p not in before]
    if introduced:
        raise DraftEditRefused([p for p in after if p.part in edited])
    draft.service_doc, draft.form_schema, draft.workflow_doc = new_service, new_form, new_workflow
    draft.updated_at = timezone.now()
    if draft.status == DraftStatus.IN_REVIEW:
        draft.status = DraftStatus.EDITING  # a change after review was asked needs asking again
    draft.save()
    _revision(draft, user=user, part=part)
    return after, notes


def draft_problems(draft: ServiceDraft) -> list[DraftProblem]:
    return bundle_problems(
        service_doc=draft.service_doc,
        form_schema=draft.form_schema,
        workflow_doc=draft.workflow_doc,
        draft=draft,
    )


@transaction.atomic
def draft_submit(*, draft: ServiceDraft, user) -> None:
    """Ask the department's approver to publish. Only a draft with no problem may go."""
    _must_edit(user, draft.department)
    draft = ServiceDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.status != DraftStatus.EDITING:
        raise ActionNotAllowed("Only a draft being edited can be sent for review.")
    problems = draft_problems(draft)
    if problems:
        raise DraftNotReady(problems)
    draft.status = DraftStatus.IN_REVIEW
    draft.submitted_by, draft.submitted_at = user, timezone.now()
    draft.review_note = ""
    draft.save()


@transaction.atomic
def draft_send_back(*, draft: ServiceDraft, user, note: str) -> None:
    _must_publish(user, draft.department)
    draft = ServiceDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.status != DraftStatus.IN_REVIEW:
        raise ActionNotAllowed("Only a draft waiting for review can be sent back.")
    if not note.strip():
        raise ValidationFailed({"note": ["Say what must change before it can be published."]})
    draft.status, draft.review_note = DraftStatus.EDITING, note.strip()
    draft.save()


@transaction.atomic
def draft_discard(*, draft: ServiceDraft, user) -> None:
    _must_edit(user, draft.department)
    draft = ServiceDraft.objects.select_for_update().get(pk=draft.pk)
    if not draft.is_open:
        raise ActionNotAllowed("This draft is already closed.")
    draft.status = DraftStatus.DISCARDED
    draft.save()


def _make_current(
    *, service: Service, version: ServiceVersion, user, kind: str, draft=None
) -> None:
    Service.objects.filter(pk=service.pk).update(current_version=version, current_set_in_admin=True)
    Publication.objects.create(
        service=service,
        version=version,
        kind=kind,
        draft=draft,
        published_by=user,
        published_at=timezone.now(),
    )


@transaction.atomic
def draft_publish(*, draft: ServiceDraft, user) -> ServiceVersion:
    """The approver publishes a reviewed draft: a new immutable version on which new
    applications are filed; applications already filed stay on theirs."""
    _must_publish(user, draft.department)
    draft = ServiceDraft.objects.select_for_update().get(pk=draft.pk)
    if draft.status != DraftStatus.IN_REVIEW:
        raise ActionNotAllowed("Only a draft sent for review can be published.")
    if draft.submitted_by_id == getattr(user, "pk", None) and not user.is_superuser:
        raise ActionNotAllowed("Another person must publish what you sent for review.")
    problems = draft_problems(draft)
    if problems:
        raise DraftNotReady(problems)
    doc = draft.service_doc
    service = draft.service
    if service is None:
        service = Service.objects.create(
            code=draft.code,
            department=draft.department,
            kind=doc["kind"],
            reference_code=doc["reference_code"],
        )
    else:
        service = Service.objects.select_for_update().get(pk=service.pk)
        Service.objects.filter(pk=service.pk).update(
            kind=doc["kind"], reference_code=doc["reference_code"]
        )
    bundle = {"service": doc, "form": draft.form_schema, "workflow": draft.workflow_doc}
    digest = content_hash(bundle)
    version = service.versions.filter(content_hash=digest).first()
    if version is None:
        version = service_version_create(
            service=service,
            content_hash=digest,
            service_doc=doc,
            form_schema=draft.form_schema,
            workflow_doc=draft.workflow_doc,
            source=VersionSource.ADMIN,
            created_at=timezone.now(),
        )
    _make_current(
        service=service, version=version, user=user, kind=PublicationKind.PUBLISHED, draft=draft
    )
    draft.status, draft.service, draft.published_version = DraftStatus.PUBLISHED, service, version
    draft.updated_at = timezone.now()
    draft.save()
    services_changed.notify_on_commit(ServicesChanged("publish"))
    return version


@transaction.atomic
def version_republish(*, service: Service, version: ServiceVersion, user) -> None:
    """Roll back: new applications are filed on an earlier version again."""
    _must_publish(user, service.department)
    service = Service.objects.select_for_update().get(pk=service.pk)
    if version.service_id != service.pk:
        raise ActionNotAllowed("That version belongs to another service.")
    if service.current_version_id == version.pk:
        raise ActionNotAllowed(f"v{version.number} is already the published version.")
    _make_current(service=service, version=version, user=user, kind=PublicationKind.REPUBLISHED)


@transaction.atomic
def draft_import(*, user, files: dict[str, str]) -> ServiceDraft:
    """A draft from a service's three files (as exported): {name: text}. Problems in the files
    are refused with the file and place, like check_definitions."""
    try:
        bundle = bundle_from_files(files)
    except FilesRefused as exc:
        raise DraftEditRefused(exc.problems) from exc
    doc = bundle["service"]
    department = Department.objects.filter(code=doc.get("department")).first()
    if department is None:
        raise DraftEditRefused(
            [
                DraftProblem(
                    SERVICE, "/department", f"department '{doc.get('department')}' does not exist"
                )
            ]
        )
    _must_edit(user, department)
    service = Service.objects.filter(code=doc.get("code")).first()
    if service is not None and service.department_id != department.pk:
        raise ActionNotAllowed(f"'{service.code}' is a service of another department.")
    if ServiceDraft.objects.filter(code=doc.get("code"), status__in=OPEN_DRAFT_STATUSES).exists():
        raise ActionNotAllowed(
            f"'{doc.get('code')}' already has an open draft; publish or discard it first."
        )
    # Stands for the draft in the checks, which read its code only when the file's is text.
    code = doc.get("code")
    probe = ServiceDraft(
        department=department, code=code if isinstance(code, str) else "", service=service
    )
    problems = bundle_problems(
        service_doc=doc, form_schema=bundle["form"], workflow_doc=bundle["workflow"], draft=probe
    )
    if problems:
        raise DraftEditRefused(problems)
    return _draft_create(
        user=user,
        department=department,
        bundle=bundle,
        part="imported from files",
        service=service,
        based_on=service.current_version if service else None,
    )
