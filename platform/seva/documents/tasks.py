"""Celery tasks: thin wrappers around the issuing service. Safe to run twice."""

from celery import shared_task

from .services import document_issue, documents_issue_pending


@shared_task(bind=True, max_retries=5)
def issue_document(self, document_id: int) -> str:
    try:
        return document_issue(document_id)
    except Exception as exc:
        # Recorded on the row; tried again with back-off, then by the periodic sweep.
        raise self.retry(exc=exc, countdown=30 * (2**self.request.retries)) from exc


@shared_task
def issue_pending() -> int:
    return documents_issue_pending()
