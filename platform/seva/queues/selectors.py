"""An officer's queue: the open applications whose current holder role is one the officer
holds, inside the department and the area of that posting, by stage deadline.

The scope is built from the officer's active postings only (see `queue_scope`), so a view or
endpoint that starts from `queue_for` cannot show another district's files.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.utils import timezone

from seva.applications.models import Application, Channel
from seva.definitions.models import Service
from seva.org.models import Holiday, Posting
from seva.org.selectors import postings_active
from seva.workflows.clock import WorkingCalendar


class Colour(StrEnum):
    WITHIN = "within"  # inside the stage's SLA
    DUE_SOON = "due_soon"  # due by the end of the next working day
    BREACHED = "breached"  # the stage deadline has passed


COLOUR_LABELS = {
    Colour.WITHIN: "Within time",
    Colour.DUE_SOON: "Due within a working day",
    Colour.BREACHED: "Past the deadline",
}


def queue_scope(postings: list[Posting]) -> Q:
    """Open files held by one of these postings' roles, in its department and area."""
    scope = Q(pk__in=[])
    for posting in postings:
        part = Q(holder_role_id=posting.role_id, place_path__startswith=posting.jurisdiction.path)
        if posting.department_id is not None:
            part &= Q(department_id=posting.department_id)
        scope |= part
    return scope & Q(closed_at__isnull=True)


def state_calendar() -> WorkingCalendar:
    """State-wide holidays and weekly offs: the queue's colour boundary is the same for every
    row (a district's own holiday moves that district's deadlines, not the colours)."""
    holidays = frozenset(
        Holiday.objects.filter(district__isnull=True).values_list("date", flat=True)
    )
    return WorkingCalendar(
        holidays=holidays, weekly_off_days=frozenset(settings.SEVA_WEEKLY_OFF_DAYS)
    )


def due_soon_boundary(now: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    """The end of the next working day after `now`'s date: a deadline up to then is "due
    within a working day"."""
    day = timezone.localdate(now) + dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


@dataclass(frozen=True)
class QueueFilters:
    service: str = ""
    state: str = ""
    channel: str = ""
    colour: str = ""
    min_age_days: int | None = None  # days since submission
    max_age_days: int | None = None
    search: str = ""  # reference number, mobile or name


def _with_colour(queryset: QuerySet, now: dt.datetime, boundary: dt.datetime) -> QuerySet:
    return queryset.annotate(
        colour=Case(
            When(stage_due_at__lt=now, then=Value(Colour.BREACHED.value)),
            When(stage_due_at__lte=boundary, then=Value(Colour.DUE_SOON.value)),
            default=Value(Colour.WITHIN.value),
        )
    )


def _filtered(queryset: QuerySet, filters: QueueFilters, now: dt.datetime) -> QuerySet:
    if filters.service:
        queryset = queryset.filter(service__code=filters.service)
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.min_age_days is not None:
        queryset = queryset.filter(submitted_at__lte=now - dt.timedelta(days=filters.min_age_days))
    if filters.max_age_days is not None:
        queryset = queryset.filter(
            submitted_at__gt=now - dt.timedelta(days=filters.max_age_days + 1)
        )
    term = filters.search.strip()
    if term:
        digits = re.sub(r"\D", "", term)
        if len(digits) == 10 and re.fullmatch(r"[\d\s+-]+", term):
            queryset = queryset.filter(applicant_mobile=digits[-10:])
        else:
            queryset = queryset.filter(
                Q(reference__iexact=term) | Q(applicant_name__icontains=term)
            )
    return queryset


@dataclass
class Queue:
    items: QuerySet  # annotated with `colour`, ordered by stage deadline
    counts: dict[str, int]  # per colour, over every filter but the colour
    total: int


def queue_rows(user, filters: QueueFilters, now: dt.datetime) -> QuerySet:
    """The officer's open files with every filter but the colour, each with its colour."""
    boundary = due_soon_boundary(now, state_calendar())
    base = Application.objects.filter(queue_scope(postings_active(user)))
    return _with_colour(_filtered(base, filters, now), now, boundary)


def queue_colour_counts(rows: QuerySet) -> QuerySet:
    """How many rows of each colour. Count(*) rather than a column: with no filter but the
    scope, this reads the queue index alone."""
    return rows.values("colour").annotate(n=Count("*")).order_by()


def queue_for(
    user, filters: QueueFilters | None = None, *, now: dt.datetime | None = None
) -> Queue:
    filters = filters or QueueFilters()
    now = now or timezone.now()
    base = queue_rows(user, filters, now)
    counts = {colour.value: 0 for colour in Colour}
    for row in queue_colour_counts(base):
        counts[row["colour"]] = row["n"]
    items = base
    if filters.colour in counts:
        items = items.filter(colour=filters.colour)
    # A row needs the version only to find its compiled workflow (by id and hash): the
    # documents, and the citizen's answers, stay in the database.
    items = (
        items.select_related("service", "service_version", "holder_role", "office")
        .defer(
            "data",
            "service_version__service_doc",
            "service_version__form_schema",
            "service_version__workflow_doc",
        )
        .order_by(F("stage_due_at").asc(nulls_last=True), "submitted_at", "pk")
    )
    return Queue(items=items, counts=counts, total=sum(counts.values()))


def queue_filter_choices(user) -> dict[str, list[tuple[str, str]]]:
    """What the filters offer: the services and states in the officer's reach."""
    scope = Application.objects.filter(queue_scope(postings_active(user)))
    codes = set(scope.values_list("service__code", flat=True).order_by().distinct())
    services = sorted(
        (service.code, service_name(service))
        for service in Service.objects.filter(code__in=codes).select_related("current_version")
    )
    states = scope.values_list("state", flat=True).distinct().order_by("state")
    return {
        "service": list(services),
        "state": [(s, s.replace("_", " ")) for s in states],
        "channel": list(Channel.choices),
        "colour": [(c.value, COLOUR_LABELS[c]) for c in Colour],
    }


def service_name(service: Service, language: str = "en") -> str:
    name = service.current_version.spec.name if service.current_version else {}
    return name.get(language) or name.get("en") or service.code
