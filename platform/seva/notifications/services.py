"""Writing messages to the outbox, inside the caller's transaction, and delivering them
after it commits: each row once, retried with backoff when the gateway fails for a while,
marked failed when it refuses."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from seva.applications import events as lifecycle
from seva.applications.models import Application
from seva.citizens import events as citizens_events
from seva.citizens.models import CitizenProfile
from seva.core.inserts import insert_unless_exists

from .backends import PermanentFailure, TemporaryFailure, email_send, sms_backend
from .models import Channel, OutboxMessage, OutboxStatus
from .sms import render_sms

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from seva.applications.models import ApplicationEvent


def outbox_enqueue(
    *,
    channel: str,
    recipient: str,
    language: str,
    event: str,
    body: str,
    idempotency_key: str,
    at: dt.datetime,
    application: Application | None = None,
    user=None,
    dlt_template_id: str = "",
    subject: str = "",
) -> OutboxMessage | None:
    """Write one message to the outbox, in the caller's transaction, and hand it to a worker
    once that commits. None when a message with this key exists: it is never sent twice."""
    message = OutboxMessage(
        idempotency_key=idempotency_key,
        channel=channel,
        recipient=recipient,
        user=user,
        language=language,
        event=event,
        application=application,
        dlt_template_id=dlt_template_id,
        subject=subject,
        body=body,
        created_at=at,
    )
    # One statement, no savepoint: this is on the path of every submission and step.
    if not insert_unless_exists(message, conflict=["idempotency_key"]):
        return None
    outbox_deliver_after_commit(message)
    return message


def sms_enqueue_for_event(
    *, application: Application, event: str, cause: ApplicationEvent
) -> OutboxMessage | None:
    """Queue the service's SMS for `event` to the applicant, in their language.

    The idempotency key names the history row that caused it, so the same step can never
    queue the same message twice.
    """
    templates = application.service_version.spec.sms.get(event)
    if not templates or not application.applicant_mobile:
        return None
    language = citizen_choices(application)[0]
    language = language if language in templates else "en"
    template = templates[language]
    return outbox_enqueue(
        channel=Channel.SMS,
        recipient=application.applicant_mobile,
        language=language,
        event=event,
        application=application,
        dlt_template_id=template.dlt_template_id,
        body=render_sms(
            application, text=template.text, variables=template.variables, language=language
        ),
        idempotency_key=(
            f"sms:{application.reference}:{cause.sequence}:{event}:{application.applicant_mobile}"
        ),
        at=cause.at,
    )


def citizen_choices(application: Application) -> tuple[str, bool]:
    """The language chosen for messages about `application`, and whether messages that are
    not about its status are welcome. The choices of whoever holds the mobile number the
    SMS go to, if they have an account, else the applicant's; with neither, the language
    the application was made in."""
    profiles = CitizenProfile.objects.only("language", "other_messages")
    chosen = profiles.filter(mobile=application.applicant_mobile).first()
    if chosen is None and application.applicant_id:
        chosen = profiles.filter(user_id=application.applicant_id).first()
    if chosen is None:
        return application.language, True
    return chosen.language or application.language, chosen.other_messages


def feedback_requests_send(*, now: dt.datetime | None = None) -> int:
    """Ask applicants whose application was disposed of in the last week (before today) to
    rate the service, once each, unless they have rated it or opted out of messages that
    are not about their applications' status. Returns how many were asked."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    disposed = (
        Application.objects.filter(
            closed_at__gte=midnight - dt.timedelta(days=7),
            closed_at__lt=midnight,
            outcome__in=["approved", "rejected", "closed"],
            feedback__isnull=True,
        )
        .exclude(applicant_mobile="")
        # Asked already (on an earlier day of the week): not looked at again.
        .exclude(outbox_messages__event="feedback_request")
        .select_related("service_version")
        .order_by("closed_at", "pk")
    )
    asked = 0
    for application in disposed.iterator():
        language, wants_other = citizen_choices(application)
        if not wants_other:
            continue
        templates = settings.SEVA_ALERT_SMS["feedback_request"]
        language = language if language in templates else "en"
        template = templates[language]
        asked += bool(
            outbox_enqueue(
                channel=Channel.SMS,
                recipient=application.applicant_mobile,
                language=language,
                event="feedback_request",
                application=application,
                dlt_template_id=template["dlt_template_id"],
                body=render_sms(
                    application,
                    text=template["text"],
                    variables=template["variables"],
                    language=language,
                ),
                idempotency_key=(
                    f"sms:{application.reference}:feedback_request:{application.applicant_mobile}"
                ),
                at=now,
            )
        )
    return asked


def outbox_deliver_after_commit(message: OutboxMessage) -> None:
    """Hand the message to a worker once the change that wrote it is committed. If the
    broker cannot be reached, the row waits: the periodic sweep sends it later."""
    from .tasks import deliver_message  # noqa: PLC0415 (the tasks module imports this one)

    def hand_over() -> None:
        try:
            deliver_message.delay(message.pk)
        except Exception:  # the broker is down: outbox_deliver_pending will pick it up
            log.warning("Broker unreachable; outbox message %s waits for the sweep.", message.pk)

    transaction.on_commit(hand_over)


def _backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... times the base delay, after the 1st, 2nd, 3rd ... failed attempt."""
    return dt.timedelta(seconds=settings.SEVA_SMS_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def outbox_deliver(*, message_id: int, now: dt.datetime | None = None) -> str:
    """Send one pending message if it is due; return its status afterwards ("" when it was
    not ours to send: already sent or failed, not yet due, or being sent by another worker).

    The row is locked for the send, so two workers (or a task and the sweep) never send it
    twice; the gateway also gets our idempotency key as the message reference."""
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxStatus.PENDING)
            .first()
        )
        if message is None or (message.next_attempt_at and message.next_attempt_at > now):
            return ""
        message.attempts += 1
        try:
            sent = (
                email_send(message)
                if message.channel == Channel.EMAIL
                else sms_backend().send(message)
            )
        except TemporaryFailure as exc:
            message.last_error = str(exc)[:2000]
            if message.attempts >= settings.SEVA_SMS_MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED
            else:
                message.next_attempt_at = now + _backoff(message.attempts)
        except PermanentFailure as exc:
            message.last_error = str(exc)[:2000]
            message.status = OutboxStatus.FAILED
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = now
            message.provider_message_id = sent.provider_message_id
            message.provider_reply = sent.reply
            message.last_error = ""
            message.next_attempt_at = None
        message.save()
    return message.status


def outbox_deliver_pending(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """The sweep: send every pending message that is due (handed over while the broker was
    down, or waiting for a retry). Returns how many were sent."""
    now = now or timezone.now()
    due = (
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING, created_at__lte=now)
        .exclude(next_attempt_at__gt=now)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(outbox_deliver(message_id=pk, now=now) == OutboxStatus.SENT for pk in list(due))


def outbox_resend(*, message: OutboxMessage) -> None:
    """Put a failed message back in line (from the admin)."""
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.FAILED).update(
        status=OutboxStatus.PENDING, next_attempt_at=None, attempts=0
    )
    outbox_deliver_after_commit(message)


DELIVERED_STATUSES = {"delivered", "delivrd", "success"}


def outbox_delivery_report(
    *, provider_message_id: str, status: str, at: dt.datetime | None = None
) -> OutboxMessage | None:
    """Record what the operator's delivery report says about a message we sent; None when
    no sent message has that provider id."""
    message = OutboxMessage.objects.filter(
        provider_message_id=provider_message_id, status=OutboxStatus.SENT
    ).first()
    if message is None:
        return None
    delivered = status.strip().lower() in DELIVERED_STATUSES
    message.delivery_status = "delivered" if delivered else f"undelivered: {status[:60]}"
    message.delivered_at = (at or timezone.now()) if delivered else None
    message.save(update_fields=["delivery_status", "delivered_at"])
    return message


@lifecycle.sms_due.register("outbox")
def _on_sms_due(event: lifecycle.SmsDue) -> None:
    """The workflow's SMS to the applicant, written to the outbox in the same transaction."""
    sms_enqueue_for_event(application=event.application, event=event.event, cause=event.cause)


@citizens_events.code_due.register("outbox")
def _on_code_due(event: citizens_events.CodeDue) -> None:
    """A citizen's sign-in or consent code: an SMS row in the same transaction, sent after
    commit."""
    outbox_enqueue(
        channel=Channel.SMS,
        recipient=event.mobile,
        language=event.language,
        event="otp",
        dlt_template_id=event.dlt_template_id,
        body=event.body,
        idempotency_key=event.idempotency_key,
        at=event.at,
    )
