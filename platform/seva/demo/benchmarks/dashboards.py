"""Measuring the RTS board at scale, on PostgreSQL: the board as the CMO's page asks for it
(from the rollups), against the same columns counted by a direct GROUP BY over the
applications table, in the same run, with a check that both give the same numbers. Used
by the `dashboard_benchmark` command; never by the application itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from seva.applications.models import Application
from seva.dashboards.boards import GROUPINGS, BoardFilters, BoardRow
from seva.dashboards.charts import weekly_trend
from seva.dashboards.selectors import rts_board


@dataclass(frozen=True)
class Case:
    label: str
    filters: BoardFilters
    # Whether the 50 ms / 30x target applies: to the boards as the page opens (all time).
    # Date ranges read more rows (months, and days at the ends of partial months); they are
    # measured and shown, with why there is no target.
    targeted: bool = True
    note: str = ""


def cases(today: dt.date, boards: list[str] | tuple[str, ...] = tuple(GROUPINGS)) -> list[Case]:
    """The boards by district, department, service, tehsil and office over all time (the
    page as it opens), over the last three whole months (the monthly review), and over the
    last 91 days."""
    this_month = today.replace(day=1)
    last_month_end = this_month - dt.timedelta(days=1)
    three_back = (this_month - dt.timedelta(days=80)).replace(day=1)
    found = []
    for by in boards:
        found += [
            Case(f"{by} board, all time", BoardFilters(by=by)),
            Case(
                f"{by} board, {three_back:%b}-{last_month_end:%b %Y}",
                BoardFilters(by=by, start=three_back, end=last_month_end),
                targeted=False,
                note="no target: whole months read by month",
            ),
            Case(
                f"{by} board, last 91 days",
                BoardFilters(by=by, start=today - dt.timedelta(days=90), end=today),
                targeted=False,
                note="no target: partial months read by day",
            ),
        ]
    return found


def board_numbers(rows: list[BoardRow]) -> dict[int, tuple]:
    return {
        row.key: (
            row.received,
            row.completed,
            row.completed_within,
            row.rejected,
            row.underway,
            row.underway_beyond,
        )
        for row in rows
    }


def board_from_rollups(user, filters: BoardFilters, today: dt.date) -> dict[int, tuple]:
    return board_numbers(rts_board(user=user, filters=filters, today=today))


def board_direct(filters: BoardFilters, today: dt.date) -> dict[int, tuple]:
    """The same columns by one GROUP BY over the applications table."""
    column = GROUPINGS[filters.by]
    zone = timezone.get_current_timezone()
    since = until = None
    if filters.start:
        since = dt.datetime.combine(filters.start, dt.time.min, tzinfo=zone)
    if filters.end:
        until = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    received = Q()
    closed = Q(closed_at__isnull=False) & ~Q(outcome="withdrawn")
    if since:
        received &= Q(submitted_at__gte=since)
        closed &= Q(closed_at__gte=since)
    if until:
        received &= Q(submitted_at__lt=until)
        closed &= Q(closed_at__lt=until)
    start_of_today = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
    rows = (
        Application.objects.order_by()
        .values(column)
        .annotate(
            received=Count("pk", filter=received),
            completed=Count("pk", filter=closed),
            completed_within=Count("pk", filter=closed & Q(closed_within_rts=True)),
            rejected=Count("pk", filter=closed & Q(outcome="rejected")),
            underway=Count("pk", filter=Q(closed_at__isnull=True)),
            underway_beyond=Count(
                "pk",
                filter=Q(
                    closed_at__isnull=True,
                    clock_paused_at__isnull=True,
                    rts_due_at__lt=start_of_today,
                ),
            ),
        )
    )
    found = {}
    for values in rows:
        key = values.pop(column) or 0
        numbers = tuple(values.values())
        if numbers[0] or numbers[1] or numbers[4]:
            found[key] = numbers
    return found


def trend_from_rollups(user, today: dt.date) -> list[tuple]:
    """The board's weekly trend as the page draws it (the state's daily table)."""
    return [
        (p.week, p.received, p.disposed, p.beyond)
        for p in weekly_trend(user=user, filters=BoardFilters(), today=today)
    ]


def trend_direct(today: dt.date, weeks: int = 12) -> list[tuple]:
    """The same weekly points counted from the applications table."""
    zone = timezone.get_current_timezone()
    first_monday = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    since = dt.datetime.combine(first_monday, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    points = {first_monday + dt.timedelta(weeks=n): [0, 0, 0] for n in range(weeks)}
    received = (
        Application.objects.filter(submitted_at__gte=since, submitted_at__lt=until)
        .annotate(week=TruncWeek("submitted_at"))
        .values("week")
        .annotate(n=Count("pk"))
    )
    for values in received:
        points[timezone.localdate(values["week"])][0] = values["n"]
    closed = (
        Application.objects.filter(closed_at__gte=since, closed_at__lt=until)
        .exclude(outcome="withdrawn")
        .annotate(week=TruncWeek("closed_at"))
        .values("week")
        .annotate(n=Count("pk"), beyond=Count("pk", filter=Q(closed_within_rts=False)))
    )
    for values in closed:
        points[timezone.localdate(values["week"])][1:] = [values["n"], values["beyond"]]
    return [(week, *counts) for week, counts in sorted(points.items())]
