"""Reading issued documents: a file's documents for those who may read the file, and the few
public facts the verification page shows to whoever holds a document."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from seva.applications.models import Application
from seva.core.errors import NotFound

from . import qr
from .models import DocumentFile, DocumentStatus, IssuedDocument

# How a download names its language: each in its own script.
LANGUAGE_NAMES = {"en": "English", "hi": "हिन्दी"}


def documents_of(application: Application) -> QuerySet[IssuedDocument]:
    """Every document of the file, oldest first, with its files. The caller has checked that
    the asker may read the file (applications.selectors.application_get_for)."""
    return (
        IssuedDocument.objects.filter(application=application)
        .select_related("office", "supersedes")
        .prefetch_related("files")
        .order_by("created_at", "pk")
    )


def status_of(document: IssuedDocument) -> str:
    """What a document is now: pending (being signed), valid, expired (its validity ended),
    revoked or superseded."""
    if document.status != DocumentStatus.ISSUED:
        return document.status
    expired = document.valid_until is not None and document.valid_until < timezone.localdate()
    return "expired" if expired else "valid"


def documents_pending_for(user) -> int:
    """How many documents this officer decided are still being signed (a bulk approval)."""
    return IssuedDocument.objects.filter(signed_by=user, status=DocumentStatus.PENDING).count()


def document_file(application: Application, *, public_id: str, language: str) -> DocumentFile:
    found = (
        DocumentFile.objects.select_related("document")
        .filter(
            document__application=application,
            document__public_id=public_id,
            language=language,
        )
        .exclude(document__status=DocumentStatus.PENDING)
        .first()
    )
    if found is None:
        raise NotFound("No such document.")
    return found


@dataclass(frozen=True)
class Verification:
    """What the public verification page shows: the document's few facts and its status."""

    number: str
    kind: str
    name: dict
    holder_name: str
    office_en: str
    office_hi: str
    issued_on: dt.date | None
    valid_until: dt.date | None
    status: str  # valid, expired, revoked, superseded
    changed_at: dt.datetime | None
    reason: str
    successor: IssuedDocument | None


def verification_of(*, number: str, code: str) -> Verification:
    """The facts of document `number`, for one who holds its verification code (printed on
    it and carried by its QR). A wrong code and an unknown number answer alike."""
    document = (
        IssuedDocument.objects.select_related("office", "application__service_version")
        .filter(number=number)
        .exclude(status=DocumentStatus.PENDING)
        .first()
    )
    if document is None or not code or code.strip().upper() != document.public_id:
        raise NotFound("No document matches that number and code.")
    issue = document.application.service_version.spec.issue(document.code)
    successor = getattr(document, "superseded_by", None)
    if successor is not None and successor.status == DocumentStatus.PENDING:
        successor = None
    status = status_of(document)
    return Verification(
        number=document.number or "",
        kind=document.kind,
        name=dict(issue.name) if issue else {"en": document.kind},
        holder_name=document.holder_name,
        office_en=document.office.name_en,
        office_hi=document.office.name_hi,
        issued_on=document.issued_on,
        valid_until=document.valid_until,
        status=status,
        changed_at=document.revoked_at,
        reason=document.change_reason if document.status == DocumentStatus.REVOKED else "",
        successor=successor,
    )


def published_keys() -> dict:
    """The public keys that check the QR codes' signatures (JWK style)."""
    key = qr.load_key(settings.SEVA_QR_KEY_DIR)
    return qr.public_keys_document([key] if key is not None else [])
