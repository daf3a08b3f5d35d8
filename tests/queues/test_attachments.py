"""An officer attaches files to an action (a field report, a signed order): checked like any
upload, kept with that step, listed on the application, and served only to those who may
see it. A bad file stops the action and says why; nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from seva.applications.models import Application, Document
from tests.helpers import PDF_BYTES, png_bytes

from .test_routing_and_queues import file_income_certificate
from .test_workspace import signed_in

RETURN = {
    "action": "return_for_correction",
    "state": "scrutiny",
    "remarks": "The income proof is unsigned.",
    "correction_needed": "Upload a signed income proof.",
}


@pytest.mark.django_db
def test_files_attached_to_an_action_stay_with_that_step_and_its_readers(user):
    application = file_income_certificate(user)
    url = f"/admin/queue/{application.reference}/"
    clerk = signed_in(user, "clerk.ambala")
    response = clerk.post(
        f"{url}act/",
        {
            **RETURN,
            "attachments": [
                SimpleUploadedFile("marked-up.pdf", PDF_BYTES, "application/pdf"),
                SimpleUploadedFile("photo.png", png_bytes(), "image/png"),
            ],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    application.refresh_from_db()
    assert application.state == "returned"
    step = application.events.order_by("-sequence").first()
    attached = list(step.attachments.order_by("original_name"))
    assert [(d.original_name, d.content_type) for d in attached] == [
        ("marked-up.pdf", "application/pdf"),
        ("photo.png", "image/png"),
    ]
    assert all(d.application_id == application.pk for d in attached)

    page = clerk.get(url).content.decode()
    assert "marked-up.pdf" in page and "attached with “Return to the applicant" in page
    download = f"/documents/{attached[0].token}/"
    assert clerk.get(download).status_code == 200
    assert signed_in(user, "citizen").get(download).status_code == 200  # their own file
    assert signed_in(user, "clerk.hisar").get(download).status_code == 404
    assert signed_in(user, "citizen2").get(download).status_code == 404


@pytest.mark.django_db
def test_a_file_that_is_not_what_it_claims_stops_the_action_on_its_field(user):
    application = file_income_certificate(user)
    url = f"/admin/queue/{application.reference}/"
    events = application.events.count()
    response = signed_in(user, "clerk.ambala").post(
        f"{url}act/",
        {**RETURN, "attachments": [SimpleUploadedFile("order.pdf", b"MZ\x90\x00 not a pdf")]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "This file is not a PDF, JPEG or PNG" in body
    assert 'id="attachments-return_for_correction-error"' in body
    application.refresh_from_db()
    assert application.state == "scrutiny" and application.events.count() == events


@pytest.mark.django_db
def test_the_api_takes_attachments_by_token_and_only_the_callers_own(user, api):
    application = file_income_certificate(user)
    upload = api("clerk.ambala").post(
        "/api/v1/documents/",
        {"field": "attachments", "file": SimpleUploadedFile("note.pdf", PDF_BYTES)},
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    token = upload.json()["token"]
    someone_elses = api("patwari.ambala").post(
        "/api/v1/documents/",
        {"field": "attachments", "file": SimpleUploadedFile("x.pdf", PDF_BYTES)},
        format="multipart",
    )
    url = f"/api/v1/applications/{application.reference}/actions/"
    body = {
        "action": "return_for_correction",
        "state": "scrutiny",
        "remarks": "Unsigned.",
        "data": {"correction_needed": "Sign the income proof."},
    }
    refused = api("clerk.ambala").post(
        url, {**body, "attachments": [token, someone_elses.json()["token"]]}, format="json"
    )
    assert refused.status_code == 400
    assert "attachments" in refused.json()["errors"]
    assert Application.objects.get(pk=application.pk).state == "scrutiny"

    done = api("clerk.ambala").post(url, {**body, "attachments": [token]}, format="json")
    assert done.status_code == 200, done.json()
    document = Document.objects.get(token=token)
    assert document.application_id == application.pk and document.event.action == (
        "return_for_correction"
    )
    # Attached once: the same token cannot be attached to a second step.
    again = api("clerk.ambala").post(url, {**body, "attachments": [token]}, format="json")
    assert again.status_code in (400, 409)


@pytest.mark.django_db
def test_attachments_are_for_officers_only(user, api):
    """Issue 16, finding 11: a citizen uploaded 30 files as "attachments"; someone who holds
    no posting today cannot upload one, by the API or by the workspace's form."""
    for username in ("citizen", "citizen2"):
        refused = api(username).post(
            "/api/v1/documents/",
            {"field": "attachments", "file": SimpleUploadedFile("note.pdf", PDF_BYTES)},
            format="multipart",
        )
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "Only officers attach files to an action. To send a document for an "
            "application, upload it for the form's field."
        )
    assert not Document.objects.filter(
        owner__username__in=["citizen", "citizen2"], field="attachments"
    ).exists()

    # An officer whose posting has ended is no longer an officer for this.
    clerk = user("clerk.ambala")
    clerk.postings.update(ends_on=dt.date(2020, 1, 31), starts_on=dt.date(2020, 1, 1))
    assert (
        api("clerk.ambala")
        .post(
            "/api/v1/documents/",
            {"field": "attachments", "file": SimpleUploadedFile("note.pdf", PDF_BYTES)},
            format="multipart",
        )
        .status_code
        == 403
    )
