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
from django.utils.translation import gettext_lazy as _

from seva.applications.models import Application, Channel, Consultation
from seva.applications.selectors import (
    consultation_answerable_by,
    consultations_of,
    consultations_waiting_for,
)
from seva.definitions.models import Service
from seva.org.models import Department, Holiday, Posting, Role
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
        part = Q(holder_role_id=posting.role_id, held_at_path__startswith=posting.jurisdiction.path)
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


# ------------------------------------------------------------------------------
# Consultations: the offices a file's workflow asks for a no-objection certificate
# ------------------------------------------------------------------------------
CONSULTATIONS_LISTED = 200  # on the queue page, soonest due first

ANSWER_LABELS = {
    Consultation.Answer.NO_OBJECTION: _("No objection"),
    Consultation.Answer.CONDITIONS: _("No objection on conditions"),
    Consultation.Answer.OBJECTION: _("Objection"),
    Consultation.Answer.DEEMED: _("Deemed no objection (not answered in time)"),
    Consultation.Answer.WITHDRAWN: _("Withdrawn (the file moved on before an answer)"),
}
# What a consulted officer may answer, in the order the form offers them.
ANSWER_CHOICES = [
    (answer.value, ANSWER_LABELS[answer])
    for answer in (
        Consultation.Answer.NO_OBJECTION,
        Consultation.Answer.CONDITIONS,
        Consultation.Answer.OBJECTION,
    )
]


def _texts(texts, language: str) -> str:
    if not isinstance(texts, dict):
        return ""
    return texts.get(language) or texts.get("en") or ""


def _named(record: Department | Role | None, language: str) -> str:
    if record is None:
        return ""
    return record.name_hi if language == "hi" and record.name_hi else record.name_en


@dataclass(frozen=True)
class WaitingConsultation:
    """One row of a consulted officer's list: a file another office asks them about."""

    reference: str
    service: str
    asked: str  # what is asked: the consultation's label
    asked_by: str  # the department whose file it is
    due_at: dt.datetime
    overdue: bool


@dataclass
class ConsultationsWaiting:
    rows: list[WaitingConsultation]
    total: int


def consultations_waiting_rows(
    user, *, language: str, now: dt.datetime | None = None
) -> ConsultationsWaiting:
    """The open consultations `user` is to answer, soonest due first, laid out for the queue
    page (the first CONSULTATIONS_LISTED of them)."""
    now = now or timezone.now()
    waiting = consultations_waiting_for(user)
    total = waiting.count()
    if not total:
        return ConsultationsWaiting(rows=[], total=0)
    listed = waiting.select_related(
        "application__department", "application__service__current_version"
    ).defer(
        "application__data",
        "application__service__current_version__form_schema",
        "application__service__current_version__workflow_doc",
    )[:CONSULTATIONS_LISTED]
    rows = [
        WaitingConsultation(
            reference=c.application.reference,
            service=service_name(c.application.service, language),
            asked=_texts(c.label, language) or c.code,
            asked_by=_named(c.application.department, language),
            due_at=timezone.localtime(c.due_at),
            overdue=c.due_at < now,
        )
        for c in listed
    ]
    return ConsultationsWaiting(rows=rows, total=total)


@dataclass(frozen=True)
class ConsultationShown:
    """A consultation on the file page: what was asked of which office, and its answer."""

    code: str
    asked: str
    office: str  # the consulted role, in its department
    opened_at: dt.datetime
    due_at: dt.datetime
    overdue: bool
    is_open: bool
    answer: str  # the answer's label; "" while open
    answer_code: str
    answered_at: dt.datetime | None
    answered_by: str
    remarks: str
    answerable: bool  # by the reader, now


def consultations_shown(
    application: Application, user, *, language: str, now: dt.datetime | None = None
) -> list[ConsultationShown]:
    """Every consultation the file has had, oldest first, and whether the reader may answer
    it now (`consultation_answerable_by`)."""
    now = now or timezone.now()
    answerable = {c.pk for c in consultation_answerable_by(user, application)}
    shown = []
    for c in consultations_of(application):
        answered_by = ""
        if c.answered_by is not None:
            answered_by = c.answered_by.get_full_name() or c.answered_by.get_username()
        elif c.answer == Consultation.Answer.DEEMED:
            answered_by = str(_("Seva, at the deadline"))
        shown.append(
            ConsultationShown(
                code=c.code,
                asked=_texts(c.label, language) or c.code,
                office=f"{_named(c.role, language)}, {_named(c.department, language)}",
                opened_at=timezone.localtime(c.opened_at),
                due_at=timezone.localtime(c.due_at),
                overdue=c.is_open and c.due_at < now,
                is_open=c.is_open,
                answer=str(ANSWER_LABELS[Consultation.Answer(c.answer)]) if c.answer else "",
                answer_code=c.answer,
                answered_at=timezone.localtime(c.answered_at) if c.answered_at else None,
                answered_by=answered_by,
                remarks=c.remarks,
                answerable=c.pk in answerable,
            )
        )
    return shown
