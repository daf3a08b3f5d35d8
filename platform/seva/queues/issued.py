"""The documents issued on a file, as the staff workspace shows them: what each is, its
number, status and validity, its signed PDFs, and whether the reader may revoke or correct
it. Revoking and correcting are `seva.documents.services`' to decide; the forms are offered
to whom the same rule lets through, and the service checks it again on every post."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import pgettext

from seva.applications.models import Application
from seva.documents.models import IssuedDocument
from seva.documents.selectors import LANGUAGE_NAMES, documents_of, status_of
from seva.documents.services import document_may_change


@dataclass(frozen=True)
class IssuedFileLink:
    language: str
    label: str
    url: str


@dataclass(frozen=True)
class DocumentChangeFailed:
    """A revocation or correction the service refused for its reason, shown again beside
    its form."""

    public_id: str
    change: str  # "revoke" or "reissue"
    reason: str
    errors: dict


@dataclass(frozen=True)
class IssuedRow:
    public_id: str
    name: str
    number: str
    status: str  # pending, valid, expired, revoked, superseded
    status_label: str
    valid_until: object
    reason: str  # why it was revoked, or what its correction corrected
    supersedes: str  # the number of the document this one corrects
    files: list[IssuedFileLink] = field(default_factory=list)
    may_change: bool = False
    failed: DocumentChangeFailed | None = None


def status_label(status: str) -> str:
    return {
        "pending": pgettext("issued document", "Being signed"),
        "valid": pgettext("issued document", "Valid"),
        "expired": pgettext("issued document", "Expired"),
        "revoked": pgettext("issued document", "Revoked"),
        "superseded": pgettext("issued document", "Superseded by a corrected document"),
    }[status]


def issued_rows(
    application: Application,
    user,
    *,
    language: str,
    failed: DocumentChangeFailed | None = None,
) -> list[IssuedRow]:
    """The file's documents, oldest first, for an officer who may read the file (the caller
    checked it with application_get_for)."""
    spec = application.service_version.spec
    rows = []
    for document in documents_of(application):
        issue = spec.issue(document.code)
        status = status_of(document)
        changeable = status == "valid" or status == "expired"
        rows.append(
            IssuedRow(
                public_id=document.public_id,
                name=(issue.name.get(language) or issue.name.get("en", document.kind))
                if issue
                else document.kind,
                number=document.number or "",
                status=status,
                status_label=status_label(status),
                valid_until=document.valid_until,
                reason=document.change_reason,
                supersedes=document.supersedes.number if document.supersedes_id else "",
                files=[]
                if status == "pending"
                else [
                    IssuedFileLink(
                        language=f.language,
                        label=LANGUAGE_NAMES.get(f.language, f.language),
                        url=reverse(
                            "queues:issued-file",
                            args=[application.reference, document.public_id, f.language],
                        ),
                    )
                    for f in document.files.all()
                ],
                may_change=changeable
                and not hasattr(document, "superseded_by")
                and document_may_change(user, document),
                failed=failed if failed and failed.public_id == document.public_id else None,
            )
        )
    return rows


def issued_document_of(application: Application, public_id: str) -> IssuedDocument | None:
    """The file's document named by its verification code (as its download address names it)."""
    return next((d for d in documents_of(application) if d.public_id == public_id), None)
