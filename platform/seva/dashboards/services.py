"""Keeping the RTS rollups current, in the transaction of each change to an application,
and rebuilding them from the applications table (after a bulk load, or to repair what the
reconciliation found).

A change costs one SQL statement, whatever the number of tables: every row it bumps, in
every rollup table, goes into one `INSERT ... ON CONFLICT DO UPDATE` per table, and on
PostgreSQL those are the parts of one statement (data-modifying CTEs). SQLite, which has
no such CTEs, takes one statement per table (`rollups_write`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, models, transaction
from django.db.models import Case, Count, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from seva.applications import events as lifecycle
from seva.applications.events import OpenPosition, open_position
from seva.applications.models import Application, ApplicationEvent, Feedback
from seva.definitions.models import Service

from .models import (
    PAST_DUE,
    PLACE_KEY,
    SERVICE_KEY,
    RtsAreaDaily,
    RtsAreaMonthly,
    RtsAreaOpen,
    RtsAreaTotal,
    RtsDaily,
    RtsOpen,
    RtsPlaceMonthly,
    RtsPlaceOpen,
    RtsPlaceTotal,
    RtsServiceMonthly,
    RtsServiceOpen,
    RtsServiceTotal,
    RtsStateDaily,
)

if TYPE_CHECKING:
    from seva.applications.models import Application

FINE = ("service_id", "office_id", "tehsil_id", "department_id", "kind", "district_id")
DAILY_KEY = ("day", "service_id", "office_id", "tehsil_id")
OPEN_KEY = ("service_id", "office_id", "tehsil_id", "rts_due_on", "paused")
AREA = ("district_id", "department_id", "kind")
SERVICE = (*SERVICE_KEY, "department_id", "kind")
STATE = ("department_id", "kind")
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


@dataclass(frozen=True)
class Rollup:
    """A rollup table: the dimensions of a file it keeps (its key, and columns that are
    functions of the key), what a row is per (`period`: flows per "day" or "month", or
    "all" time with the files open now; or the "open" files by due date and clock state),
    its unique key and its counts."""

    model: type[models.Model]
    dimensions: tuple[str, ...]
    key: tuple[str, ...]
    period: str

    @property
    def counts(self) -> tuple[str, ...]:
        return {"open": ("open_count",), "all": (*FLOWS, "open_count")}.get(self.period, FLOWS)

    def key_of(self, row: dict) -> tuple:
        return tuple(row[name] for name in self.key)


def _rollup(model, dimensions, period: str, key=None) -> Rollup:
    extra = {"day": ("day",), "month": ("month",), "all": (), "open": ()}[period]
    after = ("rts_due_on", "paused") if period == "open" else ()
    return Rollup(model, dimensions, (*extra, *(key or dimensions), *after), period)


# Every rollup table, in the order its rows are bumped (and locked) in a change.
ROLLUPS = {
    "daily": _rollup(RtsDaily, FINE, "day", DAILY_KEY[1:]),
    "open": _rollup(RtsOpen, FINE, "open", OPEN_KEY[:3]),
    "area daily": _rollup(RtsAreaDaily, AREA, "day"),
    "area monthly": _rollup(RtsAreaMonthly, AREA, "month"),
    "area open": _rollup(RtsAreaOpen, AREA, "open"),
    "area total": _rollup(RtsAreaTotal, AREA, "all"),
    "service monthly": _rollup(RtsServiceMonthly, SERVICE, "month", SERVICE_KEY),
    "service open": _rollup(RtsServiceOpen, SERVICE, "open", SERVICE_KEY),
    "service total": _rollup(RtsServiceTotal, SERVICE, "all", SERVICE_KEY),
    "place monthly": _rollup(RtsPlaceMonthly, PLACE_KEY, "month"),
    "place open": _rollup(RtsPlaceOpen, PLACE_KEY, "open"),
    "place total": _rollup(RtsPlaceTotal, PLACE_KEY, "all"),
    "state daily": _rollup(RtsStateDaily, STATE, "day"),
}
# The coarse tables whose files due in the past the nightly fold gathers.
FOLDED = tuple(
    name for name, rollup in ROLLUPS.items() if rollup.period == "open" and name != "open"
)


def _dimensions(application: Application) -> dict:
    return {
        "service_id": application.service_id,
        "office_id": application.office_id,
        "tehsil_id": application.tehsil_id or 0,
        "department_id": application.department_id,
        "kind": application.service_version.spec.kind,
        "district_id": application.district_id or 0,
    }


# Rows to bump: {rollup name: {key: (row, {count: delta})}}.
Changes = dict[str, dict[tuple, tuple[dict, dict[str, int]]]]


def _add(changes: Changes, name: str, row: dict, deltas: dict[str, int]) -> None:
    """Add `deltas` to the change of `row` in the table `name`: one row is bumped once per
    statement (PostgreSQL cannot update a row twice in one)."""
    key = ROLLUPS[name].key_of(row)
    _row, found = changes.setdefault(name, {}).setdefault(key, (row, {}))
    for count, delta in deltas.items():
        found[count] = found.get(count, 0) + delta


def _flows(
    changes: Changes, dimensions: dict, day: dt.date, deltas: dict[str, int], *, opened: int
) -> None:
    """The day's flows in every table of flows (with the change in files open in the
    all-time ones: 1 for a new file, -1 for one just closed)."""
    deltas = {name: value for name, value in deltas.items() if value}
    if not deltas:
        return
    for name, rollup in ROLLUPS.items():
        if rollup.period == "open":
            continue
        row = {column: dimensions[column] for column in rollup.dimensions}
        more = {}
        if rollup.period == "day":
            row["day"] = day
        elif rollup.period == "month":
            row["month"] = day.replace(day=1)
        elif opened:
            more = {"open_count": opened}
        _add(changes, name, row, {**deltas, **more})


def _open(changes: Changes, dimensions: dict, position: OpenPosition, delta: int) -> None:
    where = {"rts_due_on": position.rts_due_on, "paused": position.paused}
    for name, rollup in ROLLUPS.items():
        if rollup.period == "open":
            row = {**{column: dimensions[column] for column in rollup.dimensions}, **where}
            _add(changes, name, row, {"open_count": delta})


def _upsert(rollup: Rollup, rows: list[tuple[dict, dict[str, int]]]) -> tuple[str, list]:
    """One INSERT ... ON CONFLICT DO UPDATE adding each row's deltas (every row given the
    same count columns), rows in key order."""
    quote = connection.ops.quote_name
    table = quote(rollup.model._meta.db_table)
    counts = [c for c in rollup.counts if any(c in deltas for _row, deltas in rows)]
    columns = [*rows[0][0], *counts]
    values, params = [], []
    for row, deltas in rows:
        values.append(f"({', '.join(['%s'] * len(columns))})")
        params += [*(row[c] for c in rows[0][0]), *(deltas.get(c, 0) for c in counts)]
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in counts)
    return (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES {', '.join(values)} "
        f"ON CONFLICT ({', '.join(quote(c) for c in rollup.key)}) DO UPDATE SET {updates}",
        params,
    )


def rollups_write(changes: Changes) -> None:
    """Bump every row of `changes` in one statement (on SQLite, one per table): two
    transactions bumping the same row both count, the second waiting for the first.

    Rows are locked in one order (tables in the order of ROLLUPS, rows by key), the same
    for every change, so that two transactions bumping the same rows wait for each other
    instead of deadlocking. PostgreSQL runs the parts of a statement in an order fixed by
    its shape (it is not promised to be the written one, but it is the same for every
    statement built here)."""
    parts = []
    for name, rollup in ROLLUPS.items():
        rows = [
            (row, deltas)
            for _key, (row, deltas) in sorted(changes.get(name, {}).items())
            if any(deltas.values())
        ]
        if rows:
            parts.append(_upsert(rollup, rows))
    if not parts:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            for sql, params in parts:
                cursor.execute(sql, params)
            return
        ctes = ", ".join(f"bump{i} AS ({sql})" for i, (sql, _p) in enumerate(parts))
        cursor.execute(
            f"WITH {ctes} SELECT 1", [param for _sql, params in parts for param in params]
        )


def _changes_on_submit(application: Application) -> Changes:
    changes: Changes = {}
    dimensions = _dimensions(application)
    position = open_position(application)
    day = timezone.localdate(application.submitted_at)
    _flows(changes, dimensions, day, {"received": 1}, opened=int(position is not None))
    if position is not None:
        _open(changes, dimensions, position, 1)
    return changes


def _changes_on_action(
    application: Application, counts_as: str, *, within: bool | None, at: dt.datetime
) -> Changes:
    changes: Changes = {}
    name = ACTION_FLOWS[counts_as]
    deltas = {name: 1, "atr_within": int(name == "atr" and bool(within))}
    _flows(changes, _dimensions(application), timezone.localdate(at), deltas, opened=0)
    return changes


def _changes_on_feedback(feedback) -> Changes:
    changes: Changes = {}
    _flows(
        changes,
        _dimensions(feedback.application),
        timezone.localdate(feedback.created_at),
        {"rated": 1, "rating_sum": feedback.rating},
        opened=0,
    )
    return changes


def _changes_on_move(application: Application, *, before: OpenPosition | None) -> Changes:
    changes: Changes = {}
    after = open_position(application)
    if before == after:
        return changes
    dimensions = _dimensions(application)
    if after is None and before is not None:  # closed just now
        withdrawn = application.outcome == "withdrawn"
        _flows(
            changes,
            dimensions,
            timezone.localdate(application.closed_at),
            {
                "withdrawn": int(withdrawn),
                "disposed": int(not withdrawn),
                "disposed_within_rts": int(not withdrawn and bool(application.closed_within_rts)),
                "rejected": int(application.outcome == "rejected"),
            },
            opened=-1,
        )
    for position, delta in ((before, -1), (after, 1)):
        if position is not None:
            _open(changes, dimensions, position, delta)
    return changes


# A transition tells of itself in up to three events (acted, rated, then moved: see
# seva.applications.events). The first two are held on the application object until the
# third, so that the change is written in one statement. Held on the object, not in a
# process-wide list: if the transaction fails, what was held goes with the object.
_HELD = "_rollup_changes_held"


def _merge(into: Changes, changes: Changes) -> Changes:
    for name, rows in changes.items():
        for row, deltas in rows.values():
            _add(into, name, row, deltas)
    return into


def _hold(application: Application, changes: Changes) -> None:
    _merge(application.__dict__.setdefault(_HELD, {}), changes)


def _release(application: Application) -> Changes:
    return application.__dict__.pop(_HELD, None) or {}


def rollups_on_submit(application: Application) -> None:
    """A new application: received today, and underway until its RTS due date."""
    rollups_write(_changes_on_submit(application))


def rollups_on_action(
    application: Application, counts_as: str, *, within: bool | None, at: dt.datetime
) -> None:
    """An action the dashboards count (Transition.counts_as), on the day it was taken: held
    until the transition's move (`rollups_on_change`) writes it with its own rows."""
    _hold(application, _changes_on_action(application, counts_as, within=within, at=at))


def rollups_on_feedback(feedback) -> None:
    """A rating of a closed application, on the day it was given: with the transition that
    carried it (a rating given with consent), or at once (feedback given later)."""
    application = feedback.application
    if _HELD in application.__dict__:
        _hold(application, _changes_on_feedback(feedback))
    else:
        rollups_write(_changes_on_feedback(feedback))


def rollups_on_change(application: Application, *, before: OpenPosition | None) -> None:
    """After a transition or a recomputed deadline: move the file between due dates, or out
    of the open files and into the day's disposals when it closed; with what the
    transition's action and rating held."""
    rollups_write(_merge(_release(application), _changes_on_move(application, before=before)))


def rollups_flush(application: Application) -> None:
    """Write whatever is still held for `application` (nothing, when the transition told of
    its move last, as it does)."""
    rollups_write(_release(application))


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
    extras = {
        "day": lambda row: {"day": row["day"]},
        "month": lambda row: {"month": row["day"].replace(day=1)},
        "open": lambda row: {"rts_due_on": row["rts_due_on"], "paused": row["paused"]},
        "all": lambda row: {},
    }
    for name, rollup in ROLLUPS.items():
        if name in expected:
            continue
        rows = {
            "day": daily.values(),
            "month": daily.values(),
            "open": open_rows.values(),
            "all": [*daily.values(), *open_rows.values()],
        }[rollup.period]
        expected[name] = _coarsened(rows, extras[rollup.period], rollup)
    return expected


def _coarsened(rows, extra, rollup: Rollup) -> dict:
    """Fine rows summed by the rollup's dimensions (and `extra(row)`), keyed like its table;
    a fine row adds the counts it has. Rows that sum to nothing are left out."""
    totals: dict[tuple, dict] = {}
    for row in rows:
        coarse = {**{name: row[name] for name in rollup.dimensions}, **extra(row)}
        total = totals.setdefault(
            rollup.key_of(coarse), {**coarse, **dict.fromkeys(rollup.counts, 0)}
        )
        for count in rollup.counts:
            total[count] += row.get(count, 0)
    return {key: row for key, row in totals.items() if any(row[c] for c in rollup.counts)}


def fold_past_due(name: str, rows: dict[tuple, dict], today: dt.date) -> dict[tuple, dict]:
    """The open rows of the coarse table `name` as the nightly fold leaves them: those due
    before `today` summed into one row per key and clock state, due PAST_DUE. Used to
    compare the table with a count whether or not the fold has run."""
    rollup = ROLLUPS[name]
    folded: dict[tuple, dict] = {}
    for row in rows.values():
        due = PAST_DUE if row["rts_due_on"] < today else row["rts_due_on"]
        moved = {**row, "rts_due_on": due, "paused": bool(row["paused"])}
        into = folded.setdefault(rollup.key_of(moved), {**moved, "open_count": 0})
        into["open_count"] += row["open_count"]
    return {key: row for key, row in folded.items() if row["open_count"]}


def rollups_fold_past_due(today: dt.date | None = None) -> int:
    """Gather the coarse open rows due before `today` into one row per key and clock state
    (due PAST_DUE), so that the files beyond RTS are counted from a few rows. Nightly; any
    day's fold is correct, and a missed one only leaves more rows. Returns the rows folded.

    A transaction that moves a file due in the past meanwhile bumps (or creates) the row of
    its own due date, which the next fold gathers: the sums stay right. One table per
    transaction, so that the fold never holds rows of two tables at once (a change locks
    rows of several, in its own order)."""
    today = today or timezone.localdate()
    folded = 0
    for name in FOLDED:
        rollup = ROLLUPS[name]
        table = connection.ops.quote_name(rollup.model._meta.db_table)
        dimensions = ", ".join(rollup.dimensions)
        gathered: dict[tuple, int] = defaultdict(int)
        with transaction.atomic(), connection.cursor() as cursor:
            # What is deleted is what is added back: a row bumped meanwhile is deleted as it
            # is after the bump, and a row created meanwhile stays for the next fold.
            cursor.execute(
                f"DELETE FROM {table} WHERE rts_due_on < %s AND rts_due_on > %s "
                f"RETURNING {dimensions}, paused, open_count",
                [today, PAST_DUE],
            )
            deleted = cursor.fetchall()
            for *key, count in deleted:
                gathered[tuple(key)] += count
            changes: Changes = {}
            for (*values, paused), count in gathered.items():
                row = {**dict(zip(rollup.dimensions, values, strict=True))}
                row.update(rts_due_on=PAST_DUE, paused=bool(paused))
                _add(changes, name, row, {"open_count": count})
            rollups_write(changes)
        folded += len(deleted)
    return folded


def stored_rollups() -> dict[str, dict[tuple, dict]]:
    """The rollup tables as they are, keyed like `expected_rollups`, zero rows left out."""
    stored = {}
    for name, rollup in ROLLUPS.items():
        model = rollup.model
        others = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        stored[name] = {
            rollup.key_of(row): row
            for row in model._default_manager.values(*others)
            if any(row[c] for c in rollup.counts)
        }
    return stored


def _derived(name: str, built: list[str], today: dt.date) -> tuple[str, list]:
    """The INSERT ... SELECT that builds the coarse table `name` from the tables `built`
    before it: flows by day or month from the smallest daily table holding its dimensions,
    open files from the fine open table (those due before `today` folded), all time from its
    own family's monthly and open tables."""
    ops = connection.ops
    rollup = ROLLUPS[name]
    table = ops.quote_name(rollup.model._meta.db_table)
    dimensions = ", ".join(rollup.dimensions)
    flows = ", ".join(FLOWS)
    sums = ", ".join(f"SUM({count})" for count in FLOWS)
    # GROUP BY by position: the same on PostgreSQL and SQLite, and whatever the parameters.
    width = len(rollup.dimensions)
    positions = ", ".join(str(n) for n in range(1, width + 2))  # the period (or due date) too
    if rollup.period in ("day", "month"):
        source = min(
            (
                other
                for other in built
                if ROLLUPS[other].period == "day"
                and set(rollup.dimensions) <= set(ROLLUPS[other].dimensions)
            ),
            key=lambda other: len(ROLLUPS[other].dimensions),
        )
        period, params = "day", []
        if rollup.period == "month":
            period, month_params = ops.date_trunc_sql("month", "day", (), None)
            params = list(month_params)
        source_table = ops.quote_name(ROLLUPS[source].model._meta.db_table)
        # In date order, as the live bumps add them, so that a range of days or months is a
        # run of neighbouring pages.
        return (
            f"INSERT INTO {table} ({rollup.period}, {dimensions}, {flows}) "
            f"SELECT {period}, {dimensions}, {sums} FROM {source_table} "
            f"GROUP BY {positions} ORDER BY 1",
            params,
        )
    if rollup.period == "open":
        fine = ops.quote_name(RtsOpen._meta.db_table)
        return (
            f"INSERT INTO {table} ({dimensions}, rts_due_on, paused, open_count) "
            f"SELECT {dimensions}, CASE WHEN rts_due_on < %s THEN %s ELSE rts_due_on END, "
            f"paused, SUM(open_count) FROM {fine} GROUP BY {positions}, {width + 2}",
            [today, PAST_DUE],
        )
    family = name.removesuffix(" total")
    monthly = ops.quote_name(ROLLUPS[f"{family} monthly"].model._meta.db_table)
    open_table = ops.quote_name(ROLLUPS[f"{family} open"].model._meta.db_table)
    every = ", ".join(f"SUM({count})" for count in (*FLOWS, "open_count"))
    return (
        f"INSERT INTO {table} ({dimensions}, {flows}, open_count) "
        f"SELECT {dimensions}, {every} "
        f"FROM (SELECT {dimensions}, {flows}, 0 AS open_count FROM {monthly}"
        f" UNION ALL SELECT {dimensions}, {', '.join('0' for _ in FLOWS)}, open_count"
        f" FROM {open_table}"
        f") AS everything GROUP BY {', '.join(str(n) for n in range(1, width + 1))}",
        [],
    )


def rollups_rebuild() -> dict[str, int]:
    """Replace the rollups with a direct count, in the database (a few statements whatever
    the number of files): the fine tables from the applications, each coarse one from
    them. Returns the number of rows of each table."""

    ops = connection.ops
    tz = timezone.get_current_timezone_name()
    applications = ops.quote_name(Application._meta.db_table)
    services = ops.quote_name(Service._meta.db_table)
    table = {name: ops.quote_name(rollup.model._meta.db_table) for name, rollup in ROLLUPS.items()}
    received_day, received_params = ops.datetime_cast_date_sql("a.submitted_at", (), tz)
    closed_day, closed_params = ops.datetime_cast_date_sql("a.closed_at", (), tz)
    event_day, event_params = ops.datetime_cast_date_sql("e.at", (), tz)
    rated_day, rated_params = ops.datetime_cast_date_sql("f.created_at", (), tz)
    events = ops.quote_name(ApplicationEvent._meta.db_table)
    feedback = ops.quote_name(Feedback._meta.db_table)
    due_day, due_params = ops.datetime_cast_date_sql("a.rts_due_at", (), tz)
    fine = ", ".join(FINE)
    dimensions = (
        "a.service_id AS service_id, a.office_id AS office_id, "
        "COALESCE(a.tehsil_id, 0) AS tehsil_id, a.department_id AS department_id, "
        "s.kind AS kind, COALESCE(a.district_id, 0) AS district_id"
    )
    joined = f"{applications} a JOIN {services} s ON s.id = a.service_id"
    flows = ", ".join(FLOWS)
    sums = ", ".join(f"SUM({name})" for name in FLOWS)
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
    ]
    today = timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        for name in ROLLUPS:
            cursor.execute(f"DELETE FROM {table[name]}")
        for sql, params in statements:
            cursor.execute(sql, params)
        built = ["daily", "open"]
        for name in ROLLUPS:
            if name not in built:
                cursor.execute(*_derived(name, built, today))
                built.append(name)
    return {name: rollup.model._default_manager.count() for name, rollup in ROLLUPS.items()}


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


@lifecycle.entered.register("rts-rollups")
def _on_entered(event: lifecycle.Entered) -> None:
    # After the whole change: nothing is held when the transition told of its move last,
    # as it does; should that order change, what is held is still written in the change.
    rollups_flush(event.application)
