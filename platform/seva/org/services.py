"""Writes to the organisation: loading the jurisdiction tree and holidays, postings,
and adding a holiday (which moves the deadlines of open files in its area)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from seva.core.errors import ValidationFailed
from seva.core.process_cache import process_caches_changed

from .events import HolidaysChanged, holidays_changed
from .models import LEVEL_DEPTH, Holiday, Jurisdiction, JurisdictionLevel


def jurisdiction_placement_errors(
    *, level: str, parent: Jurisdiction | None
) -> dict[str, list[str]]:
    """Why a place of `level` cannot sit under `parent` ({} when it can): the state is the
    one root, and every other place sits under a place of a higher level."""
    if (parent is None) != (level == JurisdictionLevel.STATE):
        if parent is None:
            return {"parent": ["Choose the place this one is part of; only the state has none."]}
        return {"parent": ["The state is the top of the tree: it is part of no other place."]}
    if parent is not None and LEVEL_DEPTH[parent.level] >= LEVEL_DEPTH[level]:
        return {"level": [f"A {level} cannot sit under a {parent.level} ({parent.code})."]}
    return {}


def jurisdiction_upsert(
    *, code: str, name_en: str, name_hi: str, level: str, parent: Jurisdiction | None
) -> Jurisdiction:
    errors = jurisdiction_placement_errors(level=level, parent=parent)
    if errors:
        raise ValidationFailed(errors)
    path = f"{parent.path if parent else '/'}{code}/"
    node, created = Jurisdiction.objects.get_or_create(
        code=code,
        defaults={
            "name_en": name_en,
            "name_hi": name_hi,
            "level": level,
            "parent": parent,
            "path": path,
        },
    )
    if not created and (node.name_en, node.name_hi, node.level, node.parent_id, node.path) != (
        name_en,
        name_hi,
        level,
        parent.pk if parent else None,
        path,
    ):
        if node.path != path and node.children.exists():
            raise ValidationFailed({"parent": [f"{code} has places under it and cannot be moved."]})
        Jurisdiction.objects.filter(pk=node.pk).update(
            name_en=name_en, name_hi=name_hi, level=level, parent=parent, path=path
        )
        process_caches_changed()  # an update() sends no signal: tell the caches here
        node.refresh_from_db()
    return node


_CHILDREN = {
    "state": ("divisions", JurisdictionLevel.DIVISION),
    "division": ("districts", JurisdictionLevel.DISTRICT),
    "district": ("subdivisions", JurisdictionLevel.SUBDIVISION),
    "subdivision": ("tehsils", JurisdictionLevel.TEHSIL),
    "tehsil": ("villages", JurisdictionLevel.VILLAGE),
}


@transaction.atomic
def jurisdiction_tree_load(tree: dict[str, Any]) -> int:
    """Load a nested tree ({state: {code, name, divisions: [...]}}). Returns the node count."""
    count = 0

    def load(item: dict[str, Any], level: str, parent: Jurisdiction | None) -> None:
        nonlocal count
        node = jurisdiction_upsert(
            code=item["code"],
            name_en=item["name"]["en"],
            name_hi=item["name"]["hi"],
            level=level,
            parent=parent,
        )
        count += 1
        if level in _CHILDREN:
            key, child_level = _CHILDREN[level]
            for child in item.get(key, []):
                load(child, child_level, node)

    load(tree["state"], JurisdictionLevel.STATE, None)
    return count


@transaction.atomic
def holidays_load(items: list[dict[str, Any]]) -> int:
    """Load holidays idempotently. Returns how many were new."""
    created = 0
    for item in items:
        district = Jurisdiction.objects.get(code=item["district"]) if item.get("district") else None
        _holiday, was_created = Holiday.objects.update_or_create(
            date=item["date"],
            district=district,
            defaults={"name_en": item["name"]["en"], "name_hi": item["name"]["hi"]},
        )
        created += was_created
    return created


def holiday_add(
    *, date: dt.date, name_en: str, name_hi: str, district: Jurisdiction | None = None
) -> Holiday:
    """Declare a holiday. Open applications in its area get their deadlines recomputed once
    the holiday is committed (a Celery task: a state-wide holiday touches every open file)."""
    if district is not None and district.level != JurisdictionLevel.DISTRICT:
        raise ValidationFailed({"district": ["A local holiday is declared for a district."]})
    if Holiday.objects.filter(date=date, district=district).exists():
        raise ValidationFailed({"date": ["There is already a holiday on this date here."]})
    with transaction.atomic():
        holiday = Holiday.objects.create(
            date=date, name_en=name_en, name_hi=name_hi, district=district
        )
        holiday_deadlines_follow(district_id=district.pk if district else None)
    return holiday


def holiday_deadlines_follow(*, district_id: int | None) -> None:
    """A holiday was declared, moved or cancelled in a district (every district when None):
    once that is committed, the listeners hear of it (applications recomputes the deadlines
    of the open files there)."""
    holidays_changed.notify_on_commit(HolidaysChanged(district_id))
