"""Reads of the organisation: who holds which role where, and the working-day calendar."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from seva.core.errors import NotFound
from seva.workflows.clock import WorkingCalendar

from .models import Holiday, Jurisdiction, JurisdictionLevel, Posting


def jurisdiction_get(*, code: str) -> Jurisdiction:
    try:
        return Jurisdiction.objects.get(code=code)
    except Jurisdiction.DoesNotExist:
        raise NotFound(f"No place with code '{code}'.") from None


def jurisdiction_ancestor_at(jurisdiction: Jurisdiction, level: str) -> Jurisdiction | None:
    """The node at `level` on the way from the root to `jurisdiction` (itself included)."""
    if jurisdiction.level == level:
        return jurisdiction
    return Jurisdiction.objects.covering(jurisdiction).filter(level=level).first()


def district_of(jurisdiction: Jurisdiction) -> Jurisdiction | None:
    return jurisdiction_ancestor_at(jurisdiction, JurisdictionLevel.DISTRICT)


def working_calendar_for(jurisdiction: Jurisdiction) -> WorkingCalendar:
    """Weekly offs plus the state-wide holidays and those of the jurisdiction's district."""
    district = district_of(jurisdiction)
    scope = Q(district__isnull=True)
    if district is not None:
        scope |= Q(district=district)
    holidays = frozenset(Holiday.objects.filter(scope).values_list("date", flat=True))
    return WorkingCalendar(
        holidays=holidays, weekly_off_days=frozenset(settings.SEVA_WEEKLY_OFF_DAYS)
    )


def postings_active(user, *, on: dt.date | None = None) -> list[Posting]:
    if not getattr(user, "is_authenticated", False):
        return []
    day = on or timezone.localdate()
    return list(
        Posting.objects.active_on(day)
        .filter(user=user)
        .select_related("role", "department", "jurisdiction")
    )


def posting_sees_everything(posting: Posting) -> bool:
    """A posting with no department over the whole state (the CMO's): every department,
    everywhere."""
    return posting.department_id is None and posting.jurisdiction.level == JurisdictionLevel.STATE


def posting_covers(posting: Posting, *, department_id: int, place_path: str) -> bool:
    """Whether the posting's department and area include a file from `place_path`."""
    department_ok = posting.department_id is None or posting.department_id == department_id
    return department_ok and place_path.startswith(posting.jurisdiction.path)


def state_calendar() -> WorkingCalendar:
    """Weekly offs and the state-wide holidays: the calendar before a district is known."""
    holidays = frozenset(
        Holiday.objects.filter(district__isnull=True).values_list("date", flat=True)
    )
    return WorkingCalendar(
        holidays=holidays, weekly_off_days=frozenset(settings.SEVA_WEEKLY_OFF_DAYS)
    )
