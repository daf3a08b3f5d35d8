"""Measuring issued documents: how long one certificate takes to fill, render and sign, and
how fast a tehsildar's bulk approval of verified income certificates is turned into signed
documents. Files are made with the services (submitted by the demo citizen, checked by the
Ambala clerk, verified by its patwari) and approved with the bulk action. Used by the
`documents_benchmark` command and its test; never by the application itself."""

from __future__ import annotations

import copy
import datetime as dt
import io
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from seva.applications.documents import document_fields, document_upload
from seva.applications.models import Application, Document
from seva.applications.services import (
    BULK_LIMIT,
    application_act,
    application_act_bulk,
    application_submit,
)
from seva.definitions.models import Service
from seva.documents import signing
from seva.documents.models import DocumentFile, DocumentStatus, IssuedDocument
from seva.documents.services import (
    add_months,
    document_issue,
    render_signed,
    series_prefix,
    signing_for,
)
from seva.formschemas.paths import set_path
from seva.notifications.models import OutboxMessage

SERVICE = "income-certificate"
ISSUE = "certificate"
CITIZEN = "citizen"
# The demo's Ambala tehsil, where the form's example applies.
CLERK, PATWARI, TEHSILDAR = "clerk.ambala", "patwari.ambala", "tehsildar.ambala"
REMARKS = "Checked for the documents benchmark."


@dataclass(frozen=True)
class Timings:
    """Milliseconds, in the order measured."""

    values: list[float]

    @property
    def first(self) -> float:
        return self.values[0]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        """The nearest-rank 95th percentile."""
        ordered = sorted(self.values)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]


def timed(work: Callable[[], object], *, runs: int) -> Timings:
    """`runs` calls of `work`, the first (cold) one included."""
    values = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        values.append((time.perf_counter() - started) * 1000)
    return Timings(values)


# ------------------------------------------------------------------------------
# Files at the tehsildar's decision
# ------------------------------------------------------------------------------
class MissingDemo(RuntimeError):
    """The definitions or the demo people are not there."""


def _people() -> dict[str, object]:
    usernames = (CITIZEN, CLERK, PATWARI, TEHSILDAR)
    people = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
    missing = sorted(set(usernames) - set(people))
    if missing:
        raise MissingDemo(
            f"Demo people missing ({', '.join(missing)}): run `manage.py seed_demo` first."
        )
    return people


def _service() -> Service:
    service = Service.objects.select_related("current_version").filter(code=SERVICE).first()
    if service is None or service.current_version is None:
        raise MissingDemo(f"No published {SERVICE}: run `manage.py sync_definitions` first.")
    return service


def _small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _with_uploads(service: Service, owner, example: dict, png: bytes) -> dict:
    """The form's example with each file field holding a fresh upload (every one of the
    income certificate's file fields takes a PNG)."""
    data = copy.deepcopy(example)
    for path, _token, field_schema in document_fields(service.current_version.form_schema, data):
        upload = document_upload(
            owner=owner,
            uploaded_file=SimpleUploadedFile("photo.png", png, "image/png"),
            field=path,
            accept=field_schema["x-file"]["accept"],
            max_bytes=field_schema["x-file"]["max_bytes"],
        )
        set_path(data, path, upload.token)
    return data


def files_at_decision(count: int) -> list[str]:
    """`count` income-certificate files, each submitted, sent for field verification and
    verified, now waiting for the tehsildar's decision. Their references, in order."""
    people, service = _people(), _service()
    example = service.current_version.form_schema["examples"][0]
    verification = {"facts_verified": True, "verified_annual_income": 180000}
    png = _small_png()
    references = []
    for _ in range(count):
        application = application_submit(
            service=service,
            data=_with_uploads(service, people[CITIZEN], example, png),
            applicant=people[CITIZEN],
        )
        application = application_act(
            application=application,
            user=people[CLERK],
            action="forward_for_verification",
            remarks=REMARKS,
        )
        application = application_act(
            application=application,
            user=people[PATWARI],
            action="submit_verification_report",
            remarks=REMARKS,
            inputs=verification,
        )
        references.append(application.reference)
    return references


def approve_in_bulk(references: list[str]) -> list[str]:
    """The tehsildar approves the files with the bulk action, as many at a time as it takes.
    The refusals, each with its reason."""
    tehsildar = _people()[TEHSILDAR]
    refused = []
    for start in range(0, len(references), BULK_LIMIT):
        outcomes = application_act_bulk(
            user=tehsildar,
            action="approve",
            references=references[start : start + BULK_LIMIT],
            remarks=REMARKS,
        )
        refused += [f"{o.reference}: {o.message}" for o in outcomes if not o.ok]
    return refused


def pending_certificates(references: list[str]) -> list[IssuedDocument]:
    return list(
        IssuedDocument.objects.filter(
            application__reference__in=references, code=ISSUE, status=DocumentStatus.PENDING
        )
        .select_related("application__service_version", "application__office", "signed_by")
        .order_by("pk")
    )


# ------------------------------------------------------------------------------
# One certificate, filled, rendered and signed
# ------------------------------------------------------------------------------
def certificate_renderer(document: IssuedDocument) -> Callable[[str], bytes]:
    """What `document_issue` does for each language of `document`, as a function of the
    language (services.render_signed: the template filled, rendered and signed). The
    document is numbered and dated here in memory only (nothing is written); the officer's
    key and the QR payload, which the service takes once per document, are taken once
    (services.signing_for)."""
    application = document.application
    issue = application.service_version.spec.issue(document.code)
    today = timezone.localdate()
    document.number = f"{series_prefix(issue, application, today.year)}/000001"
    document.issued_on = today
    document.valid_until = add_months(today, 12) - dt.timedelta(days=1)  # its one year
    try:
        prepared = signing_for(document, issue)
    except signing.SignerUnavailable as exc:
        raise MissingDemo(f"{exc}: run `manage.py seed_demo` first.") from exc

    def render_and_sign(language: str) -> bytes:
        return render_signed(prepared, language)

    return render_and_sign


# ------------------------------------------------------------------------------
# Issuing many
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Issued:
    timings: Timings
    seconds: float
    issued: int
    numbers: int  # distinct numbers among them
    sms: int  # "approved" messages in the outbox for those files


def issue_all(documents: list[IssuedDocument]) -> Issued:
    """Each pending document through `document_issue`, one after the other, in this
    process."""
    values = []
    started = time.perf_counter()
    for document in documents:
        begun = time.perf_counter()
        document_issue(document.pk)
        values.append((time.perf_counter() - begun) * 1000)
    seconds = time.perf_counter() - started
    issued = IssuedDocument.objects.filter(
        pk__in=[d.pk for d in documents], status=DocumentStatus.ISSUED
    )
    return Issued(
        timings=Timings(values),
        seconds=seconds,
        issued=issued.count(),
        numbers=issued.values("number").distinct().count(),
        sms=OutboxMessage.objects.filter(
            application__in=[d.application_id for d in documents], event="approved"
        ).count(),
    )


def stored_since(last_application: int) -> list[str]:
    """The storage names of what the files made after `last_application` (a primary key)
    stored: their uploads and their documents' PDFs."""
    applications = Application.objects.filter(pk__gt=last_application)
    uploads = Document.objects.filter(application__in=applications).values_list("file", flat=True)
    pdfs = DocumentFile.objects.filter(document__application__in=applications).values_list(
        "file", flat=True
    )
    return [*uploads, *pdfs]


def storage_delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
