"""The Celery application. Tasks live in each app's tasks.py and are autodiscovered.

The settings module is whatever DJANGO_SETTINGS_MODULE names (the production settings in
production; `make run` names the development ones): never a default, so that importing this
package cannot choose the development settings for a web or worker process.

The request id (seva.core.requestid) travels with each task a request queues, in the
message's headers, and names the task's log lines in the worker; a task that no request
queued (beat's) gets one of its own. The worker logs through Django's LOGGING, so that its
lines are the web's (JSON in production)."""

from __future__ import annotations

import logging.config
from contextvars import Token
from typing import Any

from celery import Celery
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from django.conf import settings

from seva.core.requestid import current_request_id, new_request_id, sane_request_id

app = Celery("seva")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The message header that carries the request id.
REQUEST_ID_HEADER = "seva_request_id"


@setup_logging.connect
def use_django_logging(loglevel: int | str | None = None, **kwargs: Any) -> None:
    """Replaces Celery's own logging set-up in the worker and beat: Django's LOGGING (the
    request id on every line, JSON in production), at the level the command line gives."""
    logging.config.dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@before_task_publish.connect
def carry_request_id(headers: dict | None = None, **kwargs: Any) -> None:
    request_id = current_request_id.get()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


# The value each running task replaced, to put back when it ends (by task id: a thread runs
# one task at a time, and an eager task runs inside the request that called it).
_replaced: dict[str, Token[str | None]] = {}


@task_prerun.connect
def enter_request_id(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    # A worker's request has the message's headers as attributes; an eager one (apply) keeps
    # them in `headers`.
    carried = sane_request_id(
        getattr(request, REQUEST_ID_HEADER, None)
        or (getattr(request, "headers", None) or {}).get(REQUEST_ID_HEADER)
    )
    request_id = carried or current_request_id.get() or new_request_id()
    if task_id is not None:
        _replaced[task_id] = current_request_id.set(request_id)


@task_postrun.connect
def leave_request_id(task_id: str | None = None, **kwargs: Any) -> None:
    token = _replaced.pop(task_id, None) if task_id is not None else None
    if token is None:
        return
    try:
        current_request_id.reset(token)
    except ValueError:  # set in another context: nothing of this task's to keep
        current_request_id.set(None)
