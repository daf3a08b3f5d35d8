"""Celery tasks: thin wrappers around the delivery and alert services. Safe to run twice."""

from celery import shared_task

from .alerts import digests_send, officer_alerts_send
from .services import feedback_requests_send, outbox_deliver, outbox_deliver_pending


@shared_task
def deliver_message(message_id: int) -> str:
    return outbox_deliver(message_id=message_id)


@shared_task
def deliver_pending() -> int:
    return outbox_deliver_pending()


@shared_task
def send_officer_alerts() -> int:
    return officer_alerts_send()


@shared_task
def send_daily_digests() -> int:
    return digests_send()


@shared_task
def send_feedback_requests() -> int:
    return feedback_requests_send()
