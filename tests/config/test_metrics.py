"""/metrics for Prometheus (seva.config.metrics, ADR 0022): answered only with the bearer token,
a 404 otherwise; requests counted by URL pattern, never by raw path; the outbox's unsent rows
and their age; the Celery queues' lengths on a Redis broker (and no failure with another or a
dead one); applications filed and transitions taken per service, after commit; and under
gunicorn, the workers' figures added up."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from seva.applications.services import application_act, application_submit
from seva.config import metrics
from seva.config.celery import app as celery_app
from seva.definitions.models import Service
from seva.notifications.models import Channel, OutboxMessage, OutboxStatus
from tests.helpers import example_with_documents

TOKEN = "test-metrics-token-0123456789"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def token(settings):
    settings.SEVA_METRICS_TOKEN = TOKEN
    return TOKEN


def _scrape(client, token: str = TOKEN):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(text: str, name: str, **labels: str) -> float | None:
    return _samples(text).get((name, frozenset(labels.items())))


@pytest.mark.django_db
def test_without_a_configured_token_nobody_gets_metrics(client, settings):
    settings.SEVA_METRICS_TOKEN = ""
    assert _scrape(client, "").status_code == 404
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer wrong-token"},
        {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}x"},
        {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"},
        {"HTTP_AUTHORIZATION": TOKEN},
    ],
)
def test_without_the_token_metrics_do_not_exist(client, token, headers):
    response = client.get("/metrics", **headers)
    assert response.status_code == 404
    assert b"seva_" not in response.content
    # Answered as the site answers any unknown address.
    assert response.content == client.get("/no-such-page-anywhere/").content


@pytest.mark.django_db
def test_another_method_is_a_404_even_with_the_token(client, token):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_with_the_token_prometheus_reads_its_text_format(client, token):
    response = _scrape(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    text = response.content.decode()
    assert _value(text, "seva_metrics_source_up", source="outbox") == 1


@pytest.mark.django_db
def test_requests_are_counted_by_their_url_pattern_never_their_path(client, token):
    reference = "HR-REV-INC-2026-987654"
    for _ in range(3):
        client.get(f"/api/v1/applications/{reference}/")
    client.get("/healthz")
    text = _scrape(client).content.decode()
    assert reference not in text
    routes = {
        dict(labels)["route"]
        for (name, labels) in _samples(text)
        if name == "seva_http_requests_total"
    }
    pattern = next(route for route in routes if route.startswith("api/v1/applications/<"))
    assert "reference" in pattern
    answered = [
        value
        for (name, labels), value in _samples(text).items()
        if name == "seva_http_requests_total" and dict(labels)["route"] == pattern
    ]
    assert sum(answered) >= 3
    assert _value(text, "seva_http_requests_total", method="GET", route="healthz", status="200")
    buckets = [
        key
        for key in _samples(text)
        if key[0] == "seva_http_request_duration_seconds_bucket"
        and dict(key[1])["route"] == "healthz"
    ]
    assert buckets  # latencies, as a histogram


@pytest.mark.django_db
def test_an_address_no_pattern_claims_is_counted_as_unmatched(client, token):
    before = REGISTRY.get_sample_value(
        "seva_http_requests_total", {"method": "GET", "route": "<unmatched>", "status": "404"}
    )
    client.get("/static/no-such-file-anywhere.css")
    after = REGISTRY.get_sample_value(
        "seva_http_requests_total", {"method": "GET", "route": "<unmatched>", "status": "404"}
    )
    assert after == (before or 0) + 1


def _message(key: str, *, status: str, age: dt.timedelta) -> OutboxMessage:
    return OutboxMessage.objects.create(
        channel=Channel.SMS,
        recipient="9000000001",
        language="en",
        event="test",
        body="test",
        idempotency_key=f"metrics-test:{key}",
        status=status,
        created_at=timezone.now() - age,
    )


@pytest.mark.django_db
def test_the_outbox_depth_and_the_age_of_its_oldest_unsent_message(client, token):
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).delete()
    text = _scrape(client).content.decode()
    assert _value(text, "seva_outbox_unsent") == 0
    assert _value(text, "seva_outbox_oldest_unsent_age_seconds") == 0

    _message("sent-long-ago", status=OutboxStatus.SENT, age=dt.timedelta(days=3))
    _message("failed", status=OutboxStatus.FAILED, age=dt.timedelta(days=2))
    _message("waiting", status=OutboxStatus.PENDING, age=dt.timedelta(minutes=10))
    _message("new", status=OutboxStatus.PENDING, age=dt.timedelta(seconds=1))
    text = _scrape(client).content.decode()
    assert _value(text, "seva_outbox_unsent") == 2
    age = _value(text, "seva_outbox_oldest_unsent_age_seconds")
    assert 600 <= age < 700


@pytest.mark.django_db
def test_the_outbox_count_stops_at_its_cap(client, token, monkeypatch):
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).delete()
    for index in range(4):
        _message(f"capped-{index}", status=OutboxStatus.PENDING, age=dt.timedelta(minutes=1))
    monkeypatch.setattr(metrics, "OUTBOX_COUNT_CAP", 3)
    assert _value(_scrape(client).content.decode(), "seva_outbox_unsent") == 3


@pytest.fixture
def broker(monkeypatch):
    """Celery's configuration pointed at a broker for the length of a test. Celery reads
    CELERY_BROKER_URL and CELERY_BROKER_READ_URL from the environment before its own
    configuration (CI exports the first), so they are unset meanwhile."""
    keys = ("broker_url", "broker_read_url", "task_default_queue")
    saved = {key: celery_app.conf[key] for key in keys}
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_READ_URL", raising=False)

    def use(url: str, queue: str = "celery") -> None:
        celery_app.conf.update(broker_url=url, broker_read_url=None, task_default_queue=queue)

    yield use
    celery_app.conf.update(**saved)


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("SEVA_TEST_REDIS_URL"), reason="needs SEVA_TEST_REDIS_URL")
def test_celery_queue_lengths_are_read_from_the_redis_broker(client, token, broker):
    url = os.environ["SEVA_TEST_REDIS_URL"]
    queue = f"seva-metrics-test-{os.getpid()}"
    store = redis.Redis.from_url(url)
    try:
        store.rpush(queue, "a", "b", "c")
        store.rpush(f"{queue}\x06\x163", "d", "e")  # kombu's list for priority step 3
        broker(url, queue)
        text = _scrape(client).content.decode()
    finally:
        store.delete(queue, f"{queue}\x06\x163")
    assert _value(text, "seva_celery_broker_inspectable") == 1
    assert _value(text, "seva_celery_queue_length", queue=queue) == 5
    assert _value(text, "seva_metrics_source_up", source="celery_queues") == 1


@pytest.mark.django_db
def test_another_broker_is_reported_as_not_inspectable_and_the_rest_is_answered(
    client, token, broker
):
    broker("filesystem://localhost/")
    text = _scrape(client).content.decode()
    assert _value(text, "seva_celery_broker_inspectable") == 0
    assert "seva_celery_queue_length" not in text
    assert _value(text, "seva_metrics_source_up", source="celery_queues") == 1


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_is_reported_and_the_rest_is_answered(client, token, broker):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    broker(f"redis://127.0.0.1:{port}/0")
    started = time.monotonic()
    response = _scrape(client)
    assert response.status_code == 200 and time.monotonic() - started < 5
    text = response.content.decode()
    assert _value(text, "seva_metrics_source_up", source="celery_queues") == 0
    assert _value(text, "seva_metrics_source_up", source="outbox") == 1
    assert _value(text, "seva_outbox_unsent") is not None


def _counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.django_db
def test_applications_filed_and_transitions_taken_are_counted_per_service_after_commit(
    user, django_capture_on_commit_callbacks
):
    service = Service.objects.select_related("current_version").get(code="income-certificate")
    citizen = user("citizen")
    filed = _counted("seva_applications_submitted_total", service="income-certificate")
    moved = _counted(
        "seva_application_transitions_total",
        service="income-certificate",
        action="forward_for_verification",
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        application = application_submit(
            service=service, data=example_with_documents(service, citizen), applicant=citizen
        )
    # Nothing is counted before the commit (a rolled-back filing is never counted).
    assert _counted("seva_applications_submitted_total", service="income-certificate") == filed
    for callback in callbacks:
        callback()
    assert _counted("seva_applications_submitted_total", service="income-certificate") == filed + 1

    with django_capture_on_commit_callbacks(execute=True):
        application_act(
            application=application, user=user("clerk.ambala"), action="forward_for_verification"
        )
    assert (
        _counted(
            "seva_application_transitions_total",
            service="income-certificate",
            action="forward_for_verification",
        )
        == moved + 1
    )
    assert _counted("seva_applications_submitted_total", service="income-certificate") == filed + 1


# ------------------------------------------------------------------------------
# Under gunicorn: several worker processes, one sum
# ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


@pytest.mark.django_db
def _worker_files(metrics_dir: Path) -> set[int]:
    """The workers (by pid) that have written figures into the multiprocess folder."""
    return {int(m) for m in re.findall(r"counter_(\d+)\.db", " ".join(os.listdir(metrics_dir)))}


def test_under_gunicorn_the_workers_figures_are_added_up(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the server reads the test database over a connection of its own")
    db = connection.settings_dict
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by an earlier run")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "seva.config.settings.test",
        "DATABASE_URL": (
            f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{db['NAME']}"
        ),
        "SEVA_BIND": f"127.0.0.1:{port}",
        "SEVA_WEB_WORKERS": "3",
        "SEVA_WEB_THREADS": "2",
        "SEVA_METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not serve: {log.read_text()[-3000:]}")
            time.sleep(0.5)
        assert not (metrics_dir / "counter_999999.db").exists()  # emptied at start
        before = _value(
            _get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")[1],
            "seva_http_requests_total",
            method="GET",
            route="healthz",
            status="200",
        )
        # Which worker takes a connection is the kernel's choice: requests are sent ten at a
        # time, in batches, until more than one worker has served some (each keeps a file).
        sent = 0
        with ThreadPoolExecutor(max_workers=10) as pool:
            while sent < 30 or (len(_worker_files(metrics_dir)) < 2 and sent < 300):
                answers = list(pool.map(lambda _n: _get(f"{base}/healthz")[0], range(10)))
                assert answers == [200] * 10
                sent += 10
        assert _get(f"{base}/metrics")[0] == 404
        status, text = _get(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
        assert status == 200
        after = _value(
            text, "seva_http_requests_total", method="GET", route="healthz", status="200"
        )
        assert after == before + sent
        # Served by more than one worker, yet one figure: each keeps a file of its own.
        assert len(_worker_files(metrics_dir)) >= 2, os.listdir(metrics_dir)
        assert _value(text, "seva_outbox_unsent") is not None
    finally:
        server.terminate()
        server.wait(timeout=30)
