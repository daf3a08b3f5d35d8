"""A partner key uploads documents only for the services it may file, and never officers'
attachments (issue 16, finding 11): outside its scope it gets the 403 the filing endpoint
gives, and nothing is stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from seva.api.services import partner_create, partner_key_issue
from seva.applications.models import Document
from tests.helpers import PDF_BYTES, png_bytes

UPLOAD = "/api/v1/documents/"


@pytest.fixture
def partner_client(db):
    partner = partner_create(
        code="saral", name="Saral Kendra portal", service_codes=["income-certificate"]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {partner_key_issue(partner=partner)}")
    client.partner = partner
    return client


def photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.png", png_bytes(), "image/png")


@pytest.mark.django_db
@pytest.mark.parametrize("service", ["domicile-certificate", "no-such-service"])
def test_a_partner_key_may_not_upload_outside_its_scope(partner_client, service):
    response = partner_client.post(
        UPLOAD, {"service": service, "field": "documents.photo", "file": photo()}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == f"This key may not upload documents for '{service}'."
    assert not Document.objects.filter(owner=partner_client.partner.user).exists()


@pytest.mark.django_db
def test_a_partner_key_may_not_upload_attachments(partner_client):
    response = partner_client.post(
        UPLOAD, {"field": "attachments", "file": SimpleUploadedFile("order.pdf", PDF_BYTES)}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "A partner key may not upload officers' attachments."
    assert not Document.objects.filter(owner=partner_client.partner.user).exists()


@pytest.mark.django_db
def test_a_partner_key_uploads_within_its_scope(partner_client):
    response = partner_client.post(
        UPLOAD, {"service": "income-certificate", "field": "documents.photo", "file": photo()}
    )
    assert response.status_code == 201, response.json()
