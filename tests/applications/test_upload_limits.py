"""Uploads are bounded (issue 16, finding 11). Each person holds a limited number and size of
uploads that no application has claimed yet, even when they upload many at once; an hourly
job deletes the uploads never used, row and file, once a day old, but keeps those a live
draft names (a citizen's saved application, a filing in progress at a service centre's
counter); and the quota counts exactly what that job keeps."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from seva.applications import tasks
from seva.applications.documents import document_upload
from seva.applications.drafts import draft_discard, draft_for, draft_save
from seva.applications.models import Document
from seva.applications.services import application_submit
from seva.channels.services import assisted_draft_discard, assisted_draft_save
from seva.core.errors import ValidationFailed
from seva.definitions.models import Service
from tests.channels.test_assisted_filing import consented_draft
from tests.helpers import example_with_documents, png_bytes
from tests.threads import committed, needs_postgres, run_together

UPLOAD = "/api/v1/documents/"
PHOTO = {"service": "income-certificate", "field": "documents.photo"}
PNG = png_bytes()


def upload(client):
    photo = SimpleUploadedFile("photo.png", PNG, "image/png")
    return client.post(UPLOAD, {**PHOTO, "file": photo}, format="multipart")


def stored(owner, *, hours_ago: float) -> Document:
    """An upload of `owner`'s, made `hours_ago` hours ago."""
    return document_upload(
        owner=owner,
        uploaded_file=SimpleUploadedFile("photo.png", PNG, "image/png"),
        field="documents.photo",
        accept=["image/png"],
        max_bytes=1024 * 1024,
        at=timezone.now() - dt.timedelta(hours=hours_ago),
    )


def quota_message(count: int, size: str) -> str:
    return (
        f"You already have {count} uploaded files ({size}) that are not part of a sent "
        "application, the most we keep for one person. Send or discard an application you "
        "saved, then upload again; files you did not use are removed after a day."
    )


# ------------------------------------------------------------------------------
# The quota
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_person_holds_at_most_the_quotas_number_of_unclaimed_uploads(api, user, settings):
    settings.SEVA_UNCLAIMED_UPLOADS_MAX_FILES = 3
    citizen = api("citizen")
    assert [upload(citizen).status_code for _ in range(3)] == [201, 201, 201]
    refused = upload(citizen)
    assert refused.status_code == 400
    assert refused.json()["errors"]["file"] == [quota_message(3, "1 KB")]
    assert Document.objects.filter(owner=user("citizen")).count() == 3
    # Someone else is not held back by it.
    assert upload(api("citizen2")).status_code == 201


@pytest.mark.django_db
def test_the_quota_counts_bytes_too(api, settings):
    settings.SEVA_UNCLAIMED_UPLOADS_MAX_BYTES = 2 * len(PNG) + len(PNG) // 2
    citizen = api("citizen")
    assert [upload(citizen).status_code for _ in range(2)] == [201, 201]
    refused = upload(citizen)
    assert refused.status_code == 400 and "You already have 2 uploaded files" in str(refused.json())


@pytest.mark.django_db
def test_sending_the_application_frees_the_quota(api, user, settings):
    service = Service.objects.get(code="income-certificate")
    data = example_with_documents(service, user("citizen"))
    held = Document.objects.filter(owner=user("citizen"), application__isnull=True).count()
    settings.SEVA_UNCLAIMED_UPLOADS_MAX_FILES = held
    citizen = api("citizen")
    assert upload(citizen).status_code == 400
    sent = citizen.post(
        "/api/v1/applications/", {"service": service.code, "data": data}, format="json"
    )
    assert sent.status_code == 201, sent.json()
    assert upload(citizen).status_code == 201


@pytest.mark.django_db
def test_the_quota_counts_what_the_clean_up_keeps(api, user, settings):
    settings.SEVA_UNCLAIMED_UPLOADS_MAX_FILES = 2
    citizen = user("citizen")
    old_unused = stored(citizen, hours_ago=30)
    old_in_a_draft = stored(citizen, hours_ago=30)
    draft = draft_for(
        user=citizen, service=Service.objects.get(code="income-certificate"), language="en"
    )
    draft_save(draft=draft, data={"documents": {"photo": old_in_a_draft.token}})
    # The draft's upload counts, the old unused one (deleted at the next run) does not.
    assert upload(api("citizen")).status_code == 201
    refused = upload(api("citizen"))
    assert refused.status_code == 400 and "You already have 2 uploaded files" in str(refused.json())
    assert Document.objects.filter(pk=old_unused.pk).exists()


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_burst_of_parallel_uploads_keeps_to_the_quota(user, settings):
    settings.SEVA_UNCLAIMED_UPLOADS_MAX_FILES = 3
    citizen = user("citizen")

    def one_upload():
        return stored(citizen, hours_ago=0)

    results = run_together([one_upload for _ in range(12)])
    try:
        kinds = Counter(type(result).__name__ for result in results)
        assert kinds == {"Document": 3, "ValidationFailed": 9}, results
        assert Document.objects.filter(owner=citizen, application__isnull=True).count() == 3
    finally:
        made = [r for r in results if isinstance(r, Document)]
        committed(lambda: Document.objects.filter(pk__in=[d.pk for d in made]).delete())
        for document in made:
            default_storage.delete(document.file.name)
    assert all(isinstance(r, Document | ValidationFailed) for r in results)


# ------------------------------------------------------------------------------
# The clean-up
# ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_uploads_never_used_go_after_a_day_with_their_files_and_drafts_keep_theirs(user):
    citizen, operator = user("citizen"), user("operator.ambala")
    service = Service.objects.get(code="income-certificate")
    orphan = stored(citizen, hours_ago=25)
    new_orphan = stored(citizen, hours_ago=23)
    in_saved_application = stored(citizen, hours_ago=25)
    draft = draft_for(user=citizen, service=service, language="en")
    draft_save(draft=draft, data={"documents": {"photo": in_saved_application.token}})
    at_the_counter = stored(operator, hours_ago=25)
    counter_draft = consented_draft(operator, "9812300077")
    assisted_draft_save(draft=counter_draft, data={"documents": {"photo": at_the_counter.token}})
    application = application_submit(
        service=service, data=example_with_documents(service, citizen), applicant=citizen
    )
    application.documents.update(uploaded_at=timezone.now() - dt.timedelta(days=3))

    assert tasks.delete_unclaimed_uploads.delay().get() == 1

    assert not Document.objects.filter(pk=orphan.pk).exists()
    assert not default_storage.exists(orphan.file.name)
    kept = [new_orphan, in_saved_application, at_the_counter, *application.documents.all()]
    assert all(default_storage.exists(d.file.name) for d in kept)
    assert Document.objects.filter(pk__in=[d.pk for d in kept]).count() == len(kept)

    # Once the drafts are discarded, their uploads go at the next run.
    draft_discard(draft=draft)
    assisted_draft_discard(draft=counter_draft)
    assert tasks.delete_unclaimed_uploads.delay().get() == 2
    assert not Document.objects.filter(pk__in=[in_saved_application.pk, at_the_counter.pk]).exists()
    assert not default_storage.exists(at_the_counter.file.name)
    assert tasks.delete_unclaimed_uploads.delay().get() == 0  # safe to run again


def test_the_clean_up_is_scheduled_every_hour(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["delete-unclaimed-uploads"]
    assert entry["task"] == tasks.delete_unclaimed_uploads.name
    assert entry["schedule"].minute == {17} and len(entry["schedule"].hour) == 24
