"""The checks of `check_definitions`, run on a draft: its three documents are written as
files under a temporary definitions root, beside the departments and roles of the database,
and `load_definitions` reads them back exactly as it reads the repository. So an admin and a
file author meet the same rules and the same messages; only the place a message is shown
differs (beside the field in the admin, file and line on the command line)."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from seva.org.models import Department, Role

from .eligibility import FACTS_FILE
from .fees import BUDGET_HEADS_FILE
from .lint import ORG_DIR, load_definitions
from .models import OPEN_DRAFT_STATUSES, Service, ServiceDraft

# The parts of a draft, each one of the three files.
SERVICE, FORM, WORKFLOW = "service", "form", "workflow"

_SAFE_CODE = re.compile(r"^[a-z][a-z0-9_-]{1,59}$")
_SAFE_FORM = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*\.json$")
_SAFE_WORKFLOW = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*$")


@dataclass(frozen=True)
class DraftProblem:
    part: str  # SERVICE, FORM or WORKFLOW
    pointer: str  # JSON pointer in that document
    message: str

    def __str__(self) -> str:
        return f"{self.part} {self.pointer or '(whole document)'}: {self.message}"


def draft_file_names(service_doc: dict) -> dict[str, str]:
    """Where each part lives under a definitions root. A name that is not a safe path is
    replaced, so that a bad value never writes outside the temporary root; the meta-schema
    reports the bad value itself."""
    code = service_doc.get("code")
    department = service_doc.get("department")
    form = service_doc.get("form")
    workflow = service_doc.get("workflow")
    code = code if isinstance(code, str) and _SAFE_CODE.match(code) else "service"
    department = (
        department if isinstance(department, str) and _SAFE_CODE.match(department) else "unknown"
    )
    form = form if isinstance(form, str) and _SAFE_FORM.match(form) else "form.json"
    workflow = (
        workflow if isinstance(workflow, str) and _SAFE_WORKFLOW.match(workflow) else "workflow"
    )
    return {
        SERVICE: f"{settings.SEVA_SERVICE_DIR}/{department}/{code}.yaml",
        FORM: f"{settings.SEVA_FORM_DIR}/{form}",
        WORKFLOW: f"{settings.SEVA_WORKFLOW_DIR}/{workflow}.yaml",
    }


def _org_files(root: Path) -> None:
    org = root / settings.SEVA_SERVICE_DIR / ORG_DIR
    org.mkdir(parents=True)
    departments = [
        {"code": d.code, "short_code": d.short_code, "name": {"en": d.name_en, "hi": d.name_hi}}
        for d in Department.objects.order_by("code")
    ]
    roles = []
    for role in Role.objects.order_by("code"):
        item: dict[str, Any] = {
            "code": role.code,
            "level": role.level,
            "name": {"en": role.name_en, "hi": role.name_hi},
        }
        if role.oversees:
            item["oversees"] = role.oversees
        if role.second_factor is not None:
            item["second_factor"] = role.second_factor
        roles.append(item)
    (org / "departments.yaml").write_text(
        yaml.safe_dump({"departments": departments}, allow_unicode=True)
    )
    (org / "roles.yaml").write_text(yaml.safe_dump({"roles": roles}, allow_unicode=True))
    # The eligibility facts and the treasury's heads of account live only in the definitions
    # folder (read at run time from there).
    for name in (FACTS_FILE, BUDGET_HEADS_FILE):
        kept = Path(settings.SEVA_DEFINITIONS_ROOT) / settings.SEVA_SERVICE_DIR / name
        if kept.exists():
            shutil.copyfile(kept, root / settings.SEVA_SERVICE_DIR / name)


def bundle_problems(
    *, service_doc: dict, form_schema: dict, workflow_doc: dict, draft: ServiceDraft | None = None
) -> list[DraftProblem]:
    """Everything `check_definitions` would say about these three documents, plus what only
    the database knows: a code or reference code another service already uses."""
    names = draft_file_names(service_doc if isinstance(service_doc, dict) else {})
    texts = {
        SERVICE: yaml.safe_dump(service_doc, allow_unicode=True, sort_keys=False),
        FORM: json.dumps(form_schema, indent=2, ensure_ascii=False),
        WORKFLOW: yaml.safe_dump(workflow_doc, allow_unicode=True, sort_keys=False),
    }
    with tempfile.TemporaryDirectory(prefix="seva-draft-") as tmp:
        root = Path(tmp)
        _org_files(root)
        for part, name in names.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(texts[part], encoding="utf-8")
        _dset, problems = load_definitions(root)
    part_of = {name: part for part, name in names.items()}
    found = [
        DraftProblem(part_of.get(p.file, SERVICE), p.pointer, p.message)
        for p in problems
        # A message about the file's name repeats one about the value that names it.
        if "must match the file name" not in p.message and "must match the folder" not in p.message
    ]
    return found + _database_problems(service_doc, draft)


def _database_problems(service_doc: dict, draft: ServiceDraft | None) -> list[DraftProblem]:
    if not isinstance(service_doc, dict):
        return []
    problems = []
    code = service_doc.get("code")
    if isinstance(code, str):
        others = Service.objects.filter(code=code)
        if draft is not None and draft.service_id is not None:
            others = others.exclude(pk=draft.service_id)
        if others.exists():
            problems.append(
                DraftProblem(
                    SERVICE, "/code", f"service code '{code}' is already used by another service"
                )
            )
        open_drafts = ServiceDraft.objects.filter(code=code, status__in=OPEN_DRAFT_STATUSES)
        if draft is not None and open_drafts.exclude(pk=draft.pk).exists():
            problems.append(
                DraftProblem(
                    SERVICE, "/code", f"another draft is already building service '{code}'"
                )
            )
        if draft is not None and draft.code != code:
            problems.append(
                DraftProblem(
                    SERVICE,
                    "/code",
                    f"the code is '{draft.code}' and cannot change; start a new service instead",
                )
            )
    department, reference = service_doc.get("department"), service_doc.get("reference_code")
    if draft is not None and department != draft.department.code:
        problems.append(
            DraftProblem(
                SERVICE,
                "/department",
                f"the department is '{draft.department.code}' and cannot change here",
            )
        )
    if isinstance(reference, str):
        taken = (
            Service.objects.filter(department__code=department, reference_code=reference)
            .exclude(code=code)
            .first()
        )
        if taken is not None:
            problems.append(
                DraftProblem(
                    SERVICE,
                    "/reference_code",
                    f"reference code '{reference}' is already used by {taken.code}",
                )
            )
    return problems


class FilesRefused(Exception):
    """Files to import could not be read as one service; `problems` says where and why."""

    def __init__(self, problems: list[DraftProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


_IMPORT_NAME = re.compile(r"^[a-z0-9_/-]+\.(json|ya?ml)$")


def bundle_from_files(files: dict[str, str]) -> dict[str, dict]:
    """One service's three documents from its files ({path under the definitions root:
    text}, as a download holds them), checked as check_definitions checks the repository."""
    problems = []
    allowed_dirs = (settings.SEVA_SERVICE_DIR, settings.SEVA_FORM_DIR, settings.SEVA_WORKFLOW_DIR)
    for name in files:
        if (
            not _IMPORT_NAME.match(name)
            or name.split("/")[0] not in allowed_dirs
            or "/_org/" in name
        ):
            problems.append(
                DraftProblem(
                    SERVICE,
                    "",
                    f"{name}: not a definition file; expected {', '.join(d + '/...' for d in allowed_dirs)}",
                )
            )
    services = [n for n in files if n.startswith(settings.SEVA_SERVICE_DIR + "/")]
    if len(services) != 1:
        problems.append(
            DraftProblem(SERVICE, "", f"expected one service file, found {len(services)}")
        )
    if problems:
        raise FilesRefused(problems)
    with tempfile.TemporaryDirectory(prefix="seva-import-") as tmp:
        root = Path(tmp)
        _org_files(root)
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        dset, found = load_definitions(root)
    if found:
        raise FilesRefused([DraftProblem(_part_of_file(p.file), p.pointer, str(p)) for p in found])
    (code,) = dset.services
    return dset.bundle(code)


def _part_of_file(name: str) -> str:
    if name.startswith(settings.SEVA_FORM_DIR + "/"):
        return FORM
    if name.startswith(settings.SEVA_WORKFLOW_DIR + "/"):
        return WORKFLOW
    return SERVICE
