"""The RTS adherence board: per district, department, service, tehsil or office, the
columns the CMO reviews, read from the rollups (never the applications table) and limited
to what the reader may see.

Columns, for a date range:
- received: applications submitted in the range;
- completed: disposed of in the range (approved, rejected or closed; not withdrawn), and of
  those, the share within and outside the RTS deadline;
- underway: open now, and of those, the share within the deadline and beyond it (past the
  due date with the clock running; a file with the citizen is not late);
- rejection: rejected, as a share of completed;
- score: 0 to 10 (see `score` and docs/dashboards.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, models
from django.db.models import Q, Sum

from seva.core.errors import ActionNotAllowed
from seva.definitions.models import Service, ServiceVersion
from seva.org.models import Department, Jurisdiction, JurisdictionLevel, Oversight
from seva.org.selectors import posting_sees_everything, postings_active

from .models import (
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
)

GROUPINGS = {
    "district": "district_id",
    "department": "department_id",
    "service": "service_id",
    "tehsil": "tehsil_id",
    "office": "office_id",
}
# What a board may be grouped by: the rollups' columns, and the officers of one office.
BYS = (*GROUPINGS, "officer")
KINDS = ("service", "scheme", "grievance")
# The weights of the score: disposal within RTS, underway within RTS, not rejected.
SCORE_WEIGHTS = (Decimal("0.5"), Decimal("0.3"), Decimal("0.2"))


@dataclass(frozen=True)
class BoardFilters:
    by: str = "district"
    start: dt.date | None = None
    end: dt.date | None = None
    kind: str = ""
    department_id: int | None = None
    district_id: int | None = None
    tehsil_id: int | None = None
    office_id: int | None = None


@dataclass
class BoardRow:
    key: int
    name: str
    code: str = ""  # the district's, tehsil's, office's, department's or service's code
    received: int = 0
    completed: int = 0
    completed_within: int = 0
    rejected: int = 0
    underway: int = 0
    underway_beyond: int = 0
    # Grievances (see GRIEVANCE_COUNTS); ratings are of any kind.
    atr: int = 0
    atr_within: int = 0
    consented: int = 0
    reopened: int = 0
    rated: int = 0
    rating_sum: int = 0
    rank: int = 0
    score: Decimal | None = field(default=None)
    # (month, score, rank) of the state's monthly snapshots, oldest first; see snapshots.py.
    history: list[tuple[dt.date, Decimal | None, int | None]] = field(default_factory=list)

    @property
    def completed_outside(self) -> int:
        return self.completed - self.completed_within

    @property
    def underway_within(self) -> int:
        return self.underway - self.underway_beyond

    def _pct(self, part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(100) * part / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def completed_within_pct(self) -> Decimal | None:
        return self._pct(self.completed_within, self.completed)

    @property
    def completed_outside_pct(self) -> Decimal | None:
        return self._pct(self.completed_outside, self.completed)

    @property
    def underway_within_pct(self) -> Decimal | None:
        return self._pct(self.underway_within, self.underway)

    @property
    def underway_beyond_pct(self) -> Decimal | None:
        return self._pct(self.underway_beyond, self.underway)

    @property
    def rejection_pct(self) -> Decimal | None:
        return self._pct(self.rejected, self.completed)

    @property
    def atr_within_pct(self) -> Decimal | None:
        """Action taken reports filed before their stage deadline, of those filed."""
        return self._pct(self.atr_within, self.atr)

    @property
    def consented_pct(self) -> Decimal | None:
        """Closed with the citizen's consent, of those completed."""
        return self._pct(self.consented, self.completed)

    @property
    def reopened_pct(self) -> Decimal | None:
        """Reopened by the citizen, of the action taken reports filed."""
        return self._pct(self.reopened, self.atr)

    @property
    def satisfaction(self) -> Decimal | None:
        """The average rating, 1 to 5."""
        if not self.rated:
            return None
        return (Decimal(self.rating_sum) / self.rated).quantize(Decimal("0.1"), ROUND_HALF_UP)


# Colour bands of the score, shown on the board: good from 8, fair from 5, poor below.
SCORE_BANDS = ((Decimal(8), "good"), (Decimal(5), "fair"), (Decimal(0), "poor"))


def score_band(value: Decimal | None) -> str:
    if value is None:
        return "none"
    return next(band for floor, band in SCORE_BANDS if value >= floor)


def score(row: BoardRow) -> Decimal | None:
    """0 to 10: half for disposal within RTS (of those completed), three tenths for files
    underway within RTS (of those underway), a fifth for not rejecting (of those completed).
    A part with nothing to measure counts in full; with nothing completed and nothing
    underway there is no score."""
    if not row.completed and not row.underway:
        return None
    within = Decimal(row.completed_within) / row.completed if row.completed else Decimal(1)
    on_time = Decimal(row.underway_within) / row.underway if row.underway else Decimal(1)
    kept = 1 - Decimal(row.rejected) / row.completed if row.completed else Decimal(1)
    weights = SCORE_WEIGHTS
    value = 10 * (weights[0] * within + weights[1] * on_time + weights[2] * kept)
    return value.quantize(Decimal("0.1"), ROUND_HALF_UP)


# ------------------------------------------------------------------------------
# Who sees what
# ------------------------------------------------------------------------------
def board_scope(user) -> Q:
    """The rollup rows `user` may see: the CMO (a posting with no department over the state)
    and the state admin everything; a collector their district; a head of department their
    department in their area; any other officer their own office, in their department.
    Raises ActionNotAllowed for anybody else."""
    if getattr(user, "is_superuser", False):
        return Q()
    scope = Q(pk__in=[])
    seen = False
    for posting in postings_active(user):
        seen = True
        place = posting.jurisdiction
        if posting_sees_everything(posting):
            return Q()
        area = _area(place)
        if posting.role.oversees == Oversight.DISTRICT:
            scope |= area
        elif posting.role.oversees == Oversight.DEPARTMENT:
            scope |= area & Q(department_id=posting.department_id)
        else:
            office = Q(office_id=place.pk)
            if posting.department_id:
                office &= Q(department_id=posting.department_id)
            scope |= office
    if not seen:
        raise ActionNotAllowed("The RTS dashboard is for officers.")
    return scope


def _area(place: Jurisdiction) -> Q:
    if place.level == JurisdictionLevel.STATE:
        return Q()
    if place.level == JurisdictionLevel.DISTRICT:
        return Q(district_id=place.pk)
    districts = Jurisdiction.objects.filter(
        level=JurisdictionLevel.DISTRICT, path__startswith=place.path
    ).values_list("pk", flat=True)
    if place.level == JurisdictionLevel.DIVISION:
        return Q(district_id__in=list(districts))
    # Below a district: the offices and tehsils inside it.
    inside = list(
        Jurisdiction.objects.filter(path__startswith=place.path).values_list("pk", flat=True)
    )
    return Q(office_id__in=inside) | Q(tehsil_id__in=inside)


# ------------------------------------------------------------------------------
# The board
# ------------------------------------------------------------------------------
def filter_rollups(queryset, filters: BoardFilters, scope: Q):
    queryset = queryset.filter(scope)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.department_id:
        queryset = queryset.filter(department_id=filters.department_id)
    if filters.district_id:
        queryset = queryset.filter(district_id=filters.district_id)
    if filters.tehsil_id:
        queryset = queryset.filter(tehsil_id=filters.tehsil_id)
    if filters.office_id:
        queryset = queryset.filter(office_id=filters.office_id)
    return queryset


def _names(by: str, keys: set[int], language: str) -> dict[int, tuple[str, str]]:
    """(name, code) of each row's district, department, service, tehsil or office."""
    suffix = "hi" if language == "hi" else "en"
    if by == "department":
        rows = Department.objects.filter(pk__in=keys).values_list("pk", f"name_{suffix}", "code")
        names = {pk: (name, code) for pk, name, code in rows}
    elif by == "service":
        # Every service (a few hundred short rows) rather than a long list of keys to match.
        services = Service.objects.all() if len(keys) > 50 else Service.objects.filter(pk__in=keys)
        versions = {
            pk: (code, version)
            for pk, code, version in services.values_list("pk", "code", "current_version")
            if pk in keys
        }
        texts = _version_names({version for _code, version in versions.values() if version})
        names = {
            pk: (_service_name(code, texts.get(version), language), code)
            for pk, (code, version) in versions.items()
        }
    else:
        rows = Jurisdiction.objects.filter(pk__in=keys).values_list("pk", f"name_{suffix}", "code")
        names = {pk: (name, code) for pk, name, code in rows}
    names.setdefault(0, ("—", ""))
    return names


# The names of service versions, kept for the process's life: a version never changes. Read
# out of the version's document by the database, once: loading 550 versions (forms and
# workflows) to name a board's rows would take seconds, and even their names alone tens of
# milliseconds (the documents are compressed).
_VERSION_NAMES: dict[int, dict] = {}
_VERSION_NAMES_KEPT = 20_000


def _version_names(versions: set[int]) -> dict[int, dict]:
    missing = versions - set(_VERSION_NAMES)
    if missing:
        if len(_VERSION_NAMES) + len(missing) > _VERSION_NAMES_KEPT:
            _VERSION_NAMES.clear()
        _VERSION_NAMES.update(
            ServiceVersion.objects.filter(pk__in=missing).values_list("pk", "service_doc__name")
        )
    return {version: _VERSION_NAMES[version] for version in versions if version in _VERSION_NAMES}


def _service_name(code: str, name: dict | None, language: str) -> str:
    """The service's name in `language` (English when it has none), from its current
    version's document (`ServiceSpec.name` is the same texts); the code without a version."""
    if not name:
        return code
    return name.get(language) or name["en"]


@dataclass(frozen=True)
class CoarseFamily:
    """Coarse tables that hold the same counts as the fine ones for fewer columns: a board
    grouped, filtered and scoped by these columns alone reads them. The days at either end
    of a date range come from `daily`."""

    columns: frozenset[str]
    total: type[models.Model]
    monthly: type[models.Model]
    daily: type[models.Model]
    open: type[models.Model]


# From the coarsest: the first family that holds what a board asks for is read.
FAMILIES = (
    CoarseFamily(
        frozenset({"district_id", "department_id", "kind"}),
        RtsAreaTotal,
        RtsAreaMonthly,
        RtsAreaDaily,
        RtsAreaOpen,
    ),
    CoarseFamily(
        frozenset({"service_id", "district_id", "department_id", "kind"}),
        RtsServiceTotal,
        RtsServiceMonthly,
        RtsDaily,
        RtsServiceOpen,
    ),
    CoarseFamily(
        frozenset({"office_id", "tehsil_id", "district_id", "department_id", "kind"}),
        RtsPlaceTotal,
        RtsPlaceMonthly,
        RtsDaily,
        RtsPlaceOpen,
    ),
)
# What the state's daily table holds: the weekly trend reads it when it can.
STATE_COLUMNS = frozenset({"department_id", "kind"})


def _scope_columns(scope: Q) -> set[str]:
    """The columns the reader's scope names (`pk` only in the scope that allows nothing)."""
    found = set()
    for child in scope.children:
        if isinstance(child, Q):
            found |= _scope_columns(child)
        elif child[0].split("__")[0] != "pk":
            found.add(child[0].split("__")[0])
    return found


def columns_needed(filters: BoardFilters, scope: Q, columns: tuple[str, ...] = ()) -> set[str]:
    """The rollup columns a read needs: those it groups by, filters on and is scoped by."""
    needed = set(columns) | _scope_columns(scope)
    for column in ("kind", "department_id", "district_id", "tehsil_id", "office_id"):
        if getattr(filters, column):
            needed.add(column)
    return needed


def coarse_family(filters: BoardFilters, scope: Q, columns: tuple[str, ...]) -> CoarseFamily | None:
    """The coarsest tables that hold what is asked, or None (the fine tables)."""
    needed = columns_needed(filters, scope, columns)
    return next((family for family in FAMILIES if needed <= family.columns), None)


def month_after(day: dt.date) -> dt.date:
    """The first of the month after `day`'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def whole_months(start: dt.date | None, end: dt.date | None):
    """Split a date range (None: open at that end) into the whole months inside it and the
    days left over at either end. Returns (first, last, edges): the firsts of the first and
    last whole months (None where the range is open), and a list of (from, to) day ranges.
    When no whole month fits, (None, None, [(start, end)])."""
    first = start if start is None or start.day == 1 else month_after(start)
    stop = None  # the first day after the last whole month
    if end is not None:
        stop = month_after(end) if month_after(end) - dt.timedelta(days=1) == end else end
        stop = stop.replace(day=1)
    if first is not None and stop is not None and first >= stop:
        return None, None, [(start, end)]
    edges = []
    if start is not None and first != start:
        edges.append((start, first - dt.timedelta(days=1)))
    if stop is not None and stop <= end:
        edges.append((stop, end))
    last = None if stop is None else (stop - dt.timedelta(days=1)).replace(day=1)
    return first, last, edges


# What the board counts, in order: the flows of the date range, then the files open now.
GRIEVANCE_COUNTS = ("atr", "atr_within", "consented", "reopened", "rated", "rating_sum")
_BASE_COUNTS = ("received", "completed", "completed_within", "rejected")
_BASE_FLOWS = ("received", "disposed", "disposed_within_rts", "rejected")
OPEN_COUNTS = ("underway", "underway_beyond")


def measures(filters: BoardFilters) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the board's counts, the rollup columns of its flows): the grievance columns only on
    the board of grievances (every other board would sum zeros)."""
    if filters.kind == "grievance":
        flows = (*_BASE_FLOWS, *GRIEVANCE_COUNTS)
        return (*_BASE_COUNTS, *GRIEVANCE_COUNTS, *OPEN_COUNTS), flows
    return (*_BASE_COUNTS, *OPEN_COUNTS), _BASE_FLOWS


def board_sums(
    columns: tuple[str, ...], filters: BoardFilters, scope: Q, today: dt.date
) -> dict[tuple, dict]:
    """The board's counts (`measures`) per value of `columns`: the flows in the filters'
    date range; the files underway now, and of those beyond RTS on `today` (due before it,
    clock running)."""
    family = coarse_family(filters, scope, columns)
    if family is not None:
        return _coarse_sums(family, columns, filters, scope, today)
    counts, flow_columns = measures(filters)
    daily = filter_rollups(RtsDaily.objects.all(), filters, scope)
    if filters.start:
        daily = daily.filter(day__gte=filters.start)
    if filters.end:
        daily = daily.filter(day__lte=filters.end)
    found: dict[tuple, dict] = {}
    for values in daily.values(*columns).annotate(
        **{
            name: Sum(source)
            for name, source in zip(counts[: len(flow_columns)], flow_columns, strict=True)
        }
    ):
        found[tuple(values.pop(c) for c in columns)] = {**values, "underway": 0}
    underway = filter_rollups(RtsOpen.objects.all(), filters, scope)
    for values in underway.values(*columns).annotate(
        underway=Sum("open_count"),
        underway_beyond=Sum("open_count", filter=Q(rts_due_on__lt=today, paused=False)),
    ):
        row = found.setdefault(
            tuple(values.pop(c) for c in columns), dict.fromkeys(counts[: len(flow_columns)], 0)
        )
        row.update(values)
    return {key: {name: row.get(name) or 0 for name in counts} for key, row in found.items()}


def _scope_sql(scope: Q) -> tuple[str, list]:
    """The reader's scope as SQL over the coarse tables' columns (it names no other: see
    `coarse_family`)."""
    parts, params = [], []
    for child in scope.children:
        if isinstance(child, Q):
            sql, more = _scope_sql(child)
        else:
            lookup, value = child
            column = "id" if lookup.split("__")[0] == "pk" else lookup.split("__")[0]
            if lookup.endswith("__in"):
                values = list(value)
                sql = f"{column} IN ({', '.join(['%s'] * len(values))})" if values else "1 = 0"
                more = values
            else:
                sql, more = f"{column} = %s", [value]
        parts.append(f"({sql})")
        params.extend(more)
    if not parts:
        return "1 = 1", []
    sql = f" {scope.connector} ".join(parts)
    return (f"NOT ({sql})" if scope.negated else sql), params


def _coarse_sums(
    family: CoarseFamily,
    columns: tuple[str, ...],
    filters: BoardFilters,
    scope: Q,
    today: dt.date,
) -> dict[tuple, dict]:
    """board_sums from a family of coarse tables, in one statement: the flows from the
    totals (all time) or from whole months and the days at either end; the files underway
    from the totals; those beyond RTS from the few open rows due in the past. Written by
    hand: the statement is small and runs on every page view."""
    where, where_params = _scope_sql(scope)
    for column in ("kind", "department_id", "district_id", "tehsil_id", "office_id"):
        value = getattr(filters, column)
        if value:
            where += f" AND {column} = %s"
            where_params.append(value)
    counts, flow_columns = measures(filters)
    flows = ", ".join(f"{name} AS n{i}" for i, name in enumerate(flow_columns))
    nothing = ", ".join(f"0 AS n{i}" for i in range(len(flow_columns)))
    u, b = f"n{len(flow_columns)}", f"n{len(flow_columns) + 1}"
    table = {
        part: connection.ops.quote_name(getattr(family, part)._meta.db_table)
        for part in ("total", "monthly", "daily", "open")
    }
    names = ", ".join(columns)
    parts: list[tuple[str, list]] = []
    if filters.start is None and filters.end is None:
        parts.append(
            (f"{flows}, open_count AS {u}, 0 AS {b} FROM {table['total']} WHERE 1 = 1", [])
        )
    else:
        parts.append(
            (f"{nothing}, open_count AS {u}, 0 AS {b} FROM {table['total']} WHERE 1 = 1", [])
        )
        first, last, edges = whole_months(filters.start, filters.end)
        if first is not None or last is not None or not edges:
            sql, params = (
                f"{flows}, 0 AS {u}, 0 AS {b} FROM {table['monthly']} WHERE 1 = 1",
                [],
            )
            if first:
                sql, params = f"{sql} AND month >= %s", [*params, first]
            if last:
                sql, params = f"{sql} AND month <= %s", [*params, last]
            parts.append((sql, params))
        for since, until in edges:
            sql, params = f"{flows}, 0 AS {u}, 0 AS {b} FROM {table['daily']} WHERE 1 = 1", []
            if since:
                sql, params = f"{sql} AND day >= %s", [*params, since]
            if until:
                sql, params = f"{sql} AND day <= %s", [*params, until]
            parts.append((sql, params))
    parts.append(
        (
            f"{nothing}, 0 AS {u}, open_count AS {b} FROM {table['open']} "
            f"WHERE rts_due_on < %s AND NOT paused",
            [today],
        )
    )
    selects, params = [], []
    for sql, part_params in parts:
        selects.append(f"SELECT {names}, {sql} AND ({where})")
        params += [*part_params, *where_params]
    sums = ", ".join(f"SUM(n{i})" for i in range(len(counts)))
    statement = (
        f"SELECT {names}, {sums} FROM ({' UNION ALL '.join(selects)}) AS board GROUP BY {names}"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A few thousand rows: starting parallel workers would cost more than it saves.
            # Sent with the statement as one simple query, which PostgreSQL runs as one
            # transaction (or inside the caller's), so SET LOCAL lasts for it alone.
            cursor.execute(f"SET LOCAL max_parallel_workers_per_gather = 0; {statement}", params)
            cursor.nextset()
        else:
            cursor.execute(statement, params)
        return {
            tuple(found[: len(columns)]): dict(
                zip(counts, map(int, found[len(columns) :]), strict=True)
            )
            for found in cursor.fetchall()
        }


def board_rows(filters: BoardFilters, scope: Q, today: dt.date, language: str) -> list[BoardRow]:
    """The board for the rows `scope` allows, ranked."""
    rows = {
        key: BoardRow(key=key, name="", **values)
        for (key,), values in board_sums((GROUPINGS[filters.by],), filters, scope, today).items()
    }
    rows = {key: row for key, row in rows.items() if row.received or row.completed or row.underway}
    names = _names(filters.by, set(rows), language)
    for row in rows.values():
        row.name, row.code = names.get(row.key, (str(row.key), ""))
        row.score = score(row)
    # Ties by name, then code and key: an office and a tehsil may share a name, and the
    # ranking must not depend on the order the database returned the rows in.
    ranked = sorted(
        rows.values(), key=lambda r: (r.score is None, -(r.score or 0), r.name, r.code, r.key)
    )
    for rank, row in enumerate(ranked, start=1):
        row.rank = rank
    return ranked
