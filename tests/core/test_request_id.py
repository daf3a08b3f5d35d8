"""The request id: taken from a sane X-Request-Id or made, returned on the response, on every
log line of the request, and carried into the Celery tasks the request queues, whose log lines
in the worker name it too (seva.core.requestid, seva.config.celery; ADR 0022)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import redis
from celery import shared_task
from celery.signals import before_task_publish
from django.db import connection

from seva.citizens.models import OtpChallenge
from seva.config.celery import REQUEST_ID_HEADER
from seva.core.logs import JsonFormatter, TextFormatter
from seva.core.requestid import RequestIdFilter, current_request_id
from seva.notifications.models import OutboxMessage
from tests.threads import committed

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture
def json_log():
    """What the root logger writes while the test runs, as the production handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_without_an_id_gets_one_on_its_response(client):
    first = client.get("/healthz")["X-Request-Id"]
    second = client.get("/healthz")["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


@pytest.mark.django_db
def test_a_sane_id_from_the_caller_is_kept(client):
    given = "Root=1-67891233-abcdef012345678912345678"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-Id"] == given


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given",
    ["x" * 129, "two words", "id\r\nSet-Cookie: a=b", "<script>", "ईद", ""],
)
def test_an_odd_id_from_the_caller_is_replaced(client, given):
    answered = client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", answered)


@pytest.mark.django_db
def test_every_log_line_of_a_request_names_its_id(client, json_log):
    response = client.get("/no-such-page-anywhere/", HTTP_X_REQUEST_ID="req-404")
    assert response.status_code == 404
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert lines and {line["request_id"] for line in lines} == {"req-404"}
    # Outside a request there is none.
    logging.getLogger("seva.test").warning("after the request")
    assert json_log()[-1]["request_id"] is None
    assert current_request_id.get() is None


def test_the_text_format_shows_the_id_or_a_dash():
    record = logging.makeLogRecord({"name": "seva", "levelname": "INFO", "msg": "hello"})
    RequestIdFilter().filter(record)
    assert "seva [-] hello" in TextFormatter().format(record)
    token = current_request_id.set("abc")
    try:
        record = logging.makeLogRecord({"name": "seva", "levelname": "INFO", "msg": "hello"})
        RequestIdFilter().filter(record)
        assert "seva [abc] hello" in TextFormatter().format(record)
    finally:
        current_request_id.reset(token)


def test_a_json_line_holds_the_traceback_and_extra_values_on_one_line():
    try:
        raise ValueError("broken\non two lines")
    except ValueError:
        record = logging.makeLogRecord(
            {"name": "seva", "levelname": "ERROR", "msg": "failed", "exc_info": sys.exc_info()}
        )
    record.reference = "HR-REV-INC-2026-000001"
    RequestIdFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "failed" and parsed["reference"] == "HR-REV-INC-2026-000001"
    assert "ValueError: broken\non two lines" in parsed["exception"]


@shared_task(name="tests.core.request_id_seen")
def request_id_seen() -> str | None:
    logging.getLogger("seva.test").info("inside the task")
    return current_request_id.get()


def test_the_id_goes_into_the_message_headers_of_a_task_queued_in_a_request():
    """before_task_publish, as the web process hands a task to the broker (the real worker's
    test below sends one through Redis)."""
    headers: dict = {}
    token = current_request_id.set("req-publish")
    try:
        before_task_publish.send(sender=request_id_seen.name, headers=headers, body=())
    finally:
        current_request_id.reset(token)
    assert headers[REQUEST_ID_HEADER] == "req-publish"
    untouched: dict = {}
    before_task_publish.send(sender=request_id_seen.name, headers=untouched, body=())
    assert REQUEST_ID_HEADER not in untouched  # outside a request: nothing to carry


def test_a_task_runs_under_the_id_it_was_sent_with_and_leaves_none_behind(json_log):
    """task_prerun/task_postrun, as the worker runs a message carrying the header."""
    result = request_id_seen.apply(headers={REQUEST_ID_HEADER: "req-carried"})
    assert result.get() == "req-carried"
    assert current_request_id.get() is None
    inside = [line for line in json_log() if line["message"] == "inside the task"]
    assert inside[0]["request_id"] == "req-carried"


def test_a_task_no_request_queued_gets_an_id_of_its_own():
    assert re.fullmatch(r"[0-9a-f]{32}", request_id_seen.apply().get())
    assert current_request_id.get() is None


def test_an_eager_task_in_a_request_keeps_the_request_s_id_after_it():
    token = current_request_id.set("req-eager")
    try:
        assert request_id_seen.apply().get() == "req-eager"
        assert current_request_id.get() == "req-eager"
    finally:
        current_request_id.reset(token)


# ------------------------------------------------------------------------------
# With real processes: gunicorn and a Celery worker, sharing the test database and a Redis
# ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    return (
        f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def _json_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                lines.append(json.loads(line))
    return lines


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the processes need PostgreSQL")
@pytest.mark.skipif(not os.environ.get("SEVA_TEST_REDIS_URL"), reason="needs SEVA_TEST_REDIS_URL")
@pytest.mark.django_db
def test_a_sign_in_code_s_request_and_its_task_in_the_worker_log_the_same_id(tmp_path):
    """A citizen asks for a sign-in code on a gunicorn server; the SMS task runs in a real
    Celery worker. The access log, the response and the worker's lines (Celery's and the SMS
    backend's own) carry one id, which the server made (the client sent none)."""
    broker = os.environ["SEVA_TEST_REDIS_URL"]
    mobile = "9123400" + f"{os.getpid() % 1000:03d}"
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.core.settings_real_worker",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "SEVA_LOG_FORMAT": "json",
        "SEVA_SMS_BACKEND": "seva.notifications.backends.ConsoleBackend",
        "SEVA_BIND": f"127.0.0.1:{port}",
        "SEVA_WEB_WORKERS": "1",
        "SEVA_WEB_THREADS": "2",
        "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'platform'}",
    }
    # Tasks another run left in the queue would deliver this run's rows (ids start again).
    stale = redis.Redis.from_url(broker)
    stale.delete("celery", *(f"celery\x06\x16{step}" for step in (3, 6, 9)))
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=REPO,
        env=env,
        stdout=web_log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "seva.config", "worker"),
            *("--pool", "threads", "--concurrency", "2", "--loglevel", "INFO"),
            *("--without-gossip", "--without-mingle"),
        ],
        cwd=REPO,
        env=env,
        stdout=worker_log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                page = opener.open(f"{base}/login/", timeout=10).read().decode()
                break
            except OSError:
                if web.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not serve: {web_log.read_text()[-3000:]}")
                time.sleep(0.5)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "mobile": mobile})
        request = urllib.request.Request(
            f"{base}/login/", data=form.encode(), headers={"Referer": f"{base}/login/"}
        )
        try:
            answer = opener.open(request, timeout=20)
        except urllib.error.HTTPError as redirect:
            answer = redirect
        assert answer.status == 302, web_log.read_text()[-3000:]
        request_id = answer.headers["X-Request-Id"]
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            task_lines = [
                line for line in _json_lines(worker_log) if line.get("request_id") == request_id
            ]
            if any("succeeded" in line["message"] for line in task_lines):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"no task line with the id: {worker_log.read_text()[-4000:]}")
    finally:
        web.terminate()
        worker.terminate()
        web.wait(timeout=30)
        worker.wait(timeout=30)

        def forget() -> None:
            OutboxMessage.objects.filter(recipient=mobile).delete()
            OtpChallenge.objects.filter(mobile=mobile).delete()

        committed(forget)

    access = [line for line in _json_lines(web_log) if line.get("path") == "/login/"]
    posted = [line for line in access if line["method"] == "POST"]
    assert posted and posted[0]["request_id"] == request_id and posted[0]["status"] == "302"
    messages = [line["message"] for line in task_lines]
    assert any(m.startswith(f"SMS to {mobile} ") for m in messages), messages  # in the task
    assert any("deliver_message" in m and "succeeded" in m for m in messages), messages
    assert {line["logger"] for line in task_lines} >= {
        "seva.notifications.backends",
        "celery.app.trace",
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
