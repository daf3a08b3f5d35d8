"""Small helpers shared by tests."""

from __future__ import annotations

import datetime as dt

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def ist(
    year: int, month: int, day: int, hour: int = 11, minute: int = 0, second: int = 0
) -> dt.datetime:
    """An aware datetime in India Standard Time."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=IST)


# ------------------------------------------------------------------------------
# An RTS oracle written independently of seva.workflows.clock, to check it against.
# ------------------------------------------------------------------------------
def expected_due_date(
    *,
    start: dt.date,
    days: int,
    working_days_only: bool,
    holidays: set[dt.date],
    pauses: list[tuple[dt.date, dt.date]] = (),
) -> dt.date:
    """Count `days` days after `start`, skipping weekends and holidays (when working days
    only) and every day d with pause_start < d <= pause_end."""
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        if any(p_start < day <= p_end for p_start, p_end in pauses):
            continue
        if working_days_only and (day.weekday() >= 5 or day in holidays):
            continue
        counted += 1
    return day


# ------------------------------------------------------------------------------
# Small real files for uploads
# ------------------------------------------------------------------------------
def png_bytes(width: int = 8, height: int = 8) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 30, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def file_for(accept: list[str]) -> tuple[str, bytes, str]:
    """(name, content, content type) of a small genuine file of an accepted type."""
    if "application/pdf" in accept:
        return "scan.pdf", PDF_BYTES, "application/pdf"
    if "image/png" in accept:
        return "photo.png", png_bytes(), "image/png"
    return "photo.jpg", jpeg_bytes(), "image/jpeg"


def example_with_documents(service, owner, example: dict | None = None) -> dict:
    """A copy of the service form's first example whose file fields hold real uploads by `owner`."""
    import copy

    from django.core.files.uploadedfile import SimpleUploadedFile

    from seva.applications.documents import document_fields, document_upload
    from seva.formschemas.paths import set_path

    form = service.current_version.form_schema
    data = copy.deepcopy(example or form["examples"][0])
    for path, _token, field_schema in document_fields(form, data):
        name, content, content_type = file_for(field_schema["x-file"]["accept"])
        document = document_upload(
            owner=owner,
            uploaded_file=SimpleUploadedFile(name, content, content_type),
            field=path,
            accept=field_schema["x-file"]["accept"],
            max_bytes=field_schema["x-file"]["max_bytes"],
        )
        set_path(data, path, document.token)
    return data


def income_certificate_signed(user):
    """The demo citizen's income certificate approved by the tehsildar and its certificate
    signed (the worker's task, run here), into whatever storage is the default. `user` is the
    conftest fixture that looks up a demo user."""
    from seva.applications.models import Application
    from seva.applications.services import application_act, application_submit
    from seva.definitions.models import Service
    from seva.documents.services import documents_issue_pending

    service = Service.objects.get(code="income-certificate")
    citizen = user("citizen")
    application = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    application_act(
        application=application, user=user("clerk.ambala"), action="forward_for_verification"
    )
    application.refresh_from_db()
    application_act(
        application=application,
        user=user("patwari.ambala"),
        action="submit_verification_report",
        remarks="Verified on the spot.",
        inputs={"facts_verified": True, "verified_annual_income": 120000},
    )
    application.refresh_from_db()
    application_act(application=application, user=user("tehsildar.ambala"), action="approve")
    assert documents_issue_pending(older_than_seconds=0) == 1
    return Application.objects.get(pk=application.pk)
