"""The citizen's side of issued documents: My applications lists them and downloads their
signed PDFs; public tracking does too, for the reference and registered mobile; the SMS's
link opens tracking; and the public verification page shows a document's few facts only to
one who has its verification code, the same "no" for every wrong guess."""

from __future__ import annotations

import re

import pytest
from django.core import signing
from django.test import Client

from seva.applications.services import application_submit
from seva.definitions.models import Service
from seva.documents.models import IssuedDocument
from seva.documents.services import document_revoke
from tests.helpers import example_with_documents, income_certificate_signed

MOBILE = "9812345678"  # the demo citizen's


@pytest.fixture
def decided(user):
    """An income certificate approved by the tehsildar, its certificate signed."""
    return income_certificate_signed(user)


def _pdf(response) -> bytes:
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF")
    return data


@pytest.mark.django_db
def test_my_application_lists_the_certificate_and_downloads_it_in_each_language(decided, user):
    client = Client()
    client.force_login(user("citizen"))
    page = client.get(f"/my/{decided.reference}/").content.decode()
    document = IssuedDocument.objects.get(application=decided)
    assert "Issued to you" in page and document.number in page
    links = re.findall(r'href="(/my/[^"]+/issued/[^"]+)"', page)
    assert len(links) == 2
    for link in links:
        _pdf(client.get(link))
    # Another citizen gets nothing, not even that it exists.
    other = Client()
    other.force_login(user("citizen2"))
    assert other.get(links[0]).status_code == 404


@pytest.mark.django_db
def test_a_pending_certificate_says_it_is_being_signed(user):
    service = Service.objects.get(code="income-certificate")
    citizen = user("citizen")
    application = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    IssuedDocument.objects.create(
        application=application,
        code="certificate",
        kind="certificate",
        office=application.office,
        created_at=application.submitted_at,
    )
    client = Client()
    client.force_login(citizen)
    page = client.get(f"/my/{application.reference}/").content.decode()
    assert "It is being signed" in page
    assert "/issued/" not in page


@pytest.mark.django_db
def test_public_tracking_downloads_for_the_registered_mobile_for_half_an_hour(decided):
    anonymous = Client()
    page = anonymous.post("/track/", {"reference": decided.reference, "mobile": MOBILE})
    links = re.findall(r'href="(/track/download/[^"]+)"', page.content.decode())
    assert len(links) == 2
    _pdf(anonymous.get(links[0]))
    wrong = anonymous.post("/track/", {"reference": decided.reference, "mobile": "9812345679"})
    assert "/track/download/" not in wrong.content.decode()
    # A link made up, or one whose signature is broken, answers 404.
    forged = signing.dumps({"r": decided.reference, "d": "X" * 16, "l": "en"}, salt="other")
    assert anonymous.get(f"/track/download/{forged}/").status_code == 404
    assert anonymous.get(links[0][:-5] + "AAAA/").status_code == 404


@pytest.mark.django_db
def test_the_sms_link_opens_tracking_with_the_reference_filled_in(decided):
    response = Client().get(f"/t/{decided.reference}/")
    assert response.status_code == 302
    page = Client().get(response["Location"]).content.decode()
    assert f'value="{decided.reference}"' in page


@pytest.mark.django_db
def test_verification_shows_the_facts_only_with_the_code_and_the_same_no_otherwise(decided, user):
    document = IssuedDocument.objects.get(application=decided)
    anonymous = Client()
    url = f"/verify/{document.number}/"
    asked = anonymous.get(url)
    assert asked.status_code == 200
    assert "Verification code" in asked.content.decode()
    assert decided.applicant_name not in asked.content.decode()

    shown = anonymous.get(url, {"code": document.public_id})
    text = shown.content.decode()
    assert shown.status_code == 200 and "Valid" in text
    assert decided.applicant_name in text and document.number in text
    assert decided.reference not in text  # nothing else about the citizen
    assert shown["X-Robots-Tag"] == "noindex"
    # Typed with dashes and in lower case, as read out: the same.
    typed = "-".join(document.public_id[i : i + 4] for i in range(0, 16, 4)).lower()
    assert decided.applicant_name in anonymous.get(url, {"code": typed}).content.decode()

    wrong_code = anonymous.get(url, {"code": "A" * 16})
    unknown = anonymous.get("/verify/HR/INC/AMB/2026/999999/", {"code": document.public_id})
    assert wrong_code.status_code == unknown.status_code == 404
    assert decided.applicant_name not in wrong_code.content.decode()

    document_revoke(
        user=user("tehsildar.ambala"),
        number=document.number,
        reason="Issued on a forged income proof.",
    )
    revoked = anonymous.get(url, {"code": document.public_id}).content.decode()
    assert "Revoked" in revoked and "forged income proof" in revoked


@pytest.mark.django_db
def test_verification_is_rate_limited_per_connection(decided):
    document = IssuedDocument.objects.get(application=decided)
    anonymous = Client()
    url = f"/verify/{document.number}/"
    for _ in range(60):
        anonymous.get(url, {"code": "B" * 16})
    limited = anonymous.get(url, {"code": document.public_id})
    assert limited.status_code == 429
    assert decided.applicant_name not in limited.content.decode()


@pytest.mark.django_db
def test_the_qr_keys_are_published(decided):
    keys = Client().get("/verify/keys.json").json()["keys"]
    assert keys and keys[0]["crv"] == "Ed25519" and keys[0]["kid"]
    document = IssuedDocument.objects.get(application=decided)
    assert document.qr_payload.split(".")[2] == keys[0]["kid"]
