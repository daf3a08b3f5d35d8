"""Threads with database connections of their own, for tests of what happens when people
(or workers) act at the same moment: their writes are committed and PostgreSQL's row locks
decide who goes first. Each such test removes what it made."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection, connections

from seva.applications.models import Application, ApplicationEvent, Document
from seva.dashboards.services import rollups_rebuild
from seva.documents.models import DocumentFile, IssuedDocument
from seva.notifications.models import OutboxMessage, StageAlert

T = TypeVar("T")

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks between real connections need PostgreSQL"
)


def run_together(workers: list, *, timeout: float = 60) -> list:
    """Start every worker at once, each in a thread with its own database connection, outside
    the test's transaction: what a worker writes is committed. Each returns a value or the
    exception it raised."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)

    def run(index: int, work) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results


def committed(work: Callable[[], T], *, timeout: float = 60) -> T:
    """Run `work` on a connection of its own, so that what it writes is committed and every
    thread sees it (the test's own writes would stay in its transaction). The test removes
    what it made."""
    (result,) = run_together([work], timeout=timeout)
    if isinstance(result, Exception):
        raise result
    return result


def cleanup(references: list[str]) -> None:
    """Remove what a test committed, and count the rollups again without it (they are kept
    in the transactions that were committed)."""
    apps = Application.objects.filter(reference__in=references)
    issued = IssuedDocument.objects.filter(application__in=apps)
    DocumentFile.objects.filter(document__in=issued).delete()
    issued.filter(supersedes__isnull=False).delete()
    issued.delete()
    Document.objects.filter(application__in=apps).delete()
    OutboxMessage.objects.filter(application__in=apps).delete()
    StageAlert.objects.filter(application__in=apps).delete()
    ApplicationEvent.objects.filter(application__in=apps).delete()
    apps.delete()
    rollups_rebuild()
