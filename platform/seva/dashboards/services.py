"""Keeping the RTS rollups current, in the transaction of each change to an application,
and rebuilding them from the applications table (after a bulk load, or to repair what the
reconciliation found)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Case, Count, Q, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import RtsDaily, RtsOpen

if TYPE_CHECKING:
    from seva.applications.models import Application

DAILY_KEY = ("day", "service_id", "office_id", "tehsil_id")
OPEN_KEY = ("service_id", "office_id", "tehsil_id", "rts_due_on", "paused")
FLOWS = ("received", "disposed", "disposed_within_rts", "rejected", "withdrawn")


@dataclass(frozen=True)
class OpenPosition:
    """Where an open application counts in `RtsOpen`."""

    rts_due_on: dt.date
    paused: bool


def open_position(application: Application) -> OpenPosition | None:
    """None once the application is closed: it no longer counts as underway."""
    if application.closed_at is not None:
        return None
    return OpenPosition(
        rts_due_on=timezone.localdate(application.rts_due_at),
        paused=application.clock_paused_at is not None,
    )


def _dimensions(application: Application) -> dict:
    return {
        "service_id": application.service_id,
        "office_id": application.office_id,
        "tehsil_id": application.tehsil_id or 0,
        "department_id": application.department_id,
        "kind": application.service_version.service_doc["kind"],
        "district_id": application.district_id or 0,
    }


def _bump(model, key_fields: tuple[str, ...], row: dict, deltas: dict[str, int]) -> None:
    """Add `deltas` to the row with `row`'s key, creating it if need be, in one statement
    (INSERT ... ON CONFLICT DO UPDATE): two transactions bumping the same row both count."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [*row, *deltas]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    updates = ", ".join(
        f"{connection.ops.quote_name(c)} = {table}.{connection.ops.quote_name(c)} + "
        f"EXCLUDED.{connection.ops.quote_name(c)}"
        for c in deltas
    )
    conflict = ", ".join(connection.ops.quote_name(c) for c in key_fields)
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) VALUES ({placeholders}) "
            f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}",
            [*row.values(), *deltas.values()],
        )


def _bump_daily(application: Application, day: dt.date, deltas: dict[str, int]) -> None:
    deltas = {name: value for name, value in deltas.items() if value}
    if deltas:
        _bump(RtsDaily, DAILY_KEY, {"day": day, **_dimensions(application)}, deltas)


def _bump_open(application: Application, position: OpenPosition, delta: int) -> None:
    row = {
        **_dimensions(application),
        "rts_due_on": position.rts_due_on,
        "paused": position.paused,
    }
    _bump(RtsOpen, OPEN_KEY, row, {"open_count": delta})


def rollups_on_submit(application: Application) -> None:
    """A new application: received today, and underway until its RTS due date."""
    _bump_daily(application, timezone.localdate(application.submitted_at), {"received": 1})
    position = open_position(application)
    if position is not None:
        _bump_open(application, position, 1)


def rollups_on_change(application: Application, *, before: OpenPosition | None) -> None:
    """After a transition or a recomputed deadline: move the file between due dates, or out
    of the open files and into the day's disposals when it closed.

    Rows are bumped in one order (the day's flows first, then the open rows by key), as in
    a submission, so that two transactions bumping the same rows wait for each other
    instead of deadlocking."""
    after = open_position(application)
    if before == after:
        return
    if after is None and before is not None:  # closed just now
        withdrawn = application.outcome == "withdrawn"
        _bump_daily(
            application,
            timezone.localdate(application.closed_at),
            {
                "withdrawn": int(withdrawn),
                "disposed": int(not withdrawn),
                "disposed_within_rts": int(not withdrawn and bool(application.closed_within_rts)),
                "rejected": int(application.outcome == "rejected"),
            },
        )
    moves = [(position, delta) for position, delta in ((before, -1), (after, 1)) if position]
    for position, delta in sorted(moves, key=lambda move: (move[0].rts_due_on, move[0].paused)):
        _bump_open(application, position, delta)


# ------------------------------------------------------------------------------
# Rebuilding from the applications table
# ------------------------------------------------------------------------------
_DIMENSION_COLUMNS = (
    "service_id",
    "office_id",
    "tehsil_id",
    "department_id",
    "service__kind",
    "district_id",
)


def _row_key(values: dict) -> dict:
    return {
        "service_id": values["service_id"],
        "office_id": values["office_id"],
        "tehsil_id": values["tehsil_id"] or 0,
        "department_id": values["department_id"],
        "kind": values["service__kind"],
        "district_id": values["district_id"] or 0,
    }


def expected_rollups() -> tuple[dict[tuple, dict], dict[tuple, dict]]:
    """The rollups counted directly from the applications table: (daily, open), each keyed
    by the table's unique key, zero rows left out."""
    from seva.applications.models import Application

    daily: dict[tuple, dict] = defaultdict(dict)
    received = (
        Application.objects.annotate(day=TruncDate("submitted_at"))
        .values("day", *_DIMENSION_COLUMNS)
        .annotate(n=Count("pk"))
    )
    closed = (
        Application.objects.filter(closed_at__isnull=False)
        .annotate(day=TruncDate("closed_at"))
        .values("day", *_DIMENSION_COLUMNS)
        .annotate(
            withdrawn=Count("pk", filter=Q(outcome="withdrawn")),
            disposed=Count("pk", filter=~Q(outcome="withdrawn")),
            disposed_within_rts=Count(
                "pk", filter=~Q(outcome="withdrawn") & Q(closed_within_rts=True)
            ),
            rejected=Count("pk", filter=Q(outcome="rejected")),
        )
    )
    for values in received:
        row = _row_key(values)
        key = (values["day"], row["service_id"], row["office_id"], row["tehsil_id"])
        daily[key].update({**row, "day": values["day"], "received": values["n"]})
    for values in closed:
        row = _row_key(values)
        key = (values["day"], row["service_id"], row["office_id"], row["tehsil_id"])
        counts = {name: values[name] for name in FLOWS if name in values}
        daily[key].update({**row, "day": values["day"], **counts})
    for row in daily.values():
        for name in FLOWS:
            row.setdefault(name, 0)

    open_rows: dict[tuple, dict] = {}
    underway = (
        Application.objects.filter(closed_at__isnull=True)
        .annotate(
            rts_due_on=TruncDate("rts_due_at"),
            paused=Case(
                When(clock_paused_at__isnull=False, then=Value(True)),
                default=Value(False),
            ),
        )
        .values("rts_due_on", "paused", *_DIMENSION_COLUMNS)
        .annotate(n=Count("pk"))
    )
    for values in underway:
        row = _row_key(values)
        key = (
            row["service_id"],
            row["office_id"],
            row["tehsil_id"],
            values["rts_due_on"],
            bool(values["paused"]),
        )
        open_rows[key] = {
            **row,
            "rts_due_on": values["rts_due_on"],
            "paused": bool(values["paused"]),
            "open_count": values["n"],
        }
    return dict(daily), open_rows


def stored_rollups() -> tuple[dict[tuple, dict], dict[tuple, dict]]:
    """The rollup tables as they are, keyed like `expected_rollups`, zero rows left out."""
    fields = ("department_id", "kind", "district_id")
    daily = {
        tuple(row[k] for k in DAILY_KEY): row
        for row in RtsDaily.objects.values(*DAILY_KEY, *fields, *FLOWS)
        if any(row[name] for name in FLOWS)
    }
    open_rows = {
        tuple(row[k] for k in OPEN_KEY): row
        for row in RtsOpen.objects.exclude(open_count=0).values(*OPEN_KEY, *fields, "open_count")
    }
    return daily, open_rows


def rollups_rebuild(*, batch_size: int = 5000) -> tuple[int, int]:
    """Replace the rollups with a direct count. Returns (daily rows, open rows)."""
    daily, open_rows = expected_rollups()
    with transaction.atomic():
        RtsDaily.objects.all().delete()
        RtsOpen.objects.all().delete()
        RtsDaily.objects.bulk_create(
            (RtsDaily(**row) for row in daily.values()), batch_size=batch_size
        )
        RtsOpen.objects.bulk_create(
            (RtsOpen(**row) for row in open_rows.values()), batch_size=batch_size
        )
    return len(daily), len(open_rows)
