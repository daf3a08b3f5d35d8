"""The counter prints what was issued: on the page of a file filed at their centre, the
operator finds its documents and opens each signed PDF to print for the citizen. Another
centre's operator, and anybody who is not an operator, gets none of them."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from seva.applications.models import Application
from seva.applications.services import application_act
from seva.documents.models import DocumentStatus, IssuedDocument

from .test_assisted_filing import BASE, OPERATOR, file_at_counter, second_centre, signed_in

pytestmark = pytest.mark.django_db

TO_APPROVAL = [
    ("clerk.ambala", "forward_for_verification", {}),
    (
        "patwari.ambala",
        "submit_verification_report",
        {"facts_verified": True, "verified_annual_income": 180000},
    ),
    ("tehsildar.ambala", "approve", {}),
]


def approve(user, application: Application) -> Application:
    for username, action, inputs in TO_APPROVAL:
        application = application_act(
            application=application,
            user=user(username),
            action=action,
            remarks="Checked.",
            inputs=inputs,
        )
    return application


def pdf_links(body: str, reference: str) -> list[str]:
    return re.findall(rf'href="({BASE}filed/{reference}/issued/[A-Z2-7]+/\w+/)"', body)


def test_the_operator_opens_the_signed_certificate_of_a_file_filed_at_the_counter(
    user, django_capture_on_commit_callbacks
):
    operator = signed_in(user, OPERATOR)
    application = file_at_counter(operator)
    page = f"{BASE}filed/{application.reference}/"
    assert "Documents issued" not in operator.get(page).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        approve(user, application)
    document = IssuedDocument.objects.get(application=application)
    assert document.status == DocumentStatus.ISSUED, document.last_error

    body = operator.get(page).content.decode()
    assert "Documents issued" in body
    assert document.number in body and "Income certificate" in body
    links = pdf_links(body, application.reference)
    assert [link.rstrip("/").rsplit("/", 1)[1] for link in links] == ["en", "hi"]
    for link in links:
        pdf = operator.get(link)
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf["X-Content-Type-Options"] == "nosniff"
        assert b"".join(pdf.streaming_content).startswith(b"%PDF-")

    # Another centre's operator: as for a file that does not exist.
    _centre, hisar_operator = second_centre(user)
    hisar = Client()
    hisar.force_login(hisar_operator)
    for link in links:
        assert hisar.get(link).status_code == 404
    # An officer who reads the file in the workspace is not at the counter: turned back.
    refused = signed_in(user, "tehsildar.ambala").get(links[0])
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    assert signed_in(user, "citizen").get(links[0]).status_code == 302
    # A made-up document of the centre's own file: 404.
    assert operator.get(f"{page}issued/AAAAAAAAAAAAAAAA/en/").status_code == 404


def test_a_document_being_signed_is_listed_without_a_link(user):
    operator = signed_in(user, OPERATOR)
    application = file_at_counter(operator)
    approve(user, application)  # the hand-over to the worker never runs in a test's transaction
    body = operator.get(f"{BASE}filed/{application.reference}/").content.decode()
    assert 'data-status="pending"' in body
    assert "Being signed: reload the page in a minute." in body
    assert not pdf_links(body, application.reference)
