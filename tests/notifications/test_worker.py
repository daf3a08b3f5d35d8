"""A real Celery worker, consuming from a real Redis, delivers the outbox to a fake gateway
on loopback: a thousand submissions make exactly one SMS each; with the broker stopped
during two hundred more, every message is delivered once the broker is back, none lost and
none twice. Needs PostgreSQL (the worker reads the test database over its own connection)
and the redis-server program (the test runs a broker of its own, so it can stop it)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Max

from seva.applications.models import Application
from seva.applications.services import application_submit
from seva.config.celery import app as celery_app
from seva.definitions.models import Service
from seva.notifications.models import OutboxMessage, OutboxStatus
from seva.notifications.tasks import deliver_pending
from tests.helpers import example_with_documents
from tests.threads import cleanup, committed

from .gateway import FakeGateway

REDIS_SERVER = shutil.which("redis-server")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs PostgreSQL"),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server program"),
]
FIRST, WHILE_DOWN = 1000, 200
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Broker:
    """A Redis of this test's own, so that stopping it disturbs nothing else."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    return (
        f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def _start_worker(broker: Broker, gateway: FakeGateway, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "seva.config.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker.url,
        "SEVA_SMS_BACKEND": "seva.notifications.backends.HttpGatewayBackend",
        "SEVA_SMS_GATEWAY_URL": gateway.url,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "seva.config",
            "worker",
            "--concurrency",
            "4",
            "--pool",
            "threads",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=REPO,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _file_grievances(count: int) -> list[str]:
    """Submitted and committed on a connection of their own, each in its own transaction, so
    each hands its SMS to the broker as a real request would."""

    def work() -> list[str]:
        from django.contrib.auth import get_user_model

        citizen = get_user_model().objects.get(username="citizen")
        service = Service.objects.get(code="public-grievance")
        references = []
        for _ in range(count):
            application = application_submit(
                service=service, data=example_with_documents(service, citizen), applicant=citizen
            )
            references.append(application.reference)
        return references

    started = time.monotonic()
    references = committed(work, timeout=600)
    print(f"filed {count} in {time.monotonic() - started:.1f} s")
    return references


def _sweep_when_reachable() -> None:
    """What Celery beat does every minute: hand the sweep to the worker."""
    deadline = time.monotonic() + 30
    while True:
        try:
            deliver_pending.delay()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _wait_until_sent(references: list[str], timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        counts = Counter(
            OutboxMessage.objects.filter(application__reference__in=references).values_list(
                "status", flat=True
            )
        )
        if counts.get(OutboxStatus.SENT, 0) == len(references) or time.monotonic() > deadline:
            return dict(counts)
        time.sleep(0.5)


def _use_broker(**conf) -> None:
    """Point the web side's Celery at another broker. The pools made for the previous one
    (another test may have made them) are let go, or hand-overs would still go there."""
    celery_app.conf.update(**conf)
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.mark.django_db
def test_a_real_worker_sends_each_sms_once_even_across_a_broker_outage(tmp_path):
    broker, references = Broker(), []
    saved = {
        k: celery_app.conf[k]
        for k in (
            "broker_url",
            "broker_write_url",
            "broker_read_url",
            "task_always_eager",
            "broker_transport_options",
        )
    }
    last_before = Application.objects.aggregate(last=Max("pk"))["last"] or 0
    broker.start()
    _use_broker(
        broker_url=broker.url,
        broker_write_url=broker.url,
        broker_read_url=broker.url,
        task_always_eager=False,
        broker_transport_options={"visibility_timeout": 3600, **settings.BROKER_HANDOVER_RETRY},
    )
    log = tmp_path / "worker.log"
    try:
        with FakeGateway() as gateway:
            worker = _start_worker(broker, gateway, log)
            try:
                references += _file_grievances(FIRST)
                status = _wait_until_sent(references, timeout=180)
                assert status == {"sent": FIRST}, (status, log.read_text()[-3000:])

                broker.stop()
                down = _file_grievances(WHILE_DOWN)  # each request still succeeds
                references += down
                pending = OutboxMessage.objects.filter(
                    application__reference__in=down, status=OutboxStatus.PENDING
                )
                assert pending.count() == WHILE_DOWN

                broker.start()  # the worker reconnects; the periodic sweep runs
                _sweep_when_reachable()
                status = _wait_until_sent(references, timeout=180)
                assert status == {"sent": FIRST + WHILE_DOWN}, (status, log.read_text()[-3000:])
            finally:
                worker.terminate()
                worker.wait(timeout=30)
                broker.stop()
        keys = Counter(message["reference"] for message in gateway.received)
        assert len(keys) == FIRST + WHILE_DOWN
        assert max(keys.values()) == 1  # no message twice
        # Each with the registered template of the citizen's language (English here).
        assert {m["template_id"] for m in gateway.received} == {"1107161234500000701"}
    finally:
        _use_broker(**saved)
        # What this test filed was committed: remove it, even after a failure, so that no
        # other test finds a thousand grievances in its way.
        committed(
            lambda: cleanup(
                list(
                    Application.objects.filter(pk__gt=last_before).values_list(
                        "reference", flat=True
                    )
                )
            )
        )
