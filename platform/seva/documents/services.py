"""Issuing, revoking and correcting documents (docs/documents.md).

1. The action that decides writes a pending `IssuedDocument` in its own transaction (the
   listener below), and asks a worker to issue it once that commits.
2. `document_issue` takes the document's number (a short transaction on the series' counter),
   renders and signs each language without holding a lock, then, in one transaction on the
   locked row, stores the files, marks it issued and queues the "ready" SMS. Whoever comes
   second finds it issued and throws its own files away: one document, one SMS, however many
   workers or retries.
3. `documents_issue_pending` (the beat's sweep) retries whatever is still pending."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from seva.applications import events as lifecycle
from seva.applications.models import Application, ApplicationEvent
from seva.applications.selectors import applications_visible_to
from seva.applications.services import history_note
from seva.core.errors import ActionNotAllowed, NotFound, ValidationFailed
from seva.definitions.selectors import workflow_for
from seva.definitions.spec import IssueSpec
from seva.org.selectors import posting_covers, postings_active
from seva.workflows.engine import CITIZEN

from . import pdf, qr, signing
from .content import Decision, Filler, document_facts, holder_name, layout_for
from .models import DocumentCounter, DocumentFile, DocumentStatus, IssuedDocument

logger = logging.getLogger(__name__)

SYSTEM_SIGNER = "seva-system"  # the key that signs what the platform decided (a timer)
SYSTEM_SIGNER_NAME = "Seva, for the designated officer"


# ------------------------------------------------------------------------------
# 1. Pending, in the transaction of the decision
# ------------------------------------------------------------------------------
@lifecycle.entered.register("documents")
def _on_entered(event: lifecycle.Entered) -> None:
    documents_open(event.application, cause=event.cause)


def documents_open(application: Application, *, cause: ApplicationEvent) -> list[IssuedDocument]:
    """A pending document for each of the service's `issues` on the state just entered."""
    spec = application.service_version.spec
    opened = []
    for issue in spec.issues_on(cause.to_state):
        document = IssuedDocument.objects.create(
            application=application,
            code=issue.code,
            kind=issue.kind,
            cause=cause,
            office=application.office,
            signed_by=cause.actor,
            holder_name=holder_name(application, issue)[:200],
            created_at=timezone.now(),
        )
        opened.append(document)
        _issue_after_commit(document.pk)
    return opened


def _issue_after_commit(document_id: int) -> None:
    """Ask a worker to issue it once the decision commits; if the broker is down the row
    waits, pending, for the sweep."""
    from .tasks import issue_document  # noqa: PLC0415 (the tasks module imports this one)

    def hand_over() -> None:
        try:
            issue_document.delay(document_id)
        except Exception:  # recorded on the row; the next sweep tries again
            logger.warning(
                "document %s left for the sweep: the broker is not reachable", document_id
            )

    transaction.on_commit(hand_over)


# ------------------------------------------------------------------------------
# 2. Rendered and signed by a worker
# ------------------------------------------------------------------------------
def series_prefix(issue: IssueSpec, application: Application, year: int) -> str:
    values = {
        "state": settings.SEVA_STATE_CODE,
        "department": application.department.short_code,
        "service": application.service_version.spec.reference_code,
        "district": _short(application.district.code if application.district else ""),
        "office": _short(application.office.code),
        "year": str(year),
    }
    return issue.series.format_map(values)


def _short(code: str) -> str:
    """HR-AMB -> AMB: a place's own part of its code."""
    return code.rsplit("-", 1)[-1] if code else "X"


def _number_take(document: IssuedDocument, issue: IssueSpec) -> IssuedDocument:
    """Give the document its number, once (a retry keeps the one it was given)."""
    with transaction.atomic():
        locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.number:
            return locked
        today = timezone.localdate()
        series = series_prefix(issue, locked.application, today.year)
        DocumentCounter.objects.get_or_create(series=series)
        DocumentCounter.objects.filter(series=series).update(last_number=F("last_number") + 1)
        last = DocumentCounter.objects.values_list("last_number", flat=True).get(series=series)
        locked.number = f"{series}/{last:06d}"
        locked.issued_on = today
        locked.valid_until = _valid_until(issue, locked, today)
        locked.save(update_fields=["number", "issued_on", "valid_until"])
        return locked


def _valid_until(issue: IssueSpec, document: IssuedDocument, today: dt.date) -> dt.date | None:
    validity = issue.validity
    if validity is None:
        return None
    if validity.unit == "until":
        decision = Decision(document.number or "", today, None, "", document.cause)
        facts = document_facts(document.application, issue, decision, "en")
        value = Filler.for_application(document.application, facts, "en").value(
            validity.until or ""
        )
        try:
            return dt.date.fromisoformat(str(value)) if value else None
        except ValueError:
            return None
    if validity.unit == "days":
        return today + dt.timedelta(days=validity.amount - 1)
    months = validity.amount * (12 if validity.unit == "years" else 1)
    return add_months(today, months) - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day where it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def verify_page(document: IssuedDocument) -> str:
    """The public verification page of the document (it asks for the code)."""
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    return f"{base}/verify/{document.number}/"


def verify_url(document: IssuedDocument) -> str:
    """The verification page with the code: the QR code's link."""
    return f"{verify_page(document)}?code={document.public_id}"


def qr_facts(document: IssuedDocument, issue: IssueSpec) -> dict[str, str]:
    return {
        "n": document.number or "",
        "t": issue.name.get("en", issue.kind),
        "h": document.holder_name,
        "i": document.issued_on.isoformat() if document.issued_on else "",
        "v": document.valid_until.isoformat() if document.valid_until else "",
        "o": document.office.name_en,
        "u": verify_url(document),
    }


@lru_cache(maxsize=1)
def _signers() -> signing.Signers:
    return signing.signers_from_settings(settings.SEVA_DOCUMENT_SIGNER)


def qr_key() -> qr.PayloadKey:
    """The key that signs QR payloads; made on first use where demo signing is on."""
    directory = settings.SEVA_QR_KEY_DIR
    if settings.SEVA_DOCUMENT_DEMO_SIGNING:
        return qr.load_or_create_key(directory)
    key = qr.load_key(directory)
    if key is None:
        raise signing.SignerUnavailable(f"no QR signing key in {directory}")
    return key


def _signer_for(username: str, full_name: str):
    try:
        return _signers().signer_for(username)
    except signing.SignerUnavailable:
        if not settings.SEVA_DOCUMENT_DEMO_SIGNING:
            raise
    # The demo: every officer gets a certificate from the demo CA on first use.
    directory = settings.SEVA_DOCUMENT_SIGNING_DIR
    signing.make_demo_ca(directory)
    signing.issue_demo_certificate(
        directory,
        username=username,
        full_name=full_name,
        passphrase=settings.SEVA_DOCUMENT_SIGNER["passphrase"].encode() or None,
    )
    _signers.cache_clear()
    return _signers().signer_for(username)


@dataclass(frozen=True)
class Signed:
    """A document rendered and signed in every language, not yet stored."""

    signer_name: str
    qr_payload: str
    pdfs: dict[str, bytes]  # language -> signed PDF


@dataclass(frozen=True)
class Signing:
    """What signing one document takes once, whatever its languages: the decider's key, the
    signed QR payload and the facts of the decision."""

    document: IssuedDocument
    issue: IssueSpec
    signer: Any
    signer_name: str
    qr_payload: str
    decision: Decision


def signing_for(document: IssuedDocument, issue: IssueSpec) -> Signing:
    """The key of the officer who decided (the platform's for its own decisions), and the QR
    payload, for a numbered document."""
    officer = document.signed_by
    if officer is not None:
        username, name = officer.get_username(), officer.get_full_name() or officer.get_username()
    else:
        username, name = SYSTEM_SIGNER, SYSTEM_SIGNER_NAME
    return Signing(
        document=document,
        issue=issue,
        signer=_signer_for(username, name),
        signer_name=name,
        qr_payload=qr.sign_payload(qr_facts(document, issue), qr_key()),
        decision=Decision(
            number=document.number or "",
            issued_on=document.issued_on or timezone.localdate(),
            valid_until=document.valid_until,
            officer_name=name,
            cause=document.cause,
        ),
    )


def render_signed(prepared: Signing, language: str) -> bytes:
    """The document in `language`: its template filled, rendered and signed."""
    document, issue = prepared.document, prepared.issue
    application = document.application
    rendered = pdf.render(
        layout_for(
            application,
            issue,
            prepared.decision,
            language=language,
            qr_text=prepared.qr_payload,
            verify_page=verify_page(document),
            verify_code=document.public_id,
        )
    )
    return signing.sign_pdf(
        rendered.pdf,
        prepared.signer,
        box=rendered.signature_box,
        page=rendered.page,
        signer_name=prepared.signer_name,
        reason=f"{issue.name.get('en', issue.kind)} {document.number}",
        location=application.office.name_en,
    )


def _render_and_sign(document: IssuedDocument, issue: IssueSpec) -> Signed:
    prepared = signing_for(document, issue)
    return Signed(
        signer_name=prepared.signer_name,
        qr_payload=prepared.qr_payload,
        pdfs={language: render_signed(prepared, language) for language in settings.SEVA_LANGUAGES},
    )


def document_issue(document_id: int) -> str:
    """Render, sign and store one pending document. Safe to run twice, or at once twice."""
    document = (
        IssuedDocument.objects.select_related(
            "application__service_version", "application__office", "office", "signed_by"
        )
        .filter(pk=document_id)
        .first()
    )
    if document is None or document.status != DocumentStatus.PENDING:
        return "nothing to do"
    issue = document.application.service_version.spec.issue(document.code)
    if issue is None:  # pragma: no cover - versions never change
        return "no such document in the service"
    document = _number_take(document, issue)
    try:
        signed = _render_and_sign(document, issue)
    except Exception as exc:
        IssuedDocument.objects.filter(pk=document.pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        logger.exception("document %s could not be signed", document.number)
        raise
    now = timezone.now()
    stored = {
        language: default_storage.save(
            f"issued/{now:%Y/%m}/{secrets.token_urlsafe(16)}.pdf", ContentFile(data)
        )
        for language, data in signed.pdfs.items()
    }
    with transaction.atomic():
        locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.status != DocumentStatus.PENDING:
            for name in stored.values():
                default_storage.delete(name)
            return "issued by another worker"
        for language, name in stored.items():
            data = signed.pdfs[language]
            DocumentFile.objects.create(
                document=locked,
                language=language,
                file=name,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                created_at=now,
            )
        locked.status = DocumentStatus.ISSUED
        locked.issued_at = now
        locked.signer_name = signed.signer_name[:200]
        locked.qr_payload = signed.qr_payload
        locked.attempts = F("attempts") + 1
        locked.last_error = ""
        locked.save()
        if locked.supersedes_id is not None:
            IssuedDocument.objects.filter(
                pk=locked.supersedes_id, status=DocumentStatus.ISSUED
            ).update(status=DocumentStatus.SUPERSEDED)
        # A corrected document replaces the first where the citizen downloads it: the SMS
        # went with the first.
        if issue.sms and locked.cause is not None and locked.supersedes_id is None:
            lifecycle.sms_due.notify(lifecycle.SmsDue(locked.application, issue.sms, locked.cause))
    return f"issued {locked.number}"


def documents_issue_pending(*, older_than_seconds: int = 60) -> int:
    """Issue what is still pending (a worker that died, a broker that was down)."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    pending = IssuedDocument.objects.filter(
        status=DocumentStatus.PENDING, created_at__lte=cutoff
    ).values_list("pk", flat=True)
    done = 0
    for pk in list(pending[:500]):
        try:
            document_issue(pk)
            done += 1
        except Exception:  # recorded on the row; the next sweep tries again
            continue
    return done


# ------------------------------------------------------------------------------
# Revocation and correction
# ------------------------------------------------------------------------------
def roles_that_may_change(document: IssuedDocument) -> set[str]:
    """Who may revoke or correct a document: its `revoked_by`, or the roles of the actions
    that enter its state (those who may decide it may undo it)."""
    version = document.application.service_version
    issue = version.spec.issue(document.code)
    if issue is None:
        return set()
    if issue.revoked_by:
        return set(issue.revoked_by)
    workflow = workflow_for(version)
    return {
        role
        for transition in workflow.transitions
        if transition.target == issue.state
        for role in transition.roles
        if role != CITIZEN
    }


def document_may_change(user, document: IssuedDocument) -> bool:
    """Whether `user` may revoke or correct `document`: a posting in one of the roles that may
    (`roles_that_may_change`) over the file's place, in its department."""
    roles = roles_that_may_change(document)
    application = document.application
    return any(
        posting.role.code in roles
        and posting_covers(
            posting, department_id=application.department_id, place_path=application.place_path
        )
        for posting in postings_active(user)
    )


def _history(document: IssuedDocument, *, user, action: str, reason: str) -> None:
    history_note(
        document.application,
        actor=user,
        actor_role=_acting_role(user, document),
        action=action,
        remarks=reason,
        data={"document": document.number or "", "code": document.code},
    )


def _acting_role(user, document: IssuedDocument) -> str:
    roles = roles_that_may_change(document)
    return next((p.role.code for p in postings_active(user) if p.role.code in roles), "")


def document_revoke(*, user, number: str, reason: str) -> IssuedDocument:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed({"reason": [_("Say why the document is revoked.")]})
    with transaction.atomic():
        document = _changeable(number, user)
        document.status = DocumentStatus.REVOKED
        document.revoked_at = timezone.now()
        document.revoked_by = user
        document.change_reason = reason
        document.save(update_fields=["status", "revoked_at", "revoked_by", "change_reason"])
        _history(document, user=user, action="revoke_document", reason=reason)
    return document


def document_reissue(*, user, number: str, reason: str) -> IssuedDocument:
    """A corrected document, from the file as it stands now, with a new number; the old one
    is superseded once the new one is signed."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed({"reason": [_("Say what was corrected.")]})
    with transaction.atomic():
        document = _changeable(number, user)
        document.change_reason = reason
        document.save(update_fields=["change_reason"])
        successor = IssuedDocument.objects.create(
            application=document.application,
            code=document.code,
            kind=document.kind,
            # The decision it records is the same; only the words are corrected.
            cause=document.cause,
            office=document.office,
            signed_by=user,
            holder_name=document.holder_name,
            created_at=timezone.now(),
            supersedes=document,
        )
        _history(document, user=user, action="reissue_document", reason=reason)
        _issue_after_commit(successor.pk)
    return successor


def _changeable(number: str, user) -> IssuedDocument:
    """The valid document `number`, locked, if `user` may change it. To one who may not even
    read its file, it answers as if it did not exist."""
    document = (
        IssuedDocument.objects.select_for_update(of=("self",))
        .select_related("application__service_version")
        .filter(number=number, status=DocumentStatus.ISSUED)
        .first()
    )
    readable = (
        document is not None
        and applications_visible_to(user).filter(pk=document.application_id).exists()
    )
    if document is None or not readable:
        raise NotFound(_("No valid document %(number)s.") % {"number": number})
    if not document_may_change(user, document):
        raise ActionNotAllowed(_("You may not revoke or correct this document."))
    if hasattr(document, "superseded_by"):
        raise ValidationFailed({"number": [_("A corrected document is already being issued.")]})
    return document
