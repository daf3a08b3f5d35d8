"""Reconciliation: each day's settlement file of a gateway or bank, matched to Seva's ledger.

A line of the file is *matched* when Seva holds the same order (or challan), as money
received, for the same amount; the payment then carries the day of the file
(`Payment.reconciled_on`). Everything else is a `ReconciliationItem` for an accounts officer:
a line Seva has no payment for (`missing_in_seva`), one for another amount
(`amount_differs`) or one the gateway calls paid while Seva does not, or the other way round
(`status_differs`); and, after the file, each payment of that gateway Seva received on the
day that the file lacks (`missing_at_gateway`).

For a bank's e-challans the file is how a challan gets paid: a line for a challan still
waiting settles it (`services.challan_settle`) and counts as matched.

A file is imported in one transaction: all of it or none. The same file again (the same
lines, fetched or uploaded) is recognised by its digest and the database's unique
constraint, and counts nothing twice; an exception still open from an earlier file of the
gateway is not listed again. Calls to the gateway (fetching the file, asking about orders it
settled that Seva still waits for) are made before the transaction, never inside it."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from seva.core.errors import ActionNotAllowed, ValidationFailed

from .gateways import (
    MAX_FILE_BYTES,
    GatewayAdapter,
    GatewayError,
    SettlementFileError,
    SettlementLine,
    gateway,
    gateway_names,
    read_csv,
)
from .models import Payment, PaymentEvent, ReconciliationItem, Settlement
from .services import challan_settle, payment_settle

logger = logging.getLogger(__name__)

# The status a settlement file gives a payment whose money the gateway or bank holds.
PAID = "success"
# Orders Seva still waits to hear about. When the file lists one, Seva asks the gateway about
# it first (`payment_settle`): a late callback is not a difference between the two ledgers.
UNSETTLED = (Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.EXPIRED)


# ------------------------------------------------------------------------------
# Importing a file
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Reported:
    """What a file says about one reference: usually one line; a reference listed twice is
    added up, so that money reported twice shows as an amount that differs."""

    reference: str
    txn_id: str
    amount_paise: int
    statuses: frozenset[str]
    settled_on: dt.date
    lines: int

    @property
    def paid(self) -> bool:
        return self.statuses == {PAID}


def _by_reference(lines: Iterable[SettlementLine]) -> list[_Reported]:
    grouped: dict[str, list[SettlementLine]] = {}
    for line in lines:
        grouped.setdefault(line.reference, []).append(line)
    return [
        _Reported(
            reference=reference,
            txn_id=", ".join(dict.fromkeys(line.txn_id for line in same if line.txn_id))[:60],
            amount_paise=sum(line.amount_paise for line in same),
            statuses=frozenset(line.status for line in same),
            settled_on=same[0].settled_on,
            lines=len(same),
        )
        for reference, same in grouped.items()
    ]


def settlement_digest(lines: Sequence[SettlementLine]) -> str:
    """The digest a file is recognised by: of its lines as read, so the same file fetched by
    the job and uploaded by an officer (or saved again with other line endings) is one file."""
    text = "\n".join(
        f"{line.reference}|{line.txn_id}|{line.amount_paise}|{line.status}|{line.settled_on}"
        for line in lines
    )
    return hashlib.sha256(text.encode()).hexdigest()


def settlement_import(
    *,
    gateway_name: str,
    day: dt.date,
    lines: Sequence[SettlementLine],
    source: str,
    sha256: str,
    original_name: str = "",
    by=None,
) -> Settlement:
    """Match the settlement file of `gateway_name` for `day` to Seva's payments, in one
    transaction. Answers the Settlement with its counts; for a file imported before, that
    earlier Settlement, unchanged, with `already_imported` set."""
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                settlement = Settlement.objects.create(
                    gateway=gateway_name,
                    day=day,
                    source=source,
                    sha256=sha256,
                    original_name=original_name[:200],
                    lines=len(lines),
                    imported_at=now,
                    imported_by=by,
                )
        except IntegrityError:
            settlement = Settlement.objects.get(gateway=gateway_name, day=day, sha256=sha256)
            settlement.already_imported = True
            return settlement
        settlement.already_imported = False
        matched = 0
        references = set()
        for reported in _by_reference(lines):
            references.add(reported.reference)
            if _match(settlement, reported, by=by):
                matched += reported.lines
        _missing_at_gateway(settlement, references)
        settlement.matched = matched
        settlement.save(update_fields=["matched"])
    return settlement


def _match(settlement: Settlement, reported: _Reported, *, by) -> bool:
    """Whether the file's `reported` agrees with Seva; if not, the exception is listed."""
    payment = (
        Payment.objects.select_for_update()
        .filter(order_id=reported.reference, gateway=settlement.gateway)
        .first()
    )
    if payment is None:
        _item(settlement, ReconciliationItem.Kind.MISSING_IN_SEVA, reported=reported)
        return False
    if (
        payment.method == Payment.Method.CHALLAN
        and payment.status == Payment.Status.PENDING
        and reported.paid
    ):
        # The bank's file is how a challan is paid; an amount the bank took that differs from
        # the challan's is held by challan_settle for the accounts officer.
        settled = challan_settle(
            challan_number=payment.order_id,
            amount_paise=reported.amount_paise,
            bank_ref=reported.txn_id,
            paid_on=settlement.day,
            actor=by,
        )
        payment = settled or payment
        if payment.status == Payment.Status.HELD:
            _item(
                settlement,
                ReconciliationItem.Kind.AMOUNT_DIFFERS,
                reported=reported,
                payment=payment,
            )
            return False
        _reconciled(payment, settlement)
        return True
    if reported.paid != payment.money_received:
        _item(
            settlement, ReconciliationItem.Kind.STATUS_DIFFERS, reported=reported, payment=payment
        )
        return False
    if reported.paid and reported.amount_paise != payment.received_paise:
        _item(
            settlement, ReconciliationItem.Kind.AMOUNT_DIFFERS, reported=reported, payment=payment
        )
        return False
    _reconciled(payment, settlement)
    return True


def _reconciled(payment: Payment, settlement: Settlement) -> None:
    payment.reconciled_on = settlement.day
    payment.save(update_fields=["reconciled_on"])
    PaymentEvent.objects.create(
        payment=payment,
        at=timezone.now(),
        kind="reconciled",
        data={"settlement": settlement.pk, "day": settlement.day.isoformat()},
    )


def _missing_at_gateway(settlement: Settlement, references: set[str]) -> None:
    """Payments of the gateway Seva received on the file's day (Indian time) that the file
    does not list, and no other file has."""
    start = timezone.make_aware(dt.datetime.combine(settlement.day, dt.time.min))
    received = (
        Payment.objects.filter(
            gateway=settlement.gateway,
            status__in=Payment.MONEY_RECEIVED,
            settled_at__gte=start,
            settled_at__lt=start + dt.timedelta(days=1),
            reconciled_on__isnull=True,
        )
        .exclude(order_id__in=references)
        .order_by("settled_at", "pk")
    )
    for payment in received:
        _item(settlement, ReconciliationItem.Kind.MISSING_AT_GATEWAY, payment=payment)


def _item(
    settlement: Settlement,
    kind: str,
    *,
    reported: _Reported | None = None,
    payment: Payment | None = None,
) -> ReconciliationItem | None:
    if reported is None and payment is None:  # pragma: no cover - every caller names one
        raise ValueError("an exception needs the line or the payment it is about")
    reference = reported.reference if reported else payment.order_id  # type: ignore[union-attr]
    still_open = ReconciliationItem.objects.filter(
        settlement__gateway=settlement.gateway,
        kind=kind,
        reference=reference,
        resolved_at__isnull=True,
    )
    if still_open.exists():
        return None
    return ReconciliationItem.objects.create(
        settlement=settlement,
        kind=kind,
        payment=payment,
        reference=reference[:60],
        txn_id=(reported.txn_id if reported else payment.txn_id)[:60],  # type: ignore[union-attr]
        seva_paise=payment.received_paise if payment and payment.money_received else None,
        reported_paise=reported.amount_paise if reported else None,
        # A line Seva knows nothing of has no department or district: the state's accounts.
        department_id=payment.department_id if payment else None,
        district_id=payment.district_id if payment else None,
        found_at=timezone.now(),
    )


# ------------------------------------------------------------------------------
# Fetched by the daily job, or uploaded by an accounts officer
# ------------------------------------------------------------------------------
def has_settlement_feed(adapter: GatewayAdapter) -> bool:
    """Whether the gateway publishes a settlement file Seva can fetch."""
    return type(adapter).settlement is not GatewayAdapter.settlement


def _settle_waiting(adapter: GatewayAdapter, lines: Sequence[SettlementLine]) -> None:
    """An online order the file lists that Seva still waits for (its callback late or lost)
    is settled first, from the gateway's own status query, as the sweep would."""
    if not adapter.takes_online_payments:
        return
    waiting = Payment.objects.filter(
        gateway=adapter.name,
        method=Payment.Method.ONLINE,
        status__in=UNSETTLED,
        order_id__in={line.reference for line in lines},
    ).values_list("order_id", flat=True)
    for order_id in list(waiting):
        payment_settle(order_id=order_id, source="settlement")


def settlement_fetch(*, gateway_name: str, day: dt.date) -> Settlement:
    """Fetch the gateway's file of `day` and import it. GatewayError when it cannot be had
    (or is not as agreed: SettlementFileError); nothing is written then."""
    adapter = gateway(gateway_name)
    lines = adapter.settlement(day)
    _settle_waiting(adapter, lines)
    return settlement_import(
        gateway_name=gateway_name,
        day=day,
        lines=lines,
        source=Settlement.Source.FETCHED,
        sha256=settlement_digest(lines),
    )


def settlement_upload(
    *, gateway_name: str, day: dt.date, content: bytes, filename: str, by
) -> Settlement:
    """A file an accounts officer uploads (a bank that sends its file by mail, a day the job
    could not fetch). A file that is not as agreed, or lists another day's payments, is
    refused whole with the line and column named (SettlementFileError); nothing is written."""
    if gateway_name not in gateway_names():
        raise ValidationFailed({"gateway": [_("Choose the gateway or bank the file is from.")]})
    adapter = gateway(gateway_name)
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(
            {"file": [_("The file is larger than a day's settlement can be: check it.")]}
        )
    lines = []
    for number, row in read_csv(content, adapter):
        line = adapter.settlement_line(row, number)
        if line.settled_on != day:
            column = next(
                (
                    name
                    for name in adapter.settlement_columns
                    if row.get(name) == line.settled_on.isoformat()
                ),
                "",
            )
            raise SettlementFileError(
                line=number,
                column=column,
                problem=_("this payment is of %(date)s, and the file is for %(day)s.")
                % {"date": line.settled_on.isoformat(), "day": day.isoformat()},
            )
        lines.append(line)
    _settle_waiting(adapter, lines)
    return settlement_import(
        gateway_name=gateway_name,
        day=day,
        lines=lines,
        source=Settlement.Source.UPLOADED,
        sha256=settlement_digest(lines),
        original_name=filename,
        by=by,
    )


def settlements_fetch_all(*, day: dt.date) -> int:
    """The daily job: the file of `day` of every configured gateway that publishes one.
    A gateway that cannot be reached is logged and tried again tomorrow, or its file is
    uploaded; the others go on. Answers how many files were imported (new ones)."""
    imported = 0
    for name in gateway_names():
        try:
            if not has_settlement_feed(gateway(name)):
                continue
            settlement = settlement_fetch(gateway_name=name, day=day)
        except GatewayError as exc:
            logger.warning("settlement file of %s for %s not imported: %s", name, day, exc)
            continue
        imported += not settlement.already_imported
    return imported


# ------------------------------------------------------------------------------
# An accounts officer resolves an exception
# ------------------------------------------------------------------------------
def reconciliation_item_resolve(
    *, item: ReconciliationItem, remarks: str, by
) -> ReconciliationItem:
    """Close an exception with what was found and done (remarks required). The caller found
    the item through `selectors.reconciliation_items_visible_to`."""
    remarks = (remarks or "").strip()
    if not remarks:
        raise ValidationFailed({"remarks": [_("Say what you found and what was done.")]})
    with transaction.atomic():
        locked = ReconciliationItem.objects.select_for_update().get(pk=item.pk)
        if locked.resolved_at is not None:
            raise ActionNotAllowed(_("This exception was resolved already."))
        locked.resolved_at = timezone.now()
        locked.resolved_by = by
        locked.remarks = remarks
        locked.save(update_fields=["resolved_at", "resolved_by", "remarks"])
        if locked.payment_id is not None:
            PaymentEvent.objects.create(
                payment_id=locked.payment_id,
                at=locked.resolved_at,
                kind="reconciliation_resolved",
                data={"kind": locked.kind, "remarks": remarks},
                actor=by,
            )
    return locked
