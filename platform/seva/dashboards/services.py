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

from .models import RtsAreaDaily, RtsAreaMonthly, RtsAreaOpen, RtsDaily, RtsOpen

if TYPE_CHECKING:
    from seva.applications.models import Application

DAILY_KEY = ("day", "service_id", "office_id", "tehsil_id")
OPEN_KEY = ("service_id", "office_id", "tehsil_id", "rts_due_on", "paused")
AREA = ("district_id", "department_id", "kind")
FLOWS = ("received", "disposed", "disposed_within_rts", "rejected", "withdrawn")
# Every rollup table: its model, its unique key and its counts.
ROLLUPS = {
    "daily": (RtsDaily, DAILY_KEY, FLOWS),
    "open": (RtsOpen, OPEN_KEY, ("open_count",)),
    "area daily": (RtsAreaDaily, ("day", *AREA), FLOWS),
    "area monthly": (RtsAreaMonthly, ("month", *AREA), FLOWS),
    "area open": (RtsAreaOpen, (*AREA, "rts_due_on", "paused"), ("open_count",)),
}


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


def _area(row: dict) -> dict:
    return {name: row[name] for name in AREA}


def _bump_daily(application: Application, day: dt.date, deltas: dict[str, int]) -> None:
    """The day's flows, in the fine table, the area's day and the area's month."""
    deltas = {name: value for name, value in deltas.items() if value}
    if not deltas:
        return
    dimensions = _dimensions(application)
    _bump(RtsDaily, DAILY_KEY, {"day": day, **dimensions}, deltas)
    _bump(RtsAreaDaily, ROLLUPS["area daily"][1], {"day": day, **_area(dimensions)}, deltas)
    month = day.replace(day=1)
    _bump(RtsAreaMonthly, ROLLUPS["area monthly"][1], {"month": month, **_area(dimensions)}, deltas)


def _bump_open(application: Application, position: OpenPosition, delta: int) -> None:
    where = {"rts_due_on": position.rts_due_on, "paused": position.paused}
    dimensions = _dimensions(application)
    _bump(RtsOpen, OPEN_KEY, {**dimensions, **where}, {"open_count": delta})
    _bump(
        RtsAreaOpen, ROLLUPS["area open"][1], {**_area(dimensions), **where}, {"open_count": delta}
    )


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


def expected_rollups() -> dict[str, dict[tuple, dict]]:
    """Every rollup table counted directly from the applications table, keyed by the
    table's unique key, zero rows left out: {"daily": ..., "open": ..., "area daily": ...}."""
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
    expected = {"daily": dict(daily), "open": open_rows}
    for name, source, extra in (
        ("area daily", daily, lambda row: {"day": row["day"]}),
        ("area monthly", daily, lambda row: {"month": row["day"].replace(day=1)}),
        ("area open", open_rows, lambda row: {k: row[k] for k in ("rts_due_on", "paused")}),
    ):
        _model, key_fields, counts = ROLLUPS[name]
        totals: dict[tuple, dict] = {}
        for row in source.values():
            coarse = {**_area(row), **extra(row)}
            key = tuple(coarse[k] for k in key_fields)
            total = totals.setdefault(key, {**coarse, **dict.fromkeys(counts, 0)})
            for count in counts:
                total[count] += row[count]
        expected[name] = {key: row for key, row in totals.items() if any(row[c] for c in counts)}
    return expected


def stored_rollups() -> dict[str, dict[tuple, dict]]:
    """The rollup tables as they are, keyed like `expected_rollups`, zero rows left out."""
    stored = {}
    for name, (model, key_fields, counts) in ROLLUPS.items():
        others = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        stored[name] = {
            tuple(row[k] for k in key_fields): row
            for row in model.objects.values(*others)
            if any(row[c] for c in counts)
        }
    return stored


def rollups_rebuild() -> dict[str, int]:
    """Replace the rollups with a direct count, in the database (a few statements whatever
    the number of files). Returns the number of rows of each table."""
    from seva.applications.models import Application
    from seva.definitions.models import Service

    ops = connection.ops
    tz = timezone.get_current_timezone_name()
    applications = ops.quote_name(Application._meta.db_table)
    services = ops.quote_name(Service._meta.db_table)
    table = {
        name: ops.quote_name(model._meta.db_table) for name, (model, _k, _c) in ROLLUPS.items()
    }
    received_day, received_params = ops.datetime_cast_date_sql("a.submitted_at", (), tz)
    closed_day, closed_params = ops.datetime_cast_date_sql("a.closed_at", (), tz)
    due_day, due_params = ops.datetime_cast_date_sql("a.rts_due_at", (), tz)
    month, month_params = ops.date_trunc_sql("month", "day", (), None)
    fine = "service_id, office_id, tehsil_id, department_id, kind, district_id"
    dimensions = (
        "a.service_id AS service_id, a.office_id AS office_id, "
        "COALESCE(a.tehsil_id, 0) AS tehsil_id, a.department_id AS department_id, "
        "s.kind AS kind, COALESCE(a.district_id, 0) AS district_id"
    )
    joined = f"{applications} a JOIN {services} s ON s.id = a.service_id"
    area, flows = ", ".join(AREA), ", ".join(FLOWS)
    sums = ", ".join(f"SUM({name})" for name in FLOWS)
    # GROUP BY by position: the same on PostgreSQL and SQLite, and whatever the parameters.
    statements = [
        (
            f"INSERT INTO {table['daily']} (day, {fine}, {flows}) "
            f"SELECT day, {fine}, {sums} FROM ("
            f" SELECT {received_day} AS day, {dimensions}, 1 AS received, 0 AS disposed,"
            f"  0 AS disposed_within_rts, 0 AS rejected, 0 AS withdrawn FROM {joined}"
            f" UNION ALL"
            f" SELECT {closed_day}, {dimensions},"
            f"  0, CASE WHEN a.outcome = 'withdrawn' THEN 0 ELSE 1 END,"
            f"  CASE WHEN a.outcome <> 'withdrawn' AND a.closed_within_rts THEN 1 ELSE 0 END,"
            f"  CASE WHEN a.outcome = 'rejected' THEN 1 ELSE 0 END,"
            f"  CASE WHEN a.outcome = 'withdrawn' THEN 1 ELSE 0 END"
            f" FROM {joined} WHERE a.closed_at IS NOT NULL"
            f") AS flows GROUP BY 1, 2, 3, 4, 5, 6, 7",
            [*received_params, *closed_params],
        ),
        (
            f"INSERT INTO {table['open']} ({fine}, rts_due_on, paused, open_count) "
            f"SELECT {dimensions}, {due_day}, a.clock_paused_at IS NOT NULL, COUNT(*) "
            f"FROM {joined} WHERE a.closed_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
            [*due_params],
        ),
        (
            f"INSERT INTO {table['area daily']} (day, {area}, {flows}) "
            f"SELECT day, {area}, {sums} FROM {table['daily']} GROUP BY 1, 2, 3, 4",
            [],
        ),
        (
            f"INSERT INTO {table['area monthly']} (month, {area}, {flows}) "
            f"SELECT {month}, {area}, {sums} FROM {table['area daily']} GROUP BY 1, 2, 3, 4",
            [*month_params],
        ),
        (
            f"INSERT INTO {table['area open']} ({area}, rts_due_on, paused, open_count) "
            f"SELECT {area}, rts_due_on, paused, SUM(open_count) FROM {table['open']} "
            f"GROUP BY 1, 2, 3, 4, 5",
            [],
        ),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for name in ROLLUPS:
            cursor.execute(f"DELETE FROM {table[name]}")
        for sql, params in statements:
            cursor.execute(sql, params)
    return {name: model.objects.count() for name, (model, _k, _c) in ROLLUPS.items()}
