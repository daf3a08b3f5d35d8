"""The error tracker (seva.config.sentry, ADR 0022): the production settings start Sentry only
when SENTRY_DSN is set; then an unhandled error in a view reaches the DSN's server as an
envelope, with the environment and release, and without personal data (no mobile number, no
cookie, no address, no form field). The settings run in a process of their own, as in
production; Sentry's server is a fake one on loopback."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk
from django.db import connection

from seva.config.sentry import MASK, without_personal_data
from seva.core.requestid import current_request_id

REPO = Path(__file__).resolve().parents[2]
MOBILE = "9876543210"
COOKIE = "secret-session-cookie-value"
ADDRESS = "203.0.113.9"

# In a process of its own: a POST through Django's WSGI handler, as gunicorn calls it.
SCRIPT = textwrap.dedent(
    f"""
    import io, json, wsgiref.util
    import django, sentry_sdk
    from urllib.parse import urlencode
    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.test.utils import override_settings
    active = sentry_sdk.get_client().is_active()
    status = None
    if active:
        body = urlencode({{"mobile": "{MOBILE}", "name": "Asha Devi"}}).encode()
        environ = {{
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/fails/",
            "QUERY_STRING": "mobile={MOBILE}&next=/my/",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "https",
            "HTTP_HOST": "testserver",
            "SERVER_PORT": "443",
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_COOKIE": "sessionid={COOKIE}; csrftoken=csrf-token-kept-private",
            "HTTP_X_FORWARDED_FOR": "{ADDRESS}",
            "HTTP_AUTHORIZATION": "Token partner-secret-key",
        }}
        wsgiref.util.setup_testing_defaults(environ)
        answers = []
        with override_settings(ROOT_URLCONF="tests.config.sentry_urls"):
            response = get_wsgi_application()(environ, lambda s, h, e=None: answers.append(s))
            b"".join(response)
        status = int(answers[0].split()[0])
        sentry_sdk.flush(timeout=10)
    print(json.dumps({{"active": active, "status": status}}))
    """
)


class FakeSentry(ThreadingHTTPServer):
    """Records every envelope posted to it, decompressed."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                outer.received.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def __enter__(self) -> FakeSentry:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server_address[1]}/42"


def _run_production(**extra: str) -> dict:
    db = connection.settings_dict
    redis_url = os.environ.get("SEVA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SENTRY_", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "seva.config.settings.prod",
            "SECRET_KEY": "sentry-test-not-a-secret-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": (
                f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
                f"{db.get('PORT') or 5432}/{db['NAME']}"
            ),
            "CELERY_BROKER_URL": redis_url,
            "SEVA_CACHE_URL": redis_url,
            # Named, not used: nothing here reads or writes a file.
            "SEVA_S3_BUCKET": "seva-sentry-test",
            "SEVA_S3_REGION": "us-east-1",
            "SEVA_S3_ENDPOINT_URL": "http://127.0.0.1:9",
            "SEVA_S3_ACCESS_KEY_ID": "test",
            "SEVA_S3_SECRET_ACCESS_KEY": "test",
            "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'platform'}",
            **extra,
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_test_settings_start_no_error_tracker():
    assert not sentry_sdk.get_client().is_active()


needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="production settings run on PostgreSQL"
)


@needs_postgres
@pytest.mark.django_db
def test_without_a_dsn_production_starts_no_error_tracker():
    with FakeSentry() as server:
        assert _run_production() == {"active": False, "status": None}
    assert server.received == []


@needs_postgres
@pytest.mark.django_db
def test_an_unhandled_error_reaches_sentry_without_personal_data():
    with FakeSentry() as server:
        outcome = _run_production(
            SENTRY_DSN=server.dsn,
            SENTRY_ENVIRONMENT="staging",
            SENTRY_RELEASE="seva@2026.12.1",
        )
    assert outcome == {"active": True, "status": 500}
    envelopes = [body for path, body in server.received if path == "/api/42/envelope/"]
    events = []
    for body in envelopes:
        _header, *rest = body.split(b"\n")
        for item_header, payload in zip(rest[::2], rest[1::2], strict=False):
            if json.loads(item_header).get("type") == "event":
                events.append(json.loads(payload))
    assert len(events) == 1, server.received
    event = events[0]
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["value"] == f"could not file the application for {MASK}"
    assert event["environment"] == "staging" and event["release"] == "seva@2026.12.1"
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"].endswith("/fails/")
    assert re.fullmatch(r"[0-9a-f]{32}", event["tags"]["request_id"])  # to find its log lines
    everything = b"".join(body for _, body in server.received)
    for personal in (
        MOBILE,
        COOKIE,
        ADDRESS,
        "Asha",
        "partner-secret-key",
        "csrf-token-kept-private",
    ):
        assert personal.encode() not in everything, personal
    assert "user" not in event


def test_mobile_numbers_and_long_digit_runs_are_masked_anywhere_in_an_event():
    event = {
        "message": "SMS to +91 9876543210 failed",
        "breadcrumbs": {"values": [{"message": "otp for 09876543210", "data": {"n": 7}}]},
        "extra": {"aadhaar": "1234 5678 9012", "reference": "HR-REV-INC-2026-000123"},
        "request": {"query_string": "mobile=9876543210", "cookies": {"sessionid": "x"}},
        "user": {"ip_address": "203.0.113.9"},
    }
    cleaned = without_personal_data(event, {})
    text = json.dumps(cleaned)
    assert "9876543210" not in text and "1234 5678 9012" not in text
    assert "HR-REV-INC-2026-000123" in text  # reference numbers are not personal
    assert "query_string" not in cleaned["request"] and "cookies" not in cleaned["request"]
    assert "user" not in cleaned
    assert cleaned["breadcrumbs"]["values"][0]["data"] == {"n": 7}


def test_a_request_id_or_hash_with_a_run_of_digits_reaches_sentry_whole():
    """A 32-hex request id holds ten digits in a row now and then: it must not be taken for a
    mobile number (it once was, and the event could no longer be matched to its logs)."""
    request_id = "5205b1158e494e26af9876543210ecc6"
    token = current_request_id.set(request_id)
    try:
        cleaned = without_personal_data(
            {"message": f"lost {request_id}; sha 0a9876543210ff; mobile=9876543210"}, {}
        )
    finally:
        current_request_id.reset(token)
    assert cleaned["tags"]["request_id"] == request_id
    assert f"lost {request_id}; sha 0a9876543210ff; mobile={MASK}" == cleaned["message"]
