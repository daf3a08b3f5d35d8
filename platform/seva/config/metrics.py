"""`/metrics` for Prometheus, answered only to the bearer of SEVA_METRICS_TOKEN (ADR 0022,
docs/operations.md "Metrics").

What it shows:
- the web processes' own counters (seva.core.metrics: requests and their duration; here:
  applications filed and transitions taken, per service), added up across gunicorn's workers;
- read at each scrape, cheaply and bounded: the SMS/e-mail outbox's unsent rows (counted up to
  OUTBOX_COUNT_CAP) and the age of the oldest, and the Celery queues' lengths on a Redis broker.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterable, Iterator
from functools import partial

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from kombu.transport.redis import PRIORITY_STEPS
from kombu.transport.redis import Channel as RedisChannel
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from seva.applications import events as lifecycle
from seva.applications.models import Application, ApplicationEvent
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage, OutboxStatus

from .celery import app as celery_app

logger = logging.getLogger(__name__)

# Beyond this many unsent messages the figure stops growing (the count would start to cost):
# two days of a large state's SMS, far past any alert.
OUTBOX_COUNT_CAP = 100_000

# ------------------------------------------------------------------------------
# Applications filed and transitions taken, counted where they happen, after commit
# ------------------------------------------------------------------------------
applications_submitted = Counter(
    "seva_applications_submitted",
    "Applications filed, by service (counted by the process that filed them, after commit).",
    ["service"],
)
application_transitions = Counter(
    "seva_application_transitions",
    "Workflow transitions taken after filing, by service and action (counted by the process "
    "that took them, after commit).",
    ["service", "action"],
)

_service_codes: dict[int, str] = {}


def _service_code(application: Application) -> str:
    """The service's code, read once per process (codes do not change)."""
    code = _service_codes.get(application.service_id)
    if code is None:
        if Application.service.is_cached(application):
            code = application.service.code
        else:
            code = Service.objects.values_list("code", flat=True).get(pk=application.service_id)
        _service_codes[application.service_id] = code
    return code


@lifecycle.entered.register("metrics")
def count_entered(event: lifecycle.Entered) -> None:
    service = _service_code(event.application)
    if event.cause.kind == ApplicationEvent.Kind.SUBMITTED:
        count = partial(applications_submitted.labels(service).inc)
    else:
        count = partial(application_transitions.labels(service, event.cause.action).inc)
    transaction.on_commit(count)


# ------------------------------------------------------------------------------
# Read at each scrape: the outbox and the Celery queues
# ------------------------------------------------------------------------------
def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _outbox() -> Iterator[Metric]:
    unsent = OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
    # Two reads of the (status, created_at) index: the count stops at the cap.
    depth = unsent.order_by().values("pk")[:OUTBOX_COUNT_CAP].count()
    oldest = unsent.aggregate(oldest=Min("created_at"))["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    yield _gauge(
        "seva_outbox_unsent",
        f"Messages (SMS, e-mail) in the outbox not yet sent, counted up to {OUTBOX_COUNT_CAP}.",
        depth,
    )
    yield _gauge(
        "seva_outbox_oldest_unsent_age_seconds",
        "Age of the oldest message in the outbox not yet sent (0 when none waits).",
        max(age, 0.0),
    )


_redis_clients: dict[str, redis.Redis] = {}


def _broker_url() -> str:
    url = celery_app.conf.broker_read_url or celery_app.conf.broker_url or ""
    # A list of failover brokers: the first is the one in use.
    return (url.split(";")[0] if isinstance(url, str) else url[0]).strip()


def _queue_names() -> list[str]:
    names = {celery_app.conf.task_default_queue}
    names.update(queue.name for queue in celery_app.conf.task_queues or ())
    return sorted(names)


def _celery_queues() -> Iterator[Metric]:
    url = _broker_url()
    inspectable = url.startswith(("redis://", "rediss://"))
    yield _gauge(
        "seva_celery_broker_inspectable",
        "1 when the broker is Redis and its queue lengths are reported, 0 for another broker.",
        1 if inspectable else 0,
    )
    if not inspectable:
        return
    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        _redis_clients[url] = client
    prefix = (celery_app.conf.broker_transport_options or {}).get("global_keyprefix", "")
    names = _queue_names()
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            # kombu keeps one Redis list per priority step: the queue's name, then name+sep+step.
            for step in PRIORITY_STEPS:
                pipe.llen(f"{prefix}{name}{RedisChannel.sep}{step}" if step else f"{prefix}{name}")
        lengths = pipe.execute()
    family = GaugeMetricFamily(
        "seva_celery_queue_length",
        "Tasks waiting in a Celery queue on the Redis broker (not yet taken by a worker).",
        labels=["queue"],
    )
    steps = len(PRIORITY_STEPS)
    for index, name in enumerate(names):
        family.add_metric([name], sum(lengths[index * steps : (index + 1) * steps]))
    yield family


class ScrapeTimeCollector:
    """Figures read when Prometheus asks. A part that fails (the database or the broker is
    down) is reported as such, and the others are still answered."""

    PARTS = {"outbox": _outbox, "celery_queues": _celery_queues}

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "seva_metrics_source_up",
            "1 when the figures of this source could be read at this scrape, else 0.",
            labels=["source"],
        )
        for name, part in self.PARTS.items():
            started = time.perf_counter()
            try:
                figures = list(part())
            except Exception:
                logger.warning("metrics: %s could not be read", name, exc_info=True)
                up.add_metric([name], 0)
            else:
                yield from figures
                up.add_metric([name], 1)
            logger.debug("metrics: %s read in %.1f ms", name, (time.perf_counter() - started) * 1e3)
        yield up


class _ThisProcess:
    """The process's own default registry, when it is the only process (runserver, tests)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(ScrapeTimeCollector())  # type: ignore[arg-type]
    return generate_latest(registry)


def _authorised(request: HttpRequest) -> bool:
    token = settings.SEVA_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if not token or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given.removeprefix("Bearer ").encode(), token.encode())


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """For Prometheus only: anyone else, whatever the method, is told nothing is here."""
    if request.method not in ("GET", "HEAD") or not _authorised(request):
        raise Http404
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
