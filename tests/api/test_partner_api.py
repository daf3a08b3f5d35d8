"""Partner portals over the API: a key scoped to some services files applications for
citizens, which land in the same queues with the same deadlines and SMS as any other and
record the partner as channel and actor; the partner's own id, or a retried idempotency key,
never makes a second application; a key is refused outside its scope, when wrong or revoked,
and when it goes too fast; the partner polls what changed to its own applications only."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from seva.api.models import PartnerKey
from seva.api.services import partner_create, partner_key_issue, partner_key_revoke
from seva.applications.models import Application, Channel
from seva.applications.services import application_act
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from tests.helpers import example_with_documents

APPLICATIONS = "/api/v1/partner/applications/"
CHANGES = "/api/v1/partner/changes/"
MOBILE = "9812399901"


@pytest.fixture
def partner(db):
    return partner_create(
        code="saral", name="Saral Kendra portal", service_codes=["income-certificate"]
    )


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def _body(partner, reference: str = "SARAL-0001") -> dict:
    service = Service.objects.get(code="income-certificate")
    data = example_with_documents(service, partner.user)
    data["applicant"]["mobile"] = MOBILE
    return {"service": "income-certificate", "partner_reference": reference, "data": data}


@pytest.mark.django_db
def test_a_partner_files_into_the_same_queue_deadline_and_sms_with_its_channel_recorded(partner):
    response = _client(partner_key_issue(partner=partner)).post(
        APPLICATIONS, _body(partner), format="json"
    )
    assert response.status_code == 201, response.json()
    application = Application.objects.get(reference=response.json()["reference"])
    assert application.channel == Channel.PARTNER
    assert application.filed_by == partner.user
    assert application.partner_link.partner_reference == "SARAL-0001"
    assert application.applicant.citizen.mobile == MOBILE
    # The same routing as the portal: the revenue clerk of the applicant's tehsil, with the
    # first stage's deadline; the citizen is told by SMS.
    assert (application.holder_role.code, application.office.code) == (
        "revenue_clerk",
        "HR-AMB-AMB-AMB",
    )
    assert (
        application.stage_due_at is not None and application.rts_due_at > application.submitted_at
    )
    assert OutboxMessage.objects.filter(
        application=application, recipient=MOBILE, event="received"
    ).exists()
    assert response.json()["state"] == "scrutiny"


@pytest.mark.django_db
def test_the_same_partner_id_twice_makes_one_application(partner):
    client = _client(partner_key_issue(partner=partner))
    body = _body(partner)
    first = client.post(APPLICATIONS, body, format="json")
    again = client.post(APPLICATIONS, body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["reference"] == again.json()["reference"]
    assert Application.objects.filter(channel=Channel.PARTNER).count() == 1


@pytest.mark.django_db
def test_a_retried_idempotency_key_replays_the_first_answer_and_a_reused_one_is_refused(partner):
    client = _client(partner_key_issue(partner=partner))
    body = _body(partner, "SARAL-0002")
    first = client.post(APPLICATIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    again = client.post(APPLICATIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Application.objects.filter(channel=Channel.PARTNER).count() == 1
    other = client.post(
        APPLICATIONS, _body(partner, "SARAL-0003"), format="json", HTTP_IDEMPOTENCY_KEY="retry-1"
    )
    assert other.status_code == 409 and "different request" in other.json()["detail"]
    assert Application.objects.filter(channel=Channel.PARTNER).count() == 1


@pytest.mark.django_db
def test_a_key_is_refused_outside_its_scope_when_wrong_and_once_revoked(partner):
    key = partner_key_issue(partner=partner)
    body = {**_body(partner), "service": "birth-registration"}
    response = _client(key).post(APPLICATIONS, body, format="json")
    assert response.status_code == 403 and "birth-registration" in response.json()["detail"]
    prefix = key.split(".")[0]
    assert (
        _client(prefix + ".wrong").post(APPLICATIONS, _body(partner), format="json").status_code
        == 401
    )
    partner_key_revoke(key=PartnerKey.objects.get(prefix=prefix))
    assert _client(key).get(CHANGES).status_code == 401
    # A person's session or token is not a partner key.
    assert APIClient().get(CHANGES).status_code == 401
    assert not Application.objects.filter(channel=Channel.PARTNER).exists()


@pytest.mark.django_db
def test_each_key_is_held_to_its_partners_rate(partner):
    cache.clear()
    partner.rate_per_minute = 2
    partner.save()
    client = _client(partner_key_issue(partner=partner))
    assert [client.get(CHANGES).status_code for _ in range(3)] == [200, 200, 429]
    assert "detail" in client.get(CHANGES).json()


@pytest.mark.django_db
def test_the_partner_polls_the_changes_to_its_own_applications(partner, user):
    client = _client(partner_key_issue(partner=partner))
    reference = client.post(APPLICATIONS, _body(partner), format="json").json()["reference"]
    application = Application.objects.get(reference=reference)
    application_act(
        application=application,
        user=user("clerk.ambala"),
        action="forward_for_verification",
        expected_state=application.state,
    )
    feed = client.get(CHANGES).json()
    assert [(c["reference"], c["to_state"]) for c in feed["results"]] == [
        (reference, "scrutiny"),
        (reference, "field_verification"),
    ]
    assert client.get(CHANGES, {"after": feed["next_after"]}).json()["results"] == []
    assert client.get(f"{APPLICATIONS}{reference}/").json()["state"] == "field_verification"

    other = partner_create(code="cpgrams", name="CPGRAMS", service_codes=["income-certificate"])
    other_client = _client(partner_key_issue(partner=other))
    assert other_client.get(CHANGES).json()["results"] == []
    assert other_client.get(f"{APPLICATIONS}{reference}/").status_code == 404


@pytest.mark.django_db
def test_the_state_admin_issues_and_revokes_keys_from_the_command_line():
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command(
        "partner_key_issue",
        "cpgrams",
        name="CPGRAMS",
        services="public-grievance",
        stdout=out,
        stderr=StringIO(),
    )
    key = out.getvalue().splitlines()[-1]
    assert "public-grievance" in out.getvalue()
    assert _client(key).get(CHANGES).status_code == 200
    assert PartnerKey.objects.get(prefix=key.split(".")[0]).key_hash != key  # only the hash is kept
    call_command("partner_key_revoke", key.split(".")[0], stdout=StringIO())
    assert _client(key).get(CHANGES).status_code == 401
    with pytest.raises(CommandError, match="--services: no service nowhere"):
        call_command("partner_key_issue", "x", name="X", services="nowhere", stdout=StringIO())


@pytest.mark.django_db
def test_a_citizens_retried_submission_and_upload_make_one_each(api):
    from seva.applications.models import Document

    client = api("citizen")
    service = Service.objects.get(code="income-certificate")
    upload = {"service": "income-certificate", "field": "documents.photo"}
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.helpers import png_bytes

    answers = []
    for _ in range(2):
        photo = SimpleUploadedFile("photo.png", png_bytes(), "image/png")
        answers.append(
            client.post(
                "/api/v1/documents/", {**upload, "file": photo}, HTTP_IDEMPOTENCY_KEY="up-1"
            )
        )
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["token"] == answers[1].json()["token"]
    assert Document.objects.filter(owner__username="citizen").count() == 1

    from django.contrib.auth import get_user_model

    citizen = get_user_model().objects.get(username="citizen")
    body = {"service": "income-certificate", "data": example_with_documents(service, citizen)}
    first = client.post(
        "/api/v1/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="apply-1"
    )
    again = client.post(
        "/api/v1/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="apply-1"
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Application.objects.filter(applicant=citizen).count() == 1


@pytest.mark.django_db
def test_a_partner_uploads_the_scanned_documents_of_the_applications_it_files(partner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.helpers import png_bytes

    client = _client(partner_key_issue(partner=partner))
    photo = SimpleUploadedFile("photo.png", png_bytes(), "image/png")
    response = client.post(
        "/api/v1/documents/",
        {"service": "income-certificate", "field": "documents.photo", "file": photo},
    )
    assert response.status_code == 201
    body = _body(partner, "SARAL-0009")
    body["data"]["documents"]["photo"] = response.json()["token"]
    assert client.post(APPLICATIONS, body, format="json").status_code == 201


@pytest.mark.django_db
def test_the_demo_partner_key_is_kept_outside_the_repository_and_replaced_if_lost(
    settings, tmp_path
):
    from seva.demo.api import demo_key_file, demo_partner_seed

    settings.VAR_DIR = tmp_path
    key = demo_partner_seed()
    assert demo_key_file().read_text().strip() == key
    assert demo_partner_seed() == key  # the next `make run` prints the same key
    assert _client(key).get(CHANGES).status_code == 200
    demo_key_file().unlink()
    new = demo_partner_seed()
    assert new != key
    assert _client(key).get(CHANGES).status_code == 401  # the lost one no longer works
    assert _client(new).get(CHANGES).status_code == 200
