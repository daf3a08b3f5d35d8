"""Writes: loading the definition files into immutable versions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from seva.core.errors import SevaError
from seva.org.models import Department, Role

from .lint import DefinitionProblem, load_definitions
from .models import Service, ServiceVersion, VersionSource


class DefinitionsInvalid(SevaError):
    def __init__(self, problems: list[DefinitionProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the definitions; nothing was loaded")


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
        if current and current.source == VersionSource.ADMIN and current.content_hash != digest:
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
                Service.objects.filter(pk=service.pk).update(current_version=existing)
                report.created.append(f"{code} v{existing.number} (republished)")
            else:
                report.unchanged.append(f"{code} v{existing.number}")
            continue
        last = service.versions.order_by("-number").first()
        version = ServiceVersion.objects.create(
            service=service,
            number=(last.number + 1) if last else 1,
            content_hash=digest,
            service_doc=bundle["service"],
            form_schema=bundle["form"],
            workflow_doc=bundle["workflow"],
            source=VersionSource.FILES,
            created_at=now,
        )
        Service.objects.filter(pk=service.pk).update(current_version=version)
        report.created.append(f"{code} v{version.number}")
    return report
