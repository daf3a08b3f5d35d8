"""Documents issued on a file's outcome: a certificate, a sanction order, a rejection order.

An `IssuedDocument` row is written, pending, in the transaction of the action that decides
(the outbox pattern of the SMS): a worker renders and signs it after the commit, and the
periodic sweep tries again whatever a crashed worker or a broker outage left pending. Its
number is taken once, before the first rendering, so a retry keeps it. Each language's signed
PDF is a `DocumentFile`, stored through Django's storage API."""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from seva.applications.models import Application, ApplicationEvent
from seva.org.models import Jurisdiction


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Being signed"
    ISSUED = "issued", "Valid"
    REVOKED = "revoked", "Revoked"
    SUPERSEDED = "superseded", "Superseded"


class DocumentCounter(models.Model):
    """The last running number of one series, e.g. HR/INC/AMB/2026."""

    series = models.CharField(max_length=80, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.series}: {self.last_number}"


def _token() -> str:
    """The verification code printed on a document and carried by its QR link: 16 letters
    and digits (80 bits), so that numbers, which run in order, cannot be tried one by one."""
    return base64.b32encode(secrets.token_bytes(10)).decode()


class IssuedDocument(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="issued_documents"
    )
    # The service's `issues` entry it comes from (spec.IssueSpec.code), and its kind.
    code = models.CharField(max_length=40)
    kind = models.CharField(max_length=40)
    # The history row of the decision it records: at most one document per entry and decision
    # (and its corrections, which record the same decision).
    cause = models.ForeignKey(
        ApplicationEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    # Taken once, before the first rendering; unique across the state.
    number = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # The verification code: the public verification page shows the document only to one
    # who gives it with the number. Also names the document in download addresses.
    public_id = models.CharField(max_length=40, unique=True, default=_token, editable=False)
    holder_name = models.CharField(max_length=200, blank=True)
    office = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    # The officer who decided, in whose name it is signed (None: the platform decided).
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    qr_payload = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A corrected document replaces this one (the verification page points to it).
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_reason = models.TextField(blank=True)  # why it was revoked or superseded

    class Meta:
        ordering = ["application", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cause", "code"],
                condition=Q(cause__isnull=False, supersedes__isnull=True),
                name="documents_one_per_decision",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="documents_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return self.number or f"{self.application_id}/{self.code} (pending)"


def _file_path(file: DocumentFile, filename: str) -> str:
    # Unguessable: files are served only through views that check who asks.
    return f"issued/{file.created_at:%Y/%m}/{secrets.token_urlsafe(16)}.pdf"


class DocumentFile(models.Model):
    """The signed PDF of a document in one language."""

    document = models.ForeignKey(IssuedDocument, on_delete=models.PROTECT, related_name="files")
    language = models.CharField(max_length=8)
    file = models.FileField(upload_to=_file_path, max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["document", "language"]
        constraints = [
            models.UniqueConstraint(fields=["document", "language"], name="documents_one_file")
        ]

    def __str__(self) -> str:
        return f"{self.document} ({self.language})"
