"""Files at risk: open, with the clock running, not yet late but due within a chosen number
of working days (the state's calendar). Counted by office from the rollups; an office's
own list read from the applications table, for that office only, in the reader's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Min, Q, Sum
from django.utils import timezone

from seva.applications.models import Application
from seva.applications.selectors import applications_visible_to
from seva.core.errors import ValidationFailed
from seva.org.models import Jurisdiction, JurisdictionLevel
from seva.org.selectors import working_calendar_for

from .boards import BoardFilters, board_scope, filter_rollups
from .models import RtsOpen

MAX_DAYS = 30


@dataclass
class OfficeAtRisk:
    office_id: int
    code: str
    name: str
    count: int
    first_due: dt.date
    url: str = ""  # the page's link to the office's list


def risk_horizon(today: dt.date, days: int) -> dt.date:
    """The day `days` working days after today (today itself for 0)."""
    if not 0 <= days <= MAX_DAYS:
        raise ValidationFailed({"days": [f"Give a number of working days from 0 to {MAX_DAYS}."]})
    state = Jurisdiction.objects.get(level=JurisdictionLevel.STATE)
    return working_calendar_for(state).add_days(today, days)


def offices_at_risk(
    *, user, filters: BoardFilters, days: int, today: dt.date | None = None
) -> list[OfficeAtRisk]:
    today = today or timezone.localdate()
    horizon = risk_horizon(today, days)
    rows = (
        filter_rollups(RtsOpen.objects.all(), filters, board_scope(user))
        .filter(paused=False, rts_due_on__gte=today, rts_due_on__lte=horizon)
        .values("office_id")
        .annotate(count=Sum("open_count"), first_due=Min("rts_due_on"))
        .filter(count__gt=0)
    )
    found = {row["office_id"]: row for row in rows}
    offices = Jurisdiction.objects.in_bulk(list(found))
    result = [
        OfficeAtRisk(
            office_id=pk,
            code=offices[pk].code if pk in offices else "",
            name=offices[pk].name_en if pk in offices else str(pk),
            count=row["count"],
            first_due=row["first_due"],
        )
        for pk, row in found.items()
    ]
    return sorted(result, key=lambda o: (o.first_due, -o.count, o.name))


def applications_at_risk(
    *, user, office_code: str, days: int, today: dt.date | None = None, limit: int = 200
) -> list[Application]:
    """The office's files at risk, the soonest due first: only files the reader may read
    (`applications_visible_to`: role, department and area), so an office outside their
    reach simply has none."""
    today = today or timezone.localdate()
    horizon = risk_horizon(today, days)
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(horizon, dt.time.max))
    return list(
        applications_visible_to(user)
        .filter(closed_at__isnull=True, office__code=office_code, clock_paused_at__isnull=True)
        .filter(Q(rts_due_at__gte=start) & Q(rts_due_at__lte=end))
        .select_related("service_version", "holder_role")
        .order_by("rts_due_at", "pk")[:limit]
    )
