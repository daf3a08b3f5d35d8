"""Files in S3-compatible object storage, as production keeps them: a citizen's uploads (the
portal's form and the API) and the signed certificates go to the private bucket of a real
S3-protocol server (moto's, on loopback), come back only through Seva's own permission check,
are refused to anyone else and to an unsigned GET of the bucket, and are deleted from it with
the upload they belong to. Production refuses to start without the bucket's settings, and the
backend refuses to make anything public."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from seva.applications.documents import documents_delete_unclaimed
from seva.applications.models import Application, Document
from seva.config.storage import PrivateS3Storage, s3_storage_from_environ
from seva.definitions.models import Service
from seva.documents.models import DocumentFile
from tests.helpers import income_certificate_signed, png_bytes
from tests.objectstore import ObjectStore
from tests.portal.flow import sign_in, step_post, steps_of

REPO = Path(__file__).resolve().parents[2]
CODE = "income-certificate"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def _form() -> dict:
    return Service.objects.get(code=CODE).current_version.form_schema


def _assert_private(store: ObjectStore, name: str) -> None:
    """Kept in the bucket under Seva's prefix, not on this node's disk, and refused to an
    unsigned GET: no grant to everyone."""
    assert f"{store.prefix}/{name}" in store.object_keys()
    assert not (Path(settings.MEDIA_ROOT) / name).exists()
    assert store.anonymous_get(name) == 403
    acl = store.client().get_object_acl(Bucket=store.bucket, Key=f"{store.prefix}/{name}")
    assert not [g for g in acl["Grants"] if g["Grantee"].get("URI") == ALL_USERS]


def _download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_citizens_application_keeps_its_documents_in_the_private_bucket(s3_storage, user):
    client = Client()
    sign_in(client)
    started = client.get(f"/apply/{CODE}/")
    draft_id = started["Location"].split("/")[3]
    data = _form()["examples"][0]
    for step in steps_of(_form()):
        answer = client.post(f"/apply/draft/{draft_id}/{step.id}/", step_post(_form(), data, step))
        assert answer.status_code == 302, (step.id, answer.content.decode()[:2000])
    sent = client.post(f"/apply/draft/{draft_id}/check/")
    application = Application.objects.get(reference=sent["Location"].split("/")[2])

    documents = list(Document.objects.filter(application=application))
    assert len(documents) == 4
    other = Client()
    other.force_login(user("citizen2"))
    for document in documents:
        _assert_private(s3_storage, document.file.name)
        stored = s3_storage.read(document.file.name)
        assert _download(client, f"/documents/{document.token}/") == stored
        assert len(stored) == document.size
        # Another citizen is told nothing exists.
        assert other.get(f"/documents/{document.token}/").status_code == 404


@pytest.mark.django_db
def test_an_upload_through_the_api_is_stored_in_the_bucket_and_served_by_the_portal(
    s3_storage, user
):
    api = APIClient()
    api.force_authenticate(user("citizen"))
    photo = png_bytes()
    answer = api.post(
        "/api/v1/documents/",
        {
            "service": CODE,
            "field": "documents.photo",
            "file": SimpleUploadedFile("photo.png", photo, "image/png"),
        },
    )
    assert answer.status_code == 201, answer.json()
    document = Document.objects.get(token=answer.json()["token"])
    _assert_private(s3_storage, document.file.name)
    assert s3_storage.read(document.file.name) == photo

    citizen = Client()
    citizen.force_login(user("citizen"))
    assert _download(citizen, f"/documents/{document.token}/") == photo
    other = Client()
    other.force_login(user("citizen2"))
    assert other.get(f"/documents/{document.token}/").status_code == 404
    assert Client().get(f"/documents/{document.token}/").status_code == 302  # to sign in


@pytest.mark.django_db
def test_a_signed_certificate_is_kept_in_the_bucket_and_served_after_the_check(s3_storage, user):
    application = income_certificate_signed(user)
    files = list(DocumentFile.objects.filter(document__application=application))
    assert {f.language for f in files} == {"en", "hi"}

    citizen = APIClient()
    citizen.force_authenticate(user("citizen"))
    other = APIClient()
    other.force_authenticate(user("citizen2"))
    for file in files:
        _assert_private(s3_storage, file.file.name)
        stored = s3_storage.read(file.file.name)
        assert stored.startswith(b"%PDF") and len(stored) == file.size
        url = (
            f"/api/v1/applications/{application.reference}/documents/"
            f"{file.document.public_id}/{file.language}/"
        )
        assert _download(citizen, url) == stored
        assert other.get(url).status_code == 404
        portal = Client()
        portal.force_login(user("citizen"))
        page = f"/my/{application.reference}/issued/{file.document.public_id}/{file.language}/"
        assert _download(portal, page) == stored


@pytest.mark.django_db
def test_an_unclaimed_upload_is_deleted_from_the_bucket(s3_storage, user):
    import datetime as dt

    from django.utils import timezone

    from seva.applications.documents import document_upload

    document = document_upload(
        owner=user("citizen2"),
        uploaded_file=SimpleUploadedFile("photo.png", png_bytes(), "image/png"),
        field="documents.photo",
        accept=["image/png"],
        max_bytes=1024 * 1024,
    )
    key = f"{s3_storage.prefix}/{document.file.name}"
    assert key in s3_storage.object_keys()
    later = timezone.now() + dt.timedelta(hours=settings.SEVA_UNCLAIMED_UPLOADS_KEPT_HOURS + 1)
    assert documents_delete_unclaimed(at=later) >= 1
    assert not Document.objects.filter(pk=document.pk).exists()
    assert key not in s3_storage.object_keys()


# ------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------
STORE = {
    "SEVA_S3_BUCKET": "seva-files",
    "SEVA_S3_REGION": "ap-south-1",
    "SEVA_S3_ENDPOINT_URL": "https://objects.sdc.example.gov.in",
    "SEVA_S3_ACCESS_KEY_ID": "seva",
    "SEVA_S3_SECRET_ACCESS_KEY": "not-a-real-secret",
}


@pytest.mark.parametrize(
    "missing",
    ["SEVA_S3_BUCKET", "SEVA_S3_REGION", "SEVA_S3_ACCESS_KEY_ID", "SEVA_S3_SECRET_ACCESS_KEY"],
)
def test_the_bucket_settings_name_what_is_missing(missing):
    with pytest.raises(ImproperlyConfigured, match=missing):
        s3_storage_from_environ({k: v for k, v in STORE.items() if k != missing})


def test_on_aws_the_keys_may_come_from_the_nodes_role_but_never_one_without_the_other():
    on_aws = {"SEVA_S3_BUCKET": "seva-files", "SEVA_S3_REGION": "ap-south-1"}
    options = s3_storage_from_environ(on_aws)["OPTIONS"]
    assert options["endpoint_url"] is None and options["access_key"] is None
    with pytest.raises(ImproperlyConfigured, match="SEVA_S3_SECRET_ACCESS_KEY"):
        s3_storage_from_environ({**on_aws, "SEVA_S3_ACCESS_KEY_ID": "seva"})
    with pytest.raises(ImproperlyConfigured, match="SEVA_S3_ENDPOINT_URL"):
        s3_storage_from_environ({**STORE, "SEVA_S3_ENDPOINT_URL": "objects.sdc.example.gov.in"})


@pytest.mark.parametrize(
    "change",
    [{"default_acl": "public-read"}, {"querystring_auth": False}, {"custom_domain": "cdn.example"}],
)
def test_the_backend_refuses_to_make_files_public(change):
    options = {**s3_storage_from_environ(STORE)["OPTIONS"], **change}
    with pytest.raises(ImproperlyConfigured, match="private"):
        PrivateS3Storage(**options)


PROD = {
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "seva.example.gov.in",
    "DATABASE_URL": "postgres://seva@db.internal:5432/seva",
    "CELERY_BROKER_URL": "redis://cache.internal:6379/0",
    "SEVA_CACHE_URL": "redis://cache.internal:6379/1",
}
SHOW_STORAGE = (
    "import django; django.setup(); "
    "from django.core.files.storage import storages; s = storages['default']; "
    "print(type(s).__name__, s.bucket_name, s.location)"
)


def _production(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SEVA_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "-c", SHOW_STORAGE],
        env={
            **clean,
            **env,
            "DJANGO_SETTINGS_MODULE": "seva.config.settings.prod",
            "PYTHONPATH": str(REPO / "platform"),
        },
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_production_keeps_files_in_the_bucket_it_is_given():
    started = _production({**PROD, **STORE, "SEVA_S3_PREFIX": "/haryana/"})
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["PrivateS3Storage", "seva-files", "haryana"]
    refused = _production({**PROD, **{k: v for k, v in STORE.items() if k != "SEVA_S3_BUCKET"}})
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "SEVA_S3_BUCKET" in refused.stderr
