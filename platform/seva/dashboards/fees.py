"""Fees on the board: fees collected and refunded by month, service, district and
department, read from `FeeMonth` (kept by listeners on the payments ledger, in the
transaction that moved the money), and the daily snapshot of payments the state's review
asks for (date, service, application, amount paid), read from the ledger for a day or a
range. Both are limited to what the reader may see (`fees_scope`).

What counts as collected: a payment that paid a fee (status success), for the money
received on it, in the month it was received; refunded: what was paid back on such a
payment, in the month it was paid back. Money not credited to a fee (held for an accounts
officer's review, paid twice, paid for a fee no longer due) is not on the board, and
neither are its refunds: it is refunded in full or decided by an accounts officer, and the
snapshot lists it with its status (docs/dashboards.md, "Fees")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from seva.applications.models import Application
from seva.core.errors import ActionNotAllowed, ValidationFailed
from seva.core.money import rupees
from seva.org.models import Department, Jurisdiction, JurisdictionLevel
from seva.payments import events as money
from seva.payments.models import Payment, Refund
from seva.payments.selectors import accounts_postings

from .boards import _area, _names, board_scope
from .models import FeeMonth

FEE_BYS = ("month", "service", "district", "department")
FEE_GROUPINGS = {
    "month": "month",
    "service": "service_id",
    "district": "district_id",
    "department": "department_id",
}
# A snapshot is for a day, or a range up to a year: a longer one is a job for the database's
# own reports, not for a download.
SNAPSHOT_MAX_DAYS = 366


@dataclass(frozen=True)
class FeeFilters:
    by: str = "month"
    start: dt.date | None = None  # the first month shown (its first day)
    end: dt.date | None = None  # the last month shown (its first day)
    department_id: int | None = None
    district_id: int | None = None
    service_id: int | None = None


@dataclass(frozen=True)
class SnapshotFilters:
    start: dt.date
    end: dt.date
    department_id: int | None = None
    district_id: int | None = None
    service_id: int | None = None


@dataclass
class FeeRow:
    key: object  # the month (a date), or the service's, district's or department's id
    name: str = ""
    code: str = ""
    collected_paise: int = 0
    payments: int = 0
    refunded_paise: int = 0
    refunds: int = 0

    @property
    def net_paise(self) -> int:
        return self.collected_paise - self.refunded_paise

    @property
    def collected(self) -> str:
        return rupees(self.collected_paise)

    @property
    def refunded(self) -> str:
        return rupees(self.refunded_paise)

    @property
    def net(self) -> str:
        return rupees(self.net_paise)


# ------------------------------------------------------------------------------
# Who reads what
# ------------------------------------------------------------------------------
def fees_scope(user) -> Q:
    """The fees and payments `user` may read, over the rollups' columns (`district_id`,
    `department_id`, `office_id`, `tehsil_id`): the RTS board's readers with the board's
    own scope (boards.board_scope: the CMO and the state admin everything, a collector
    their district, a head of department their department in their area, an officer their
    office), and accounts officers their posting's department (every department when it
    names none) in its area (for a posting over a district or more, the payments their
    accounts pages show). Raises ActionNotAllowed for anybody else."""
    try:
        board = board_scope(user)
    except ActionNotAllowed as exc:
        raise ActionNotAllowed("Fees and payments are for officers and accounts officers.") from exc
    parts = [board]
    for posting in accounts_postings(user):
        area = _area(posting.jurisdiction)
        if posting.department_id:
            area &= Q(department_id=posting.department_id)
        parts.append(area)
    # An empty Q allows everything; OR-ing one into another would drop it instead.
    if any(not part.children for part in parts):
        return Q()
    scope = parts[0]
    for part in parts[1:]:
        scope |= part
    return scope


# The rollups' columns, as a payment reaches them.
_PAYMENT_COLUMNS = {
    "pk": "pk",
    "district_id": "district_id",
    "department_id": "department_id",
    "office_id": "application__office_id",
    "tehsil_id": "application__tehsil_id",
}


def scope_on_payments(scope: Q) -> Q:
    """`fees_scope` over `Payment` rows (the district and department copied on the payment,
    the office and tehsil of its application)."""
    moved = Q()
    moved.connector, moved.negated = scope.connector, scope.negated
    for child in scope.children:
        if isinstance(child, Q):
            moved.children.append(scope_on_payments(child))
        else:
            lookup, value = child
            column, separator, rest = lookup.partition("__")
            moved.children.append((_PAYMENT_COLUMNS[column] + separator + rest, value))
    return moved


# ------------------------------------------------------------------------------
# The board's Fees page
# ------------------------------------------------------------------------------
def fees_board(*, user, filters: FeeFilters, language: str = "en") -> list[FeeRow]:
    """Fees collected and refunded, grouped `by` month (newest first), service, district or
    department (most collected first), in the filters' months and the reader's scope."""
    if filters.by not in FEE_BYS:
        raise ValidationFailed({"by": [f"Choose one of: {', '.join(FEE_BYS)}."]})
    if filters.start and filters.end and filters.start > filters.end:
        raise ValidationFailed({"from": ["The first month is after the last."]})
    months = FeeMonth.objects.filter(fees_scope(user))
    if filters.start:
        months = months.filter(month__gte=filters.start)
    if filters.end:
        months = months.filter(month__lte=filters.end)
    for column in ("department_id", "district_id", "service_id"):
        if getattr(filters, column):
            months = months.filter(**{column: getattr(filters, column)})
    column = FEE_GROUPINGS[filters.by]
    rows = [
        FeeRow(
            key=values[column],
            collected_paise=int(values["collected"] or 0),
            payments=int(values["paid"] or 0),
            refunded_paise=int(values["refunded"] or 0),
            refunds=int(values["paid_back"] or 0),
        )
        for values in months.values(column).annotate(
            collected=Sum("collected_paise"),
            paid=Sum("payments"),
            refunded=Sum("refunded_paise"),
            paid_back=Sum("refunds"),
        )
    ]
    rows = [row for row in rows if row.payments or row.refunds]
    if filters.by == "month":
        return sorted(rows, key=lambda row: row.key, reverse=True)
    names = _names(filters.by, {row.key for row in rows}, language)
    for row in rows:
        row.name, row.code = names.get(row.key, (str(row.key), ""))
    return sorted(rows, key=lambda row: (-row.collected_paise, row.name, row.code))


def fees_total(rows: Iterable[FeeRow]) -> FeeRow:
    total = FeeRow(key=None)
    for row in rows:
        total.collected_paise += row.collected_paise
        total.payments += row.payments
        total.refunded_paise += row.refunded_paise
        total.refunds += row.refunds
    return total


# ------------------------------------------------------------------------------
# The daily snapshot
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PaymentLine:
    """One payment whose money was received, as the snapshot lists it."""

    day: dt.date
    service: str
    reference: str
    paid_paise: int
    district: str
    department: str
    fee: str
    head: str
    method: str
    receipt_number: str
    txn_id: str
    order_id: str
    status: str
    refunded_paise: int


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def payments_snapshot(
    *, user, filters: SnapshotFilters, language: str = "en"
) -> Iterator[PaymentLine]:
    """The payments whose money was received (Payment.MONEY_RECEIVED) from `filters.start`
    to `filters.end` (days, Asia/Kolkata), in the reader's scope, oldest first, read from
    the ledger in chunks as the caller goes (an export streams them). The reader and the
    filters are checked now, before the first line is asked for."""
    if filters.start > filters.end:
        raise ValidationFailed({"from": ["The start of the range is after its end."]})
    if (filters.end - filters.start).days >= SNAPSHOT_MAX_DAYS:
        raise ValidationFailed({"to": [f"Choose at most {SNAPSHOT_MAX_DAYS} days."]})
    scope = scope_on_payments(fees_scope(user))
    payments = Payment.objects.filter(
        scope,
        status__in=Payment.MONEY_RECEIVED,
        settled_at__gte=_local_midnight(filters.start),
        settled_at__lt=_local_midnight(filters.end + dt.timedelta(days=1)),
    )
    for column in ("department_id", "district_id", "service_id"):
        if getattr(filters, column):
            payments = payments.filter(**{column: getattr(filters, column)})
    return _payment_lines(payments, language)


def _payment_lines(payments, language: str) -> Iterator[PaymentLine]:
    suffix = "hi" if language == "hi" else "en"
    services = _names(
        "service",
        set(payments.order_by().values_list("service_id", flat=True).distinct()),
        language,
    )
    districts = dict(
        Jurisdiction.objects.filter(level=JurisdictionLevel.DISTRICT).values_list(
            "pk", f"name_{suffix}"
        )
    )
    departments = dict(Department.objects.values_list("pk", f"name_{suffix}"))
    paid_back = (
        Refund.objects.filter(payment=OuterRef("pk"), status=Refund.Status.PROCESSED)
        .values("payment")
        .annotate(total=Sum("amount_paise"))
        .values("total")
    )
    rows = (
        payments.annotate(refunded=Coalesce(Subquery(paid_back), 0))
        .order_by("settled_at", "pk")
        .values_list(
            "settled_at",
            "service_id",
            "application__reference",
            "amount_paise",
            "reported_paise",
            "district_id",
            "department_id",
            "fee__name",
            "head",
            "method",
            "receipt_number",
            "txn_id",
            "order_id",
            "status",
            "refunded",
        )
    )
    for (
        settled_at,
        service_id,
        reference,
        amount_paise,
        reported_paise,
        district_id,
        department_id,
        fee_name,
        head,
        method,
        receipt_number,
        txn_id,
        order_id,
        status,
        refunded,
    ) in rows.iterator(chunk_size=2000):
        yield PaymentLine(
            day=timezone.localdate(settled_at),
            service=services.get(service_id, (str(service_id), ""))[0],
            reference=reference,
            paid_paise=amount_paise if reported_paise is None else reported_paise,
            district=districts.get(district_id, ""),
            department=departments.get(department_id, ""),
            fee=(fee_name or {}).get(language) or (fee_name or {}).get("en", ""),
            head=head,
            method=str(Payment.Method(method).label),
            receipt_number=receipt_number or "",
            txn_id=txn_id,
            order_id=order_id,
            status=str(Payment.Status(status).label),
            refunded_paise=int(refunded),
        )


# ------------------------------------------------------------------------------
# Keeping FeeMonth current (listeners on the payments ledger, registered in apps.py)
# ------------------------------------------------------------------------------
FEE_MONTH_KEY = ("month", "service_id", "office_id", "tehsil_id", "district_id")
FEE_COUNTS = ("collected_paise", "payments", "refunded_paise", "refunds")


def _month_of(at: dt.datetime) -> dt.date:
    return timezone.localdate(at).replace(day=1)


def fee_month_bump(*, application_id: int, month: dt.date, **deltas: int) -> None:
    """Add `deltas` (of FEE_COUNTS) to the application's row of `month`, in one statement:
    the row's dimensions are read from the application by the same statement."""
    quote = connection.ops.quote_name
    table = quote(FeeMonth._meta.db_table)
    applications = quote(Application._meta.db_table)
    counts = ", ".join(quote(c) for c in FEE_COUNTS)
    updates = ", ".join(
        f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in FEE_COUNTS
    )
    with connection.cursor() as cursor:
        # The WHERE also tells SQLite that ON CONFLICT belongs to the INSERT, not the SELECT.
        cursor.execute(
            f"INSERT INTO {table} (month, service_id, office_id, tehsil_id, district_id, "
            f"department_id, {counts}) "
            f"SELECT %s, a.service_id, a.office_id, COALESCE(a.tehsil_id, 0), "
            f"COALESCE(a.district_id, 0), a.department_id, {', '.join(['%s'] * len(FEE_COUNTS))} "
            f"FROM {applications} a WHERE a.id = %s "
            f"ON CONFLICT ({', '.join(FEE_MONTH_KEY)}) DO UPDATE SET {updates}",
            [month, *(deltas.get(c, 0) for c in FEE_COUNTS), application_id],
        )


def _received(payment: Payment) -> int:
    """The money received: the gateway's amount where it differed and was accepted."""
    return payment.amount_paise if payment.reported_paise is None else payment.reported_paise


@money.settled.register("fee-rollups")
def _on_settled(payment: Payment) -> None:
    # Only a payment that paid a fee is collected; it reaches success once (a held payment
    # accepted later is told of again, as success, and counted then).
    if payment.status != Payment.Status.SUCCESS or payment.settled_at is None:
        return
    fee_month_bump(
        application_id=payment.application_id,
        month=_month_of(payment.settled_at),
        collected_paise=_received(payment),
        payments=1,
    )


@money.refunded.register("fee-rollups")
def _on_refunded(refund: Refund) -> None:
    # Refunds of money that was never collected (paid twice, not applied) are not counted.
    payment = refund.payment
    if payment.status != Payment.Status.SUCCESS:
        return
    fee_month_bump(
        application_id=payment.application_id,
        month=_month_of(refund.processed_at or timezone.now()),
        refunded_paise=refund.amount_paise,
        refunds=1,
    )


# ------------------------------------------------------------------------------
# Reconciliation: FeeMonth against a direct count of the ledger
# ------------------------------------------------------------------------------
_DIMENSIONS = ("service_id", "office_id", "tehsil_id", "district_id", "department_id")


def _counted(queryset, application: str, day_field: str, paise, counts, into: dict) -> None:
    """Add the rows of `queryset` (payments or refunds; `application` the path to their
    application) to `into`, by the month of `day_field`: the sum of `paise` and the rows,
    under the two FEE_COUNTS named in `counts`."""
    for values in (
        queryset.annotate(day=TruncDate(day_field))
        .values("day", *(f"{application}__{d}" for d in _DIMENSIONS))
        .annotate(n=Count("pk"), paise=Sum(paise))
    ):
        dimensions = {d: values[f"{application}__{d}"] or 0 for d in _DIMENSIONS}
        month = values["day"].replace(day=1)
        key = (month, *(dimensions[c] for c in FEE_MONTH_KEY[1:]))
        row = into.setdefault(key, {"month": month, **dimensions, **dict.fromkeys(FEE_COUNTS, 0)})
        row[counts[0]] += int(values["paise"] or 0)
        row[counts[1]] += values["n"]


def fee_months_expected() -> dict[tuple, dict]:
    """FeeMonth counted directly from the ledger, keyed by its unique key."""
    expected: dict[tuple, dict] = {}
    _counted(
        Payment.objects.filter(status=Payment.Status.SUCCESS, settled_at__isnull=False),
        "application",
        "settled_at",
        Coalesce("reported_paise", "amount_paise"),
        ("collected_paise", "payments"),
        expected,
    )
    _counted(
        Refund.objects.filter(
            status=Refund.Status.PROCESSED,
            processed_at__isnull=False,
            payment__status=Payment.Status.SUCCESS,
        ),
        "payment__application",
        "processed_at",
        "amount_paise",
        ("refunded_paise", "refunds"),
        expected,
    )
    return expected


def fee_months_stored() -> dict[tuple, dict]:
    stored = {}
    for row in FeeMonth.objects.values("month", *_DIMENSIONS, *FEE_COUNTS):
        if any(row[c] for c in FEE_COUNTS):
            stored[tuple(row[c] for c in FEE_MONTH_KEY)] = row
    return stored


def fee_months_differences(*, limit: int = 50) -> list[str]:
    """Each FeeMonth row that differs from a direct count of the ledger, in words."""
    expected, stored = fee_months_expected(), fee_months_stored()
    differences = []
    empty = dict.fromkeys(FEE_COUNTS, 0)
    for key in sorted(set(expected) | set(stored), key=str):
        want = {c: expected.get(key, empty)[c] for c in FEE_COUNTS}
        have = {c: stored.get(key, empty)[c] for c in FEE_COUNTS}
        if want != have:
            differences.append(f"fees {key}: counted {want}, rollup has {have}")
    return differences[:limit]


def fee_months_rebuild() -> int:
    """Replace FeeMonth with a direct count of the ledger; returns the rows written. The
    table is locked meanwhile, so that a payment settled during the rebuild waits for it
    and is then counted once."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(FeeMonth._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        expected = fee_months_expected()
        FeeMonth.objects.all().delete()
        FeeMonth.objects.bulk_create(FeeMonth(**row) for row in expected.values())
    return len(expected)
