"""The last level of the drill-down: the officers of one office. Per role at the office (and
department), named by the officers posted in it today: the files they disposed of in the
date range (within RTS, rejected) and the files they hold now (beyond RTS). Received files
belong to the office, not to an officer, so that column stays 0.

This reads the applications table, for the one office alone (its files are found by the
office's index); the rollups have no officer in them. The reader sees exactly the
departments that their board shows for this office: those of the office's rollup rows
inside their scope (seva.dashboards.boards.board_scope)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q
from django.utils import timezone

from seva.applications.models import Application, ApplicationEvent
from seva.org.models import Department, Posting, Role

from .boards import BoardFilters, BoardRow, filter_rollups, score
from .models import RtsDaily, RtsOpen


def _departments_visible(filters: BoardFilters, scope: Q) -> set[int]:
    found: set[int] = set()
    for model in (RtsDaily, RtsOpen):
        rows = filter_rollups(model.objects.all(), filters, scope)
        found |= set(rows.values_list("department_id", flat=True).distinct())
    return found


def officer_rows(filters: BoardFilters, scope: Q, today: dt.date, language: str) -> list[BoardRow]:
    departments = _departments_visible(filters, scope)
    if not departments:
        return []
    zone = timezone.get_current_timezone()
    files = Application.objects.filter(office_id=filters.office_id, department_id__in=departments)
    if filters.kind:
        files = files.filter(service__kind=filters.kind)

    rows: dict[tuple[str, int], BoardRow] = {}

    def row_for(role: str, department: int) -> BoardRow:
        return rows.setdefault((role, department), BoardRow(key=0, name="", code=role))

    start_of_today = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
    for values in (
        files.filter(closed_at__isnull=True, holder_role__isnull=False)
        .values("holder_role__code", "department_id")
        .annotate(
            underway=Count("pk"),
            beyond=Count(
                "pk", filter=Q(clock_paused_at__isnull=True, rts_due_at__lt=start_of_today)
            ),
        )
    ):
        row = row_for(values["holder_role__code"], values["department_id"])
        row.underway, row.underway_beyond = values["underway"], values["beyond"]

    # The action that closed a file: the event at its closing moment, by an officer.
    closing = ApplicationEvent.objects.filter(
        application__in=files,
        kind=ApplicationEvent.Kind.ACTION,
        at=F("application__closed_at"),
    ).exclude(actor_role__in=("citizen", "system"))
    if filters.start:
        closing = closing.filter(at__gte=dt.datetime.combine(filters.start, dt.time.min, zone))
    if filters.end:
        end = filters.end + dt.timedelta(days=1)
        closing = closing.filter(at__lt=dt.datetime.combine(end, dt.time.min, zone))
    for values in closing.values("actor_role", "application__department_id").annotate(
        completed=Count("pk", filter=~Q(application__outcome="withdrawn")),
        within=Count(
            "pk",
            filter=~Q(application__outcome="withdrawn") & Q(application__closed_within_rts=True),
        ),
        rejected=Count("pk", filter=Q(application__outcome="rejected")),
    ):
        row = row_for(values["actor_role"], values["application__department_id"])
        row.completed, row.completed_within = values["completed"], values["within"]
        row.rejected = values["rejected"]

    suffix = "hi" if language == "hi" else "en"
    roles = {r.code: r for r in Role.objects.filter(code__in={role for role, _d in rows})}
    department_names = dict(
        Department.objects.filter(pk__in={d for _r, d in rows}).values_list("pk", f"name_{suffix}")
    )
    posted: dict[tuple[str, int | None], list[str]] = {}
    for posting in (
        Posting.objects.active_on(today)
        .filter(jurisdiction_id=filters.office_id, role__code__in=roles)
        .select_related("user", "role")
        .order_by("user__first_name", "user__last_name")
    ):
        name = posting.user.get_full_name() or posting.user.username
        posted.setdefault((posting.role.code, posting.department_id), []).append(name)
    for (role, department), row in rows.items():
        role_name = getattr(roles.get(role), f"name_{suffix}", role)
        people = posted.get((role, department)) or posted.get((role, None)) or ["nobody posted"]
        row.key = roles[role].pk if role in roles else 0
        row.name = f"{role_name}, {department_names.get(department, '')}: {', '.join(people)}"
        row.score = score(row)
    ranked = sorted(rows.values(), key=lambda r: (r.score is None, -(r.score or 0), r.name))
    for rank, row in enumerate(ranked, start=1):
        row.rank = rank
    return ranked
