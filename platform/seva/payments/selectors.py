"""Reading fees and payments. Callers pass an application they have already been allowed to
read (the portal's own_application, the workspace's applications_visible_to): these
functions never widen what a caller sees."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seva.applications.models import Application, FeeDue
from seva.core.errors import NotFound
from seva.core.money import rupees
from seva.org.models import JurisdictionLevel, Posting
from seva.org.selectors import ACCOUNTS_OFFICER, postings_active

from .models import Payment, ReconciliationItem, Refund, Settlement

FEE_STATUS_LABELS: dict[str, object] = {
    FeeDue.Status.DUE: gettext_lazy("To be paid"),
    FeeDue.Status.PAID: gettext_lazy("Paid"),
    FeeDue.Status.LAPSED: gettext_lazy("Not paid in time"),
    FeeDue.Status.CANCELLED: gettext_lazy("No longer due"),
}


@dataclass(frozen=True)
class PaymentRow:
    order_id: str
    method: str
    status: str
    status_label: str
    amount: str
    receipt_number: str
    created_at: object
    settled_at: object
    txn_id: str
    refunds: list[dict] = field(default_factory=list)

    @property
    def has_receipt(self) -> bool:
        return bool(self.receipt_number)

    @property
    def is_open_challan(self) -> bool:
        return self.method == Payment.Method.CHALLAN and self.status == Payment.Status.PENDING


@dataclass(frozen=True)
class FeeRow:
    code: str
    name: str
    amount: str
    amount_paise: int
    head: str
    status: str
    status_label: str
    payable: bool
    paid_at: object
    receipt: str
    payments: list[PaymentRow]


def _payment_row(payment: Payment) -> PaymentRow:
    return PaymentRow(
        order_id=payment.order_id,
        method=str(payment.get_method_display()),
        status=payment.status,
        status_label=str(payment.get_status_display()),
        amount=rupees(payment.amount_paise),
        receipt_number=payment.receipt_number or "",
        created_at=payment.created_at,
        settled_at=payment.settled_at,
        txn_id=payment.txn_id,
        refunds=[
            {
                "amount": rupees(r.amount_paise),
                "status": str(r.get_status_display()),
                "reason": r.reason,
                "at": r.processed_at or r.created_at,
            }
            for r in payment.refunds.all()
        ],
    )


def fee_rows(application: Application, language: str = "en") -> list[FeeRow]:
    """The application's fees with their payments, newest payment first: for the citizen's
    page, the acknowledgement and the officer's file."""
    fees = list(application.fees.order_by("due_since", "pk"))
    if not fees:
        return []
    payments: dict[int, list[Payment]] = {}
    for payment in (
        Payment.objects.filter(fee__in=fees).prefetch_related("refunds").order_by("-created_at")
    ):
        payments.setdefault(payment.fee_id, []).append(payment)
    rows = []
    for fee in fees:
        own = payments.get(fee.pk, [])
        rows.append(
            FeeRow(
                code=fee.code,
                name=fee.name.get(language) or fee.name.get("en") or fee.code,
                amount=rupees(fee.amount_paise),
                amount_paise=fee.amount_paise,
                head=fee.head,
                status=fee.status,
                status_label=str(FEE_STATUS_LABELS.get(fee.status, fee.status)),
                payable=fee.status == FeeDue.Status.DUE and application.closed_at is None,
                paid_at=fee.paid_at,
                receipt=fee.receipt,
                payments=[_payment_row(p) for p in own],
            )
        )
    return rows


def payment_of_application(*, application: Application, order_id: str) -> Payment:
    """One payment of an application the caller may read; NotFound for any other."""
    payment = (
        Payment.objects.select_related("fee", "application", "service")
        .filter(application=application, order_id=order_id)
        .first()
    )
    if payment is None:
        raise NotFound(_("No such payment on this application."))
    return payment


def refunds_of(payment: Payment) -> list[Refund]:
    return list(payment.refunds.order_by("created_at"))


# ------------------------------------------------------------------------------
# The accounts officer's scope
# ------------------------------------------------------------------------------


def accounts_postings(user) -> list[Posting]:
    """The user's active postings as an accounts officer."""
    return [p for p in postings_active(user) if p.role.code == ACCOUNTS_OFFICER]


def is_accounts_officer(user) -> bool:
    return bool(accounts_postings(user))


def _state_wide(posting: Posting) -> bool:
    """The state's treasury cell: no department, over the whole state."""
    return posting.department_id is None and posting.jurisdiction.level == JurisdictionLevel.STATE


def keeps_state_accounts(user) -> bool:
    """Whether `user` keeps the state's accounts: the settlement files (every department's
    payments at once) and the lines of them no department can be found for."""
    return any(_state_wide(posting) for posting in accounts_postings(user))


def _payment_scope(user, prefix: str = "") -> Q:
    """The payments an accounts officer answers for: in each posting's department (every
    department for a posting without one) whose application's place is in its area."""
    scope = Q(pk__in=[])
    for posting in accounts_postings(user):
        area = Q(**{f"{prefix}application__place_path__startswith": posting.jurisdiction.path})
        if posting.department_id is not None:
            area &= Q(**{f"{prefix}department_id": posting.department_id})
        scope |= area
    return scope


def payments_visible_to(user) -> QuerySet[Payment]:
    """Payments `user` may read and decide on as an accounts officer; none for anybody else.
    A payment out of reach answers as one that does not exist."""
    return Payment.objects.filter(_payment_scope(user))


def refunds_visible_to(user) -> QuerySet[Refund]:
    """Refunds of the payments `user` may read (`payments_visible_to`)."""
    return Refund.objects.filter(_payment_scope(user, "payment__"))


def reconciliation_items_visible_to(user) -> QuerySet[ReconciliationItem]:
    """Exceptions about the payments `user` may read; those about no payment Seva knows (a
    line missing in Seva) to the state's treasury cell alone."""
    scope = Q(payment__isnull=False) & _payment_scope(user, "payment__")
    if keeps_state_accounts(user):
        scope |= Q(payment__isnull=True)
    return ReconciliationItem.objects.filter(scope)


def settlements_visible_to(user) -> QuerySet[Settlement]:
    """Settlement files list every department's payments: the state's treasury cell's."""
    if keeps_state_accounts(user):
        return Settlement.objects.all()
    return Settlement.objects.none()


def open_reconciliation_items_for(user) -> QuerySet[ReconciliationItem]:
    return (
        reconciliation_items_visible_to(user)
        .filter(resolved_at__isnull=True)
        .select_related("settlement", "payment__application", "payment__service", "department")
        .order_by("found_at", "pk")
    )


def held_payments_for(user) -> QuerySet[Payment]:
    return (
        payments_visible_to(user)
        .filter(status=Payment.Status.HELD)
        .select_related("application", "service", "department")
        .order_by("settled_at", "pk")
    )


def refunds_owed_by_office_for(user) -> QuerySet[Refund]:
    """Refunds of cash, UPI and challans, which the office pays back itself."""
    return (
        refunds_visible_to(user)
        .filter(status=Refund.Status.MANUAL)
        .select_related("payment__application", "payment__service")
        .order_by("created_at", "pk")
    )


def settlements_with_counts_for(user) -> QuerySet[Settlement]:
    """The settlement files imported, newest day first, with their exceptions counted by
    kind and those still open."""
    kinds = {
        f"{kind}_count": Count("items", filter=Q(items__kind=kind))
        for kind in ReconciliationItem.Kind.values
    }
    return (
        settlements_visible_to(user)
        .select_related("imported_by")
        .annotate(
            open_count=Count("items", filter=Q(items__resolved_at__isnull=True)),
            **kinds,
        )
        .order_by("-day", "-imported_at")
    )
