"""Delivering the outbox: after commit, once per message, through the configured backend.
A real HTTP server on loopback plays the operator's gateway: a 5xx or a timeout is retried
with backoff and then delivered, a 4xx fails the message for good, two workers never send
one message twice, a message handed over while the broker was down is sent by the sweep,
and a rolled-back change sends nothing."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from seva.applications.models import Application
from seva.applications.services import application_submit
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage, OutboxStatus
from seva.notifications.services import outbox_deliver, outbox_deliver_pending
from tests.helpers import example_with_documents
from tests.threads import cleanup, committed, needs_postgres, run_together

from .gateway import FakeGateway

GATEWAY = "seva.notifications.backends.HttpGatewayBackend"


def _gateway_settings(gateway: FakeGateway, **extra):
    return override_settings(
        SEVA_SMS_BACKEND=GATEWAY,
        SEVA_SMS_GATEWAY={"URL": gateway.url, "TIMEOUT": 0.5, "ID_FIELD": "message_id", **extra},
    )


def _submit(user, language: str = "en") -> Application:
    service = Service.objects.get(code="income-certificate")
    return application_submit(
        service=service,
        data=example_with_documents(service, user("citizen")),
        applicant=user("citizen"),
        language=language,
    )


def _received_sms(application: Application) -> OutboxMessage:
    return OutboxMessage.objects.get(application=application, event="received")


@pytest.mark.django_db
def test_a_busy_gateway_is_retried_with_backoff_and_the_message_delivered_once(user):
    message = _received_sms(_submit(user))
    now = timezone.now()
    with FakeGateway() as gateway, _gateway_settings(gateway):
        gateway.answers.extend([500, 503])
        assert outbox_deliver(message_id=message.pk, now=now) == OutboxStatus.PENDING
        message.refresh_from_db()
        assert message.attempts == 1 and "500" in message.last_error
        first_wait = message.next_attempt_at - now
        # Not due yet: nothing is sent.
        assert outbox_deliver(message_id=message.pk, now=now + dt.timedelta(seconds=1)) == ""
        assert len(gateway.received) == 1

        second_try = message.next_attempt_at
        assert outbox_deliver(message_id=message.pk, now=second_try) == OutboxStatus.PENDING
        message.refresh_from_db()
        assert message.next_attempt_at - second_try == 2 * first_wait  # exponential

        assert outbox_deliver(message_id=message.pk, now=message.next_attempt_at) == "sent"
        assert outbox_deliver(message_id=message.pk, now=message.next_attempt_at) == ""
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_message_id) == ("sent", 3, "gw-3")
    assert len(gateway.received) == 3
    sent = gateway.received[-1]
    assert sent["template_id"] == message.dlt_template_id == "1107161234500000101"
    assert sent["to"] == "9812345678" and sent["text"] == message.body
    assert sent["sender"] == "HRSEVA" and sent["entity_id"] == "1101000000000000001"
    assert sent["reference"] == message.idempotency_key and sent["unicode"] == "0"


@pytest.mark.django_db
def test_a_refused_message_fails_at_once_and_says_why(user):
    message = _received_sms(_submit(user))
    with FakeGateway() as gateway, _gateway_settings(gateway):
        gateway.answers.append(400)
        assert outbox_deliver(message_id=message.pk) == OutboxStatus.FAILED
        assert outbox_deliver_pending() == 0  # a failed message is not picked up again
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 1
    assert "refused the message (400)" in message.last_error
    assert len(gateway.received) == 1


@pytest.mark.django_db
def test_a_gateway_that_never_answers_in_time_fails_the_message_after_the_last_attempt(
    user, settings
):
    settings.SEVA_SMS_MAX_ATTEMPTS = 2
    message = _received_sms(_submit(user))
    with FakeGateway() as gateway, _gateway_settings(gateway, TIMEOUT=0.2):
        gateway.delay_seconds = 0.5
        now = timezone.now()
        assert outbox_deliver(message_id=message.pk, now=now) == OutboxStatus.PENDING
        message.refresh_from_db()
        assert "not reached" in message.last_error
        assert outbox_deliver(message_id=message.pk, now=message.next_attempt_at) == "failed"


@pytest.mark.django_db
def test_a_hindi_message_goes_as_unicode(user):
    application = _submit(user, language="hi")
    message = _received_sms(application)
    assert message.language == "hi"
    with FakeGateway() as gateway, _gateway_settings(gateway):
        assert outbox_deliver(message_id=message.pk) == "sent"
    assert gateway.received[0]["unicode"] == "1"
    assert gateway.received[0]["template_id"] == "1107161234500000102"


@pytest.mark.django_db
def test_a_message_handed_over_while_the_broker_is_down_is_sent_by_the_sweep(
    user, django_capture_on_commit_callbacks
):
    broker_down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with (
        mock.patch("seva.notifications.tasks.deliver_message.delay", side_effect=broker_down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        application = _submit(user)  # the request still succeeds
    message = _received_sms(application)
    assert message.status == OutboxStatus.PENDING
    with FakeGateway() as gateway, _gateway_settings(gateway):
        assert outbox_deliver_pending() >= 1
        assert outbox_deliver_pending() == 0  # nothing twice
    message.refresh_from_db()
    assert message.status == "sent"
    assert [m["reference"] for m in gateway.received].count(message.idempotency_key) == 1


@pytest.mark.django_db
def test_after_commit_the_worker_delivers_and_a_rolled_back_change_sends_nothing(
    user, django_capture_on_commit_callbacks
):
    with FakeGateway() as gateway, _gateway_settings(gateway):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    _submit(user)
                    raise RuntimeError("the office's network dropped")
            except RuntimeError:
                pass
        assert callbacks == [] and gateway.received == []
        assert not OutboxMessage.objects.filter(event="received").exists()

        with django_capture_on_commit_callbacks(execute=True):
            application = _submit(user)  # test settings run Celery tasks eagerly
    assert _received_sms(application).status == "sent"
    assert len(gateway.received) == 1


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_two_workers_at_once_send_a_message_once(user):
    application = committed(lambda: _submit(user))
    message = OutboxMessage.objects.get(application_id=application.pk, event="received")
    # The eager worker already sent it through the demo box at commit: line it up again.
    committed(
        lambda: OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.PENDING, attempts=0, sent_at=None, provider_message_id=""
        )
    )
    try:
        with FakeGateway() as gateway, _gateway_settings(gateway):
            gateway.delay_seconds = 0.3  # the first sender holds the row while it sends
            results = run_together(
                [lambda: outbox_deliver(message_id=message.pk) for _ in range(4)]
            )
        assert sorted(results) == ["", "", "", "sent"], results
        assert len(gateway.received) == 1
    finally:
        committed(lambda: cleanup([application.reference]))


@pytest.mark.django_db
def test_the_gateways_delivery_report_updates_the_message(user, client, settings):
    settings.SEVA_SMS_DLR_TOKEN = "a-shared-secret-for-tests"
    message = _received_sms(_submit(user))
    with FakeGateway() as gateway, _gateway_settings(gateway):
        outbox_deliver(message_id=message.pk)
    message.refresh_from_db()
    url = "/api/v1/sms/delivery-reports/"
    report = {"message_id": message.provider_message_id, "status": "DELIVRD"}

    assert client.post(url, report).status_code == 403  # no token
    wrong = client.post(url, report, headers={"X-Gateway-Token": "guess"})
    assert wrong.status_code == 403
    token = {"X-Gateway-Token": "a-shared-secret-for-tests"}
    assert client.post(url, {**report, "message_id": "gw-none"}, headers=token).status_code == 404
    missing = client.post(url, {"message_id": message.provider_message_id}, headers=token)
    assert missing.status_code == 400 and "status" in missing.json()["errors"]

    done = client.post(url, report, headers=token)
    assert done.status_code == 200 and done.json() == {"delivery_status": "delivered"}
    message.refresh_from_db()
    assert message.delivery_status == "delivered" and message.delivered_at is not None

    client.post(url, {**report, "status": "UNDELIV"}, headers=token)
    message.refresh_from_db()
    assert message.delivery_status == "undelivered: UNDELIV" and message.delivered_at is None


@pytest.mark.django_db
def test_with_no_token_set_the_report_endpoint_is_closed(user, client, settings):
    settings.SEVA_SMS_DLR_TOKEN = ""
    response = client.post(
        "/api/v1/sms/delivery-reports/",
        {"message_id": "x", "status": "DELIVRD"},
        headers={"X-Gateway-Token": ""},
    )
    assert response.status_code == 403
