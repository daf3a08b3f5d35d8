"""Keeping the RTS rollups current, in the transaction of each change to an application,
and rebuilding them from the applications table (after a bulk load, or to repair what the
reconciliation found)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Case, Count, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from seva.applications import events as lifecycle
from seva.applications.events import OpenPosition, open_position
from seva.applications.models import Application, ApplicationEvent, Feedback
from seva.definitions.models import Service

from .models import (
    PAST_DUE,
    RtsAreaDaily,
    RtsAreaMonthly,
    RtsAreaOpen,
    RtsAreaTotal,
    RtsDaily,
    RtsOpen,
)

if TYPE_CHECKING:
    from seva.applications.models import Application

DAILY_KEY = ("day", "service_id", "office_id", "tehsil_id")
OPEN_KEY = ("service_id", "office_id", "tehsil_id", "rts_due_on", "paused")
AREA = ("district_id", "department_id", "kind")
# What happens to files; the last six come from actions and feedback, not closures:
# action taken reports filed (and of those, before their stage deadline), closures the
# citizen consented to, reopenings, and ratings given (and their sum).
ACTION_FLOWS = {"action_taken_report": "atr", "consent": "consented", "reopen": "reopened"}
FLOWS = (
    "received",
    "disposed",
    "disposed_within_rts",
    "rejected",
    "withdrawn",
    "atr",
    "atr_within",
    "consented",
    "reopened",
    "rated",
    "rating_sum",
)
# Every rollup table: its model, its unique key and its counts.
ROLLUPS = {
    "daily": (RtsDaily, DAILY_KEY, FLOWS),
    "open": (RtsOpen, OPEN_KEY, ("open_count",)),
    "area daily": (RtsAreaDaily, ("day", *AREA), FLOWS),
    "area monthly": (RtsAreaMonthly, ("month", *AREA), FLOWS),
    "area open": (RtsAreaOpen, (*AREA, "rts_due_on", "paused"), ("open_count",)),
    "area total": (RtsAreaTotal, AREA, (*FLOWS, "open_count")),
}


def _dimensions(application: Application) -> dict:
    return {
        "service_id": application.service_id,
        "office_id": application.office_id,
        "tehsil_id": application.tehsil_id or 0,
        "department_id": application.department_id,
        "kind": application.service_version.spec.kind,
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


def _bump_daily(
    application: Application, day: dt.date, deltas: dict[str, int], *, opened: int
) -> None:
    """The day's flows, in the fine table, the area's day, month and all-time totals (with
    the change in files open: 1 for a new file, -1 for one just closed)."""
    deltas = {name: value for name, value in deltas.items() if value}
    if not deltas:
        return
    dimensions = _dimensions(application)
    area = _area(dimensions)
    _bump(RtsDaily, DAILY_KEY, {"day": day, **dimensions}, deltas)
    _bump(RtsAreaDaily, ROLLUPS["area daily"][1], {"day": day, **area}, deltas)
    _bump(RtsAreaMonthly, ROLLUPS["area monthly"][1], {"month": day.replace(day=1), **area}, deltas)
    _bump(RtsAreaTotal, AREA, area, {**deltas, **({"open_count": opened} if opened else {})})


def _bump_open(application: Application, position: OpenPosition, delta: int) -> None:
    where = {"rts_due_on": position.rts_due_on, "paused": position.paused}
    dimensions = _dimensions(application)
    _bump(RtsOpen, OPEN_KEY, {**dimensions, **where}, {"open_count": delta})
    _bump(
        RtsAreaOpen, ROLLUPS["area open"][1], {**_area(dimensions), **where}, {"open_count": delta}
    )


def rollups_on_submit(application: Application) -> None:
    """A new application: received today, and underway until its RTS due date."""
    position = open_position(application)
    _bump_daily(
        application,
        timezone.localdate(application.submitted_at),
        {"received": 1},
        opened=int(position is not None),
    )
    if position is not None:
        _bump_open(application, position, 1)


def rollups_on_action(
    application: Application, counts_as: str, *, within: bool | None, at: dt.datetime
) -> None:
    """An action the dashboards count (Transition.counts_as), on the day it was taken.
    Called before `rollups_on_change`, keeping the order: the day's flows, then open rows."""
    name = ACTION_FLOWS[counts_as]
    deltas = {name: 1, "atr_within": int(name == "atr" and bool(within))}
    _bump_daily(application, timezone.localdate(at), deltas, opened=0)


def rollups_on_feedback(feedback) -> None:
    """A rating of a closed application, on the day it was given."""
    _bump_daily(
        feedback.application,
        timezone.localdate(feedback.created_at),
        {"rated": 1, "rating_sum": feedback.rating},
        opened=0,
    )


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
            opened=-1,
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


def _related(columns: tuple[str, ...]) -> list[str]:
    return [f"application__{column}" for column in columns]


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
    events = (
        ApplicationEvent.objects.exclude(counts_as="")
        .annotate(day=TruncDate("at"))
        .values("day", "counts_as", "within_stage_deadline", *_related(_DIMENSION_COLUMNS))
        .annotate(n=Count("pk"))
    )
    feedback = (
        Feedback.objects.annotate(day=TruncDate("created_at"))
        .values("day", *_related(_DIMENSION_COLUMNS))
        .annotate(n=Count("pk"), total=Sum("rating"))
    )
    for values, counts in [
        *(
            (
                event,
                {
                    ACTION_FLOWS[event["counts_as"]]: event["n"],
                    "atr_within": event["n"]
                    if event["counts_as"] == "action_taken_report"
                    and event["within_stage_deadline"]
                    else 0,
                },
            )
            for event in events
        ),
        *((given, {"rated": given["n"], "rating_sum": given["total"]}) for given in feedback),
    ]:
        row = _row_key({k.removeprefix("application__"): v for k, v in values.items()})
        key = (values["day"], row["service_id"], row["office_id"], row["tehsil_id"])
        into = daily[key]
        into.update({**row, "day": values["day"]})
        for name, count in counts.items():
            into[name] = into.get(name, 0) + count
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
    for name, rows, extra in (
        ("area daily", daily.values(), lambda row: {"day": row["day"]}),
        ("area monthly", daily.values(), lambda row: {"month": row["day"].replace(day=1)}),
        ("area open", open_rows.values(), lambda row: {k: row[k] for k in OPEN_KEY[3:]}),
        ("area total", [*daily.values(), *open_rows.values()], lambda row: {}),
    ):
        expected[name] = _coarsened(rows, extra, ROLLUPS[name][1], ROLLUPS[name][2])
    return expected


def _coarsened(rows, extra, key_fields: tuple[str, ...], counts: tuple[str, ...]) -> dict:
    """Fine rows summed by area (and `extra(row)`), keyed like a coarse table; a fine row
    adds the counts it has. Rows that sum to nothing are left out."""
    totals: dict[tuple, dict] = {}
    for row in rows:
        coarse = {**_area(row), **extra(row)}
        total = totals.setdefault(
            tuple(coarse[k] for k in key_fields), {**coarse, **dict.fromkeys(counts, 0)}
        )
        for count in counts:
            total[count] += row.get(count, 0)
    return {key: row for key, row in totals.items() if any(row[c] for c in counts)}


def fold_past_due(rows: dict[tuple, dict], today: dt.date) -> dict[tuple, dict]:
    """Area open rows as the nightly fold leaves them: those due before `today` summed into
    one row per area and clock state, due PAST_DUE. Used to compare the table with a count
    whether or not the fold has run."""
    folded: dict[tuple, dict] = {}
    for row in rows.values():
        due = PAST_DUE if row["rts_due_on"] < today else row["rts_due_on"]
        key = (*(row[k] for k in AREA), due, bool(row["paused"]))
        into = folded.setdefault(
            key, {**_area(row), "rts_due_on": due, "paused": bool(row["paused"]), "open_count": 0}
        )
        into["open_count"] += row["open_count"]
    return {key: row for key, row in folded.items() if row["open_count"]}


def rollups_fold_past_due(today: dt.date | None = None) -> int:
    """Gather the area open rows due before `today` into one row per area and clock state
    (due PAST_DUE), so that the files beyond RTS are counted from a few rows. Nightly; any
    day's fold is correct, and a missed one only leaves more rows. Returns the rows folded.

    A transaction that moves a file due in the past meanwhile bumps (or creates) the row of
    its own due date, which the next fold gathers: the sums stay right."""
    today = today or timezone.localdate()
    table = connection.ops.quote_name(RtsAreaOpen._meta.db_table)
    area = ", ".join(AREA)
    gathered: dict[tuple, int] = defaultdict(int)
    with transaction.atomic(), connection.cursor() as cursor:
        # What is deleted is what is added back: a row bumped meanwhile is deleted as it is
        # after the bump, and a row created meanwhile stays for the next fold.
        cursor.execute(
            f"DELETE FROM {table} WHERE rts_due_on < %s AND rts_due_on > %s "
            f"RETURNING {area}, paused, open_count",
            [today, PAST_DUE],
        )
        deleted = cursor.fetchall()
        for *key, count in deleted:
            gathered[tuple(key)] += count
        for (district_id, department_id, kind, paused), count in sorted(gathered.items()):
            _bump(
                RtsAreaOpen,
                ROLLUPS["area open"][1],
                {
                    "district_id": district_id,
                    "department_id": department_id,
                    "kind": kind,
                    "rts_due_on": PAST_DUE,
                    "paused": bool(paused),
                },
                {"open_count": count},
            )
    return len(deleted)


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

    ops = connection.ops
    tz = timezone.get_current_timezone_name()
    applications = ops.quote_name(Application._meta.db_table)
    services = ops.quote_name(Service._meta.db_table)
    table = {
        name: ops.quote_name(model._meta.db_table) for name, (model, _k, _c) in ROLLUPS.items()
    }
    received_day, received_params = ops.datetime_cast_date_sql("a.submitted_at", (), tz)
    closed_day, closed_params = ops.datetime_cast_date_sql("a.closed_at", (), tz)
    event_day, event_params = ops.datetime_cast_date_sql("e.at", (), tz)
    rated_day, rated_params = ops.datetime_cast_date_sql("f.created_at", (), tz)
    events = ops.quote_name(ApplicationEvent._meta.db_table)
    feedback = ops.quote_name(Feedback._meta.db_table)
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
    # Rows go in date order, as the live bumps add them, so that a range of days or months
    # is a run of neighbouring pages.
    statements = [
        (
            f"INSERT INTO {table['daily']} (day, {fine}, {flows}) "
            f"SELECT day, {fine}, {sums} FROM ("
            f" SELECT {received_day} AS day, {dimensions}, 1 AS received, 0 AS disposed,"
            f"  0 AS disposed_within_rts, 0 AS rejected, 0 AS withdrawn, 0 AS atr,"
            f"  0 AS atr_within, 0 AS consented, 0 AS reopened, 0 AS rated, 0 AS rating_sum"
            f" FROM {joined}"
            f" UNION ALL"
            f" SELECT {closed_day}, {dimensions},"
            f"  0, CASE WHEN a.outcome = 'withdrawn' THEN 0 ELSE 1 END,"
            f"  CASE WHEN a.outcome <> 'withdrawn' AND a.closed_within_rts THEN 1 ELSE 0 END,"
            f"  CASE WHEN a.outcome = 'rejected' THEN 1 ELSE 0 END,"
            f"  CASE WHEN a.outcome = 'withdrawn' THEN 1 ELSE 0 END, 0, 0, 0, 0, 0, 0"
            f" FROM {joined} WHERE a.closed_at IS NOT NULL"
            f" UNION ALL"
            f" SELECT {event_day}, {dimensions}, 0, 0, 0, 0, 0,"
            f"  CASE WHEN e.counts_as = 'action_taken_report' THEN 1 ELSE 0 END,"
            f"  CASE WHEN e.counts_as = 'action_taken_report' AND e.within_stage_deadline"
            f"   THEN 1 ELSE 0 END,"
            f"  CASE WHEN e.counts_as = 'consent' THEN 1 ELSE 0 END,"
            f"  CASE WHEN e.counts_as = 'reopen' THEN 1 ELSE 0 END, 0, 0"
            f" FROM {events} e JOIN {applications} a ON a.id = e.application_id"
            f" JOIN {services} s ON s.id = a.service_id WHERE e.counts_as <> ''"
            f" UNION ALL"
            f" SELECT {rated_day}, {dimensions}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, f.rating"
            f" FROM {feedback} f JOIN {applications} a ON a.id = f.application_id"
            f" JOIN {services} s ON s.id = a.service_id"
            f") AS flows GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1",
            [*received_params, *closed_params, *event_params, *rated_params],
        ),
        (
            f"INSERT INTO {table['open']} ({fine}, rts_due_on, paused, open_count) "
            f"SELECT {dimensions}, {due_day}, a.clock_paused_at IS NOT NULL, COUNT(*) "
            f"FROM {joined} WHERE a.closed_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
            [*due_params],
        ),
        (
            f"INSERT INTO {table['area daily']} (day, {area}, {flows}) "
            f"SELECT day, {area}, {sums} FROM {table['daily']} GROUP BY 1, 2, 3, 4 ORDER BY 1",
            [],
        ),
        (
            f"INSERT INTO {table['area monthly']} (month, {area}, {flows}) "
            f"SELECT {month}, {area}, {sums} FROM {table['area daily']} "
            f"GROUP BY 1, 2, 3, 4 ORDER BY 1",
            [*month_params],
        ),
        (
            f"INSERT INTO {table['area open']} ({area}, rts_due_on, paused, open_count) "
            f"SELECT {area}, CASE WHEN rts_due_on < %s THEN %s ELSE rts_due_on END, paused, "
            f"SUM(open_count) FROM {table['open']} GROUP BY 1, 2, 3, 4, 5",
            [timezone.localdate(), PAST_DUE],
        ),
        (
            f"INSERT INTO {table['area total']} ({area}, {flows}, open_count) "
            f"SELECT {area}, {', '.join(f'SUM({name})' for name in (*FLOWS, 'open_count'))} "
            f"FROM (SELECT {area}, {flows}, 0 AS open_count FROM {table['area monthly']}"
            f" UNION ALL SELECT {area}, {', '.join('0' for _ in FLOWS)}, open_count"
            f" FROM {table['area open']}"
            f") AS everything GROUP BY 1, 2, 3",
            [],
        ),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for name in ROLLUPS:
            cursor.execute(f"DELETE FROM {table[name]}")
        for sql, params in statements:
            cursor.execute(sql, params)
    return {name: model.objects.count() for name, (model, _k, _c) in ROLLUPS.items()}


# ------------------------------------------------------------------------------
# What the rollups hear from applications (registered when Django starts: apps.py)
# ------------------------------------------------------------------------------
@lifecycle.submitted.register("rts-rollups")
def _on_submitted(event: lifecycle.Submitted) -> None:
    rollups_on_submit(event.application)


@lifecycle.acted.register("rts-rollups")
def _on_acted(event: lifecycle.Acted) -> None:
    rollups_on_action(event.application, event.counts_as, within=event.within, at=event.at)


@lifecycle.rated.register("rts-rollups")
def _on_rated(event: lifecycle.Rated) -> None:
    rollups_on_feedback(event.feedback)


@lifecycle.moved.register("rts-rollups")
def _on_moved(event: lifecycle.Moved) -> None:
    rollups_on_change(event.application, before=event.before)
