"""The documents issued on a file, in the staff workspace: the file's page lists them with
their signed PDFs for whoever may read the file, and offers the officer who may decide it
the forms to revoke a document or have a corrected one issued; the queue and a bulk
action's result say how many of the officer's decisions are still being signed."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from seva.applications.models import Application, ApplicationEvent
from seva.applications.services import application_act
from seva.documents.models import DocumentStatus, IssuedDocument

from .test_routing_and_queues import file_income_certificate

pytestmark = pytest.mark.django_db

REASON = "The income was found misstated after a complaint."
TO_DECISION = [
    ("clerk.ambala", "forward_for_verification", {}),
    (
        "patwari.ambala",
        "submit_verification_report",
        {"facts_verified": True, "verified_annual_income": 180000},
    ),
]


def signed_in(user, username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


def waiting_for_decision(user, name: str = "Sunita Devi") -> Application:
    application = file_income_certificate(user, name=name)
    for username, action, inputs in TO_DECISION:
        application = application_act(
            application=application,
            user=user(username),
            action=action,
            remarks="Checked.",
            inputs=inputs,
        )
    return application


def approved(user, django_capture_on_commit_callbacks) -> IssuedDocument:
    """An income certificate of Ambala approved by its tehsildar, and signed."""
    application = waiting_for_decision(user)
    with django_capture_on_commit_callbacks(execute=True):
        application_act(application=application, user=user("tehsildar.ambala"), action="approve")
    document = IssuedDocument.objects.get(application=application)
    assert document.status == DocumentStatus.ISSUED, document.last_error
    return document


def file_page(client: Client, document: IssuedDocument) -> str:
    page = client.get(f"/admin/queue/{document.application.reference}/")
    assert page.status_code == 200
    return page.content.decode()


def test_the_file_page_lists_its_documents_with_their_pdfs_and_the_deciders_forms(
    user, django_capture_on_commit_callbacks
):
    document = approved(user, django_capture_on_commit_callbacks)
    reference = document.application.reference
    tehsildar = signed_in(user, "tehsildar.ambala")
    body = file_page(tehsildar, document)
    assert "Documents issued" in body
    assert f'data-issued="{document.public_id}" data-status="valid"' in body
    assert document.number in body and "Income certificate" in body
    assert document.valid_until.strftime("%d-%m-%Y") in body
    links = re.findall(rf'href="(/admin/queue/{reference}/issued/{document.public_id}/\w+/)"', body)
    assert [link.rstrip("/").rsplit("/", 1)[1] for link in links] == ["en", "hi"]
    assert 'data-document-form="revoke"' in body and 'data-document-form="reissue"' in body

    pdf = tehsildar.get(links[0])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["X-Content-Type-Options"] == "nosniff"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")

    # The clerk reads the file and its documents, but may not revoke or correct them.
    clerk = file_page(signed_in(user, "clerk.ambala"), document)
    assert links[0] in clerk
    assert "data-document-form" not in clerk
    assert signed_in(user, "clerk.ambala").get(links[1]).status_code == 200
    # Another district's officer reads neither the file nor its documents.
    hisar = signed_in(user, "tehsildar.hisar")
    assert hisar.get(f"/admin/queue/{reference}/").status_code == 404
    assert hisar.get(links[0]).status_code == 404
    assert tehsildar.get(f"/admin/queue/{reference}/issued/NOSUCHCODE/en/").status_code == 404


def test_the_tehsildar_revokes_from_the_file_page_with_a_reason(
    user, django_capture_on_commit_callbacks
):
    document = approved(user, django_capture_on_commit_callbacks)
    reference = document.application.reference
    url = f"/admin/queue/{reference}/issued/{document.public_id}/revoke/"
    tehsildar = signed_in(user, "tehsildar.ambala")

    empty = tehsildar.post(url, {"reason": ""})
    assert empty.status_code == 400
    body = empty.content.decode()
    assert f'id="revoke-{document.public_id}-error"' in body
    assert "Say why the document is revoked." in body
    document.refresh_from_db()
    assert document.status == DocumentStatus.ISSUED

    done = tehsildar.post(url, {"reason": REASON}, follow=True)
    assert done.redirect_chain[-1][0] == f"/admin/queue/{reference}/"
    body = done.content.decode()
    assert f"Document {document.number} is revoked." in body
    assert f'data-issued="{document.public_id}" data-status="revoked"' in body
    assert REASON in body
    assert "data-document-form" not in body  # nothing left to revoke or correct
    document.refresh_from_db()
    assert (document.status, document.revoked_by) == (
        DocumentStatus.REVOKED,
        user("tehsildar.ambala"),
    )
    event = ApplicationEvent.objects.get(
        application=document.application, kind=ApplicationEvent.Kind.DOCUMENT
    )
    assert (event.action, event.remarks, event.actor) == (
        "revoke_document",
        REASON,
        user("tehsildar.ambala"),
    )
    # The revoked document's PDFs are still there to read (they say what was issued).
    assert (
        tehsildar.get(f"/admin/queue/{reference}/issued/{document.public_id}/en/").status_code
        == 200
    )


def test_one_who_may_not_change_a_document_is_refused_and_nothing_changes(
    user, django_capture_on_commit_callbacks
):
    document = approved(user, django_capture_on_commit_callbacks)
    reference = document.application.reference
    for change in ("revoke", "reissue"):
        url = f"/admin/queue/{reference}/issued/{document.public_id}/{change}/"
        # The clerk reads the file: sent back to it with the service's refusal.
        refused = signed_in(user, "clerk.ambala").post(url, {"reason": REASON}, follow=True)
        assert refused.redirect_chain[-1][0] == f"/admin/queue/{reference}/"
        assert "You may not revoke or correct this document." in refused.content.decode()
        # Another district's officer does not read it at all.
        assert signed_in(user, "tehsildar.hisar").post(url, {"reason": REASON}).status_code == 404
        # A citizen has no workspace.
        assert signed_in(user, "citizen").post(url, {"reason": REASON}).status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.ISSUED
    assert IssuedDocument.objects.filter(application=document.application).count() == 1
    assert not ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.DOCUMENT).exists()


def test_a_corrected_document_is_issued_from_the_file_page(
    user, django_capture_on_commit_callbacks
):
    document = approved(user, django_capture_on_commit_callbacks)
    reference = document.application.reference
    url = f"/admin/queue/{reference}/issued/{document.public_id}/reissue/"
    tehsildar = signed_in(user, "tehsildar.ambala")
    refused = tehsildar.post(url, {"reason": "typo"})
    assert refused.status_code == 400
    assert f'id="reissue-{document.public_id}-error"' in refused.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        done = tehsildar.post(url, {"reason": "The father's name was misspelt."})
    assert done.status_code == 302 and done["Location"] == f"/admin/queue/{reference}/"
    successor = IssuedDocument.objects.get(supersedes=document)
    assert successor.status == DocumentStatus.ISSUED
    body = file_page(tehsildar, document)
    assert (
        f"A corrected document is being signed; once it is, it replaces {document.number}." in body
    )
    assert f'data-issued="{document.public_id}" data-status="superseded"' in body
    assert f'data-issued="{successor.public_id}" data-status="valid"' in body
    assert f"Corrects {document.number}" in body


def test_the_queue_and_a_bulk_result_count_the_officers_documents_being_signed(user):
    tehsildar = signed_in(user, "tehsildar.ambala")
    assert "data-documents-pending" not in tehsildar.get("/admin/queue/").content.decode()

    # The on-commit hand-over never runs in a test's transaction: the documents stay pending.
    files = [waiting_for_decision(user, name=f"Person {n}") for n in range(2)]
    post = {"action": "approve", "remarks": "", "reference": [a.reference for a in files]}
    for application in files:
        post[f"state-{application.reference}"] = "decision"
    result = tehsildar.post("/admin/queue/bulk/", post)
    assert result.status_code == 200
    body = result.content.decode()
    assert body.count('data-ok="yes"') == 2
    assert 'data-documents-pending="2"' in body
    assert "2 documents you decided are being signed." in body
    assert 'href="/admin/queue/"' in body

    queue = tehsildar.get("/admin/queue/", {"colour": "within"}).content.decode()
    assert "2 documents you decided are being signed." in queue
    assert 'href="/admin/queue/?colour=within">Refresh</a>' in queue
    # The count is of the officer's own decisions only.
    assert (
        "being signed"
        not in signed_in(user, "tehsildar.hisar").get("/admin/queue/").content.decode()
    )

    IssuedDocument.objects.filter(pk=IssuedDocument.objects.order_by("pk").first().pk).update(
        status=DocumentStatus.ISSUED
    )
    assert (
        "1 document you decided is being signed." in tehsildar.get("/admin/queue/").content.decode()
    )
