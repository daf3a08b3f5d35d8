"""Celery tasks: thin wrappers that call one service each. Safe to run twice."""

from celery import shared_task

from seva.org.events import HolidaysChanged, holidays_changed
from seva.org.models import Jurisdiction

from .documents import documents_delete_unclaimed
from .services import (
    applications_escalate_overdue,
    applications_fire_timers,
    applications_recompute_deadlines,
    consultations_deem_due,
)


@shared_task
def recompute_deadlines(*, district_id: int | None = None) -> int:
    district = Jurisdiction.objects.get(pk=district_id) if district_id else None
    return applications_recompute_deadlines(district=district)


@shared_task
def escalate_overdue() -> int:
    return applications_escalate_overdue()


@shared_task
def fire_timers() -> int:
    """Every 15 minutes (CELERY_BEAT_SCHEDULE): files whose state's timer is due move on, and
    consultations past their deadline are deemed no objection."""
    return applications_fire_timers() + consultations_deem_due()


@shared_task
def delete_unclaimed_uploads() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): uploads no application claimed and no draft names,
    once older than SEVA_UNCLAIMED_UPLOADS_KEPT_HOURS, go with their files."""
    return documents_delete_unclaimed()


@holidays_changed.register("recompute-deadlines")
def _on_holidays_changed(event: HolidaysChanged) -> None:
    """Recompute the open files' deadlines in the background, after the holiday commits."""
    recompute_deadlines.delay(district_id=event.district_id)
