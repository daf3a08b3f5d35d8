"""Revoking and correcting an issued document over the API (docs/documents.md, "Revocation
and correction"): the tehsildar who may decide an income certificate may revoke it with a
reason, or have a corrected one issued with a new number that supersedes it once signed.
Both are rows in the file's history naming the officer; the public verification page says
what became of the document. Anybody else is answered as for a document that does not exist."""

from __future__ import annotations

import pytest
from django.test import Client

from seva.applications.models import Application, ApplicationEvent
from seva.documents.models import DocumentStatus, IssuedDocument
from tests.api.test_api import submit

pytestmark = pytest.mark.django_db

REVOKE = "/api/v1/documents/revoke/"
REISSUE = "/api/v1/documents/reissue/"
REASON = "The income was found misstated after a complaint."
# Who moves a fresh income certificate in Ambala to its approval, and with what.
TO_APPROVAL = [
    ("clerk.ambala", "forward_for_verification", {}),
    (
        "patwari.ambala",
        "submit_verification_report",
        {"facts_verified": True, "verified_annual_income": 180000},
    ),
    ("tehsildar.ambala", "approve", {}),
]


def approved_certificate(api, django_capture_on_commit_callbacks) -> IssuedDocument:
    """The citizen applies, the officers of Ambala approve over the API, and the worker
    (eager in tests) signs the certificate after the approval commits."""
    reference = submit(api)
    with django_capture_on_commit_callbacks(execute=True):
        for username, action, data in TO_APPROVAL:
            response = api(username).post(
                f"/api/v1/applications/{reference}/actions/",
                {"action": action, "remarks": "Checked.", "data": data},
                format="json",
            )
            assert response.status_code == 200, (action, response.json())
    application = Application.objects.get(reference=reference)
    assert application.state == "approved"
    document = IssuedDocument.objects.get(application=application, code="certificate")
    assert document.status == DocumentStatus.ISSUED, document.last_error
    return document


def verification_page(document: IssuedDocument) -> str:
    page = Client().get(f"/verify/{document.number}/", {"code": document.public_id})
    assert page.status_code == 200
    return page.content.decode()


def test_the_tehsildar_revokes_a_certificate_with_a_reason_and_the_page_says_revoked(
    api, user, django_capture_on_commit_callbacks
):
    document = approved_certificate(api, django_capture_on_commit_callbacks)
    assert "Valid" in verification_page(document)

    revoked = api("tehsildar.ambala").post(
        REVOKE, {"number": document.number, "reason": REASON}, format="json"
    )
    assert revoked.status_code == 200, revoked.json()
    body = revoked.json()
    assert (body["number"], body["status"], body["code"]) == (
        document.number,
        "revoked",
        "certificate",
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.REVOKED
    assert document.revoked_by == user("tehsildar.ambala")
    assert document.change_reason == REASON

    event = ApplicationEvent.objects.get(
        application=document.application, kind=ApplicationEvent.Kind.DOCUMENT
    )
    assert (event.action, event.remarks, event.actor) == (
        "revoke_document",
        REASON,
        user("tehsildar.ambala"),
    )
    assert event.data["document"] == document.number

    page = verification_page(document)
    assert "Revoked" in page and REASON in page
    # Revoked, it cannot be revoked again: no valid document by that number.
    again = api("tehsildar.ambala").post(
        REVOKE, {"number": document.number, "reason": REASON}, format="json"
    )
    assert again.status_code == 404


def test_the_citizen_and_an_officer_of_another_district_are_answered_404(
    api, django_capture_on_commit_callbacks
):
    document = approved_certificate(api, django_capture_on_commit_callbacks)
    unknown = api("tehsildar.ambala").post(
        REVOKE, {"number": "HR/INC/AMB/2026/999999", "reason": REASON}, format="json"
    )
    assert unknown.status_code == 404
    for username in ("citizen", "tehsildar.hisar", "clerk.ambala"):
        for url in (REVOKE, REISSUE):
            refused = api(username).post(
                url, {"number": document.number, "reason": REASON}, format="json"
            )
            assert refused.status_code == 404, (username, url, refused.json())
            # The same answer as for a number that does not exist, but for the number.
            assert refused.json()["detail"] == unknown.json()["detail"].replace(
                "HR/INC/AMB/2026/999999", document.number
            )
    assert api(None).post(REVOKE, {"number": document.number, "reason": REASON}).status_code in (
        401,
        403,
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.ISSUED
    assert not ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.DOCUMENT).exists()
    assert IssuedDocument.objects.filter(application=document.application).count() == 1


def test_a_corrected_document_gets_a_new_number_and_supersedes_the_old_once_signed(
    api, user, django_capture_on_commit_callbacks
):
    document = approved_certificate(api, django_capture_on_commit_callbacks)
    correction = "The father's name was misspelt."
    with django_capture_on_commit_callbacks(execute=True):
        answer = api("tehsildar.ambala").post(
            REISSUE, {"number": document.number, "reason": correction}, format="json"
        )
        assert answer.status_code == 200, answer.json()
        # Answered at once: the new document waits for its signature, with no number yet.
        assert answer.json()["status"] == "pending"
        assert answer.json()["number"] is None
        assert answer.json()["supersedes"] == document.number
        document.refresh_from_db()
        assert document.status == DocumentStatus.ISSUED

    successor = IssuedDocument.objects.get(supersedes=document)
    assert successor.status == DocumentStatus.ISSUED, successor.last_error
    assert successor.number and successor.number != document.number
    assert successor.signed_by == user("tehsildar.ambala")
    document.refresh_from_db()
    assert document.status == DocumentStatus.SUPERSEDED
    assert document.change_reason == correction
    event = ApplicationEvent.objects.get(
        application=document.application, kind=ApplicationEvent.Kind.DOCUMENT
    )
    assert (event.action, event.remarks, event.actor) == (
        "reissue_document",
        correction,
        user("tehsildar.ambala"),
    )

    page = verification_page(document)
    assert "Superseded" in page
    assert f'href="/verify/{successor.number}/?code={successor.public_id}"' in page
    assert "Valid" in verification_page(successor)
    # The file lists both: the old one superseded, the new one valid.
    listed = api("citizen").get(f"/api/v1/applications/{document.application.reference}/documents/")
    assert [(d["number"], d["status"]) for d in listed.json()["documents"]] == [
        (document.number, "superseded"),
        (successor.number, "valid"),
    ]
    # A superseded document is corrected no further.
    assert (
        api("tehsildar.ambala")
        .post(REISSUE, {"number": document.number, "reason": correction}, format="json")
        .status_code
        == 404
    )


def test_an_empty_reason_is_refused_keyed_reason(api, django_capture_on_commit_callbacks):
    document = approved_certificate(api, django_capture_on_commit_callbacks)
    tehsildar = api("tehsildar.ambala")
    for url in (REVOKE, REISSUE):
        for body in ({"number": document.number, "reason": ""}, {"number": document.number}):
            refused = tehsildar.post(url, body, format="json")
            assert refused.status_code == 400, (url, body)
            assert set(refused.json()["errors"]) == {"reason"}, refused.json()
    missing = tehsildar.post(REVOKE, {"reason": REASON}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"number"}
    document.refresh_from_db()
    assert document.status == DocumentStatus.ISSUED
    assert IssuedDocument.objects.filter(application=document.application).count() == 1
