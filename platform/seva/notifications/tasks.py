"""Celery tasks: thin wrappers around the delivery services. Safe to run twice."""

from celery import shared_task

from .services import outbox_deliver, outbox_deliver_pending


@shared_task
def deliver_message(message_id: int) -> str:
    return outbox_deliver(message_id=message_id)


@shared_task
def deliver_pending() -> int:
    return outbox_deliver_pending()
