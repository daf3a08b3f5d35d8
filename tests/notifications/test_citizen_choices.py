"""What citizens choose for their messages: the language of every SMS, and whether to get
messages that are not about their applications' status (the request to rate a service).
Status SMS always go."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from seva.applications.models import Application, Feedback
from seva.applications.services import application_act, application_submit
from seva.citizens.models import CitizenProfile
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage
from seva.notifications.services import feedback_requests_send
from tests.helpers import example_with_documents


def _submit(user, service_code: str = "birth-registration") -> Application:
    service = Service.objects.get(code=service_code)
    return application_submit(
        service=service,
        data=example_with_documents(service, user("citizen")),
        applicant=user("citizen"),
        language="en",
    )


def _register(user, application: Application) -> None:
    application_act(
        application=Application.objects.get(pk=application.pk),
        user=user("registrar.ambala"),
        action="register",
        inputs={"registration_number": "B-2026-AMB-0000077", "registration_date": "2026-11-20"},
    )


def _choose(client, user, **choices):
    client.force_login(user("citizen"))
    return client.post("/my/messages/", choices)


@pytest.mark.django_db
def test_the_page_shows_and_saves_the_citizens_choices(client, user):
    client.force_login(user("citizen"))
    page = client.get("/my/messages/")
    assert page.status_code == 200
    assert 'name="other_messages"' in page.content.decode()

    response = client.post("/my/messages/", {"language": "hi"})
    assert response.status_code == 302
    profile = CitizenProfile.objects.get(user=user("citizen"))
    assert (profile.language, profile.other_messages) == ("hi", False)
    # The site follows the language chosen.
    assert response.cookies["django_language"].value == "hi"

    refused = client.post("/my/messages/", {"language": "fr", "other_messages": "on"})
    assert refused.status_code == 400
    assert 'id="id_language-error"' in refused.content.decode()  # beside the field
    profile.refresh_from_db()
    assert (profile.language, profile.other_messages) == ("hi", False)


@pytest.mark.django_db
def test_only_a_signed_in_citizen_has_the_page(client, user):
    assert client.get("/my/messages/").status_code == 302  # to sign in
    client.force_login(user("tehsildar.ambala"))
    assert client.get("/my/messages/").status_code == 404


@pytest.mark.django_db
def test_status_sms_go_in_the_language_the_citizen_chose(client, user):
    _choose(client, user, language="hi", other_messages="on")
    application = _submit(user)  # made in English
    received = OutboxMessage.objects.get(application=application, event="received")
    assert received.language == "hi"
    template = application.service_version.service_doc["sms"]["received"]["hi"]
    assert received.dlt_template_id == template["dlt_template_id"]


@pytest.mark.django_db
def test_a_citizen_who_opted_out_gets_status_sms_but_no_request_to_rate(
    client, user, django_capture_on_commit_callbacks
):
    _choose(client, user, language="en")  # other_messages unticked
    application = _submit(user)
    # The "registered" SMS goes with the signed certificate, issued once the decision commits.
    with django_capture_on_commit_callbacks(execute=True):
        _register(user, application)
    events = set(
        OutboxMessage.objects.filter(application=application).values_list("event", flat=True)
    )
    assert {"received", "registered"} <= events

    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert feedback_requests_send(now=tomorrow) == 0
    assert not OutboxMessage.objects.filter(event="feedback_request").exists()


@pytest.mark.django_db
def test_the_request_to_rate_goes_once_the_day_after_and_not_after_feedback(client, user):
    _choose(client, user, language="en", other_messages="on")
    rated, unrated = _submit(user), _submit(user)
    for application in (rated, unrated):
        _register(user, application)
    Feedback.objects.create(application=rated, rating=5, created_at=timezone.now())

    assert feedback_requests_send(now=timezone.now()) == 0  # not on the day it closed
    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert feedback_requests_send(now=tomorrow) == 1
    assert feedback_requests_send(now=tomorrow + dt.timedelta(hours=2)) == 0  # once
    request = OutboxMessage.objects.get(event="feedback_request")
    assert request.application_id == unrated.pk
    service_name = unrated.service_version.service_doc["short_name"]["en"]
    assert request.body == (
        f"Your application {unrated.reference} for {service_name} is complete. "
        "Rate the service at https://seva.haryana.gov.in/my/ -HRSEVA"
    )
    assert request.dlt_template_id == "1107161234500009031"
    # A week later nobody is asked any more.
    OutboxMessage.objects.filter(event="feedback_request").delete()
    assert feedback_requests_send(now=tomorrow + dt.timedelta(days=8)) == 0
