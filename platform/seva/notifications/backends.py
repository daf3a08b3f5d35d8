"""Where an SMS goes: one small interface, three backends chosen by `SEVA_SMS_BACKEND`.

- `DemoBoxBackend`: the outbox row is the message; the demo SMS box (`/demo/sms/`) and the
  admin show it. For `make run`, so a person trying Seva sees every message, OTPs included.
- `ConsoleBackend`: writes each message to the log.
- `HttpGatewayBackend`: an operator's HTTP API (URL, credentials and timeout from
  `SEVA_SMS_GATEWAY`). A timeout, a connection error or a 5xx is worth retrying; a 4xx is not.

The DLT entity id and sender header are the ones in force when the message goes
(seva.notifications.selectors.sms_settings): the state admin may change them at any time.

Officers' e-mail goes through Django's e-mail backend (`email_send`).

A backend raises `TemporaryFailure` or `PermanentFailure`; the delivery service decides
what to do with either (seva.notifications.services.outbox_deliver).
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.utils import make_msgid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from .selectors import sms_settings

if TYPE_CHECKING:
    from .models import OutboxMessage

log = logging.getLogger(__name__)


class TemporaryFailure(Exception):
    """Try again later: the gateway timed out, could not be reached or answered 5xx."""


class PermanentFailure(Exception):
    """Retrying will not help: the gateway refused the message (4xx)."""


@dataclass(frozen=True)
class Sent:
    provider_message_id: str
    reply: str = ""


class SmsBackend:
    def send(self, message: OutboxMessage) -> Sent:  # pragma: no cover - interface
        raise NotImplementedError


class DemoBoxBackend(SmsBackend):
    def send(self, message: OutboxMessage) -> Sent:
        return Sent(provider_message_id=f"demo-{message.pk}")


class ConsoleBackend(SmsBackend):
    def send(self, message: OutboxMessage) -> Sent:
        log.info(
            "SMS to %s (template %s, header %s): %s",
            message.recipient,
            message.dlt_template_id,
            sms_settings().sender_header,
            message.body,
        )
        return Sent(provider_message_id=f"console-{message.pk}")


class HttpGatewayBackend(SmsBackend):
    """POSTs form fields to the gateway: the DLT entity id, the header, the template id, the
    recipient, the text and our own reference for the message (gateways use it to drop a
    duplicate). The gateway's JSON answer names its message id (`SEVA_SMS_GATEWAY
    ["ID_FIELD"]`, default `message_id`)."""

    def __init__(self, config: dict | None = None) -> None:
        self.config = config or settings.SEVA_SMS_GATEWAY
        if not self.config.get("URL"):
            raise PermanentFailure("SEVA_SMS_GATEWAY['URL'] is not set.")

    def send(self, message: OutboxMessage) -> Sent:
        sender = sms_settings()
        fields = {
            "username": self.config.get("USERNAME", ""),
            "password": self.config.get("PASSWORD", ""),
            "entity_id": sender.dlt_entity_id,
            "sender": sender.sender_header,
            "template_id": message.dlt_template_id,
            "to": message.recipient,
            "text": message.body,
            "unicode": "1" if any(ord(c) > 127 for c in message.body) else "0",
            "reference": message.idempotency_key,
        }
        request = urllib.request.Request(
            self.config["URL"],
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.config.get("TIMEOUT", 10)) as reply:
                body = reply.read(10_000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            body = exc.read(2_000).decode("utf-8", "replace")
            if exc.code >= 500:
                raise TemporaryFailure(f"Gateway answered {exc.code}: {body}") from exc
            raise PermanentFailure(f"Gateway refused the message ({exc.code}): {body}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise TemporaryFailure(f"Gateway not reached: {exc}") from exc
        try:
            provider_id = str(json.loads(body)[self.config.get("ID_FIELD", "message_id")])
        except (ValueError, KeyError, TypeError) as exc:
            raise TemporaryFailure(f"Gateway answer has no message id: {body[:200]}") from exc
        return Sent(provider_message_id=provider_id, reply=body[:2000])


def sms_backend() -> SmsBackend:
    return import_string(settings.SEVA_SMS_BACKEND)()


def email_send(message: OutboxMessage) -> Sent:
    """Officers' e-mail, through Django's e-mail backend (SMTP in production). A refused
    address is not retried; a relay that cannot be reached or fails for a while is."""
    message_id = make_msgid(idstring=str(message.pk), domain="seva")
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.recipient],
        headers={"Message-ID": message_id},
    )
    try:
        email.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise PermanentFailure(f"The mail relay refused the message: {exc}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryFailure(f"The mail relay failed: {exc}") from exc
    return Sent(provider_message_id=message_id)
