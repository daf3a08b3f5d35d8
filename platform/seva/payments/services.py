"""Paying a fee: the order sent to the gateway, its settlement, the counter's cash and UPI,
the e-challan, and refunds.

An online payment is believed only when the gateway, asked server to server, confirms the
same order, amount and status (`payment_settle`): a callback or the browser's return only
tell Seva when to ask. Each payment is settled once under its row's lock, and the fee is
marked paid in the same transaction (`applications.services.fee_paid`), which the database
also guards (`payments_fee_paid_once`). Money that arrives for a fee already paid, or no
longer due, is recorded and refunded; money whose amount differs is held for an accounts
officer. Calls to the gateway are never made inside a transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seva.applications import events as lifecycle
from seva.applications.errors import FeeAlreadyPaid, FeeNotDue
from seva.applications.models import Application, ApplicationEvent, FeeDue
from seva.applications.services import fee_paid
from seva.core.errors import ActionNotAllowed, NotFound, SevaError, ValidationFailed
from seva.core.money import rupees
from seva.workflows.engine import CITIZEN, SYSTEM

from . import events as money
from .gateways import GatewayError, GatewayStatus, gateway
from .models import Payment, PaymentEvent, Refund

logger = logging.getLogger(__name__)

# An online order not completed in this time is marked expired by the sweep (the gateway may
# still report it paid later: it is then credited or refunded).
ORDER_MINUTES = 30
# The sweep leaves an order alone this long, so that the gateway's callback comes first.
SWEEP_GRACE_MINUTES = 2
COUNTER_METHODS = (Payment.Method.CASH, Payment.Method.UPI)


class PaymentNotPossible(ActionNotAllowed):
    default_message = gettext_lazy("This fee cannot be paid now.")


class GatewayUnavailable(SevaError):
    default_message = gettext_lazy(
        "The payment gateway cannot be reached just now. Nothing was charged: try again in a "
        "few minutes."
    )


class RefundTooLarge(SevaError):
    default_message = gettext_lazy("A refund cannot be more than what is left of the payment.")


# ------------------------------------------------------------------------------
# Numbers
# ------------------------------------------------------------------------------
def _new_order_id(at: dt.datetime) -> str:
    """`SV` + the date + 10 random digits: unguessable enough, and readable on the phone."""
    return f"SV{timezone.localdate(at):%Y%m%d}{secrets.randbelow(10**10):010d}"


def _new_challan_number(at: dt.datetime) -> str:
    return f"CHL{timezone.localdate(at):%y%m%d}{secrets.randbelow(10**8):08d}"


def _receipt_number(payment: Payment) -> str:
    """Seva's receipt: the state, the year of the money and the payment's row, unique."""
    year = timezone.localdate(payment.settled_at or timezone.now()).year
    return f"{settings.SEVA_STATE_CODE}-RCT-{year}-{payment.pk:08d}"


def _event(payment: Payment, kind: str, at: dt.datetime, data: dict | None = None, actor=None):
    PaymentEvent.objects.create(payment=payment, at=at, kind=kind, data=data or {}, actor=actor)


# ------------------------------------------------------------------------------
# Starting a payment
# ------------------------------------------------------------------------------
def _payable(fee: FeeDue) -> None:
    if fee.status != FeeDue.Status.DUE or fee.application.closed_at is not None:
        raise PaymentNotPossible(_("This fee is not due now, so it cannot be paid."))
    if Payment.objects.filter(fee=fee).filter(status=Payment.Status.SUCCESS).exists():
        raise PaymentNotPossible(_("This fee is already paid."))


def _new_payment(
    fee: FeeDue, *, gateway_name: str, method: str, order_id: str, at: dt.datetime, user
) -> Payment:
    application = fee.application
    return Payment.objects.create(
        fee=fee,
        application=application,
        department_id=application.department_id,
        district_id=application.district_id,
        service_id=application.service_id,
        gateway=gateway_name,
        method=method,
        order_id=order_id,
        amount_paise=fee.amount_paise,
        head=fee.head,
        status=Payment.Status.CREATED,
        created_at=at,
        created_by=user,
    )


def payment_start(
    *, fee: FeeDue, user, return_url: str, callback_url: str, gateway_name: str = "online"
) -> tuple[Payment, str]:
    """Order the fee's amount (the server's, worked out when it fell due: nothing the browser
    sends changes it) from the gateway. Returns the payment and the gateway's page to send the
    citizen to. The order is recorded before the gateway is called, so a crash in between
    leaves a row the sweep settles."""
    at = timezone.now()
    _payable(fee)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                payment = _new_payment(
                    fee,
                    gateway_name=gateway_name,
                    method=Payment.Method.ONLINE,
                    order_id=_new_order_id(at),
                    at=at,
                    user=user,
                )
            break
        except IntegrityError:  # pragma: no cover - ten random digits collided
            continue
    else:  # pragma: no cover
        raise GatewayUnavailable()
    application = fee.application
    description = f"{application.reference} {fee.code}"
    try:
        url = gateway(gateway_name).create_order(
            order_id=payment.order_id,
            amount_paise=payment.amount_paise,
            description=description,
            return_url=return_url,
            callback_url=callback_url,
        )
    except GatewayError as exc:
        with transaction.atomic():
            Payment.objects.filter(pk=payment.pk).update(
                status=Payment.Status.FAILURE, settled_at=timezone.now()
            )
            _event(payment, "order_refused", timezone.now(), {"error": str(exc)}, actor=user)
        raise GatewayUnavailable() from exc
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.CREATED).update(
            status=Payment.Status.PENDING, expires_at=at + dt.timedelta(minutes=ORDER_MINUTES)
        )
        _event(payment, "order_created", timezone.now(), {"url": url}, actor=user)
    payment.refresh_from_db()
    return payment, url


def challan_create(*, fee: FeeDue, user, gateway_name: str = "challan") -> Payment:
    """An e-challan for the fee: a number the citizen takes to the bank with the amount; the
    bank's settlement file settles it (`challan_settle`). It stays valid while the fee is due."""
    at = timezone.now()
    _payable(fee)
    existing = (
        Payment.objects.filter(fee=fee)
        .filter(method=Payment.Method.CHALLAN, status=Payment.Status.PENDING)
        .first()
    )
    if existing is not None:
        return existing
    with transaction.atomic():
        payment = _new_payment(
            fee,
            gateway_name=gateway_name,
            method=Payment.Method.CHALLAN,
            order_id=_new_challan_number(at),
            at=at,
            user=user,
        )
        payment.status = Payment.Status.PENDING
        payment.save(update_fields=["status"])
        _event(payment, "challan_created", at, actor=user)
    return payment


# ------------------------------------------------------------------------------
# Settling
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settled:
    payment: Payment
    changed: bool  # False when it was settled already (a duplicate callback, say)


def _credit(payment: Payment, *, at: dt.datetime, txn_id: str, actor=None) -> None:
    """Money received in full for `payment` (locked): the fee is paid by it, or, when the fee
    was paid meanwhile or is no longer due, the money is kept on record and refunded."""
    payment.txn_id = txn_id or payment.txn_id
    payment.settled_at = at
    fee = FeeDue.objects.select_related("application").get(pk=payment.fee_id)
    payment.save(update_fields=["txn_id", "settled_at"])
    payment.receipt_number = _receipt_number(payment)
    try:
        with transaction.atomic():
            # The history names who paid: the citizen who ordered it online, the operator at
            # the counter; the platform only for a challan the bank's file settled.
            fee_paid(
                fee_due=fee,
                receipt=payment.receipt_number,
                at=at,
                actor=actor or payment.created_by,
                actor_role="service_centre" if payment.method in COUNTER_METHODS else None,
            )
            payment.status = Payment.Status.SUCCESS
            payment.save(update_fields=["status", "receipt_number"])
    except FeeAlreadyPaid:
        payment.status = Payment.Status.DUPLICATE
        payment.save(update_fields=["status", "receipt_number"])
        _refund_in_full(payment, rule=Refund.Rule.DUPLICATE, reason=_("The fee was paid twice."))
    except FeeNotDue as exc:
        payment.status = Payment.Status.UNAPPLIED
        payment.save(update_fields=["status", "receipt_number"])
        _refund_in_full(payment, rule=Refund.Rule.NOT_DUE, reason=str(exc.message))
    _event(payment, "settled", at, {"status": payment.status, "txn_id": payment.txn_id})
    money.settled.notify(payment)


def payment_settle(
    *, order_id: str, source: str, actor=None, at: dt.datetime | None = None
) -> Settled:
    """Settle an online payment from the gateway's own answer to a status query. `source` is
    what prompted it (`callback`, `return`, `sweep`). Safe to call any number of times:
    a settled payment is left as it is."""
    payment = Payment.objects.filter(order_id=order_id).first()
    if payment is None or payment.method != Payment.Method.ONLINE:
        raise NotFound(_("No such payment."))
    if payment.status in Payment.SETTLED:
        _event(payment, f"{source}_after_settled", timezone.now(), actor=actor)
        return Settled(payment, changed=False)
    try:
        status = gateway(payment.gateway).query(order_id)
    except GatewayError as exc:
        _event(payment, "status_query_failed", timezone.now(), {"error": str(exc)}, actor=actor)
        return Settled(payment, changed=False)
    return _apply_status(payment.pk, status, source=source, actor=actor, at=at or timezone.now())


def _apply_status(
    payment_pk: int, status: GatewayStatus, *, source: str, actor, at: dt.datetime
) -> Settled:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_pk)
        _event(
            payment,
            "status_query",
            at,
            {
                "source": source,
                "status": status.status,
                "amount_paise": status.amount_paise,
                "order_id": status.order_id,
                "txn_id": status.txn_id,
            },
            actor=actor,
        )
        if payment.status in Payment.SETTLED:
            return Settled(payment, changed=False)
        matches = status.order_id == payment.order_id and status.amount_paise == (
            payment.amount_paise
        )
        if status.status == "success" and not matches:
            payment.status = Payment.Status.HELD
            payment.reported_paise = status.amount_paise
            payment.txn_id = status.txn_id or ""
            payment.settled_at = at
            payment.save()
            payment.receipt_number = _receipt_number(payment)
            payment.save(update_fields=["receipt_number"])
            _event(payment, "held", at, {"reported_paise": status.amount_paise})
            money.settled.notify(payment)
        elif status.status == "success":
            _credit(payment, at=at, txn_id=status.txn_id or "", actor=actor)
        elif status.status in ("failure", "cancelled"):
            payment.status = status.status
            payment.txn_id = status.txn_id or payment.txn_id
            payment.settled_at = at
            payment.save(update_fields=["status", "txn_id", "settled_at"])
        elif payment.expires_at and at >= payment.expires_at and payment.status != "expired":
            payment.status = Payment.Status.EXPIRED
            payment.save(update_fields=["status"])
        else:
            return Settled(payment, changed=False)
    return Settled(payment, changed=True)


def callback_receive(*, gateway_name: str, params: Mapping[str, str]) -> Settled:
    """The gateway's server-to-server callback. Its checksum must verify, or it is refused
    and recorded (`callback_forged`); then the payment is settled from a status query, never
    from what the callback says."""
    order_id = str(params.get("order_id", ""))[:40]
    payment = Payment.objects.filter(order_id=order_id, gateway=gateway_name).first()
    fields = {k: str(v)[:200] for k, v in params.items() if k != "checksum"}
    if not gateway(gateway_name).verify(params):
        if payment is not None:
            _event(payment, "callback_forged", timezone.now(), fields)
        logger.warning("payment callback with a bad checksum", extra={"order_id": order_id})
        raise ValidationFailed({"checksum": [_("The checksum does not verify.")]})
    if payment is None:
        raise NotFound(_("No such payment."))
    _event(payment, "callback", timezone.now(), fields)
    return payment_settle(order_id=order_id, source="callback")


def payments_settle_pending(*, at: dt.datetime | None = None) -> int:
    """The periodic job: every online order not settled after the grace period is asked
    about, so a callback that never came (or a browser that never returned) is settled all
    the same. Returns how many changed."""
    at = at or timezone.now()
    waiting = Payment.objects.filter(
        method=Payment.Method.ONLINE,
        status__in=[Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.EXPIRED],
        created_at__lte=at - dt.timedelta(minutes=SWEEP_GRACE_MINUTES),
        created_at__gte=at - dt.timedelta(days=7),
    ).values_list("order_id", flat=True)
    changed = 0
    for order_id in list(waiting.order_by("created_at")[:500]):
        changed += payment_settle(order_id=order_id, source="sweep", at=at).changed
    return changed


def challan_settle(
    *, challan_number: str, amount_paise: int, bank_ref: str, paid_on: dt.date, actor=None
) -> Payment | None:
    """A line of the bank's file: the challan is paid. None when Seva has no such challan."""
    at = timezone.now()
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(order_id=challan_number, method=Payment.Method.CHALLAN)
            .first()
        )
        if payment is None:
            return None
        if payment.status in Payment.SETTLED:
            return payment
        _event(payment, "bank_line", at, {"amount_paise": amount_paise, "bank_ref": bank_ref})
        if amount_paise != payment.amount_paise:
            payment.status = Payment.Status.HELD
            payment.reported_paise = amount_paise
            payment.txn_id = bank_ref
            payment.settled_at = at
            payment.save()
            payment.receipt_number = _receipt_number(payment)
            payment.save(update_fields=["receipt_number"])
            money.settled.notify(payment)
        else:
            _credit(payment, at=at, txn_id=bank_ref, actor=actor)
        payment.reconciled_on = paid_on
        payment.save(update_fields=["reconciled_on"])
    return payment


def payment_record_at_counter(
    *, fee: FeeDue, method: str, receipt: str, operator, centre_code: str
) -> Payment:
    """Cash or UPI taken at a service centre, in the caller's transaction: the same ledger as
    an online payment. `receipt` is the counter's receipt (or the UPI reference), unique."""
    if method not in COUNTER_METHODS:
        raise ValidationFailed({"method": [_("Choose cash or UPI.")]})
    receipt = (receipt or "").strip()
    if not receipt:
        raise ValidationFailed({"fee_receipt_number": [_("Enter the receipt number.")]})
    _payable(fee)
    at = timezone.now()
    # The counter's receipt is unique per centre and fee: the order id is made from the three
    # (receipts hold "/" and run long; an id in a web address must not).
    digest = hashlib.sha256(f"{centre_code}|{receipt}|{fee.code}".encode()).hexdigest()
    order_id = f"CTR{digest[:24].upper()}"
    if Payment.objects.filter(order_id=order_id).exists():
        raise ValidationFailed(
            {"fee_receipt_number": [_("This receipt number was used already at this centre.")]}
        )
    payment = _new_payment(
        fee, gateway_name="counter", method=method, order_id=order_id, at=at, user=operator
    )
    payment.centre_code = centre_code
    payment.txn_id = receipt
    payment.save(update_fields=["centre_code", "txn_id"])
    _event(payment, "counter", at, {"method": method, "receipt": receipt}, actor=operator)
    _credit(payment, at=at, txn_id=receipt, actor=operator)
    payment.refresh_from_db()
    if payment.status != Payment.Status.SUCCESS:  # pragma: no cover - checked by _payable
        raise PaymentNotPossible()
    return payment


# ------------------------------------------------------------------------------
# Refunds
# ------------------------------------------------------------------------------
def _refunded_paise(payment: Payment) -> int:
    total = payment.refunds.exclude(status=Refund.Status.REFUSED).aggregate(s=Sum("amount_paise"))
    return int(total["s"] or 0)


def refund_request(
    *, payment: Payment, amount_paise: int, rule: str, reason: str, by=None
) -> Refund:
    """A refund on `payment`, in the caller's transaction; never more than is left of it.
    Online payments are sent to the gateway after the commit (`tasks.send_refund`); others
    are paid back by the office (`manual`)."""
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if not locked.money_received:
        raise RefundTooLarge(_("Nothing was received on this payment."))
    left = locked.received_paise - _refunded_paise(locked)
    if amount_paise <= 0 or amount_paise > left:
        raise RefundTooLarge(
            _("A refund of Rs %(asked)s is more than the Rs %(left)s left of this payment.")
            % {"asked": rupees(amount_paise), "left": rupees(max(left, 0))}
        )
    at = timezone.now()
    online = locked.method == Payment.Method.ONLINE
    refund = Refund.objects.create(
        payment=locked,
        refund_id=f"RF{locked.pk:08d}{secrets.randbelow(10**6):06d}",
        amount_paise=amount_paise,
        rule=rule,
        reason=reason,
        status=Refund.Status.REQUESTED if online else Refund.Status.MANUAL,
        created_at=at,
        created_by=by,
    )
    _event(locked, "refund_requested", at, {"refund_id": refund.refund_id}, actor=by)
    if online:
        _send_after_commit(refund.pk)
    return refund


def _send_after_commit(refund_pk: int) -> None:
    """Ask a worker to send it once the decision commits; if the broker is down the refund
    waits, requested, for the sweep (`refunds_send_requested`)."""
    from .tasks import send_refund  # noqa: PLC0415 (the tasks module imports this one)

    def hand_over() -> None:
        try:
            send_refund.delay(refund_pk)
        except Exception:
            logger.warning("refund %s left for the sweep: the broker is not reachable", refund_pk)

    transaction.on_commit(hand_over)


def _refund_in_full(payment: Payment, *, rule: str, reason: str) -> Refund:
    return refund_request(
        payment=payment, amount_paise=payment.received_paise, rule=rule, reason=reason
    )


def refund_send(*, refund_pk: int) -> Refund:
    """Send a requested refund to the gateway (after the commit; again from the sweep when
    the gateway was down)."""
    refund = Refund.objects.select_related("payment").get(pk=refund_pk)
    if refund.status != Refund.Status.REQUESTED:
        return refund
    try:
        answer = gateway(refund.payment.gateway).refund(
            order_id=refund.payment.order_id,
            refund_id=refund.refund_id,
            amount_paise=refund.amount_paise,
        )
    except GatewayError as exc:
        logger.warning("refund not sent: %s", exc, extra={"refund": refund.refund_id})
        return refund
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status != Refund.Status.REQUESTED:
            return locked
        locked.status = (
            Refund.Status.PROCESSED if answer.status == "processed" else Refund.Status.REFUSED
        )
        locked.gateway_reason = answer.reason or ""
        locked.processed_at = timezone.now()
        locked.save(update_fields=["status", "gateway_reason", "processed_at"])
        _event(locked.payment, f"refund_{locked.status}", locked.processed_at)
        if locked.status == Refund.Status.PROCESSED:
            money.refunded.notify(locked)
    return locked


def refunds_send_requested() -> int:
    """The periodic job: refunds still waiting for the gateway are sent again."""
    pending = Refund.objects.filter(status=Refund.Status.REQUESTED).values_list("pk", flat=True)
    return sum(
        refund_send(refund_pk=pk).status != Refund.Status.REQUESTED for pk in list(pending[:200])
    )


def _officer_acted_since(application: Application, since: dt.datetime, cause) -> bool:
    return (
        ApplicationEvent.objects.filter(
            application=application, kind=ApplicationEvent.Kind.ACTION, at__gte=since
        )
        .exclude(actor_role__in=[CITIZEN, SYSTEM])
        .exclude(pk=cause.pk)
        .exists()
    )


@lifecycle.entered.register("payments: refunds by the service's rules")
def _refund_by_rule(event: lifecycle.Entered) -> None:
    """When a file is rejected or withdrawn, each paid fee whose `refund` rule says so is
    refunded in full, in the same transaction."""
    application = event.application
    if application.closed_at is None or application.outcome not in ("rejected", "withdrawn"):
        return
    spec = application.service_version.spec
    rules = {fee.code: fee.refund for fee in spec.fees if fee.refund}
    if not rules:
        return
    for fee in application.fees.filter(code__in=rules, status=FeeDue.Status.PAID):
        rule = rules[fee.code]
        paid = Payment.objects.filter(fee=fee).filter(status=Payment.Status.SUCCESS).first()
        if paid is None or paid.settled_at is None:
            continue
        if application.outcome == "rejected":
            due = rule.rejected == "always" or (
                rule.rejected == "before_processing"
                and not _officer_acted_since(application, paid.settled_at, event.cause)
            )
            kind, why = Refund.Rule.REJECTED, _("Rejected before it was processed.")
            if rule.rejected == "always":
                why = _("Rejected: the fee is refunded.")
        else:
            days = rule.withdrawn_within_days
            due = days is not None and application.closed_at - paid.settled_at <= dt.timedelta(
                days=days
            )
            kind, why = (
                Refund.Rule.WITHDRAWN,
                _("Withdrawn within %(days)s days of paying.") % {"days": days},
            )
        left = paid.amount_paise - _refunded_paise(paid)
        if due and left > 0:
            refund_request(payment=paid, amount_paise=left, rule=kind, reason=str(why))


# ------------------------------------------------------------------------------
# An accounts officer's decisions
# ------------------------------------------------------------------------------
def refund_mark_paid(*, refund: Refund, by, remarks: str) -> Refund:
    """A refund the office pays back itself (cash, UPI, challan) is marked paid, with how."""
    remarks = (remarks or "").strip()
    if not remarks:
        raise ValidationFailed({"remarks": [_("Say how and when it was paid back.")]})
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status != Refund.Status.MANUAL:
            raise ActionNotAllowed(_("This refund is not waiting for the office."))
        locked.status = Refund.Status.PROCESSED
        locked.processed_at = timezone.now()
        locked.gateway_reason = remarks
        locked.save(update_fields=["status", "processed_at", "gateway_reason"])
        _event(locked.payment, "refund_paid_by_office", locked.processed_at, actor=by)
        money.refunded.notify(locked)
    return locked


HELD_DECISIONS = ("accept", "refund")


def payment_held_resolve(*, payment: Payment, decision: str, remarks: str, by) -> Payment:
    """A payment held because the gateway's amount differed from Seva's: `accept` credits the
    fee with it (when at least the fee was received; any excess is refunded), `refund` gives
    back all that was received. Either way with the officer's remarks."""
    remarks = (remarks or "").strip()
    errors = {}
    if decision not in HELD_DECISIONS:
        errors["decision"] = [_("Choose to accept the payment or to refund it.")]
    if not remarks:
        errors["remarks"] = [_("Give your reasons.")]
    if errors:
        raise ValidationFailed(errors)
    at = timezone.now()
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Payment.Status.HELD:
            raise ActionNotAllowed(_("This payment is not held for review."))
        received = locked.received_paise
        _event(locked, f"review_{decision}", at, {"remarks": remarks}, actor=by)
        if decision == "accept":
            if received < locked.amount_paise:
                raise ValidationFailed(
                    {
                        "decision": [
                            _("Rs %(got)s was received against a fee of Rs %(fee)s: refund it.")
                            % {"got": rupees(received), "fee": rupees(locked.amount_paise)}
                        ]
                    }
                )
            excess = received - locked.amount_paise
            _credit(locked, at=at, txn_id=locked.txn_id, actor=by)
            if excess and locked.status == Payment.Status.SUCCESS:
                refund_request(
                    payment=locked,
                    amount_paise=excess,
                    rule=Refund.Rule.REVIEW,
                    reason=remarks,
                    by=by,
                )
        else:
            refund_request(
                payment=locked,
                amount_paise=received,
                rule=Refund.Rule.REVIEW,
                reason=remarks,
                by=by,
            )
            locked.status = Payment.Status.UNAPPLIED
            locked.save(update_fields=["status"])
    return locked
