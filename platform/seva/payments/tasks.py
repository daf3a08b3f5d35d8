"""Celery tasks: thin wrappers around the payments services. Safe to run twice."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .reconciliation import settlements_fetch_all
from .services import payments_settle_pending, refund_send, refunds_send_requested


@shared_task
def send_refund(refund_pk: int) -> str:
    return refund_send(refund_pk=refund_pk).status


@shared_task
def settle_pending() -> int:
    """Orders whose callback never came are settled from the gateway's status query."""
    return payments_settle_pending()


@shared_task
def send_requested_refunds() -> int:
    return refunds_send_requested()


@shared_task
def reconcile_yesterday() -> int:
    """Yesterday's settlement file of every gateway that publishes one, matched to the
    ledger. Safe to run twice: a file imported already is recognised."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    return settlements_fetch_all(day=yesterday)
