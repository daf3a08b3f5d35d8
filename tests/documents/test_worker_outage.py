"""A certificate decided while no worker can issue it is issued once they are back: a real
Celery worker, consuming from a real Redis, issues an income certificate the tehsildar
approved over the API while the worker was stopped (the hand-over waits in the queue) or
the broker unreachable (the hand-over is lost; the row waits). Then the beat's sweep, sent
to the worker three times, leaves one document, its two signed files in storage, and one
"approved" SMS. And two workers issuing one pending document at the same moment make one
document, keep one set of files and queue one SMS.

Needs PostgreSQL (the worker reads the test database over its own connection) and, for the
worker, Redis at SEVA_TEST_REDIS_URL (its database is flushed before and after): skipped
without it unless SEVA_REQUIRE_WORKER_TESTS is set, and failed when it is set and Redis does
not answer or the worker does not start."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from seva.applications.models import Application
from seva.applications.services import application_act, application_submit
from seva.config.celery import app as celery_app
from seva.definitions.models import Service
from seva.documents.models import DocumentFile, DocumentStatus, IssuedDocument
from seva.documents.services import document_issue
from seva.documents.tasks import issue_pending
from seva.notifications.models import OutboxMessage, OutboxStatus
from tests.applications.walk import REMARKS, officer_for
from tests.helpers import example_with_documents
from tests.notifications.test_worker import _database_url, _free_port, _use_broker
from tests.threads import cleanup, committed, run_together

REDIS_URL = os.environ.get("SEVA_TEST_REDIS_URL", "")
REQUIRED = bool(os.environ.get("SEVA_REQUIRE_WORKER_TESTS"))
REPO = Path(__file__).resolve().parents[2]
SERVICE = "income-certificate"
# Nobody listens here: a broker that cannot be reached.
UNREACHABLE = f"redis://127.0.0.1:{_free_port()}/0"
# The beat's sweep leaves documents younger than a minute to the hand-over still under way:
# the tehsildar decided this long before the sweep runs.
DECIDED_AGO = dt.timedelta(minutes=2)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker needs PostgreSQL"),
]
needs_redis = pytest.mark.skipif(
    not REDIS_URL and not REQUIRED, reason="needs Redis: set SEVA_TEST_REDIS_URL"
)


# ------------------------------------------------------------------------------
# A file at the tehsildar's decision, and the decision, committed
# ------------------------------------------------------------------------------
def _file_at_decision() -> str:
    """Submitted by the demo citizen, checked by the clerk, verified by the patwari."""

    def work() -> str:
        User = get_user_model()
        citizen = User.objects.get(username="citizen")
        service = Service.objects.select_related("current_version").get(code=SERVICE)
        application = application_submit(
            service=service, data=example_with_documents(service, citizen), applicant=citizen
        )
        for action, inputs in (
            ("forward_for_verification", {}),
            ("submit_verification_report", {"facts_verified": True}),
        ):
            officer = User.objects.get(
                username=officer_for(application, application.holder_role.code)
            )
            application = application_act(
                application=application, user=officer, action=action, remarks=REMARKS, inputs=inputs
            )
        assert application.state == "decision"
        return application.reference

    return committed(work)


def _approve_over_api(reference: str, *, ago: dt.timedelta = dt.timedelta(0)) -> None:
    """The tehsildar approves, `ago` before now, in a request of its own (committed, so that
    its hand-over to the broker happens as in production)."""

    def work() -> None:
        application = Application.objects.get(reference=reference)
        client = APIClient()
        client.force_authenticate(
            get_user_model().objects.get(username=officer_for(application, "tehsildar"))
        )
        with time_machine.travel(timezone.now() - ago):
            response = client.post(
                f"/api/v1/applications/{reference}/actions/",
                {"action": "approve", "remarks": REMARKS, "data": {}},
                format="json",
            )
        assert response.status_code == 200, response.json()

    committed(work)


def _remove(references: list[str]) -> None:
    """Remove what the test committed: the documents and their files first (they hold on to
    the files and their history), then the files."""

    def work() -> None:
        documents = IssuedDocument.objects.filter(application__reference__in=references)
        for stored in DocumentFile.objects.filter(document__in=documents):
            default_storage.delete(stored.file.name)
        DocumentFile.objects.filter(document__in=documents).delete()
        documents.delete()
        cleanup(references)

    committed(work)


def _approved_sms(reference: str):
    return OutboxMessage.objects.filter(application__reference=reference, event="approved")


def _certificates(reference: str):
    return IssuedDocument.objects.filter(application__reference=reference, code="certificate")


# ------------------------------------------------------------------------------
# The worker and its broker
# ------------------------------------------------------------------------------
@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    if not REDIS_URL:
        pytest.fail("SEVA_REQUIRE_WORKER_TESTS is set: give SEVA_TEST_REDIS_URL (a Redis)")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"SEVA_TEST_REDIS_URL={REDIS_URL} is set but Redis does not answer: {exc}")
    client.flushdb()  # only the database named in SEVA_TEST_REDIS_URL
    saved = {
        key: celery_app.conf[key]
        for key in ("broker_url", "broker_write_url", "broker_read_url", "task_always_eager")
    }
    yield client
    _use_broker(**saved)
    client.flushdb()


def _point_at(url: str) -> None:
    """The web side hands its tasks to the broker at `url` (the worker's queue is on the
    broker at SEVA_TEST_REDIS_URL)."""
    _use_broker(broker_url=url, broker_write_url=url, broker_read_url=url, task_always_eager=False)


class Worker:
    """`celery worker` in a process of its own, on the test database, logging each task."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "seva.config.settings.test",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": REDIS_URL,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "seva.config",
                "worker",
                "--concurrency",
                "2",
                "--pool",
                "threads",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            cwd=REPO,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self._wait_for(" ready.", timeout=90)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _wait_for(self, words: str, *, timeout: float) -> str:
        """Fails the test, with the log, when `words` do not appear in time or the worker
        has stopped."""
        deadline = time.monotonic() + timeout
        while words not in self.text():
            if self.process.poll() is not None:
                pytest.fail(
                    f"the worker stopped ({self.process.returncode}):\n{self.text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the worker did not log {words!r} in {timeout} s:\n{self.text()[-3000:]}"
                )
            time.sleep(0.2)
        return self.text()

    def sweep(self) -> int:
        """What Celery beat does every five minutes: hand the sweep to the worker; waits until
        the worker has run it. How many pending documents it went through."""
        task_id = issue_pending.delay().id
        done = f"Task {issue_pending.name}[{task_id}] succeeded"
        text = self._wait_for(done, timeout=120)
        return int(re.search(re.escape(done) + r" in [\d.e-]+s: (\d+)", text).group(1))


def _wait_until(condition, *, timeout: float, worker: Worker, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen in {timeout} s:\n{worker.text()[-3000:]}")
        time.sleep(0.3)


# ------------------------------------------------------------------------------
# The tests
# ------------------------------------------------------------------------------
@needs_redis
@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["worker stopped", "broker unreachable"])
def test_a_certificate_approved_during_an_outage_is_issued_once_when_the_worker_is_back(
    broker, tmp_path, outage
):
    worker, references = Worker(tmp_path / "worker.log"), []
    try:
        reference = _file_at_decision()
        references.append(reference)
        _point_at(REDIS_URL if outage == "worker stopped" else UNREACHABLE)
        _approve_over_api(reference, ago=DECIDED_AGO)  # the request succeeds all the same

        (document,) = _certificates(reference)
        assert (document.status, document.number) == (DocumentStatus.PENDING, None)
        assert not _approved_sms(reference).exists()
        # Stopped worker: the hand-over waits in the queue. Unreachable broker: it is lost.
        assert broker.llen("celery") == (1 if outage == "worker stopped" else 0)

        _point_at(REDIS_URL)  # the broker is back
        worker.start()
        worker.sweep()
        _wait_until(
            lambda: _certificates(reference).filter(status=DocumentStatus.ISSUED).exists(),
            timeout=120,
            worker=worker,
            what="the certificate's issue",
        )
        application = Application.objects.get(reference=reference)
        decision = application.events.get(action="approve")
        (document,) = _certificates(reference)
        assert document.cause_id == decision.pk
        assert document.status == DocumentStatus.ISSUED, document.last_error
        assert document.number.startswith("HR/INC/"), document.number
        files = list(document.files.order_by("language"))
        assert [f.language for f in files] == ["en", "hi"]
        for file in files:
            assert default_storage.exists(file.file.name), file.file.name
            assert default_storage.size(file.file.name) == file.size
        (sms,) = _approved_sms(reference)
        assert sms.recipient == application.applicant_mobile
        _wait_until(
            lambda: _approved_sms(reference).get().status == OutboxStatus.SENT,
            timeout=60,
            worker=worker,
            what="the SMS's delivery",
        )

        assert (worker.sweep(), worker.sweep()) == (0, 0)  # nothing pending is left
        (again,) = _certificates(reference)
        assert (again.pk, again.number, again.status) == (
            document.pk,
            document.number,
            DocumentStatus.ISSUED,
        )
        assert again.files.count() == 2
        assert _approved_sms(reference).count() == 1
    finally:
        worker.stop()
        _remove(references)


@pytest.mark.django_db
def test_two_workers_issuing_one_pending_document_at_once_make_one_document(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # this test's own storage, to count the files kept
    saved = {
        key: celery_app.conf[key]
        for key in ("broker_url", "broker_write_url", "broker_read_url", "task_always_eager")
    }
    references = []
    try:
        reference = _file_at_decision()
        references.append(reference)
        _point_at(UNREACHABLE)  # the hand-over is lost: the document waits, pending
        _approve_over_api(reference)
        _use_broker(**saved)
        (document,) = _certificates(reference)
        assert document.status == DocumentStatus.PENDING

        results = run_together([lambda: document_issue(document.pk)] * 2, timeout=120)

        assert not [r for r in results if isinstance(r, Exception)], results
        winners = [r for r in results if r.startswith("issued HR/")]
        assert len(winners) == 1, results
        # Both rendered and signed; the second found it issued and threw its files away.
        assert "issued by another worker" in results, results
        (document,) = _certificates(reference)
        assert document.status == DocumentStatus.ISSUED
        assert winners == [f"issued {document.number}"]
        files = list(document.files.order_by("language"))
        assert [f.language for f in files] == ["en", "hi"]
        kept = {p.relative_to(tmp_path).as_posix() for p in (tmp_path / "issued").rglob("*.pdf")}
        assert kept == {f.file.name for f in files}
        assert _approved_sms(reference).count() == 1
    finally:
        _use_broker(**saved)
        _remove(references)
