"""Celery tasks of the dashboards: thin wrappers. Safe to run twice."""

from celery import shared_task
from django.utils import timezone

from .services import rollups_fold_past_due
from .snapshots import months_before, scores_snapshot


@shared_task
def fold_past_due() -> int:
    return rollups_fold_past_due()


@shared_task
def snapshot_last_month() -> int:
    return scores_snapshot(months_before(timezone.localdate(), 1)[0])
