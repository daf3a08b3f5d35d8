"""Reads of the organisation: who holds which role where, and the working-day calendar."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from seva.core.errors import NotFound
from seva.core.process_cache import ProcessCache
from seva.workflows.clock import WorkingCalendar

from .models import Holiday, Jurisdiction, JurisdictionLevel, Posting


def jurisdiction_get(*, code: str) -> Jurisdiction:
    try:
        return Jurisdiction.objects.get(code=code)
    except Jurisdiction.DoesNotExist:
        raise NotFound(f"No place with code '{code}'.") from None


# The place tree and the holidays, kept per process (seva.core.process_cache): as plain rows,
# turned into fresh, unsaved-looking instances on each read so no caller shares one object.
_PLACE_FIELDS = ("id", "code", "name_en", "name_hi", "level", "parent_id", "path")
_chains: ProcessCache[tuple[tuple, ...]] = ProcessCache("places and their ancestors")
_holidays: ProcessCache[frozenset[dt.date]] = ProcessCache("holidays by district", maxsize=512)


def _chain_rows(code: str) -> tuple[tuple, ...]:
    path = Jurisdiction.objects.filter(code=code).values_list("path", flat=True).first()
    if path is None:
        return ()
    rows = Jurisdiction.objects.filter(code__in=path.strip("/").split("/"))
    return tuple(sorted(rows.values_list(*_PLACE_FIELDS), key=lambda row: len(row[-1])))


def place_chain(code: str) -> list[Jurisdiction]:
    """The place with `code` and every node above it, from the root down (the place last);
    empty when no place has that code. Read from the process's cache of the tree."""
    return [
        Jurisdiction.from_db("default", _PLACE_FIELDS, row)
        for row in _chains.get(code, lambda: _chain_rows(code))
    ]


def place_chain_of_path(path: str) -> list[Jurisdiction]:
    """`place_chain` of the node at `path` (its code is the path's last part)."""
    parts = path.strip("/").split("/")
    return place_chain(parts[-1]) if parts and parts[-1] else []


def jurisdiction_ancestor_at(jurisdiction: Jurisdiction, level: str) -> Jurisdiction | None:
    """The node at `level` on the way from the root to `jurisdiction` (itself included)."""
    if jurisdiction.level == level:
        return jurisdiction
    return next((j for j in place_chain_of_path(jurisdiction.path) if j.level == level), None)


def district_of(jurisdiction: Jurisdiction) -> Jurisdiction | None:
    return jurisdiction_ancestor_at(jurisdiction, JurisdictionLevel.DISTRICT)


def working_calendar_for(jurisdiction: Jurisdiction) -> WorkingCalendar:
    """Weekly offs plus the state-wide holidays and those of the jurisdiction's district."""
    district = district_of(jurisdiction)
    district_id = district.pk if district is not None else None

    def load() -> frozenset[dt.date]:
        scope = Q(district__isnull=True)
        if district_id is not None:
            scope |= Q(district_id=district_id)
        return frozenset(Holiday.objects.filter(scope).values_list("date", flat=True))

    holidays = _holidays.get(district_id, load)
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


# The role of those who keep the fees' accounts (payments, refunds, reconciliation): a posting
# in it reads money, never applications, whatever its department and area.
ACCOUNTS_OFFICER = "accounts_officer"


def posting_sees_everything(posting: Posting) -> bool:
    """A posting with no department over the whole state (the CMO's): every department,
    everywhere. Not the state's treasury cell (an accounts officer over the state), which
    sees every department's payments and no application."""
    return (
        posting.department_id is None
        and posting.jurisdiction.level == JurisdictionLevel.STATE
        and posting.role.code != ACCOUNTS_OFFICER
    )


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
