"""Officers' e-mail goes through Django's e-mail backend: here the SMTP backend, talking to
a fake relay on loopback. Accepted once; a refused address fails for good and shows in the
log; a relay that cannot be reached is retried later, like a busy SMS gateway."""

from __future__ import annotations

import socket

import pytest
from django.test import override_settings
from django.utils import timezone

from seva.notifications.alerts import AlertContent, officer_notify
from seva.notifications.models import Channel, OutboxMessage, OutboxStatus
from seva.notifications.services import outbox_deliver

from .smtp import FakeRelay

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def _queue_alert(user, username: str, key: str) -> OutboxMessage:
    officer = user(username)
    officer_notify(
        user=officer,
        event="queue_alert",
        content=lambda: AlertContent(
            sms_values={"new_count": "1", "reminder_count": "0", "breach_count": "0"},
            email_context={
                "officer": officer,
                "new": ["HR-REV-INC-2026-000001"],
                "reminder": [],
                "breach": [],
                "workspace_url": "https://seva.haryana.gov.in/admin/",
            },
        ),
        key=key,
        at=timezone.now(),
    )
    return OutboxMessage.objects.get(idempotency_key=f"{key}:email")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_an_officer_alert_is_mailed_once_through_the_relay(user):
    message = _queue_alert(user, "patwari.ambala", "test:mail")
    assert message.channel == Channel.EMAIL and message.recipient == "patwari.ambala@seva.example"
    # Queued twice under one key, it is one message.
    assert _queue_alert(user, "patwari.ambala", "test:mail").pk == message.pk

    with (
        FakeRelay() as relay,
        override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=relay.port),
    ):
        assert outbox_deliver(message_id=message.pk) == OutboxStatus.SENT
        assert outbox_deliver(message_id=message.pk) == ""  # already sent: not again
    assert len(relay.received) == 1
    sent = relay.received[0]
    assert sent["to"] == ["patwari.ambala@seva.example"]
    assert "Subject: Seva: 1 new file in your queue" in sent["data"]
    assert "HR-REV-INC-2026-000001" in sent["data"]
    message.refresh_from_db()
    assert message.provider_message_id in sent["data"]  # our Message-ID, recorded


@pytest.mark.django_db
def test_an_address_the_relay_refuses_fails_and_is_not_retried(user):
    message = _queue_alert(user, "patwari.ambala", "test:refused")
    with (
        FakeRelay() as relay,
        override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=relay.port),
    ):
        relay.refuse.add("patwari.ambala@seva.example")
        assert outbox_deliver(message_id=message.pk) == OutboxStatus.FAILED
    message.refresh_from_db()
    assert "refused" in message.last_error and message.attempts == 1
    assert relay.received == []


@pytest.mark.django_db
def test_a_relay_that_cannot_be_reached_is_tried_again_later(user):
    message = _queue_alert(user, "patwari.ambala", "test:down")
    with override_settings(EMAIL_BACKEND=SMTP, EMAIL_HOST="127.0.0.1", EMAIL_PORT=_free_port()):
        assert outbox_deliver(message_id=message.pk) == OutboxStatus.PENDING
    message.refresh_from_db()
    assert message.attempts == 1 and message.next_attempt_at > timezone.now()
    assert "failed" in message.last_error


@pytest.mark.django_db
def test_an_officer_with_a_mobile_gets_the_sms_too_in_their_language(user):
    _queue_alert(user, "dc.ambala", "test:hindi")  # the collector chose Hindi
    sms = OutboxMessage.objects.get(idempotency_key="test:hindi:sms")
    assert sms.recipient == "9000000103" and sms.language == "hi"
    assert sms.body.startswith("सेवा कतार: 1 नए, 0 समय-सीमा के निकट, 0 समय-सीमा पार।")
    email = OutboxMessage.objects.get(idempotency_key="test:hindi:email")
    assert email.subject == "सेवा: आपकी कतार में 1 नई फ़ाइल"
