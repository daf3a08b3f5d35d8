"""The payments ledger: every attempt to pay a fee, what the gateway, the bank or the counter
said about it, and every refund. Rows name who and when; a payment's money is never
forgotten: a payment the fee no longer needs is kept and refunded, one whose amount differs
is held for an accounts officer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    """One attempt to pay one fee due (`applications.FeeDue`)."""

    class Method(models.TextChoices):
        ONLINE = "online", _("Online (payment gateway)")
        CHALLAN = "challan", _("e-Challan at a bank")
        CASH = "cash", _("Cash at the counter")
        UPI = "upi", _("UPI at the counter")

    class Status(models.TextChoices):
        CREATED = "created", _("Order being created")
        PENDING = "pending", _("Waiting for the payment")
        SUCCESS = "success", _("Paid")
        FAILURE = "failure", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Not completed in time")
        # Money was taken but the gateway's amount or order differs from Seva's: an accounts
        # officer decides (accept, or refund).
        HELD = "held", _("Held for review")
        # Money was taken for a fee already paid by another attempt: refunded in full.
        DUPLICATE = "duplicate", _("Paid twice: refunded")
        # Money was taken for a fee no longer due (the file was withdrawn, the demand lapsed):
        # refunded in full.
        UNAPPLIED = "unapplied", _("Fee no longer due: refunded")

    # A payment in one of these is settled: a later callback changes nothing. An expired
    # order is not: the gateway may still report it paid, late, and the money is then
    # credited or refunded, never lost.
    SETTLED = frozenset({"success", "failure", "cancelled", "held", "duplicate", "unapplied"})
    # Money is with the state: a receipt is given.
    MONEY_RECEIVED = frozenset({"success", "held", "duplicate", "unapplied"})

    fee = models.ForeignKey(
        "applications.FeeDue", on_delete=models.PROTECT, related_name="payments"
    )
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="payments"
    )
    # The scope every reader is checked against, copied from the application.
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(
        "org.Jurisdiction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey("definitions.Service", on_delete=models.PROTECT, related_name="+")
    gateway = models.CharField(
        max_length=20, help_text="A key of SEVA_PAYMENT_GATEWAYS, or 'counter'."
    )
    method = models.CharField(max_length=12, choices=Method.choices)
    order_id = models.CharField(
        max_length=40,
        unique=True,
        help_text="The order sent to the gateway, the challan number, or the counter's receipt.",
    )
    amount_paise = models.BigIntegerField()
    head = models.CharField(max_length=40, help_text="The budget head it is credited to.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CREATED)
    txn_id = models.CharField(max_length=60, blank=True, help_text="The gateway's or bank's.")
    # The amount the gateway or bank reported, when it differs from ours (a held payment).
    reported_paise = models.BigIntegerField(null=True, blank=True)
    receipt_number = models.CharField(max_length=40, null=True, blank=True, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Counter payments: the centre that took the money.
    centre_code = models.CharField(max_length=40, blank=True)
    # The day of the gateway's or bank's settlement file that listed it, once matched.
    reconciled_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            # The database's own guarantee that a fee is never marked paid twice.
            models.UniqueConstraint(
                fields=["fee"], condition=Q(status="success"), name="payments_fee_paid_once"
            ),
            models.CheckConstraint(
                condition=Q(amount_paise__gt=0), name="payments_amount_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payments_status_idx"),
            models.Index(fields=["settled_at"], name="payments_settled_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} ({self.status})"

    @property
    def money_received(self) -> bool:
        return self.status in self.MONEY_RECEIVED

    @property
    def received_paise(self) -> int:
        """What was received: the gateway's or bank's amount for a held payment (which differs
        from the fee's), else the payment's own."""
        return self.reported_paise if self.reported_paise is not None else self.amount_paise


class PaymentEvent(models.Model):
    """What happened to a payment, in order, written once: the order created, each callback
    (verified or forged), the browser's return, each status query and what it said, the
    settlement, a refund."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=30)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.kind}"


class Refund(models.Model):
    """Money given back on a payment, never more than was paid (checked under the payment's
    lock). Online payments are refunded through the gateway; cash, UPI and challans by the
    office (`manual`)."""

    class Rule(models.TextChoices):
        REJECTED = "rejected", "Rejected (refund by the service's rule)"
        WITHDRAWN = "withdrawn", "Withdrawn in time (refund by the service's rule)"
        DUPLICATE = "duplicate", "Paid twice"
        NOT_DUE = "not_due", "Fee no longer due"
        REVIEW = "review", "Decided by an accounts officer"

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Sent to the gateway")
        PROCESSED = "processed", _("Refunded")
        REFUSED = "refused", _("Refused by the gateway")
        MANUAL = "manual", _("To be paid back by the office")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    refund_id = models.CharField(max_length=40, unique=True)
    amount_paise = models.BigIntegerField()
    rule = models.CharField(max_length=12, choices=Rule.choices)
    reason = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    gateway_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_paise__gt=0), name="refunds_amount_positive")
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="refunds_status_idx")]

    def __str__(self) -> str:
        return f"{self.refund_id} ({self.status})"


class Settlement(models.Model):
    """One settlement file of a gateway or bank, for one day, as imported (fetched by the
    daily job, or uploaded by an accounts officer): how many lines matched Seva's payments;
    the rest are ReconciliationItems."""

    # Set on the object settlement_import answers: whether it found the file imported before
    # (not a column: the same file is one row).
    already_imported: bool = False

    class Source(models.TextChoices):
        FETCHED = "fetched", "Fetched by the daily job"
        UPLOADED = "uploaded", "Uploaded by an accounts officer"

    gateway = models.CharField(max_length=20)
    day = models.DateField()
    source = models.CharField(max_length=12, choices=Source.choices)
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)
    lines = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            # The same file imported again is recognised, not counted twice.
            models.UniqueConstraint(
                fields=["gateway", "day", "sha256"], name="settlements_file_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.day}"


class ReconciliationItem(models.Model):
    """A difference between a settlement file and Seva's ledger, for an accounts officer to
    resolve with remarks."""

    class Kind(models.TextChoices):
        MISSING_IN_SEVA = "missing_in_seva", "In the file, not in Seva"
        MISSING_AT_GATEWAY = "missing_at_gateway", "Paid in Seva, not in the file"
        AMOUNT_DIFFERS = "amount_differs", "Amount differs"
        STATUS_DIFFERS = "status_differs", "Status differs"

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(max_length=60, help_text="The order or challan number.")
    txn_id = models.CharField(max_length=60, blank=True)
    seva_paise = models.BigIntegerField(null=True, blank=True)
    reported_paise = models.BigIntegerField(null=True, blank=True)
    # The scope: the payment's, or none (a line Seva does not know: the state's accounts).
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey(
        "org.Jurisdiction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    found_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    remarks = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["settlement", "kind", "reference"], name="reconciliation_item_once"
            )
        ]
        indexes = [models.Index(fields=["resolved_at", "found_at"], name="recon_open_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"
